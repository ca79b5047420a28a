"""Meters and readings: usage, replaced meters, shared meters, idempotent re-entry, billed months."""

import datetime
from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from tests.billing.factories import FeeAssignmentFactory, FeeItemFactory, MeterFactory, SharedMeterFactory
from tests.factories import BuildingFactory, HouseholdRoomFactory, RoomFactory, UnitFactory
from wuye.billing.domain import runs
from wuye.billing.domain.meters import (
    MeterError,
    ReadingInput,
    ReadingsRefusedError,
    apportion,
    meter_create,
    meter_deactivate,
    meter_reactivate,
    readings_apply,
    readings_check,
    readings_enter,
)
from wuye.billing.domain.queries_tariffs import meters_of_building, reading_grid
from wuye.billing.enums import Method
from wuye.billing.models import BillLine, Meter, MeterReading, SharedUsage
from wuye.core.models import AuditLog

D = Decimal
JAN, FEB, MAR, APR = (datetime.date(2024, month, 1) for month in (1, 2, 3, 4))


@pytest.fixture(autouse=True)
def _english():
    """Messages are checked in English (the msgids), whatever the catalog says."""
    with translation.override("en"):
        yield


def enter(community, user, period, *rows):
    return readings_enter(community=community, period=period, rows=list(rows), actor=user)


def usages(meter):
    return [(r.period.month, r.value, r.usage, r.replaced) for r in meter.readings.order_by("period")]


def counts():
    return (MeterReading.objects.count(), SharedUsage.objects.count(), AuditLog.objects.count())


# Meters -------------------------------------------------------------------------------------------


def test_meter_create_for_a_room_logs_on_its_household(community, admin_user, household):
    room = household.rooms.get()
    meter = meter_create(community=community, kind="water", number=" W-101 ", room=room, actor=admin_user)
    assert (meter.number, meter.room_id, meter.building_id, meter.is_shared) == (
        "W-101",
        room.pk,
        room.building_id,
        False,
    )
    entry = AuditLog.objects.get(action="billing.meter.created")
    assert entry.household_id == household.pk and entry.changes["meter_number"] == "W-101"


def test_meter_create_shared(community, admin_user):
    building = BuildingFactory(community=community)
    meter = meter_create(
        community=community, kind="electricity", number="E-公共", building=building, actor=admin_user
    )
    assert meter.is_shared and meter.building_id == building.pk


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"number": ""}, "number"),
        ({"kind": "steam"}, "water"),
        ({"room": None}, "shared by a building"),
        ({"number": "DUP"}, "already exists"),
    ],
)
def test_meter_create_refused_writes_nothing(community, admin_user, kwargs, message):
    MeterFactory(community=community, number="DUP")
    room = RoomFactory(unit__building__community=community, community=community)
    before = (Meter.objects.count(), AuditLog.objects.count())
    arguments = {
        "community": community,
        "kind": "water",
        "number": "W1",
        "room": room,
        "actor": admin_user,
        **kwargs,
    }
    with pytest.raises(MeterError, match=message):
        meter_create(**arguments)
    assert (Meter.objects.count(), AuditLog.objects.count()) == before


def test_meter_create_in_another_communitys_room_is_refused(community, admin_user):
    foreign = RoomFactory()
    with pytest.raises(MeterError, match="another community"):
        meter_create(community=community, kind="water", number="W1", room=foreign, actor=admin_user)
    assert Meter.objects.count() == 0


def test_meter_deactivate_refuses_new_readings(community, admin_user):
    meter = MeterFactory(community=community)
    meter_deactivate(meter=meter, actor=admin_user)
    meter.refresh_from_db()
    with pytest.raises(ReadingsRefusedError, match="inactive"):
        enter(community, admin_user, JAN, (meter, D(10), False))
    assert MeterReading.objects.count() == 0
    meter_reactivate(meter=meter, actor=admin_user)
    meter.refresh_from_db()
    assert enter(community, admin_user, JAN, (meter, D(10), False)).created == 1


