"""The system tag 欠费 (in arrears): households owing anything overdue as of today. Its rule (which
households carry it) is registered by ``billing.domain.arrears``, which knows them.

Overdue status changes with the calendar as well as with writes: a bill falls due at midnight with no
write at all. So the tag is refreshed two ways: by every write that changes what a line owes
(adjustments and waivers here; payments call ``arrears_tag_refresh_on_commit`` too), after commit,
and by ``wuye tags_refresh`` (run it daily, e.g. from cron, to catch bills that fell due).
"""

from __future__ import annotations

from django.db import transaction

from wuye.core.models import Community
from wuye.households.domain.tagrules import tags_refresh

ARREARS_RULE = "arrears"


def arrears_tag_refresh(*, community_id: int) -> tuple[int, int]:
    """Bring the 欠费 tag of one community in line now; (added, removed)."""
    community = Community.objects.get(pk=community_id)
    return tags_refresh(community=community, keys=[ARREARS_RULE])[ARREARS_RULE]


def arrears_tag_refresh_on_commit(
    *, community_id: int, household_ids: list[int] | None = None, paid: bool = False
) -> None:
    """After the current transaction commits (at once outside one), refresh the 欠费 tag: of the given
    households only, or of the whole community. ``paid``: the change only paid money in, so only
    households carrying the tag can change (see tags_refresh's removal_only)."""

    def refresh() -> None:
        if household_ids is None:
            arrears_tag_refresh(community_id=community_id)
        else:
            community = Community(pk=community_id)
            tags_refresh(
                community=community, keys=[ARREARS_RULE], household_ids=list(household_ids), removal_only=paid
            )

    transaction.on_commit(refresh)
