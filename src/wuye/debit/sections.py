"""The debit app's parts of other pages, through their extension points: the mandate on the owner
portal's home (replacing the portal's placeholder "debit" section) and on the console's household page.
"""

from __future__ import annotations

from wuye.core.enums import Permission
from wuye.debit.domain.queries import (
    debit_offered,
    live_mandate,
    mandates_of_household,
    referrals_of_household,
)
from wuye.debit.enums import MANDATE_LIVE_STATES, ReferralState
from wuye.households.sections import Section, register_section
from wuye.owners.sections import PortalSection, register_portal_section

HOUSEHOLD_MANDATES_SHOWN = 10


def _portal_home(household, account) -> dict | None:
    """The live mandate, or an invitation to sign one; nothing where the community has no partner bank."""
    mandate = live_mandate(household=household)
    if mandate is None and not debit_offered(community_id=household.community_id):
        return None
    return {"mandate": mandate}


def _household_page(household, request) -> dict:
    mandates = list(mandates_of_household(household=household)[:HOUSEHOLD_MANDATES_SHOWN])
    return {
        "household": household,
        "mandates": mandates,
        "has_live": any(mandate.state in MANDATE_LIVE_STATES for mandate in mandates),
        "referrals": list(
            referrals_of_household(household=household).exclude(state=ReferralState.CANCELLED)[:5]
        ),
    }


register_portal_section(
    PortalSection(key="debit", template="portal/sections/debit.html", context=_portal_home, order=20)
)
register_section(
    Section(
        key="debit.mandates",
        template="console/debit/household_section.html",
        context=_household_page,
        permission=Permission.DEBIT_VIEW,
        order=65,
    )
)