# Usage ---------------------------------------------------------------------------------------------


def test_first_reading_is_the_baseline_then_usage_is_the_difference(community, admin_user):
    meter = MeterFactory(community=community)
    enter(community, admin_user, JAN, (meter, D("1234.5"), False))
    enter(community, admin_user, FEB, (meter, D("1250.25"), False))
    enter(community, admin_user, MAR, (meter, D("1250.25"), False))
    assert usages(meter) == [
        (1, D("1234.50"), D("0.00"), False),
        (2, D("1250.25"), D("15.75"), False),
        (3, D("1250.25"), D("0.00"), False),
    ]


def test_first_reading_with_a_start_value(community, admin_user):
    meter = MeterFactory(community=community)
    enter(community, admin_user, JAN, (meter, D("12.3"), False, D("2")))
    assert usages(meter) == [(1, D("12.30"), D("10.30"), False)]


def test_reading_below_the_previous_is_refused_unless_replaced(community, admin_user):
    meter = MeterFactory(community=community)
    enter(community, admin_user, JAN, (meter, D(500), False))
    before = counts()
    with pytest.raises(ReadingsRefusedError) as refused:
        enter(community, admin_user, FEB, (meter, D(20), False))
    assert [p.index for p in refused.value.problems] == [0]
    assert "below the previous one (500.00 in 2024-01)" in refused.value.problems[0].message
    assert counts() == before
    result = enter(community, admin_user, FEB, (meter, D(20), True))
    assert result.created == 1
    assert usages(meter)[-1] == (2, D("20.00"), D("20.00"), True)
    enter(community, admin_user, MAR, (meter, D("35.5"), False))
    assert usages(meter)[-1] == (3, D("35.50"), D("15.50"), False)


def test_replaced_meter_with_a_start_value(community, admin_user):
    meter = MeterFactory(community=community)
    enter(community, admin_user, JAN, (meter, D(500), False))
    enter(community, admin_user, FEB, (meter, D(30), True, D(5)))
    assert usages(meter)[-1] == (2, D("30.00"), D("25.00"), True)
    # Entering it again without the start keeps the usage it was given.
    assert enter(community, admin_user, FEB, (meter, D(30), True)).unchanged == 1
    assert usages(meter)[-1] == (2, D("30.00"), D("25.00"), True)


def test_replaced_meter_below_its_start_is_refused(community, admin_user):
    meter = MeterFactory(community=community)
    with pytest.raises(ReadingsRefusedError, match="below its start value"):
        enter(community, admin_user, JAN, (meter, D(3), True, D(5)))
    assert MeterReading.objects.count() == 0


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (D("-1"), "negative"),
        (D("1.234"), "two decimals"),
        ("abc", "not a number"),
        (D("Infinity"), "not a number"),
        (D("1000000000000"), "too large"),
    ],
)
def test_bad_values_are_refused(community, admin_user, value, message):
    meter = MeterFactory(community=community)
    with pytest.raises(ReadingsRefusedError, match=message):
        enter(community, admin_user, JAN, (meter, value, False))
    assert MeterReading.objects.count() == 0


def test_a_month_to_come_is_refused(community, admin_user):
    meter = MeterFactory(community=community)
    with pytest.raises(ReadingsRefusedError, match="still to come"):
        enter(community, admin_user, datetime.date(2999, 1, 1), (meter, D(1), False))


def test_a_meter_of_another_community_is_unknown(community, admin_user):
    foreign = MeterFactory()
    with pytest.raises(ReadingsRefusedError, match="Unknown meter"):
        enter(community, admin_user, JAN, (foreign, D(1), False))
    assert MeterReading.objects.count() == 0


