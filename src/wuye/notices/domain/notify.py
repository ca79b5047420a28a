"""The notices' calls into the notifications outbox (``wuye.notifications``).

The event ``notices.notice.published`` is registered by the notifications app; the context is
notice_pk, title, urgent, pinned.
"""

from __future__ import annotations

from collections.abc import Iterable

from wuye.households.models import Person
from wuye.notifications.domain.outbox import notify

NOTICE_PUBLISHED = "notices.notice.published"


def notify_people(*, community, people: Iterable[Person], context: dict, actor=None) -> None:
    notify(community=community, event=NOTICE_PUBLISHED, people=people, context=context, actor=actor)
