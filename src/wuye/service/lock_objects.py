"""Row locks of the service app. Lock only inside a transaction.

Order, when one transaction takes several: the request first, then its team (auto-assignment does
exactly that), so two transactions never wait for each other in a circle.
"""

from __future__ import annotations

from wuye.service.models import ServiceRequest, Team

# Test switch, for the control test only (tests/service/test_concurrency.py): with it off, the team
# row is read without a lock and concurrent assignments take the same turn. Never off in production.
TEAM_LOCK_ENABLED = True


def request_lock(pk: int) -> ServiceRequest:
    return ServiceRequest.objects.select_for_update().get(pk=pk)


def team_lock(pk: int) -> Team:
    queryset = Team.objects.all()
    if TEAM_LOCK_ENABLED:
        queryset = queryset.select_for_update()
    return queryset.get(pk=pk)
