"""The household page's section of leases (households' extension point): the leases whose rent its bills
carry and those of its rooms it lets, each with its term, state and the deposit held."""

from __future__ import annotations

from django.db.models import Q

from wuye.core.enums import Permission
from wuye.households.sections import Section, register_section
from wuye.rental.domain.deposits import deposit_held_fen
from wuye.rental.models import Lease

LISTED = 20


def _context(household, request) -> dict:
    leases = (
        Lease.objects.filter(Q(household=household) | Q(landlord=household))
        .select_related("room", "tenant", "landlord")
        .order_by("-starts_on", "-pk")[:LISTED]
    )
    return {
        "household": household,
        "leases": [(lease, deposit_held_fen(lease) if lease.bills_rent else None) for lease in leases],
    }


register_section(
    Section(
        key="rental.leases",
        template="console/rental/household_section.html",
        context=_context,
        permission=Permission.RENTAL_VIEW,
        order=70,
    )
)