def test_one_bad_row_refuses_all_and_lists_every_bad_row(community, admin_user):
    good, low, negative = (MeterFactory(community=community) for _ in range(3))
    enter(community, admin_user, JAN, (low, D(100), False))
    before = counts()
    with pytest.raises(ReadingsRefusedError) as refused:
        enter(community, admin_user, FEB, (good, D(10), False), (low, D(50), False), (negative, D(-1), False))
    assert [p.index for p in refused.value.problems] == [1, 2]
    assert counts() == before


def test_the_same_meter_twice_in_one_batch_is_refused(community, admin_user):
    meter = MeterFactory(community=community)
    with pytest.raises(ReadingsRefusedError, match="read twice"):
        enter(community, admin_user, JAN, (meter, D(1), False), (meter, D(2), False))
    assert MeterReading.objects.count() == 0


def test_entering_the_same_reading_again_changes_nothing(community, admin_user):
    meter = MeterFactory(community=community)
    enter(community, admin_user, JAN, (meter, D(100), False))
    enter(community, admin_user, FEB, (meter, D(120), False))
    before = counts()
    result = enter(community, admin_user, FEB, (meter, D("120.00"), False))
    assert (result.created, result.changed, result.unchanged) == (0, 0, 1)
    assert counts() == before


def test_changing_the_latest_unbilled_reading(community, admin_user, household):
    meter = MeterFactory(community=community, room=household.rooms.get())
    enter(community, admin_user, JAN, (meter, D(100), False))
    enter(community, admin_user, FEB, (meter, D(120), False))
    result = enter(community, admin_user, FEB, (meter, D(125), False))
    assert (result.created, result.changed) == (0, 1)
    assert usages(meter)[-1] == (2, D("125.00"), D("25.00"), False)
    entry = AuditLog.objects.get(action="billing.reading.changed")
    assert entry.household_id == household.pk
    assert entry.changes["reading_value"] == ["120.00", "125.00"]
    assert entry.changes["reading_usage"] == ["20.00", "25.00"]


def test_changing_a_month_before_a_later_reading_is_refused(community, admin_user):
    meter = MeterFactory(community=community)
    enter(community, admin_user, JAN, (meter, D(100), False))
    enter(community, admin_user, FEB, (meter, D(120), False))
    before = counts()
    with pytest.raises(ReadingsRefusedError, match="later month 2024-02"):
        enter(community, admin_user, JAN, (meter, D(110), False))
    assert counts() == before
    # Filling in a missing month between two readings is refused the same way.
    other = MeterFactory(community=community)
    enter(community, admin_user, JAN, (other, D(1), False))
    enter(community, admin_user, MAR, (other, D(3), False))
    with pytest.raises(ReadingsRefusedError, match="later month 2024-03"):
        enter(community, admin_user, FEB, (other, D(2), False))


def test_several_months_of_one_meter_in_one_batch(community, admin_user):
    meter = MeterFactory(community=community)
    inputs = [
        ReadingInput(meter, MAR, D(130)),
        ReadingInput(meter, JAN, D(100)),
        ReadingInput(meter, FEB, D(112)),
    ]
    result = readings_apply(community=community, inputs=inputs, actor=admin_user)
    assert result.created == 3
    assert [(m, u) for m, _v, u, _r in usages(meter)] == [(1, D(0)), (2, D(12)), (3, D(18))]
    # A batch that changes January and gives February again recomputes February's usage.
    result = readings_apply(
        community=community,
        inputs=[
            ReadingInput(meter, JAN, D(90)),
            ReadingInput(meter, FEB, D(112)),
            ReadingInput(meter, MAR, D(130)),
        ],
        actor=admin_user,
    )
    assert (result.changed, result.unchanged) == (2, 1)  # February's usage 12 → 22; March unchanged
    assert [(m, u) for m, _v, u, _r in usages(meter)] == [(1, D(0)), (2, D(22)), (3, D(18))]


def test_readings_check_writes_nothing(community, admin_user):
    meter = MeterFactory(community=community)
    before = counts()
    plan = readings_check(community=community, inputs=[ReadingInput(meter, JAN, D(5))])
    assert (plan.created, plan.changed, plan.problems) == (1, 0, [])
    assert counts() == before


