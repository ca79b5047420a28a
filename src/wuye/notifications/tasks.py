"""The outbox's jobs (``wuye.core.jobs``): thin wrappers around the domain."""

from __future__ import annotations

from wuye.core import jobs
from wuye.notifications.domain.outbox import outbox_deliver_due


@jobs.job
def deliver_messages(message_pks: list[int]) -> None:
    """Deliver these just-queued messages now (called after the commit that queued them)."""
    outbox_deliver_due(message_pks=message_pks, limit=len(message_pks))


def deliver_due() -> None:
    outbox_deliver_due()
