"""How a line's charge is computed, once, from its stored inputs: integer arithmetic only.

Every charge is a fraction N / D of a fen with whole numbers N ≥ 0 and D > 0, rounded once to the
fee item's unit (fen, jiao or yuan) in its direction (half up, up, down):

    area × price × days:  N = area in 0.01 m² × price in 0.0001 yuan × days,  D = 10 000 × days in month
    fixed × days:         N = price in 0.0001 yuan × days,                    D = 100 × days in month
    metered (tiered):     N = Σ usage in 0.01 units in the tier × tier price in 0.0001 yuan,  D = 10 000
    one-off:              N = price in 0.0001 yuan,                           D = 100

The same formulas run in Python here (to explain and test a line) and in SQL in ``domain.runs``
(to issue millions of lines); tests check that both agree.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass
from decimal import Decimal

from wuye.billing.enums import UNIT_FEN, Method, RoundingMode

CENTI = Decimal("0.01")
E4 = Decimal("0.0001")


def to_centi(value: Decimal) -> int:
    """0.01-units as an integer; the value has at most two decimals (areas, usage)."""
    scaled = Decimal(value) * 100
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value} has more than two decimals")
    return int(scaled)


def to_e4(value: Decimal) -> int:
    """0.0001-units as an integer; prices have at most four decimals."""
    scaled = Decimal(value) * 10000
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value} has more than four decimals")
    return int(scaled)


def round_fraction(numerator: int, denominator: int, *, unit: str, mode: str) -> int:
    """numerator / denominator fen, rounded to ``unit`` in direction ``mode``; both ≥ 0."""
    if numerator < 0 or denominator <= 0:
        raise ValueError("charges are computed from non-negative numerators and positive denominators")
    step = UNIT_FEN[unit] * denominator
    if mode == RoundingMode.HALF_UP:
        return (2 * numerator + step) // (2 * step) * UNIT_FEN[unit]
    if mode == RoundingMode.UP:
        return (numerator + step - 1) // step * UNIT_FEN[unit]
    if mode == RoundingMode.DOWN:
        return numerator // step * UNIT_FEN[unit]
    raise ValueError(mode)


@dataclass(frozen=True)
class Tier:
    up_to_centi: int | None  # usage ceiling of the tier in 0.01 units; None: no ceiling
    price_e4: int


def tiers_from(item_tiers: list[dict], price: Decimal) -> list[Tier]:
    """The fee item's tier table, or one open tier at its price."""
    if not item_tiers:
        return [Tier(None, to_e4(price))]
    tiers = [
        Tier(
            None if t.get("up_to") in (None, "") else to_centi(Decimal(str(t["up_to"]))),
            to_e4(Decimal(str(t["price"]))),
        )
        for t in item_tiers
    ]
    ceilings = [t.up_to_centi for t in tiers[:-1]]
    if tiers[-1].up_to_centi is not None:
        ceilings.append(tiers[-1].up_to_centi)
    if (
        any(c is None for c in ceilings)
        or ceilings != sorted(ceilings)
        or len(set(ceilings)) != len(ceilings)
    ):
        raise ValueError("tiers must rise, and only the last may be open")
    if tiers[-1].up_to_centi is not None:
        tiers[-1] = Tier(None, tiers[-1].price_e4)  # usage above the last ceiling pays the last price
    return tiers


def tier_segments(usage_centi: int, tiers: list[Tier]) -> list[tuple[int, int]]:
    """[(usage in the tier in 0.01 units, tier price e4)]."""
    segments, lower = [], 0
    for tier in tiers:
        upper = usage_centi if tier.up_to_centi is None else min(usage_centi, tier.up_to_centi)
        segments.append((max(upper - lower, 0), tier.price_e4))
        if tier.up_to_centi is not None:
            lower = tier.up_to_centi
    return segments


def charge_fraction(
    *, method: str, quantity: Decimal, price: Decimal, tiers: list[dict], billable_days: int, period_days: int
) -> tuple[int, int]:
    """(N, D) of a line's charge in fen, before rounding."""
    if method in (Method.BUILT_AREA, Method.INNER_AREA):
        return to_centi(quantity) * to_e4(price) * billable_days, 10000 * period_days
    if method == Method.FIXED:
        return to_e4(price) * billable_days, 100 * period_days
    if method == Method.METERED:
        segments = tier_segments(to_centi(quantity), tiers_from(tiers, price))
        return sum(usage * price_e4 for usage, price_e4 in segments), 10000
    if method == Method.ONE_OFF:
        return to_e4(price), 100
    raise ValueError(method)


def gross_fen(
    *,
    method: str,
    quantity: Decimal,
    price: Decimal,
    tiers: list[dict] = (),
    billable_days: int,
    period_days: int,
    unit: str,
    mode: str,
) -> int:
    numerator, denominator = charge_fraction(
        method=method,
        quantity=quantity,
        price=price,
        tiers=list(tiers),
        billable_days=billable_days,
        period_days=period_days,
    )
    return round_fraction(numerator, denominator, unit=unit, mode=mode)


def percent_bp(percent: Decimal) -> int:
    """A discount percentage in basis points (12.5 % → 1250)."""
    return to_centi(percent)


def discount_fen(*, gross: int, percent: Decimal, fixed_fen: int) -> int:
    """Percentage (half up to the fen) plus a fixed amount, never more than the charge."""
    by_percent = (2 * gross * percent_bp(percent) + 10000) // 20000
    return min(gross, by_percent + fixed_fen)


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def month_end(month: datetime.date) -> datetime.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def add_months(month: datetime.date, count: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + count
    return datetime.date(index // 12, index % 12 + 1, 1)


def billable_days(
    *,
    month: datetime.date,
    starts_on: datetime.date,
    ends_on: datetime.date | None,
    valid_from: datetime.date,
    valid_to: datetime.date | None,
) -> int:
    """Days of ``month`` inside both the assignment and the fee item's validity (0 if none)."""
    first = max(month_start(month), starts_on, valid_from)
    last = min(d for d in (month_end(month), ends_on, valid_to) if d is not None)
    return max((last - first).days + 1, 0)
