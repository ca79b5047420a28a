"""Row locks of the notices app. Lock only inside a transaction."""

from __future__ import annotations

from wuye.notices.models import Activity

# Test switch, for the control test only (tests/notices/test_concurrency.py): with it off, sign-ups
# read the activity without a lock, and concurrent sign-ups overbook. Never turned off in production.
ACTIVITY_LOCK_ENABLED = True


def activity_lock(pk: int) -> Activity:
    """The activity, locked until the end of the transaction: sign-ups for it queue one by one, so
    each counts the places the previous one left."""
    queryset = Activity.objects.all()
    if ACTIVITY_LOCK_ENABLED:
        queryset = queryset.select_for_update()
    return queryset.get(pk=pk)
