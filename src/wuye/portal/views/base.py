"""What every portal page shows around its content: the owner, the household, the tab bar."""

from __future__ import annotations

from django.shortcuts import render


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
            # Read with the frame by owner_required, the only place that sets request.owner.
            "several_households": getattr(request, "several_households", False),
            "unread_notices": unread,
            "tab": tab,
            **(context or {}),
        },
        status=status,
    )
