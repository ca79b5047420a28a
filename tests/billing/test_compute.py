"""Exact fen for every way of computing, every rounding mode, tiers, proration, discounts."""

import datetime
from decimal import Decimal

import pytest

from wuye.billing.domain import compute

D = Decimal


@pytest.mark.parametrize(
    ("numerator", "denominator", "unit", "mode", "expected"),
    [
        (25, 10, "fen", "half_up", 3),  # 2.5 fen: the half-fen edge rounds up
        (24999, 10000, "fen", "half_up", 2),  # 2.4999 fen
        (15, 10, "fen", "half_up", 2),
        (14, 10, "fen", "half_up", 1),
        (11, 10, "fen", "up", 2),
        (10, 10, "fen", "up", 1),
        (19, 10, "fen", "down", 1),
        (1234, 1, "jiao", "half_up", 1230),  # 12.34 yuan → 12.3
        (1235, 1, "jiao", "half_up", 1240),  # 12.35 yuan → 12.4 (half jiao up)
        (1231, 1, "jiao", "up", 1240),
        (1239, 1, "jiao", "down", 1230),
        (1249, 1, "yuan", "half_up", 1200),
        (1250, 1, "yuan", "half_up", 1300),
        (1201, 1, "yuan", "up", 1300),
        (1299, 1, "yuan", "down", 1200),
        (0, 7, "fen", "up", 0),
    ],
)
def test_round_fraction_every_mode(numerator, denominator, unit, mode, expected):
    assert compute.round_fraction(numerator, denominator, unit=unit, mode=mode) == expected


def test_area_times_price_exact():
    # 89.50 m² × 2.5000 yuan × full month = 223.75 yuan
    fen = compute.gross_fen(
        method="built_area",
        quantity=D("89.50"),
        price=D("2.5"),
        billable_days=30,
        period_days=30,
        unit="fen",
        mode="half_up",
    )
    assert fen == 22375


def test_area_half_fen_edge():
    # 0.05 m² × 0.1 yuan = 0.005 yuan = 0.5 fen → 1 fen half up, 0 down
    kwargs = {
        "method": "built_area",
        "quantity": D("0.05"),
        "price": D("0.1"),
        "billable_days": 31,
        "period_days": 31,
    }
    assert compute.gross_fen(**kwargs, unit="fen", mode="half_up") == 1
    assert compute.gross_fen(**kwargs, unit="fen", mode="down") == 0


def test_proration_by_days_in_month():
    # 100 m² × 1.8 yuan = 180 yuan a month; 10 of 30 days = 60.00 yuan; 10 of 31 days = 58.064… → 58.06
    base = {"method": "built_area", "quantity": D("100"), "price": D("1.8"), "unit": "fen", "mode": "half_up"}
    assert compute.gross_fen(**base, billable_days=10, period_days=30) == 6000
    assert compute.gross_fen(**base, billable_days=10, period_days=31) == 5806


def test_fixed_and_one_off():
    assert (
        compute.gross_fen(
            method="fixed",
            quantity=D(1),
            price=D("15.5"),
            billable_days=30,
            period_days=30,
            unit="fen",
            mode="half_up",
        )
        == 1550
    )
    assert (
        compute.gross_fen(
            method="fixed",
            quantity=D(1),
            price=D("15.5"),
            billable_days=15,
            period_days=30,
            unit="fen",
            mode="half_up",
        )
        == 775
    )
    assert (
        compute.gross_fen(
            method="one_off",
            quantity=D(1),
            price=D("200.0050"),
            billable_days=30,
            period_days=30,
            unit="fen",
            mode="half_up",
        )
        == 20001
    )


def test_tiers():
    tiers = [{"up_to": "10", "price": "3"}, {"up_to": "20", "price": "4"}, {"up_to": None, "price": "6"}]
    metered = {
        "method": "metered",
        "price": D(0),
        "billable_days": 30,
        "period_days": 30,
        "unit": "fen",
        "mode": "half_up",
        "tiers": tiers,
    }
    assert compute.gross_fen(quantity=D("8"), **metered) == 2400  # 8 × 3
    assert compute.gross_fen(quantity=D("10"), **metered) == 3000
    assert compute.gross_fen(quantity=D("15.5"), **metered) == 3000 + 2200  # 10 × 3 + 5.5 × 4
    assert compute.gross_fen(quantity=D("25"), **metered) == 3000 + 4000 + 3000  # + 5 × 6
    assert compute.gross_fen(quantity=D("0"), **metered) == 0


def test_tiers_must_rise():
    with pytest.raises(ValueError, match="rise"):
        compute.tiers_from([{"up_to": "20", "price": "1"}, {"up_to": "10", "price": "2"}], D(0))


@pytest.mark.parametrize(
    ("gross", "percent", "fixed", "expected"),
    [
        (10000, D("10"), 0, 1000),
        (333, D("50"), 0, 167),
        (333, D("12.5"), 0, 42),
        (1000, D(0), 300, 300),
        (1000, D("10"), 950, 1000),
        (1000, D("100"), 0, 1000),
    ],
)
def test_discount(gross, percent, fixed, expected):
    assert compute.discount_fen(gross=gross, percent=percent, fixed_fen=fixed) == expected


def test_billable_days():
    nov = datetime.date(2026, 11, 1)
    assert (
        compute.billable_days(
            month=nov,
            starts_on=datetime.date(2026, 11, 21),
            ends_on=None,
            valid_from=datetime.date(2020, 1, 1),
            valid_to=None,
        )
        == 10
    )
    assert (
        compute.billable_days(
            month=nov,
            starts_on=datetime.date(2026, 1, 1),
            ends_on=datetime.date(2026, 11, 5),
            valid_from=datetime.date(2020, 1, 1),
            valid_to=None,
        )
        == 5
    )
    assert (
        compute.billable_days(
            month=nov,
            starts_on=datetime.date(2026, 12, 1),
            ends_on=None,
            valid_from=datetime.date(2020, 1, 1),
            valid_to=None,
        )
        == 0
    )


def test_no_float_inputs():
    with pytest.raises(ValueError, match="more than two decimals"):
        compute.to_centi(D("1.005"))