def test_reading_entry_is_logged_on_the_household(community, admin_user, household):
    meter = MeterFactory(community=community, room=household.rooms.get(), number="W-9")
    enter(community, admin_user, JAN, (meter, D(7), False))
    entry = AuditLog.objects.get(action="billing.reading.entered")
    assert entry.household_id == household.pk
    assert entry.changes == {
        "meter_number": "W-9",
        "reading_month": "2024-01",
        "reading_value": "7.00",
        "reading_usage": "0.00",
    }
    assert MeterReading.objects.get().entered_by == admin_user


# Billed months -------------------------------------------------------------------------------------


@pytest.fixture
def billed_meter(community, admin_user, household):
    """A water meter whose February usage a bill line bills."""
    room = household.rooms.get()
    water = FeeItemFactory(community=community, method=Method.METERED, price=D("3"), category="water")
    FeeAssignmentFactory(fee_item=water, room=room)
    meter = MeterFactory(community=community, room=room)
    enter(community, admin_user, JAN, (meter, D(100), False))
    enter(community, admin_user, FEB, (meter, D(120), False))
    runs.run_issue(run=runs.run_preview(community=community, period=MAR, actor=admin_user), actor=admin_user)
    line = BillLine.objects.get(fee_item=water, period=FEB)
    assert (line.quantity, line.amount_fen) == (D("20.00"), 6000)
    return meter


def test_changing_a_billed_reading_is_refused(community, admin_user, billed_meter):
    before = counts()
    with pytest.raises(ReadingsRefusedError, match="already billed"):
        enter(community, admin_user, FEB, (billed_meter, D(121), False))
    assert counts() == before
    assert usages(billed_meter)[-1] == (2, D("120.00"), D("20.00"), False)
    # The same value again is no change, so it is accepted.
    assert enter(community, admin_user, FEB, (billed_meter, D(120), False)).unchanged == 1


def test_a_void_line_no_longer_holds_the_reading(community, admin_user, billed_meter):
    BillLine.objects.filter(period=FEB).update(is_void=True)
    assert enter(community, admin_user, FEB, (billed_meter, D(121), False)).changed == 1


# Shared meters -------------------------------------------------------------------------------------


def test_apportion_by_area_adds_up_exactly():
    parts = apportion(D("100.00"), [(1, D("89.50")), (2, D("72.30")), (3, D("120.01"))])
    assert parts == [(1, D("31.76")), (2, D("25.66")), (3, D("42.58"))]
    assert sum(usage for _room, usage in parts) == D("100.00")


def test_apportion_ties_go_to_the_smaller_key():
    assert apportion(D("0.02"), [(3, D(1)), (1, D(1)), (2, D(1))]) == [
        (3, D(0)),
        (1, D("0.01")),
        (2, D("0.01")),
    ]


def test_apportion_zero_weight_gets_nothing():
    assert apportion(D("5"), [(1, D(0)), (2, D(2))]) == [(1, D(0)), (2, D(5))]


@given(
    usage=st.integers(min_value=0, max_value=10**9),
    areas=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=30).filter(any),
)
def test_apportion_parts_always_sum_to_the_usage(usage, areas):
    parts = apportion(D(usage) / 100, [(key, D(area) / 100) for key, area in enumerate(areas)])
    assert sum(part for _key, part in parts) == D(usage) / 100
    assert all(part >= 0 for _key, part in parts)
    total = sum(areas)
    for (_key, part), area in zip(parts, areas, strict=True):  # no part is off by more than 0.01
        assert abs(part * 100 - D(usage) * area / total) < 1


