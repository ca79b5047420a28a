"""What every portal page shows around its content: the owner, the household, the tab bar."""

from __future__ import annotations

from django.shortcuts import render

from wuye.owners.models import HouseholdBinding


def _several_households(request, owner) -> bool:
    if owner is None:
        return False
    several = getattr(request, "several_households", None)  # read with the frame (owner_required)
    if several is None:
        several = HouseholdBinding.objects.filter(account=owner)[:2].count() > 1
    return several


def render_portal(request, template: str, context: dict | None = None, *, tab: str = "", status: int = 200):
    owner = getattr(request, "owner", None)
    household = getattr(request, "household", None)
    unread = 0
    if household is not None:
        from wuye.notices.domain.queries import unread_notices_count

        unread = unread_notices_count(household=household)
    return render(
        request,
        template,
        {
            "owner": owner,
            "household": household,
            "binding": getattr(request, "binding", None),
            "several_households": _several_households(request, owner),
            "unread_notices": unread,
            "tab": tab,
            **(context or {}),
        },
        status=status,
    )
