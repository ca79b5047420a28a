"""The owners pages of the console: household section, invitations, requests, accounts, outbox."""

import pytest
from django.urls import reverse

from tests.factories import HouseholdRoomFactory, PersonFactory, staff
from tests.owners.factories import HouseholdBindingFactory, OwnerAccountFactory
from wuye.core.enums import Role
from wuye.notifications.domain.outbox import notify_phone
from wuye.notifications.models import Message
from wuye.owners.domain.login import login_code_send
from wuye.owners.models import BindingRequest, HouseholdBinding, OwnerAccount

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk_client(client, community):
    client.force_login(staff(community, Role.FRONT_DESK))
    return client


def test_household_page_shows_bindings_and_invite_buttons(clerk_client, household):
    binding = HouseholdBindingFactory(person=PersonFactory(household=household, phone="13700000001"))

    response = clerk_client.get(reverse("console:household", args=[household.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="owner-portal"' in html
    assert binding.account.phone_masked in html
    assert reverse("console:owner_invite", args=[household.people.first().pk]) in html


def test_household_page_hides_the_section_without_the_permission(client, household):
    client.force_login(staff(household.community, Role.CASHIER))

    response = client.get(reverse("console:household", args=[household.pk]))

    assert response.status_code == 200
    assert 'id="owner-portal"' not in response.content.decode()


def test_owner_invite_binds_the_person_and_returns_to_the_household(clerk_client, household):
    person = household.people.get()

    response = clerk_client.post(
        reverse("console:owner_invite", args=[person.pk]), {"next": f"/console/households/{household.pk}/"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"/console/households/{household.pk}/"
    binding = HouseholdBinding.objects.get()
    assert (binding.account.phone, binding.household, binding.person) == ("13912345678", household, person)


def test_owner_invite_is_refused_to_a_cashier(client, household):
    client.force_login(staff(household.community, Role.CASHIER))

    response = client.post(reverse("console:owner_invite", args=[household.people.get().pk]))

    assert response.status_code == 404
    assert HouseholdBinding.objects.count() == 0


def test_binding_delete_unlinks(clerk_client, household):
    binding = HouseholdBindingFactory(person=household.people.get())

    response = clerk_client.post(reverse("console:binding_delete", args=[binding.pk]))

    assert response.status_code == 302
    assert HouseholdBinding.objects.count() == 0


def _pending(household):
    person = household.people.get()
    return BindingRequest.objects.create(
        community=household.community,
        account=OwnerAccountFactory(),
        household=household,
        person=person,
        room=household.room_links.get().room,
        name=person.name,
    )


def test_binding_requests_page_lists_pending_requests(clerk_client, household):
    request = _pending(household)

    response = clerk_client.get(reverse("console:binding_requests"))

    html = response.content.decode()
    assert response.status_code == 200
    assert reverse("console:binding_request_approve", args=[request.pk]) in html
    assert str(request.room) in html


def test_binding_request_approve_from_the_console(clerk_client, household):
    request = _pending(household)

    response = clerk_client.post(reverse("console:binding_request_approve", args=[request.pk]))

    assert response.status_code == 302
    request.refresh_from_db()
    assert request.state == "approved"
    assert HouseholdBinding.objects.filter(account=request.account, household=household).count() == 1


def test_binding_request_reject_from_the_console(clerk_client, household):
    request = _pending(household)

    clerk_client.post(reverse("console:binding_request_reject", args=[request.pk]), {"reason": "资料不符"})

    request.refresh_from_db()
    assert (request.state, request.reason) == ("rejected", "资料不符")
    assert HouseholdBinding.objects.count() == 0


def test_binding_request_decided_twice_shows_an_error(clerk_client, household):
    request = _pending(household)
    clerk_client.post(reverse("console:binding_request_reject", args=[request.pk]))

    response = clerk_client.post(reverse("console:binding_request_approve", args=[request.pk]), follow=True)

    assert "msg-error" in response.content.decode()
    request.refresh_from_db()
    assert request.state == "rejected"
    assert HouseholdBinding.objects.count() == 0


def test_owner_accounts_lists_accounts_bound_here_only(clerk_client, household):
    here = HouseholdBindingFactory(person=household.people.get())
    elsewhere = HouseholdBindingFactory(person__phone="13700009999")

    response = clerk_client.get(reverse("console:owner_accounts"))

    html = response.content.decode()
    assert here.account.phone_masked in html
    assert elsewhere.account.phone_masked not in html
    assert clerk_client.get(reverse("console:owner_account", args=[here.account.pk])).status_code == 200
    assert clerk_client.get(reverse("console:owner_account", args=[elsewhere.account.pk])).status_code == 404


def test_owner_account_disable(clerk_client, household):
    account = HouseholdBindingFactory(person=household.people.get()).account

    clerk_client.post(reverse("console:owner_account_active", args=[account.pk]), {"active": "0"})

    account.refresh_from_db()
    assert account.is_active is False


def test_outbox_filters_by_state_channel_and_event(clerk_client, household):
    login_code_send(phone="13912345678")
    Message.objects.create(
        community=household.community,
        channel="email",
        address="a@example.com",
        event="x",
        body="hello",
        state="failed",
    )

    everything = clerk_client.get(reverse("console:outbox")).content.decode()
    failed = clerk_client.get(reverse("console:outbox"), {"state": "failed"}).content.decode()
    sms = clerk_client.get(
        reverse("console:outbox"), {"channel": "sms", "event": "owners.login.code"}
    ).content.decode()

    assert everything.count("<tr>") == 3  # header and two messages
    assert failed.count("<tr>") == 2
    assert "a***@example.com" in failed
    assert sms.count("<tr>") == 2
    assert "139****5678" in sms


def test_sms_outbox_masks_the_login_code(clerk_client, household, sms):
    """Front-desk staff could read an owner's code here and log in as the owner."""
    with sms.delivered():
        login_code_send(phone="13912345678")
    code = sms.code("13912345678")

    html = clerk_client.get(reverse("console:sms_outbox")).content.decode()
    everything = clerk_client.get(reverse("console:outbox")).content.decode()

    assert code not in html
    assert code not in everything
    assert "您的业主端验证码为 ******，5 分钟内有效。" in html


def test_sms_outbox_shows_nothing_of_another_community(clerk_client, household):
    other = HouseholdRoomFactory()
    notify_phone(
        community=other.household.community,
        phone="13700000000",
        event="owners.login.code",
        context={"code": "424242", "minutes": 5},
    )

    response = clerk_client.get(reverse("console:sms_outbox"))

    assert "137****0000" not in response.content.decode()


def test_message_retry_queues_a_failed_message(clerk_client, household, django_capture_on_commit_callbacks):
    message = Message.objects.create(
        community=household.community,
        channel="sms",
        address="13912345678",
        event="x",
        body="hi",
        state="failed",
        attempts=5,
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = clerk_client.post(reverse("console:message_retry", args=[message.pk]))

    assert response.status_code == 302
    message.refresh_from_db()
    assert (message.state, message.attempts) == ("sent", 1)


def test_owner_pages_are_in_the_sidebar(clerk_client):
    html = clerk_client.get(reverse("console:outbox")).content.decode()

    for name in (
        "console:owner_accounts",
        "console:binding_requests",
        "console:outbox",
        "console:sms_outbox",
    ):
        assert f'href="{reverse(name)}"' in html
    assert OwnerAccount.objects.count() == 0


def test_household_page_offers_no_invitation_to_a_phone_already_bound(clerk_client, household):
    person = household.people.get()
    HouseholdBindingFactory(person=person)
    landline = PersonFactory(household=household, phone="010-12345678")

    html = clerk_client.get(reverse("console:household", args=[household.pk])).content.decode()

    assert reverse("console:owner_invite", args=[person.pk]) not in html
    assert reverse("console:owner_invite", args=[landline.pk]) not in html
