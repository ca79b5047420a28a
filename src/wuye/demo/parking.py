"""The demo's car park (停车): one per community with an entry and an exit gate (paysim's simulated
devices: ``wuye gate DEVICE PLATE``), monthly spaces held by households with cars, and cars inside now,
one of them a visitor's that owes, so the console's car park and the exit's pay page have something to
show. Through the parking domain functions; idempotent (a community with a car park is left alone)."""

from __future__ import annotations

import datetime

from django.utils import timezone

from wuye.core.models import Community
from wuye.households.models import Household
from wuye.parking.domain.gates import gate_event
from wuye.parking.domain.spaces import space_assign
from wuye.parking.enums import GateDirection, SpaceKind
from wuye.parking.models import Gate, ParkingArea, ParkingSpace
from wuye.paysim.gates import DEVICE_KEY_REF

SPACES = 24
HELD = 8  # monthly spaces given to households with a car
VISITORS = (("京A3K721", 150), ("沪B58J20", 40), ("粤C1234Z", 10))  # plate, minutes inside


def gate_devices(community: Community) -> tuple[str, str]:
    return f"C{community.pk}-GATE-IN", f"C{community.pk}-GATE-OUT"


def seed_parking(*, community: Community, actor) -> bool:
    if ParkingArea.objects.filter(community=community).exists():
        return False
    area = ParkingArea.objects.create(community=community, name="地面停车场", temporary_capacity=30)
    entry_id, exit_id = gate_devices(community)
    entry = Gate.objects.create(
        community=community,
        area=area,
        name="东门入口",
        direction=GateDirection.ENTRY,
        device_id=entry_id,
        key_ref=DEVICE_KEY_REF,
    )
    Gate.objects.create(
        community=community,
        area=area,
        name="东门出口",
        direction=GateDirection.EXIT,
        device_id=exit_id,
        key_ref=DEVICE_KEY_REF,
    )
    spaces = ParkingSpace.objects.bulk_create(
        [
            ParkingSpace(
                community=community,
                area=area,
                number=f"P-{number:03d}",
                kind=SpaceKind.MONTHLY if number <= SPACES - 4 else SpaceKind.TEMPORARY,
            )
            for number in range(1, SPACES + 1)
        ]
    )
    holders = list(
        Household.objects.filter(community=community, vehicles__isnull=False).distinct().order_by("pk")[:HELD]
    )
    for space, household in zip(spaces, holders, strict=False):
        space_assign(space=space, household=household, actor=actor)
    now = timezone.now()
    for index, household in enumerate(holders[:2]):  # two residents' cars inside
        vehicle = household.vehicles.order_by("pk").first()
        gate_event(
            gate=entry, plate=vehicle.plate, event_id=f"demo-r{index}", at=now - datetime.timedelta(hours=3)
        )
    for index, (plate, minutes) in enumerate(VISITORS):
        gate_event(
            gate=entry, plate=plate, event_id=f"demo-v{index}", at=now - datetime.timedelta(minutes=minutes)
        )
    return True
