"""A lease's rent, computed from its terms (never stored): the monthly rent of each lease year with
its yearly increase (递增), and the schedule of its bills (each ``cycle`` months of rent, in advance).

All in whole fen. A percentage increase is in basis points (500 = 5%) and compounds: each year's
monthly rent is the year before's plus its percentage, rounded half up to the fen. The term is whole
months (1 March to the last day of February), so every bill covers whole months and, a cycle being
1, 3, 6 or 12 months, no bill straddles an anniversary.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass

from wuye.rental.enums import Escalation

MAX_TERM_MONTHS = 240  # twenty years: above any lease a property office signs
MAX_RENT_FEN = 100_000_000  # 1,000,000 yuan a month
MAX_ESCALATION_BP = 10_000  # 100% a year


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later, or the month's last day when it has no such day (31 Jan + 1 → 28 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def term_months(starts_on: datetime.date, ends_on: datetime.date) -> int | None:
    """The term's number of whole months, or None when ``ends_on`` is not the day before a month-day of
    ``starts_on`` (1 March → 28/29 February of a later year, 15 March → 14 April)."""
    if ends_on <= starts_on:
        return None
    months = (ends_on.year - starts_on.year) * 12 + ends_on.month - starts_on.month
    for candidate in (months, months + 1):
        if candidate >= 1 and add_months(starts_on, candidate) - datetime.timedelta(days=1) == ends_on:
            return candidate
    return None


def monthly_rent_fen(*, rent_fen: int, escalation: str, value: int, year: int) -> int:
    """The monthly rent of lease year ``year`` (0 = the first)."""
    rent = rent_fen
    for _year in range(year):
        if escalation == Escalation.PERCENT:
            rent += (rent * value + 5_000) // 10_000
        elif escalation == Escalation.AMOUNT:
            rent += value
    return rent


@dataclass(frozen=True)
class Period:
    number: int  # 1, 2, … in the order of the term
    starts_on: datetime.date
    ends_on: datetime.date
    months: int
    monthly_fen: int

    @property
    def amount_fen(self) -> int:
        return self.monthly_fen * self.months


def rent_schedule(
    *,
    starts_on: datetime.date,
    ends_on: datetime.date,
    rent_fen: int,
    cycle: int,
    escalation: str,
    escalation_value: int,
) -> list[Period]:
    """Every bill of the term: ``cycle`` months each (the last may be shorter), priced at the monthly
    rent of the lease year it falls in. Empty when the term is not whole months."""
    months = term_months(starts_on, ends_on)
    if months is None:
        return []
    periods = []
    for number, first in enumerate(range(0, months, cycle), start=1):
        length = min(cycle, months - first)
        periods.append(
            Period(
                number=number,
                starts_on=add_months(starts_on, first),
                ends_on=add_months(starts_on, first + length) - datetime.timedelta(days=1),
                months=length,
                monthly_fen=monthly_rent_fen(
                    rent_fen=rent_fen, escalation=escalation, value=escalation_value, year=first // 12
                ),
            )
        )
    return periods


def lease_schedule(lease) -> list[Period]:
    return rent_schedule(
        starts_on=lease.starts_on,
        ends_on=lease.ends_on,
        rent_fen=lease.rent_fen,
        cycle=lease.cycle,
        escalation=lease.escalation,
        escalation_value=lease.escalation_value,
    )
