"""The portal home's placeholder sections for bills due and the debit mandate.

Both render nothing until their hook (``owners.domain.queries.bills_for_household``,
``debit_mandate_for_household``) returns something; billing and debit may also replace the
section outright by registering their own under the same key.
"""

from __future__ import annotations

from wuye.owners.domain import queries
from wuye.owners.sections import PortalSection, register_portal_section


def _bills(household, account):
    bills = queries.bills_for_household(household=household)
    return {"bills": bills} if bills else None


def _mandate(household, account):
    mandate = queries.debit_mandate_for_household(household=household)
    return {"mandate": mandate} if mandate is not None else None


register_portal_section(
    PortalSection(key="bills", template="portal/sections/bills.html", context=_bills, order=10)
)
register_portal_section(
    PortalSection(key="debit", template="portal/sections/debit.html", context=_mandate, order=20)
)
