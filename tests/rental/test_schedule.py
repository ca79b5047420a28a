"""A lease's rent in fen: the yearly increase (compounded percentage, fixed amount), whole-month terms and
the schedule of its bills."""

from __future__ import annotations

import datetime

import pytest

from wuye.rental.domain.schedule import add_months, monthly_rent_fen, rent_schedule, term_months
from wuye.rental.enums import Escalation

D = datetime.date


def test_a_percentage_increase_compounds_and_rounds_half_up_to_the_fen():
    # 3,333.33 yuan a month, +5% a year: 333333 → 349999.65 → 350000; → 367500; → 385875.
    rents = [
        monthly_rent_fen(rent_fen=333_333, escalation=Escalation.PERCENT, value=500, year=y) for y in range(4)
    ]
    assert rents == [333_333, 350_000, 367_500, 385_875]
    # 0.5 fen rounds up: 101 fen + 0.5% = 101.505 → 102; 99 fen + 0.5% = 99.495 → 99.
    assert monthly_rent_fen(rent_fen=10_100, escalation=Escalation.PERCENT, value=50, year=1) == 10_151
    assert monthly_rent_fen(rent_fen=101, escalation=Escalation.PERCENT, value=50, year=1) == 102
    assert monthly_rent_fen(rent_fen=99, escalation=Escalation.PERCENT, value=50, year=1) == 99


def test_an_amount_increase_adds_each_year_and_none_keeps_the_rent():
    assert [
        monthly_rent_fen(rent_fen=200_000, escalation=Escalation.AMOUNT, value=10_000, year=y)
        for y in range(3)
    ] == [
        200_000,
        210_000,
        220_000,
    ]
    assert monthly_rent_fen(rent_fen=200_000, escalation=Escalation.NONE, value=999, year=5) == 200_000


@pytest.mark.parametrize(
    ("starts", "ends", "months"),
    [
        (D(2026, 3, 1), D(2027, 2, 28), 12),
        (D(2026, 3, 15), D(2026, 4, 14), 1),
        (D(2026, 1, 31), D(2026, 2, 27), 1),  # 31 Jan + 1 month = 28 Feb: the term ends the day before
        (D(2024, 2, 29), D(2025, 2, 27), 12),
        (D(2026, 3, 1), D(2026, 3, 31), 1),
        (D(2026, 3, 1), D(2026, 3, 30), None),
        (D(2026, 3, 1), D(2026, 3, 1), None),
        (D(2026, 3, 1), D(2026, 2, 1), None),
    ],
)
def test_a_term_is_whole_months(starts, ends, months):
    assert term_months(starts, ends) == months


def test_add_months_keeps_the_day_or_takes_the_last_of_a_shorter_month():
    assert add_months(D(2026, 1, 31), 1) == D(2026, 2, 28)
    assert add_months(D(2026, 11, 30), 3) == D(2027, 2, 28)
    assert add_months(D(2026, 12, 15), 1) == D(2027, 1, 15)


def test_a_quarterly_schedule_over_two_years_raises_the_rent_at_the_anniversary():
    periods = rent_schedule(
        starts_on=D(2026, 3, 1),
        ends_on=D(2028, 2, 29),
        rent_fen=500_000,
        cycle=3,
        escalation=Escalation.PERCENT,
        escalation_value=300,
    )
    assert [(p.number, p.starts_on, p.ends_on, p.months, p.amount_fen) for p in periods] == [
        (1, D(2026, 3, 1), D(2026, 5, 31), 3, 1_500_000),
        (2, D(2026, 6, 1), D(2026, 8, 31), 3, 1_500_000),
        (3, D(2026, 9, 1), D(2026, 11, 30), 3, 1_500_000),
        (4, D(2026, 12, 1), D(2027, 2, 28), 3, 1_500_000),
        (5, D(2027, 3, 1), D(2027, 5, 31), 3, 1_545_000),
        (6, D(2027, 6, 1), D(2027, 8, 31), 3, 1_545_000),
        (7, D(2027, 9, 1), D(2027, 11, 30), 3, 1_545_000),
        (8, D(2027, 12, 1), D(2028, 2, 29), 3, 1_545_000),
    ]
    assert sum(p.amount_fen for p in periods) == 12_180_000


def test_the_last_bill_is_shorter_when_the_cycle_does_not_divide_the_term():
    periods = rent_schedule(
        starts_on=D(2026, 3, 1),
        ends_on=D(2027, 4, 30),
        rent_fen=100_000,
        cycle=6,
        escalation=Escalation.AMOUNT,
        escalation_value=5_000,
    )
    assert [(p.starts_on, p.months, p.amount_fen) for p in periods] == [
        (D(2026, 3, 1), 6, 600_000),
        (D(2026, 9, 1), 6, 600_000),
        (D(2027, 3, 1), 2, 210_000),
    ]


def test_a_term_of_broken_months_has_no_schedule():
    assert (
        rent_schedule(
            starts_on=D(2026, 3, 1),
            ends_on=D(2026, 3, 20),
            rent_fen=1,
            cycle=1,
            escalation="none",
            escalation_value=0,
        )
        == []
    )
