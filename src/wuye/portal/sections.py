"""The portal home's placeholder section for bills due.

It renders nothing until its hook (``owners.domain.queries.bills_for_household``) returns something;
billing may replace the section outright by registering its own under the same key. The debit
mandate's section ("debit") is registered by the debit app (``wuye.debit.sections``).
"""

from __future__ import annotations

from wuye.owners.domain import queries
from wuye.owners.sections import PortalSection, register_portal_section


def _bills(household, account):
    bills = queries.bills_for_household(household=household)
    return {"bills": bills} if bills else None


register_portal_section(
    PortalSection(key="bills", template="portal/sections/bills.html", context=_bills, order=10)
)
