"""The owner's home: the household, what needs attention (bills, requests, notices), its people."""

from __future__ import annotations

from wuye.households.domain.queries import people_living_in, room_links_of, vehicles_of
from wuye.notices.domain.queries import latest_notices
from wuye.owners.sections import portal_sections_for
from wuye.portal.auth import owner_required
from wuye.portal.views.base import render_portal
from wuye.service.domain.queries import latest_requests_of_household

HOME_ITEMS = 5


@owner_required
def home(request):
    household = request.household
    return render_portal(
        request,
        "portal/home.html",
        {
            "sections": portal_sections_for(household, request.owner),
            "requests": latest_requests_of_household(household=household, limit=HOME_ITEMS),
            "notices": latest_notices(household=household, limit=HOME_ITEMS),
            "rooms": [link.room for link in room_links_of(household)],
            "people": people_living_in(household),
            "vehicles": vehicles_of(household),
        },
        tab="home",
    )
