"""Console pages render, act, and refuse what a role does not grant."""

from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import BuildingFactory, HouseholdRoomFactory, TagFactory, staff
from wuye.core.enums import Role
from wuye.core.models import AuditLog
from wuye.estate.models import Room
from wuye.households.models import Household, HouseholdTag, SavedFilter


def test_login_page_is_chinese_by_default(client, db):
    response = client.get(reverse("console:login"))
    assert response.status_code == 200
    assert "登录" in response.content.decode()


def test_every_list_page_renders(admin_client, household):
    for name in ("console:home", "console:households", "console:buildings", "console:tags", "console:audit"):
        assert admin_client.get(reverse(name)).status_code == 200, name


def test_household_page_shows_everything(admin_client, household):
    response = admin_client.get(reverse("console:household", args=[household.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "王小明" in body and "13912345678" in body
    assert str(household.rooms.get()) in body


def test_search_by_phone_opens_the_household(admin_client, household):
    response = admin_client.get(reverse("console:search"), {"q": "13912345678"})
    assert response.status_code == 302
    assert response.url == reverse("console:household", args=[household.pk])


def test_add_tag_on_household_page(admin_client, household):
    tag = TagFactory(community=household.community, name="独居老人")
    response = admin_client.post(
        reverse("console:household_tags", args=[household.pk]), {"tag": tag.pk, "operation": "apply"}
    )
    assert response.status_code == 302
    assert HouseholdTag.objects.filter(household=household, tag=tag).count() == 1
    listing = admin_client.get(reverse("console:households"), {"tag": tag.pk}).content.decode()
    assert household.name in listing and "独居老人" in listing


def test_bulk_tag_over_filter(admin_client, community):
    building = BuildingFactory(community=community)
    inside = [
        HouseholdRoomFactory(household__community=community, room__unit__building=building).household
        for _ in range(3)
    ]
    outside = HouseholdRoomFactory(household__community=community).household
    tag = TagFactory(community=community)
    response = admin_client.post(
        reverse("console:households_bulk_tag"),
        {"building": building.pk, "bulk_tag": tag.pk, "operation": "apply"},
    )
    assert response.status_code == 302
    tagged = set(HouseholdTag.objects.filter(tag=tag).values_list("household_id", flat=True))
    assert tagged == {h.pk for h in inside}
    assert outside.pk not in tagged


def test_front_desk_cannot_manage_tags_or_rooms(client, community):
    client.force_login(staff(community, Role.FRONT_DESK))
    before = AuditLog.objects.count()
    assert client.post(reverse("console:tag_new"), {"name": "x", "colour": "red"}).status_code == 404
    assert client.post(reverse("console:building_new"), {"name": "9栋"}).status_code == 404
    assert AuditLog.objects.count() == before


def test_cashier_can_read_but_not_edit_households(client, household):
    client.force_login(staff(household.community, Role.CASHIER))
    assert client.get(reverse("console:household", args=[household.pk])).status_code == 200
    response = client.post(reverse("console:household_edit", args=[household.pk]), {"name": "改名"})
    assert response.status_code == 404
    assert Household.objects.get(pk=household.pk).name == household.name


def test_bank_role_sees_no_household(client, household):
    client.force_login(staff(household.community, Role.BANK))
    assert client.get(reverse("console:household", args=[household.pk])).status_code == 404
    assert client.get(reverse("console:households")).status_code == 404
    # A room page shows its household and its history: the bank sees no estate page either.
    assert client.get(reverse("console:room", args=[household.rooms.get().pk])).status_code == 404
    assert client.get(reverse("console:buildings")).status_code == 404


def test_save_and_delete_filter(admin_client, admin_user, community):
    admin_client.post(reverse("console:filter_save"), {"name": "租户", "query": "state=rented"})
    saved = SavedFilter.objects.get(user=admin_user)
    assert saved.query == "state=rented" and saved.community == community
    assert "租户" in admin_client.get(reverse("console:households")).content.decode()
    admin_client.post(reverse("console:filter_delete", args=[saved.pk]))
    assert SavedFilter.objects.count() == 0


def test_building_and_room_generator(admin_client, community):
    admin_client.post(reverse("console:building_new"), {"name": "9栋"})
    building = community.buildings.get(name="9栋")
    form = {
        "units": 2,
        "floors": 3,
        "rooms_per_floor": 4,
        "built_area": "88.50",
        "inner_area": "70.10",
        "use": "residential",
    }
    admin_client.post(reverse("console:rooms_generate", args=[building.pk]), form)
    assert Room.objects.filter(building=building).count() == 24
    assert Room.objects.filter(building=building, number="304", built_area=Decimal("88.50")).count() == 2
    admin_client.post(reverse("console:rooms_generate", args=[building.pk]), form)  # again: nothing new
    assert Room.objects.filter(building=building).count() == 24


def test_generator_refuses_inner_larger_than_built(admin_client, community):
    building = BuildingFactory(community=community)
    form = {
        "units": 1,
        "floors": 1,
        "rooms_per_floor": 1,
        "built_area": "50",
        "inner_area": "60",
        "use": "residential",
    }
    response = admin_client.post(reverse("console:rooms_generate", args=[building.pk]), form)
    assert response.status_code == 200
    assert Room.objects.filter(building=building).count() == 0


def test_room_edit_shows_on_household_timeline(admin_client, household):
    room = household.rooms.get()
    data = {
        "floor": room.floor,
        "built_area": room.built_area,
        "inner_area": room.inner_area,
        "use": "residential",
        "state": "rented",
    }
    assert admin_client.post(reverse("console:room", args=[room.pk]), data).status_code == 302
    page = admin_client.get(reverse("console:household", args=[household.pk])).content.decode()
    assert "出租" in page


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_language_switch(admin_client, household, language):
    admin_client.post(reverse("set_language"), {"language": language, "next": "/console/"})
    body = admin_client.get(reverse("console:households")).content.decode()
    assert ("Households" in body) == (language == "en")


def test_administrator_creates_staff_and_revokes_role(admin_client, community):
    from django.contrib.auth import authenticate

    from wuye.core.models import StaffRole

    form = {"username": "cashier2", "full_name": "李收费", "password": "Kq8-long-pass", "role": "cashier"}
    assert admin_client.post(reverse("console:staff"), form).status_code == 302
    user = authenticate(username="cashier2", password="Kq8-long-pass")
    assert user is not None
    role = StaffRole.objects.get(user=user)
    assert (role.community, role.role) == (community, "cashier")
    admin_client.post(reverse("console:role_revoke", args=[role.pk]))
    assert StaffRole.objects.filter(user=user).count() == 0
    assert AuditLog.objects.filter(action__startswith="core.").count() == 3


def test_only_administrators_manage_staff(client, community):
    client.force_login(staff(community, Role.SUPERVISOR))
    assert client.get(reverse("console:staff")).status_code == 404
