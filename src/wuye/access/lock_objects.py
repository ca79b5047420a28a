"""Row locks of the access app. Lock only inside a transaction.

A door event locks the visitor pass it presents (its uses are counted under the lock), nothing else;
revoking a pass locks the same row, so a revocation and a use never interleave.
"""

from __future__ import annotations

from wuye.access.models import VisitorPass


def pass_lock(pk: int) -> VisitorPass:
    return VisitorPass.objects.select_for_update().get(pk=pk)
