import pytest
from django.urls import reverse

from tests.factories import HouseholdRoomFactory, PersonFactory
from tests.owners.factories import HouseholdBindingFactory, OwnerAccountFactory
from tests.portal.conftest import log_in
from wuye.households.models import Vehicle
from wuye.owners.models import BindingRequest, OwnerAccount
from wuye.portal.auth import SESSION_HOUSEHOLD

pytestmark = pytest.mark.django_db


def test_home_shows_the_household_its_people_and_vehicles(owner_client, owner):
    household = owner.household
    Vehicle.objects.create(community=household.community, household=household, plate="粤B12345")

    html = owner_client.get(reverse("portal:home")).content.decode()

    assert household.name in html
    assert "王小明" in html
    assert "139****5678" in html
    assert "13912345678" not in html
    assert "粤B12345" in html
    assert str(household.room_links.get().room) in html
    assert 'id="bills-due"' not in html  # nothing due until billing implements the hook


def test_home_renders_a_registered_portal_section(owner_client, owner):
    from wuye.owners.sections import PORTAL_SECTIONS, PortalSection, register_portal_section

    previous = PORTAL_SECTIONS["bills"]
    register_portal_section(
        PortalSection(
            key="bills",
            template="portal/sections/bills.html",
            context=lambda h, a: {"bills": ["账单 120.00"]},
        )
    )
    try:
        html = owner_client.get(reverse("portal:home")).content.decode()
    finally:
        register_portal_section(previous)

    assert 'id="bills-due"' in html
    assert "账单 120.00" in html


def test_household_switch_changes_the_household_shown(owner_client, owner):
    second = HouseholdBindingFactory(
        account=owner.account,
        person=PersonFactory(household=HouseholdRoomFactory(household__community=owner.community).household),
    )

    response = owner_client.post(reverse("portal:household_switch"), {"household": second.household_id})

    assert response.status_code == 302
    assert owner_client.session[SESSION_HOUSEHOLD] == second.household_id
    assert second.household.name in owner_client.get(reverse("portal:home")).content.decode()
    assert owner_client.get(reverse("portal:households")).content.decode().count('name="household"') == 2


def test_household_switch_to_a_household_not_bound_answers_404(owner_client, owner):
    stranger = HouseholdRoomFactory(household__community=owner.community).household

    response = owner_client.post(reverse("portal:household_switch"), {"household": stranger.pk})

    assert response.status_code == 404
    assert owner_client.session[SESSION_HOUSEHOLD] == owner.household_id


def test_household_switch_lands_on_the_first_household_when_a_binding_is_removed(owner_client, owner):
    second = HouseholdBindingFactory(account=owner.account, person=PersonFactory())
    owner_client.post(reverse("portal:household_switch"), {"household": second.household_id})
    second.delete()

    html = owner_client.get(reverse("portal:home")).content.decode()

    assert owner.household.name in html
    assert owner_client.session[SESSION_HOUSEHOLD] == owner.household_id


def _room_fields(link):
    room = link.room
    return {"building": room.building.name, "unit": room.unit.name, "number": room.number}


def test_bind_request_from_the_portal(client):
    link = HouseholdRoomFactory()
    PersonFactory(household=link.household, name="李雷", phone="13811112222")
    account = OwnerAccountFactory(phone="13700000000")
    log_in(client, account)

    response = client.post(
        reverse("portal:bind"),
        {"community": link.community.pk, **_room_fields(link), "name": "李雷", "last_four": "2222"},
    )

    assert response.status_code == 302
    request = BindingRequest.objects.get()
    assert (request.account, request.household, request.state) == (account, link.household, "pending")
    assert str(link.room) in client.get(reverse("portal:bind")).content.decode()


def test_bind_request_that_does_not_match_shows_an_error(client):
    link = HouseholdRoomFactory()
    PersonFactory(household=link.household, name="李雷", phone="13811112222")
    log_in(client, OwnerAccountFactory())

    response = client.post(
        reverse("portal:bind"),
        {"community": link.community.pk, **_room_fields(link), "name": "李雷", "last_four": "9999"},
    )

    assert response.status_code == 200
    assert "error" in response.content.decode()
    assert BindingRequest.objects.count() == 0


def test_bind_request_withdraw(client):
    link = HouseholdRoomFactory()
    person = PersonFactory(household=link.household, name="李雷", phone="13811112222")
    account = OwnerAccountFactory()
    request = BindingRequest.objects.create(
        community=link.community,
        account=account,
        household=link.household,
        person=person,
        room=link.room,
        name="李雷",
    )
    log_in(client, account)

    client.post(reverse("portal:bind_withdraw", args=[request.pk]))

    request.refresh_from_db()
    assert request.state == "withdrawn"


def test_profile_update(owner_client, owner):
    response = owner_client.post(
        reverse("portal:profile"), {"form": "profile", "display_name": "小王", "language": "en", "email": ""}
    )

    assert response.status_code == 302
    account = OwnerAccount.objects.get(pk=owner.account.pk)
    assert (account.display_name, account.language) == ("小王", "en")


def test_profile_refuses_a_bad_email(owner_client, owner):
    response = owner_client.post(
        reverse("portal:profile"), {"form": "profile", "display_name": "", "language": "en", "email": "nope"}
    )

    assert response.status_code == 200
    assert OwnerAccount.objects.get(pk=owner.account.pk).language == "zh-hans"


def test_phone_change_with_a_code_to_the_new_number(owner_client, owner, sms):
    with sms.delivered():
        owner_client.post(reverse("portal:phone_change"), {"phone": "13700000000"})
    code = sms.code("13700000000")

    owner_client.post(reverse("portal:phone_change_verify"), {"code": code})

    assert OwnerAccount.objects.get(pk=owner.account.pk).phone == "13700000000"
    assert owner.household.people.get().phone == "13700000000"


def test_phone_change_with_a_wrong_code_changes_nothing(owner_client, owner, sms):
    with sms.delivered():
        owner_client.post(reverse("portal:phone_change"), {"phone": "13700000000"})
    code = sms.code("13700000000")
    wrong = "000000" if code != "000000" else "111111"

    response = owner_client.post(reverse("portal:phone_change_verify"), {"code": wrong}, follow=True)

    assert "msg-error" in response.content.decode()
    assert OwnerAccount.objects.get(pk=owner.account.pk).phone == "13912345678"


def test_message_settings_turn_notices_off_by_sms(owner_client, owner):
    from wuye.notifications.models import NotificationPreference

    page = owner_client.get(reverse("portal:message_settings")).content.decode()
    response = owner_client.post(reverse("portal:message_settings"), {"service.request.changed:sms": "on"})

    assert 'name="notices.notice.published:sms"' in page
    assert response.status_code == 302
    stored = NotificationPreference.objects.filter(
        event__in=["notices.notice.published", "service.request.changed"]
    )
    assert list(stored.values_list("person", "event", "channel", "enabled")) == [
        (owner.person.pk, "notices.notice.published", "sms", False)
    ]
