"""Parking in the console: car parks with their rate and gates, spaces given to a household and its cars
(audited), the cars inside and every stay, blocked plates; every change needs parking.manage, and
another community's objects answer 404 (tests/console/test_isolation.py walks every page)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import staff
from wuye.core.enums import Role
from wuye.core.models import AuditLog
from wuye.households.models import Vehicle
from wuye.parking.models import Gate, ParkingArea, ParkingSpace, PlateBlock

pytestmark = pytest.mark.django_db


def test_a_car_park_is_created_with_its_rate_and_a_gate(admin_client, community):
    response = admin_client.post(
        reverse("console:parking_area_new"),
        {
            "name": "地下车库",
            "temporary_capacity": "20",
            "free_minutes": "15",
            "unit_minutes": "30",
            "day_unit_fen": "300",
            "night_unit_fen": "100",
            "night_starts": "22:00",
            "night_ends": "07:00",
            "daily_cap_fen": "2000",
            "grace_minutes": "15",
            "is_active": "on",
        },
    )
    area = ParkingArea.objects.get()
    assert response.status_code == 302 and response.url == reverse("console:parking_area", args=[area.pk])
    assert (area.community_id, area.free_minutes, area.unit_minutes, area.daily_cap_fen) == (
        community.pk,
        15,
        30,
        2000,
    )

    gate = admin_client.post(
        reverse("console:parking_gate_new", args=[area.pk]),
        {
            "name": "东门入口",
            "direction": "entry",
            "device_id": "G-1",
            "key_ref": "paysim:device_test_key.txt",
            "is_active": "on",
        },
    )
    refused = admin_client.post(
        reverse("console:parking_gate_new", args=[area.pk]),
        {"name": "东门出口", "direction": "exit", "device_id": "G-2", "key_ref": "s3cr3t-key-in-clear"},
    )

    assert gate.status_code == 302 and Gate.objects.get().device_id == "G-1"
    assert refused.status_code == 200 and Gate.objects.count() == 1
    page = admin_client.get(reverse("console:parking_area", args=[area.pk])).content.decode()
    assert "东门入口" in page and reverse("portal:park_find", args=[area.token]) in page


def test_a_unit_under_five_minutes_is_refused(admin_client):
    response = admin_client.post(
        reverse("console:parking_area_new"),
        {
            "name": "x",
            "temporary_capacity": "0",
            "free_minutes": "0",
            "unit_minutes": "1",
            "day_unit_fen": "1",
            "night_unit_fen": "1",
            "night_starts": "22:00",
            "night_ends": "07:00",
            "daily_cap_fen": "0",
            "grace_minutes": "15",
        },
    )
    assert response.status_code == 200 and ParkingArea.objects.count() == 0


def test_a_space_is_given_to_the_household_of_a_room_with_its_plates(admin_client, household, area):
    car = Vehicle.objects.create(community=household.community, household=household, plate="粤B12345")
    Vehicle.objects.create(community=household.community, household=household, plate="粤B67890")
    admin_client.post(
        reverse("console:parking_space_new", args=[area.pk]), {"number": "A-008", "kind": "monthly"}
    )
    space = ParkingSpace.objects.get()
    room = household.room_links.get().room

    response = admin_client.post(
        reverse("console:parking_space_assign", args=[space.pk]), {"room": str(room), "plates": "粤B 12345"}
    )

    space.refresh_from_db()
    assert response.status_code == 302, response.context["form"].errors
    assert (space.household_id, list(space.vehicles.all())) == (household.pk, [car])
    assert AuditLog.objects.filter(action="parking.space.assigned", household_id=household.pk).count() == 1
    page = admin_client.get(reverse("console:parking_area", args=[area.pk])).content.decode()
    assert "粤B12345" in page and household.name in page

    admin_client.post(reverse("console:parking_space_release", args=[space.pk]))
    space.refresh_from_db()
    assert (space.household_id, space.vehicles.count()) == (None, 0)


def test_assigning_a_plate_not_of_the_household_changes_nothing(admin_client, household, area):
    space = ParkingSpace.objects.create(community=area.community, area=area, number="A-1")
    room = household.room_links.get().room

    response = admin_client.post(
        reverse("console:parking_space_assign", args=[space.pk]), {"room": str(room), "plates": "沪A00000"}
    )

    space.refresh_from_db()
    assert response.status_code == 200 and space.household_id is None
    assert not AuditLog.objects.filter(action="parking.space.assigned").exists()


def test_plates_are_blocked_and_unblocked(admin_client, community):
    admin_client.post(reverse("console:parking_block_new"), {"plate": "沪c 99999", "reason": "逃费"})
    block = PlateBlock.objects.get()
    assert (block.plate, block.reason) == ("沪C99999", "逃费")

    admin_client.post(reverse("console:parking_block_delete", args=[block.pk]))

    assert PlateBlock.objects.count() == 0


def test_the_stays_list_filters_by_plate(admin_client, gates):
    entry, _exit, session = gates
    entry.car("京A00001", session=session)
    entry.car("京A00002", session=session)

    page = admin_client.get(reverse("console:parking_visits"), {"plate": "00002"}).content.decode()

    assert "京A00002" in page and "京A00001" not in page


def test_a_cashier_sees_but_does_not_change(client, community, area):
    client.force_login(staff(community, Role.CASHIER))

    assert client.get(reverse("console:parking_area", args=[area.pk])).status_code == 200
    response = client.post(reverse("console:parking_block_new"), {"plate": "京A1", "reason": "x"})
    assert response.status_code in (403, 404) and PlateBlock.objects.count() == 0


def test_a_technician_does_not_see_parking(client, community, area):
    client.force_login(staff(community, Role.TECHNICIAN))

    assert client.get(reverse("console:parking")).status_code in (403, 404)
