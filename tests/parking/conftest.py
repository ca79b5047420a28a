import pytest
from django.test import Client

from wuye.households.models import Vehicle
from wuye.parking.enums import GateDirection, SpaceKind
from wuye.parking.models import Gate, ParkingArea, ParkingSpace
from wuye.paysim.gates import DEVICE_KEY_REF, GateSim


class ClientSession:
    """``requests``-like ``post`` over Django's test client, so GateSim talks to the app in-process."""

    def __init__(self):
        self.client = Client()

    def post(self, url, *, data, headers, timeout):
        path = url.split("://", 1)[-1].split("/", 1)[-1]
        extra = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}
        return self.client.post("/" + path, data=data, content_type="application/json", **extra)


@pytest.fixture
def area(community):
    """地面停车场: 30 free minutes, hourly 5.00 by day and 1.00 at night, 30.00 a day, 15 minutes' grace,
    room for two visitors' cars; an entry and an exit gate."""
    area = ParkingArea.objects.create(community=community, name="地面停车场", temporary_capacity=2)
    for direction, device in ((GateDirection.ENTRY, "GATE-IN"), (GateDirection.EXIT, "GATE-OUT")):
        Gate.objects.create(
            community=community,
            area=area,
            name=device,
            direction=direction,
            device_id=device,
            key_ref=DEVICE_KEY_REF,
        )
    return area


@pytest.fixture
def resident(household, area):
    """王小明's household holds space A-001 (rented monthly) for its car 粤B12345."""
    vehicle = Vehicle.objects.create(community=household.community, household=household, plate="粤B12345")
    space = ParkingSpace.objects.create(
        community=household.community, area=area, number="A-001", kind=SpaceKind.MONTHLY, household=household
    )
    space.vehicles.add(vehicle)
    return space


@pytest.fixture
def gates(area):
    """The two gates as paysim's simulated devices, talking to the app through the test client."""
    session = ClientSession()
    return (
        GateSim(base_url="http://testserver", device_id="GATE-IN"),
        GateSim(base_url="http://testserver", device_id="GATE-OUT"),
        session,
    )
