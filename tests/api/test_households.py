"""GET /households, GET /households/{pk}, and putting tags on and off one household."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import (
    BuildingFactory,
    CommunityFactory,
    HouseholdFactory,
    HouseholdRoomFactory,
    HouseholdTagFactory,
    PersonFactory,
    TagFactory,
    staff,
)
from wuye.core.enums import Role
from wuye.core.models import AuditLog
from wuye.estate.enums import RoomState
from wuye.households.domain.tagrules import tags_refresh
from wuye.households.models import HouseholdTag, Vehicle

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(api_as, community):
    return api_as(staff(community, Role.ADMINISTRATOR))


def _pks(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["pk"] for item in response.json()["items"]]


# --- list --------------------------------------------------------------------------------------


def test_household_list_returns_every_household_of_the_community(api, community):
    households = [HouseholdRoomFactory(household__community=community).household for _ in range(3)]
    HouseholdRoomFactory()  # another community

    response = api.get("/households")

    body = response.json()
    assert body["count"] == 3
    assert [item["pk"] for item in body["items"]] == [h.pk for h in households]
    first = body["items"][0]
    room = households[0].rooms.get()
    assert first["community"] == community.pk
    assert first["rooms"] == [
        {
            "pk": room.pk,
            "label": str(room),
            "building": room.building.name,
            "unit": room.unit.name,
            "number": room.number,
            "state": "vacant",
        }
    ]
    assert first["tags"] == []
    assert first["people"] == []


def test_household_list_spans_all_permitted_communities(api_as, community):
    other = CommunityFactory()
    user = staff(community, Role.CASHIER)
    user.staff_roles.create(community=other, role=Role.FRONT_DESK)
    mine = [HouseholdFactory(community=community).pk, HouseholdFactory(community=other).pk]
    HouseholdFactory()  # a third community

    api = api_as(user)

    assert _pks(api.get("/households")) == mine
    assert _pks(api.get("/households", {"community": other.pk})) == mine[1:]


def test_household_list_filters_by_text(api, community):
    wang = HouseholdFactory(community=community, name="王家")
    PersonFactory(household=HouseholdFactory(community=community), name="李四", phone="13800001111")
    li = PersonFactory._meta.model.objects.get(name="李四").household

    assert _pks(api.get("/households", {"q": "王"})) == [wang.pk]
    assert _pks(api.get("/households", {"q": "13800001111"})) == [li.pk]


def test_household_list_filters_by_all_tags_and_without(api, community):
    both, only_first, neither = (HouseholdFactory(community=community) for _ in range(3))
    first, second = TagFactory(community=community), TagFactory(community=community)
    for household, tag in ((both, first), (both, second), (only_first, first)):
        HouseholdTagFactory(household=household, tag=tag)

    assert _pks(api.get("/households", {"tag": [first.pk]})) == [both.pk, only_first.pk]
    assert _pks(api.get("/households", {"tag": [first.pk, second.pk]})) == [both.pk]
    assert _pks(api.get("/households", {"without": [second.pk]})) == [only_first.pk, neither.pk]


def test_household_list_filters_by_building_and_room_state(api, community):
    building = BuildingFactory(community=community)
    in_building = HouseholdRoomFactory(
        household__community=community, room__unit__building=building, room__state=RoomState.RENTED
    ).household
    elsewhere = HouseholdRoomFactory(household__community=community).household

    assert _pks(api.get("/households", {"building": building.pk})) == [in_building.pk]
    assert _pks(api.get("/households", {"state": "rented"})) == [in_building.pk]
    assert _pks(api.get("/households", {"state": "vacant"})) == [elsewhere.pk]


def test_household_list_refuses_an_unknown_state(api):
    assert api.get("/households", {"state": "flying"}).status_code == 422


def test_household_list_pages(api, community):
    households = [HouseholdFactory(community=community).pk for _ in range(5)]

    page_two = api.get("/households", {"page": 2, "limit": 2}).json()

    assert page_two["count"] == 5
    assert (page_two["page"], page_two["limit"]) == (2, 2)
    assert [item["pk"] for item in page_two["items"]] == households[2:4]
    assert _pks(api.get("/households", {"page": 4, "limit": 2})) == []
    assert api.get("/households", {"limit": 201}).status_code == 422
    assert api.get("/households", {"page": 0}).status_code == 422


def test_household_list_costs_the_same_queries_for_more_rows(api, community):
    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get("/households").status_code == 200
        return len(captured)

    def add_households(n):
        for _ in range(n):
            link = HouseholdRoomFactory(household__community=community)
            PersonFactory(household=link.household)
            HouseholdTagFactory(household=link.household)

    add_households(2)
    api.get("/communities")  # the token's first use writes last_used_at once; keep it out of the count
    few = queries_for_list()
    add_households(10)
    assert queries_for_list() == few


# --- detail ------------------------------------------------------------------------------------


def test_household_detail_shows_everything_with_the_id_number_masked(api, household):
    person = household.people.get()
    person.id_number = "110105199001011234"
    person.save()
    Vehicle.objects.create(community=household.community, household=household, plate="粤B12345")
    tag = HouseholdTagFactory(household=household).tag

    response = api.get(f"/households/{household.pk}")

    assert response.status_code == 200
    body = response.json()
    assert body["pk"] == household.pk
    assert [room["pk"] for room in body["rooms"]] == [household.rooms.get().pk]
    assert body["people"] == [
        {
            "pk": person.pk,
            "kind": "owner",
            "name": "王小明",
            "phone": "13912345678",
            "id_number_masked": "110***********1234",
            "relation": "",
            "moved_in_on": None,
            "moved_out_on": None,
        }
    ]
    assert "110105199001011234" not in response.content.decode()
    assert [v["plate"] for v in body["vehicles"]] == ["粤B12345"]
    assert body["tags"] == [{"pk": tag.pk, "name": tag.name, "colour": "blue", "kind": "manual"}]


def test_household_detail_of_unknown_household_is_404(api, db):
    response = api.get("/households/999999")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


# --- tags on and off ---------------------------------------------------------------------------


def test_tag_apply_puts_the_tag_on_and_logs_it(api, household):
    tag = TagFactory(community=household.community)

    response = api.post(f"/households/{household.pk}/tags", {"tag": tag.pk})

    assert response.status_code == 200
    assert response.json() == {
        "changed": True,
        "tags": [{"pk": tag.pk, "name": tag.name, "colour": "blue", "kind": "manual"}],
    }
    assert HouseholdTag.objects.filter(household=household, tag=tag).count() == 1
    log = AuditLog.objects.get(household_id=household.pk)
    assert (log.action, log.object_pk, log.community_id) == (
        "households.tag.applied",
        tag.pk,
        household.community_id,
    )
    assert log.actor.staff_roles.get().community_id == household.community_id


def test_tag_apply_twice_changes_nothing_the_second_time(api, household):
    tag = TagFactory(community=household.community)
    api.post(f"/households/{household.pk}/tags", {"tag": tag.pk})

    response = api.post(f"/households/{household.pk}/tags", {"tag": tag.pk})

    assert response.status_code == 200
    assert response.json()["changed"] is False
    assert HouseholdTag.objects.filter(household=household).count() == 1
    assert AuditLog.objects.filter(household_id=household.pk).count() == 1


def test_tag_remove_takes_the_tag_off_and_logs_it(api, household):
    kept = HouseholdTagFactory(household=household).tag
    removed = HouseholdTagFactory(household=household).tag

    response = api.delete(f"/households/{household.pk}/tags/{removed.pk}")

    assert response.status_code == 200
    assert response.json()["changed"] is True
    assert [tag["pk"] for tag in response.json()["tags"]] == [kept.pk]
    assert list(HouseholdTag.objects.filter(household=household).values_list("tag_id", flat=True)) == [
        kept.pk
    ]
    log = AuditLog.objects.get(household_id=household.pk)
    assert (log.action, log.object_pk) == ("households.tag.removed", removed.pk)


def test_tag_remove_of_an_absent_tag_changes_nothing(api, household):
    tag = TagFactory(community=household.community)

    response = api.delete(f"/households/{household.pk}/tags/{tag.pk}")

    assert response.status_code == 200
    assert response.json() == {"changed": False, "tags": []}
    assert AuditLog.objects.count() == 0


def test_system_tag_cannot_be_applied_or_removed(api, household):
    vacant_household = household  # its one room is vacant, so the rule tags it
    occupied = HouseholdRoomFactory(
        household__community=household.community, room__state=RoomState.SELF_OCCUPIED
    ).household
    tags_refresh(community=household.community)
    system_tag = HouseholdTag.objects.get(household=vacant_household).tag
    links_before = HouseholdTag.objects.count()
    logs_before = AuditLog.objects.count()

    applied = api.post(f"/households/{occupied.pk}/tags", {"tag": system_tag.pk})
    removed = api.delete(f"/households/{vacant_household.pk}/tags/{system_tag.pk}")

    assert applied.status_code == 400
    assert applied.json() == {"detail": "System tags are set by their rule and cannot be applied by hand."}
    assert removed.status_code == 400
    assert removed.json() == {"detail": "System tags are set by their rule and cannot be removed by hand."}
    assert HouseholdTag.objects.count() == links_before == 1
    assert AuditLog.objects.count() == logs_before


def test_tag_of_another_community_is_not_found(api, household):
    foreign = TagFactory()

    response = api.post(f"/households/{household.pk}/tags", {"tag": foreign.pk})

    assert response.status_code == 404
    assert response.json() == {"detail": "Tag not found."}
    assert HouseholdTag.objects.count() == 0
    assert AuditLog.objects.count() == 0


def test_tag_apply_without_a_body_is_refused(api, household):
    assert api.post(f"/households/{household.pk}/tags", {}).status_code == 422


def test_tag_apply_needs_archive_edit(api_as, household):
    """A cashier reads the archive but may not change it: the household is not found for writing."""
    api = api_as(staff(household.community, Role.CASHIER))
    tag = TagFactory(community=household.community)

    assert api.get(f"/households/{household.pk}").status_code == 200
    assert api.post(f"/households/{household.pk}/tags", {"tag": tag.pk}).status_code == 404
    assert api.delete(f"/households/{household.pk}/tags/{tag.pk}").status_code == 404
    assert HouseholdTag.objects.count() == 0
    assert AuditLog.objects.count() == 0


# --- the partner bank never sees the archive -------------------------------------------------


def test_bank_user_sees_no_household(api_as, household):
    tag = TagFactory(community=household.community)
    api = api_as(staff(household.community, Role.BANK))

    assert api.get("/households").json() == {"count": 0, "page": 1, "limit": 50, "items": []}
    assert api.get("/households", {"community": household.community_id}).json()["count"] == 0
    assert api.get(f"/households/{household.pk}").status_code == 404
    assert api.post(f"/households/{household.pk}/tags", {"tag": tag.pk}).status_code == 404
    assert api.delete(f"/households/{household.pk}/tags/{tag.pk}").status_code == 404
    assert api.get("/tags").json() == []
    assert HouseholdTag.objects.count() == 0


def test_bank_user_sees_no_room(api_as, household):
    """A room is where a household lives: the bank sees figures only (its dashboard), no rooms."""
    api = api_as(staff(household.community, Role.BANK))
    assert _pks(api.get("/rooms")) == []
    assert api.get(f"/rooms/{household.rooms.get().pk}").status_code == 404
