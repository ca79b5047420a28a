"""Row locks of the service app. Lock only inside a transaction.

Order, when one transaction takes several: the request first, then its team (auto-assignment does
exactly that), so two transactions never wait for each other in a circle.
"""

from __future__ import annotations

from wuye.service.models import ServiceRequest, Team


def request_lock(pk: int) -> ServiceRequest:
    return ServiceRequest.objects.select_for_update().get(pk=pk)


def team_lock(pk: int) -> Team:
    return Team.objects.select_for_update().get(pk=pk)
