"""The debit app's parts of other pages, through their extension points: the mandate on the owner
portal's home (replacing the portal's placeholder "debit" section).
"""

from __future__ import annotations

from wuye.debit.domain.queries import (
    debit_offered,
    live_mandate,
)
from wuye.owners.sections import PortalSection, register_portal_section


def _portal_home(household, account) -> dict | None:
    """The live mandate, or an invitation to sign one; nothing where the community has no partner bank."""
    mandate = live_mandate(household=household)
    if mandate is None and not debit_offered(community_id=household.community_id):
        return None
    return {"mandate": mandate}


register_portal_section(
    PortalSection(key="debit", template="portal/sections/debit.html", context=_portal_home, order=20)
)
