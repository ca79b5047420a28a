"""GET /rooms and GET /rooms/{pk}."""

from decimal import Decimal

import pytest

from tests.factories import BuildingFactory, CommunityFactory, RoomFactory, UnitFactory, staff
from wuye.core.enums import Role
from wuye.estate.enums import RoomState

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(api_as, community):
    return api_as(staff(community, Role.TECHNICIAN))


def _pks(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["pk"] for item in response.json()["items"]]


def _room(community, building, number, **kwargs):
    unit = UnitFactory(building=building, community=community, name="1单元")
    return RoomFactory(unit=unit, number=number, **kwargs)


def test_room_list_orders_by_building_and_number_and_filters(api, community):
    first, second = (
        BuildingFactory(community=community, name="1栋"),
        BuildingFactory(community=community, name="2栋"),
    )
    unit = UnitFactory(building=first, community=community, name="1单元")
    r101 = RoomFactory(unit=unit, number="101")
    r102 = RoomFactory(unit=unit, number="102", state=RoomState.RENTED)
    r201 = _room(community, second, "201")
    RoomFactory()  # another community

    assert _pks(api.get("/rooms")) == [r101.pk, r102.pk, r201.pk]
    assert api.get("/rooms").json()["count"] == 3
    assert _pks(api.get("/rooms", {"building": second.pk})) == [r201.pk]
    assert _pks(api.get("/rooms", {"state": "rented"})) == [r102.pk]
    assert _pks(api.get("/rooms", {"q": "10"})) == [r101.pk, r102.pk]
    assert _pks(api.get("/rooms", {"community": community.pk, "page": 2, "limit": 2})) == [r201.pk]
    assert _pks(api.get("/rooms", {"community": CommunityFactory().pk})) == []


def test_room_detail(api, community):
    room = _room(community, BuildingFactory(community=community, name="3栋"), "1203", floor=12)

    response = api.get(f"/rooms/{room.pk}")

    assert response.status_code == 200
    body = response.json()
    assert body == {
        "pk": room.pk,
        "community": community.pk,
        "label": "3栋-1单元-1203",
        "building": {"pk": room.building_id, "name": "3栋"},
        "unit": {"pk": room.unit_id, "name": "1单元"},
        "number": "1203",
        "floor": 12,
        "built_area": "89.50",
        "inner_area": "72.30",
        "use": "residential",
        "state": "vacant",
    }
    assert Decimal(body["built_area"]) == room.built_area


def test_room_list_of_a_user_without_roles_is_empty(api_as, community):
    RoomFactory(community=community)
    api = api_as(staff(CommunityFactory(), Role.ADMINISTRATOR))
    assert api.get("/rooms").json()["count"] == 0


def test_room_list_finds_a_room_by_its_label_and_the_short_forms(api, community):
    unit = UnitFactory(
        building=BuildingFactory(community=community, name="2号楼"), community=community, name="3单元"
    )
    room = RoomFactory(unit=unit, number="1201")
    neighbour = RoomFactory(unit=unit, number="1202")

    for text in ("2号楼-3单元-1201", "2-3-1201", "2号楼3单元1201", "２-３-１２０１"):
        assert _pks(api.get("/rooms", {"q": text})) == [room.pk]
    assert _pks(api.get("/rooms", {"q": "120"})) == [room.pk, neighbour.pk]
