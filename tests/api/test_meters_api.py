"""The meters API: meters of a community, a meter's readings, a reading entered the console's way."""

import datetime
from decimal import Decimal

import pytest

from tests.billing.factories import MeterFactory, SharedMeterFactory
from tests.factories import RoomFactory, UnitFactory, staff
from wuye.billing.domain.meters import readings_enter
from wuye.billing.models import MeterReading, SharedUsage
from wuye.core.enums import Role
from wuye.core.models import AuditLog

pytestmark = pytest.mark.django_db

OCT = datetime.date(2026, 10, 1)


@pytest.fixture
def api(api_as, admin_user):
    return api_as(admin_user)


@pytest.fixture
def meters(community):
    """Building 1栋 with rooms 101 (60 m²) and 102 (40 m²); 101's water meter, 102's electricity meter
    (deactivated) and the building's shared water meter."""
    unit = UnitFactory(building__community=community, building__name="1栋", name="1单元")
    rooms = [
        RoomFactory(unit=unit, number=number, built_area=Decimal(area))
        for number, area in (("101", "60"), ("102", "40"))
    ]
    return {
        "building": unit.building,
        "rooms": rooms,
        "water": MeterFactory(community=community, room=rooms[0], number="W101"),
        "power": MeterFactory(
            community=community, room=rooms[1], number="E102", kind="electricity", is_active=False
        ),
        "shared": SharedMeterFactory(community=community, building=unit.building, number="W-1栋"),
    }


def test_meter_list_by_building_kind_and_state(api, community, meters):
    MeterFactory()  # another community's

    everything = api.get("/meters").json()
    water = api.get("/meters", {"kind": "water", "building": meters["building"].pk}).json()
    inactive = api.get("/meters", {"active": "false"}).json()

    assert (everything["count"], [item["number"] for item in everything["items"]]) == (
        3,
        ["W101", "E102", "W-1栋"],
    )
    assert [item["number"] for item in water["items"]] == ["W101", "W-1栋"]
    assert [item["number"] for item in inactive["items"]] == ["E102"]
    room = meters["rooms"][0]
    assert everything["items"][0] == {
        "pk": meters["water"].pk,
        "community": community.pk,
        "kind": "water",
        "number": "W101",
        "room": {
            "pk": room.pk,
            "label": "1栋-1单元-101",
            "building": "1栋",
            "unit": "1单元",
            "number": "101",
            "state": room.state,
        },
        "building": {"pk": meters["building"].pk, "name": "1栋"},
        "is_active": True,
    }
    assert (everything["items"][2]["room"], everything["items"][2]["building"]["name"]) == (None, "1栋")


def test_reading_entered_with_the_usage_it_fixes(api, admin_user, meters):
    water = meters["water"]
    readings_enter(
        community=water.community, period=OCT, rows=[(water, Decimal("100.00"), False)], actor=None
    )

    response = api.post(f"/meters/{water.pk}/readings", {"month": "2026-11", "value": "112.35"})

    assert response.status_code == 200
    body = response.json()
    reading = MeterReading.objects.get(period=datetime.date(2026, 11, 1))
    assert body == {
        "created": 1,
        "changed": 0,
        "unchanged": 0,
        "reading": {
            "pk": reading.pk,
            "meter": water.pk,
            "month": "2026-11",
            "value": "112.35",
            "usage": "12.35",
            "replaced": False,
            "read_on": body["reading"]["read_on"],
            "entered_by": admin_user.username,
            "shares": [],
        },
    }
    assert AuditLog.objects.get(action="billing.reading.entered", object_pk=reading.pk).actor == admin_user
    listed = api.get(f"/meters/{water.pk}/readings").json()
    assert [(item["month"], item["value"], item["usage"]) for item in listed["items"]] == [
        ("2026-11", "112.35", "12.35"),
        ("2026-10", "100.00", "0.00"),
    ]


def test_same_reading_again_changes_nothing(api, meters):
    water = meters["water"]
    api.post(f"/meters/{water.pk}/readings", {"month": "2026-11", "value": "5"})
    logs = AuditLog.objects.count()

    again = api.post(f"/meters/{water.pk}/readings", {"month": "2026-11", "value": "5.00"})

    assert (again.status_code, again.json()["unchanged"], again.json()["created"]) == (200, 1, 0)
    assert (MeterReading.objects.count(), AuditLog.objects.count()) == (1, logs)


def test_shared_meter_reading_is_shared_by_built_up_area(api, meters):
    shared = meters["shared"]
    readings_enter(community=shared.community, period=OCT, rows=[(shared, Decimal("10"), False)], actor=None)

    body = api.post(f"/meters/{shared.pk}/readings", {"month": "2026-11", "value": "20.01"}).json()

    first, second = meters["rooms"]
    assert body["reading"]["usage"] == "10.01"
    assert body["reading"]["shares"] == [
        {"room": first.pk, "usage": "6.01"},
        {"room": second.pk, "usage": "4.00"},
    ]
    assert SharedUsage.objects.filter(period=datetime.date(2026, 11, 1)).count() == 2


def test_reading_below_the_previous_one_is_refused(api, meters):
    water = meters["water"]
    readings_enter(
        community=water.community, period=OCT, rows=[(water, Decimal("100.00"), False)], actor=None
    )
    logs = AuditLog.objects.count()

    response = api.post(f"/meters/{water.pk}/readings", {"month": "2026-11", "value": "99.99"})

    assert response.status_code == 400
    assert response.json() == {
        "detail": "The reading 99.99 of meter W101 is below the previous one (100.00 in 2026-10); if the meter "
        "was replaced, mark it as replaced."
    }
    assert (MeterReading.objects.count(), AuditLog.objects.count()) == (1, logs)


@pytest.mark.parametrize(
    ("meter", "month", "detail"),
    [
        ("power", "2026-11", "Meter E102 is inactive."),
        ("water", "2999-01", "2999-01 is a month still to come."),
    ],
)
def test_reading_refused_for_an_inactive_meter_or_a_future_month(api, meters, meter, month, detail):
    response = api.post(f"/meters/{meters[meter].pk}/readings", {"month": month, "value": "1"})
    assert (response.status_code, response.json()) == (400, {"detail": detail})
    assert MeterReading.objects.count() == 0


def test_reading_needs_billing_manage(api_as, community, meters):
    cashier = api_as(staff(community, Role.CASHIER))  # billing.view only
    water = meters["water"]
    assert cashier.get(f"/meters/{water.pk}/readings").status_code == 200
    assert cashier.post(f"/meters/{water.pk}/readings", {"month": "2026-11", "value": "1"}).status_code == 404
    assert MeterReading.objects.count() == 0
    technician = api_as(staff(community, Role.TECHNICIAN))  # no billing at all
    assert technician.get("/meters").json()["count"] == 0
    assert technician.get(f"/meters/{water.pk}").status_code == 404
