"""The household page's section of deposits and opening balances (households' extension point)."""

from __future__ import annotations

from wuye.core.enums import Permission
from wuye.households.sections import Section, register_section
from wuye.opening.domain.queries import deposits_held_fen, household_opening_balances


def _context(household, request) -> dict:
    return {
        "household": household,
        "balances": list(household_opening_balances(household=household)),
        "deposits_fen": deposits_held_fen(household=household),
    }


register_section(
    Section(
        key="opening.balances",
        template="console/opening/household_section.html",
        context=_context,
        permission=Permission.BILLING_VIEW,
        order=65,
    )
)
