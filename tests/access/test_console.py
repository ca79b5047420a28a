"""Console pages of access control: doors, groups, rules, credentials, passes and the event audit;
permissions refused, another community's objects answer 404 and change nothing."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.access.factories import CredentialFactory, DoorFactory, VisitorPassFactory, group_of
from tests.factories import CommunityFactory, HouseholdRoomFactory, PersonFactory, staff
from wuye.access.domain.devices import Presented, door_event_record
from wuye.access.models import AccessRule, Credential, Door, DoorEvent, DoorGroup, VisitorPass
from wuye.core.enums import Role
from wuye.core.models import AuditLog

pytestmark = pytest.mark.django_db

PAGES = [
    "console:access_doors",
    "console:access_groups",
    "console:access_rules",
    "console:access_credentials",
    "console:access_staff",
    "console:access_passes",
    "console:access_events",
]


@pytest.fixture
def foreign():
    """Objects of another community."""
    community = CommunityFactory(name="小区B")
    door = DoorFactory(community=community)
    household = HouseholdRoomFactory(household__community=community).household
    return {
        "door": door,
        "group": group_of(door),
        "household": household,
        "credential": CredentialFactory(person=PersonFactory(household=household)),
        "pass": VisitorPassFactory(household=household),
    }


@pytest.mark.parametrize("name", PAGES)
def test_console_access_pages_answer_for_an_administrator(admin_client, estate, name):
    assert admin_client.get(reverse(name)).status_code == 200


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.CASHIER, Role.BANK])
def test_console_access_pages_refused_without_access_view(client, community, role):
    client.force_login(staff(community, role))

    for name in PAGES:
        assert client.get(reverse(name)).status_code == 404, name


def test_console_door_created_with_a_key_reference_and_logged(admin_client, estate):
    response = admin_client.post(
        reverse("console:access_door_new"),
        {
            "name": "西门",
            "device_id": "gate-west",
            "key_ref": "paysim:device_test_key.txt",
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    door = Door.objects.get(device_id="gate-west")
    assert door.building is None and door.community_id == estate["community"].pk
    assert AuditLog.objects.filter(action="access.door.created", object_pk=door.pk).exists()


@pytest.mark.parametrize("key_ref", ["the-key-itself", "file:../../etc/passwd", "/etc/passwd"])
def test_console_door_refuses_a_key_that_is_not_a_reference(admin_client, estate, key_ref):
    response = admin_client.post(
        reverse("console:access_door_new"), {"name": "西门", "device_id": "gate-west", "key_ref": key_ref}
    )

    assert response.status_code == 200
    assert not Door.objects.filter(device_id="gate-west").exists()


def test_console_group_and_rule_for_building_1(admin_client, estate):
    admin_client.post(
        reverse("console:access_group_new"),
        {"name": "1栋", "doors": [estate["door_1"].pk, estate["gate"].pk]},
    )
    group = DoorGroup.objects.get(name="1栋")
    response = admin_client.post(
        reverse("console:access_rule_new"),
        {
            "group": group.pk,
            "subject": "building",
            "building": estate["building_1"].pk,
            "weekdays": ["1", "2", "3", "4", "5"],
            "starts_at": "07:00",
            "ends_at": "22:00",
        },
    )

    assert response.status_code == 302
    rule = AccessRule.objects.get()
    assert (rule.group, rule.building, rule.weekdays) == (group, estate["building_1"], "12345")
    assert set(group.doors.all()) == {estate["door_1"], estate["gate"]}
    assert admin_client.get(reverse("console:access_rules")).content.count(b"07:00") == 1


def test_console_household_credential_issue_and_revoke(admin_client, estate):
    household = estate["household"]
    url = reverse("console:access_household_issue", kwargs={"household_pk": household.pk})

    admin_client.post(url, {"holder": estate["person"].pk, "kind": "card", "value": "A00001234"})
    credential = Credential.objects.get()
    page = admin_client.get(reverse("console:access_household", kwargs={"household_pk": household.pk}))
    admin_client.post(
        reverse("console:access_credential_revoke", kwargs={"credential_pk": credential.pk}),
        {"reason": "丢失"},
    )

    assert credential.person == estate["person"]
    assert b"A0***1234" in page.content and b"A00001234" not in page.content
    credential.refresh_from_db()
    assert credential.revoked_at is not None and credential.revoked_reason == "丢失"


def test_console_household_search_by_room_label(admin_client, estate):
    room = estate["household"].room_links.get().room
    label = f"{room.building.name}-{room.unit.name}-{room.number}"

    response = admin_client.get(reverse("console:access_credentials"), {"q": label})

    assert (
        reverse("console:access_household", kwargs={"household_pk": estate["household"].pk})
        in response.content.decode()
    )


def test_console_passes_list_masks_the_visitors_phone(admin_client, estate):
    VisitorPassFactory(household=estate["household"], visitor_phone="13800001111")

    response = admin_client.get(reverse("console:access_passes"))

    assert b"138****1111" in response.content and b"13800001111" not in response.content


def test_console_events_filtered_by_door_and_date_and_paginated(admin_client, estate):
    token = VisitorPassFactory(household=estate["household"], max_uses=10).token
    now = timezone.now()
    for number in range(60):
        door = estate["gate"] if number % 2 else estate["door_1"]
        door_event_record(door=door, presented=Presented(f"e{number}", "pass", token), at=now)
    door_event_record(
        door=estate["gate"], presented=Presented("old", "card", "nobody"), at=now - datetime.timedelta(days=3)
    )
    url = reverse("console:access_events")

    everything = admin_client.get(url)
    gate_today = admin_client.get(
        url, {"door": estate["gate"].pk, "date_from": timezone.localdate().isoformat()}
    )
    second_page = admin_client.get(url, {"page": 2})

    assert everything.context["page"].paginator.count == 61
    assert len(everything.context["page"].object_list) == 50
    assert len(second_page.context["page"].object_list) == 11
    assert gate_today.context["page"].paginator.count == 30
    assert {event.door_id for event in gate_today.context["page"].object_list} == {estate["gate"].pk}


def test_console_events_of_another_community_not_listed(admin_client, estate, foreign):
    door_event_record(door=foreign["door"], presented=Presented("e1", "card", "x"), at=timezone.now())

    response = admin_client.get(reverse("console:access_events"), {"door": foreign["door"].pk})

    assert DoorEvent.objects.count() == 1
    assert response.context["page"].paginator.count == 0


def _state():
    return (
        AuditLog.objects.count(),
        list(Credential.objects.values_list("revoked_at", flat=True)),
        list(VisitorPass.objects.values_list("revoked_at", flat=True)),
        AccessRule.objects.count(),
        list(Door.objects.values_list("name", flat=True)),
    )


def test_console_objects_of_another_community_answer_404_and_change_nothing(admin_client, estate, foreign):
    urls = [
        reverse("console:access_door_edit", kwargs={"door_pk": foreign["door"].pk}),
        reverse("console:access_group_edit", kwargs={"doorgroup_pk": foreign["group"].pk}),
        reverse("console:access_household", kwargs={"household_pk": foreign["household"].pk}),
        reverse("console:access_household_issue", kwargs={"household_pk": foreign["household"].pk}),
        reverse("console:access_credential_revoke", kwargs={"credential_pk": foreign["credential"].pk}),
        reverse("console:access_pass_revoke", kwargs={"visitorpass_pk": foreign["pass"].pk}),
    ]
    before = _state()

    for url in urls:
        assert admin_client.get(url).status_code in (404, 405), url
        assert (
            admin_client.post(url, {"name": "x", "kind": "card", "value": "1", "holder": 1}).status_code
            == 404
        ), url

    assert _state() == before


def test_console_access_view_without_manage_cannot_change(client, estate):
    """A role granted only ACCESS_VIEW? None is, by default; a technician has neither: 404 on a change."""
    credential = CredentialFactory(person=estate["person"])
    client.force_login(staff(estate["community"], Role.TECHNICIAN))

    response = client.post(
        reverse("console:access_credential_revoke", kwargs={"credential_pk": credential.pk})
    )

    assert response.status_code == 404
    credential.refresh_from_db()
    assert credential.revoked_at is None