def test_shared_meter_usage_is_apportioned_to_the_buildings_rooms(community, admin_user):
    building = BuildingFactory(community=community)
    unit = UnitFactory(building=building)
    rooms = [RoomFactory(unit=unit, built_area=area) for area in (D("89.50"), D("72.30"), D("120.01"), D(0))]
    RoomFactory(community=community, unit__building__community=community)  # another building: no share
    meter = SharedMeterFactory(community=community, building=building, kind="electricity")
    enter(community, admin_user, JAN, (meter, D(1000), False))
    enter(community, admin_user, FEB, (meter, D(1100), False))
    february = MeterReading.objects.get(meter=meter, period=FEB)
    shares = {s.room_id: (s.usage, s.kind, s.period) for s in february.shares.all()}
    assert shares == {
        rooms[0].pk: (D("31.76"), "electricity", FEB),
        rooms[1].pk: (D("25.66"), "electricity", FEB),
        rooms[2].pk: (D("42.58"), "electricity", FEB),
    }
    assert sum(usage for usage, _k, _p in shares.values()) == february.usage == D(100)
    # Changing the reading re-apportions it.
    enter(community, admin_user, FEB, (meter, D("1100.01"), False))
    february.refresh_from_db()
    assert sum(february.shares.values_list("usage", flat=True)) == february.usage == D("100.01")
    assert february.shares.count() == 3


def test_shared_meter_of_a_building_without_area_is_refused(community, admin_user):
    meter = SharedMeterFactory(community=community)
    before = counts()
    with pytest.raises(ReadingsRefusedError, match="no room with a built-up area"):
        enter(community, admin_user, JAN, (meter, D(10), False))
    assert counts() == before


def test_shared_usage_is_billed_to_the_rooms(community, admin_user):
    building = BuildingFactory(community=community)
    unit = UnitFactory(building=building)
    links = [
        HouseholdRoomFactory(household__community=community, room=RoomFactory(unit=unit, built_area=area))
        for area in (D(60), D(40))
    ]
    water = FeeItemFactory(community=community, method=Method.METERED, price=D("2"), category="water")
    for link in links:
        FeeAssignmentFactory(fee_item=water, room=link.room)
    meter = SharedMeterFactory(community=community, building=building)
    enter(community, admin_user, JAN, (meter, D(0), False))
    enter(community, admin_user, FEB, (meter, D("10.01"), False))
    runs.run_issue(run=runs.run_preview(community=community, period=MAR, actor=admin_user), actor=admin_user)
    lines = {line.room_id: (line.quantity, line.amount_fen) for line in BillLine.objects.filter(period=FEB)}
    assert lines == {links[0].room.pk: (D("6.01"), 1202), links[1].room.pk: (D("4.00"), 800)}
    with pytest.raises(ReadingsRefusedError, match="already billed"):
        enter(community, admin_user, FEB, (meter, D(11), False))


# Reads ---------------------------------------------------------------------------------------------


def test_reading_grid_lists_previous_and_current(community, admin_user):
    building = BuildingFactory(community=community)
    room = RoomFactory(unit=UnitFactory(building=building))
    read, unread = (
        MeterFactory(community=community, room=room),
        MeterFactory(community=community, room=room, kind="gas"),
    )
    shared = SharedMeterFactory(community=community, building=building)
    removed = MeterFactory(community=community, room=room, is_active=False, kind="electricity")
    MeterFactory(community=community)  # another building
    enter(community, admin_user, JAN, (read, D(10), False))
    enter(community, admin_user, FEB, (read, D(15), False))
    grid = {row.meter.pk: row for row in reading_grid(building=building, period=FEB)}
    assert set(grid) == {read.pk, unread.pk, shared.pk}
    assert (grid[read.pk].previous.value, grid[read.pk].current.value) == (D(10), D(15))
    assert (grid[unread.pk].previous, grid[unread.pk].current) == (None, None)
    assert removed.pk not in grid
    listed = {m.pk: m for m in meters_of_building(building=building)}
    assert set(listed) == {read.pk, unread.pk, shared.pk, removed.pk}
    assert (listed[read.pk].latest_period, listed[read.pk].latest_value) == (FEB, D(15))
