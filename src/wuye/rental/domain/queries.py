"""Reading leases for the people they concern (the owner portal, the owner API): a lease as its tenant
sees it (the rent schedule, which periods are on a bill or paid, the deposit held, what is owed), and
which leases a household's person sees as theirs."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q

from wuye.rental.domain.billing import lease_lines, rent_source
from wuye.rental.domain.deposits import deposit_held_fen
from wuye.rental.domain.leases import landlord_label
from wuye.rental.domain.schedule import Period, lease_schedule
from wuye.rental.models import Lease


@dataclass(frozen=True)
class PeriodRow:
    period: Period
    status: str  # "paid", "billed" (on a bill, owed), "due" (not billed yet), "" (rent not billed here)
    outstanding_fen: int


@dataclass(frozen=True)
class TenantLease:
    lease: Lease
    landlord: str
    current: Period | None
    rows: list[PeriodRow]
    held_fen: int
    owed_fen: int


def current_period(periods: list[Period], today: datetime.date) -> Period | None:
    """The period ``today`` falls in; the first before the term, the last after it."""
    if not periods:
        return None
    for period in periods:
        if period.starts_on <= today <= period.ends_on:
            return period
    return periods[0] if today < periods[0].starts_on else periods[-1]


def tenant_lease(lease: Lease, today: datetime.date) -> TenantLease:
    periods = lease_schedule(lease)
    lines = {line.source: line for line in lease_lines(lease)} if lease.bills_rent else {}
    rows = []
    for period in periods:
        line = lines.get(rent_source(lease, period.number))
        if not lease.bills_rent:
            status, outstanding = "", 0
        elif line is None:
            status, outstanding = "due", 0
        else:
            outstanding = line.outstanding_fen
            status = "billed" if outstanding > 0 else "paid"
        rows.append(PeriodRow(period=period, status=status, outstanding_fen=outstanding))
    return TenantLease(
        lease=lease,
        landlord=landlord_label(lease.landlord),
        current=current_period(periods, today),
        rows=rows,
        held_fen=deposit_held_fen(lease) if lease.bills_rent else 0,
        owed_fen=sum(row.outstanding_fen for row in rows),
    )


def leases_as_tenant(household, person):
    """The leases whose rent the household's bills carry, but those the household let itself (an owner's
    tenant lives in the owner's household): the tenant reading sees theirs, the owner sees it as let."""
    own = ~Q(landlord=household)
    if person is not None:
        own |= Q(tenant=person)
    return (
        Lease.objects.filter(own, household=household)
        .select_related("room", "room__building", "room__unit", "landlord")
        .order_by("-starts_on", "-pk")
    )
