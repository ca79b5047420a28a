"""The household page's prepayment and receipts section (households' extension point)."""

from __future__ import annotations

from wuye.core.enums import Permission
from wuye.households.sections import Section, register_section
from wuye.payments.domain.prepayments import prepayment_balance_fen
from wuye.payments.domain.queries import receipts_for_household

RECEIPTS_SHOWN = 20


def _context(household, request) -> dict:
    receipts = receipts_for_household(household=household)
    return {
        "household": household,
        "prepayment_fen": prepayment_balance_fen(household=household),
        "receipts": list(receipts.select_related("issued_by")[:RECEIPTS_SHOWN]),
        "receipts_total": receipts.count(),
    }


register_section(
    Section(
        key="payments.receipts",
        template="console/receipts/household_section.html",
        context=_context,
        permission=Permission.BILLING_VIEW,
        order=60,
    )
)
