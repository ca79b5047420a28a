"""What a visitor's car owes for its stay (临停收费), by the area's rate as data.

The rule, as car parks in China post it: a stay no longer than the free minutes costs nothing; a longer
one is charged from its entry in units (each started unit in full), each unit at the day or the night
price by the local time it starts (the night may cross midnight), and the units starting on one
calendar day together cost at most the daily cap. A stay over several days is capped day by day.

At the exit, what was paid counts: a car that paid leaves free within the grace minutes after its last
payment; later, it owes the fee to the moment it leaves less what it paid (the difference).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

MAX_UNITS = 100_000  # a stay of years at 15-minute units is a data error, not a fee to compute unit by unit


@dataclass(frozen=True)
class Rate:
    free_minutes: int
    unit_minutes: int
    day_unit_fen: int
    night_unit_fen: int
    night_starts: datetime.time
    night_ends: datetime.time
    daily_cap_fen: int  # 0: no cap

    @classmethod
    def of(cls, area) -> Rate:
        return cls(
            free_minutes=area.free_minutes,
            unit_minutes=area.unit_minutes,
            day_unit_fen=area.day_unit_fen,
            night_unit_fen=area.night_unit_fen,
            night_starts=area.night_starts,
            night_ends=area.night_ends,
            daily_cap_fen=area.daily_cap_fen,
        )

    def is_night(self, at: datetime.time) -> bool:
        if self.night_starts == self.night_ends:
            return False  # no night price
        if self.night_starts < self.night_ends:  # e.g. 00:00-06:00
            return self.night_starts <= at < self.night_ends
        return at >= self.night_starts or at < self.night_ends  # e.g. 22:00-07:00, across midnight


def parking_fee_fen(rate: Rate, entered_at: datetime.datetime, until: datetime.datetime) -> int:
    """The fee in fen for a stay from ``entered_at`` to ``until`` (aware datetimes)."""
    stay = until - entered_at
    if stay <= datetime.timedelta(minutes=rate.free_minutes):
        return 0
    unit = datetime.timedelta(minutes=rate.unit_minutes)
    units = -(-stay // unit)  # started units
    if units > MAX_UNITS:
        raise ValueError(f"a stay of {stay} is too long to charge")
    zone = timezone.get_current_timezone()
    per_day: dict[datetime.date, int] = {}
    for index in range(units):
        at = (entered_at + index * unit).astimezone(zone)
        price = rate.night_unit_fen if rate.is_night(at.time()) else rate.day_unit_fen
        per_day[at.date()] = per_day.get(at.date(), 0) + price
    cap = rate.daily_cap_fen
    return sum(min(total, cap) if cap else total for total in per_day.values())


def due_at_exit_fen(
    rate: Rate,
    *,
    entered_at: datetime.datetime,
    paid_fen: int,
    paid_at: datetime.datetime | None,
    grace_minutes: int,
    at: datetime.datetime,
) -> int:
    """What a car must still pay to leave at ``at``: nothing within the grace minutes after its last
    payment, otherwise the fee to ``at`` less what it paid (never below zero)."""
    if paid_at is not None and at <= paid_at + datetime.timedelta(minutes=grace_minutes):
        return 0
    return max(0, parking_fee_fen(rate, entered_at, at) - paid_fen)
