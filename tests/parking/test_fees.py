"""Temporary parking fees (临停收费) at every edge of the rule: free minutes, started units, day and night
prices by the unit's start, the night across midnight, the daily cap per calendar day, stays over
several days, and at the exit the grace after paying and the difference owed by a car leaving late."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest

from wuye.parking.domain.fees import Rate, due_at_exit_fen, parking_fee_fen

BJ = ZoneInfo("Asia/Shanghai")
# 30 free minutes; hourly units at 5.00 by day, 1.00 at night (22:00-07:00); at most 30.00 a day.
RATE = Rate(
    free_minutes=30,
    unit_minutes=60,
    day_unit_fen=500,
    night_unit_fen=100,
    night_starts=datetime.time(22, 0),
    night_ends=datetime.time(7, 0),
    daily_cap_fen=3000,
)


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, 12, day, hour, minute, second, tzinfo=BJ)


@pytest.fixture(autouse=True)
def _beijing(settings):
    settings.TIME_ZONE = "Asia/Shanghai"


@pytest.mark.parametrize(
    ("until", "fen"),
    [
        (at(1, 10, 0), 0),  # no time at all
        (at(1, 10, 30), 0),  # exactly the free minutes
        (at(1, 10, 30, 1), 500),  # one second more: the first unit, from the entry
        (at(1, 11, 0), 500),  # one full unit
        (at(1, 11, 0, 1), 1000),  # a second unit started
        (at(1, 15, 59), 3000),  # six units by day: exactly the cap
        (at(1, 16, 1), 3000),  # seven units: capped
    ],
)
def test_free_minutes_started_units_and_the_cap(until, fen):
    assert parking_fee_fen(RATE, at(1, 10, 0), until) == fen


def test_each_unit_is_priced_by_the_time_it_starts():
    # 20:30 → 23:10: units start 20:30 (day), 21:30 (day), 22:30 (night) → 5 + 5 + 1.
    assert parking_fee_fen(RATE, at(1, 20, 30), at(1, 23, 10)) == 1100
    # 06:30 → 08:00: 06:30 is night, 07:30 is day.
    assert parking_fee_fen(RATE, at(2, 6, 30), at(2, 8, 0)) == 600


def test_a_night_across_midnight_is_capped_per_calendar_day():
    # 21:00 on the 1st → 09:00 on the 2nd: on the 1st 21:00 (5.00), 22:00 and 23:00 (1.00 each) = 7.00;
    # on the 2nd 00:00-06:00 seven night units (7.00) and 07:00, 08:00 by day (10.00) = 17.00.
    assert parking_fee_fen(RATE, at(1, 21, 0), at(2, 9, 0)) == 700 + 1700


def test_a_stay_over_several_days_is_capped_day_by_day():
    # 10:00 on the 1st → 10:00 on the 4th: the 1st (10:00-24:00: 12 day units, 2 night) capped at 30.00,
    # the 2nd and 3rd whole days (15 day units each) capped, the 4th 00:00-10:00 (7 night + 3 day = 22.00).
    assert parking_fee_fen(RATE, at(1, 10, 0), at(4, 10, 0)) == 3000 * 3 + 2200


def test_without_a_cap_or_a_night_every_unit_counts_at_the_day_price():
    flat = Rate(
        free_minutes=0,
        unit_minutes=30,
        day_unit_fen=300,
        night_unit_fen=0,
        night_starts=datetime.time(0, 0),
        night_ends=datetime.time(0, 0),
        daily_cap_fen=0,
    )
    assert parking_fee_fen(flat, at(1, 23, 0), at(2, 1, 0)) == 4 * 300
    assert parking_fee_fen(flat, at(1, 23, 0), at(1, 23, 0, 1)) == 300  # no free minutes: any stay pays


def test_a_night_that_does_not_cross_midnight():
    early = Rate(**{**RATE.__dict__, "night_starts": datetime.time(0, 0), "night_ends": datetime.time(6, 0)})
    assert parking_fee_fen(early, at(1, 23, 0), at(2, 1, 0)) == 500 + 100


def test_a_car_that_paid_leaves_free_within_the_grace_minutes():
    paid = parking_fee_fen(RATE, at(1, 10, 0), at(1, 12, 20))  # three units: 15.00
    assert paid == 1500
    for minutes in (0, 14, 15):
        leaving = at(1, 12, 20) + datetime.timedelta(minutes=minutes)
        due = due_at_exit_fen(
            RATE, entered_at=at(1, 10, 0), paid_fen=paid, paid_at=at(1, 12, 20), grace_minutes=15, at=leaving
        )
        assert due == 0, minutes


def test_a_car_leaving_after_the_grace_pays_the_difference():
    # Paid 15.00 at 12:20 (three units); leaves at 13:05, past the grace: four units now, 5.00 more.
    due = due_at_exit_fen(
        RATE, entered_at=at(1, 10, 0), paid_fen=1500, paid_at=at(1, 12, 20), grace_minutes=15, at=at(1, 13, 5)
    )
    assert due == 500


def test_a_car_that_never_paid_owes_the_fee():
    assert (
        due_at_exit_fen(
            RATE, entered_at=at(1, 10, 0), paid_fen=0, paid_at=None, grace_minutes=15, at=at(1, 10, 31)
        )
        == 500
    )
