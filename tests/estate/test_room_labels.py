"""A room is found by the label the system prints (1栋-1单元-101) and by the short forms offices write
(1-1-101, 1栋1单元101, full-width digits): in the header search, the household filter and the API."""

import pytest
from django.urls import reverse

from tests.factories import BuildingFactory, HouseholdRoomFactory, RoomFactory, UnitFactory, staff
from wuye.core.enums import Role
from wuye.estate.domain.queries import room_by_label, room_label_parts
from wuye.households.domain.queries import HouseholdFilter, households_filtered

pytestmark = pytest.mark.django_db


@pytest.fixture
def rooms(community):
    one = UnitFactory(
        building=BuildingFactory(community=community, name="1栋"), community=community, name="1单元"
    )
    two = UnitFactory(
        building=BuildingFactory(community=community, name="2号楼"), community=community, name="3单元"
    )
    return {
        "101": RoomFactory(unit=one, number="101"),
        "1201": RoomFactory(unit=two, number="1201"),
        "other": RoomFactory(unit=one, number="102"),
    }


@pytest.mark.parametrize(
    ("text", "room"),
    [
        ("1栋-1单元-101", "101"),
        ("1-1-101", "101"),
        ("1栋1单元101", "101"),
        ("1栋 1单元 101", "101"),
        ("１栋－１单元－１０１", "101"),
        ("１-１-１０１", "101"),
        ("2-3-1201", "1201"),
        ("2号楼3单元1201", "1201"),
        ("2栋-3单元-1201", "1201"),
    ],
)
def test_a_room_is_found_by_its_label_and_the_short_forms(community, rooms, text, room):
    assert room_by_label(community=community, label=text) == rooms[room]


@pytest.mark.parametrize("text", ["1-2-101", "3-1-101", "101", "1栋-1单元", "", "1-1-101-1"])
def test_what_names_no_room_finds_none(community, rooms, text):
    assert room_by_label(community=community, label=text) is None


def test_a_short_form_that_fits_two_rooms_finds_neither_unless_one_is_printed_so(community, rooms):
    unit = UnitFactory(
        building=BuildingFactory(community=community, name="1座"), community=community, name="1单元"
    )
    twin = RoomFactory(unit=unit, number="101")

    assert room_by_label(community=community, label="1-1-101") is None
    assert room_by_label(community=community, label="1座-1单元-101") == twin
    assert room_by_label(community=community, label="1栋-1单元-101") == rooms["101"]
    assert room_label_parts("1栋1单元101") == ("1栋", "1单元", "101")


def test_the_household_filter_and_the_header_search_take_short_forms(client, community, rooms):
    household = HouseholdRoomFactory(household__community=community, room=rooms["1201"]).household
    HouseholdRoomFactory(household__community=community, room=rooms["other"])

    assert list(households_filtered(community=community, filter=HouseholdFilter(text="2-3-1201"))) == [
        household
    ]
    client.force_login(staff(community, Role.ADMINISTRATOR))
    page = client.get(reverse("console:search"), {"q": "2号楼3单元1201"}).content.decode()
    assert page.count("2号楼-3单元-1201") >= 1 and "1栋-1单元-102" not in page
