import pytest

from tests.factories import HouseholdRoomFactory, PersonFactory, staff
from tests.owners.factories import HouseholdBindingFactory, OwnerAccountFactory
from wuye.core.models import AuditLog
from wuye.notifications.models import Message
from wuye.owners.domain.bindings import (
    MISMATCHES_PER_DAY,
    BindingError,
    binding_invite,
    binding_remove,
    binding_request_approve,
    binding_request_reject,
    binding_request_submit,
    binding_request_withdraw,
)
from wuye.owners.models import BindingRequest, HouseholdBinding, OwnerAccount

pytestmark = pytest.mark.django_db


@pytest.fixture
def archive(community):
    """A household in room 1栋-1单元-101 with 王小明 (phone …5678, ID …123X)."""
    link = HouseholdRoomFactory(
        household__community=community,
        room__number="101",
        room__unit__name="1单元",
        room__unit__building__name="1栋",
    )
    person = PersonFactory(
        household=link.household, name="王小明", phone="13912345678", id_number="11010519900101123X"
    )
    return {"household": link.household, "room": link.room, "person": person}


def counts():
    return (
        HouseholdBinding.objects.count(),
        BindingRequest.objects.count(),
        OwnerAccount.objects.count(),
        Message.objects.count(),
    )


def submit(account, community, **overrides):
    values = {"building": "1栋", "unit": "1单元", "number": "101", "name": "王小明", "last_four": "5678"}
    values.update(overrides)
    return binding_request_submit(account=account, community=community, **values)


def test_binding_invite_binds_the_persons_phone_and_tells_them(archive):
    clerk = staff(archive["household"].community)

    binding = binding_invite(person=archive["person"], actor=clerk)

    assert (binding.account.phone, binding.household, binding.person, binding.source) == (
        "13912345678",
        archive["household"],
        archive["person"],
        "invitation",
    )
    assert binding.approved_by == clerk
    actions = list(
        AuditLog.objects.filter(household_id=archive["household"].pk).values_list("action", flat=True)
    )
    assert sorted(actions) == ["owners.binding.created", "owners.binding.invited"]
    message = Message.objects.get()
    assert (message.event, message.address) == ("owners.binding.invited", "13912345678")


def test_binding_invite_twice_changes_nothing(archive):
    binding_invite(person=archive["person"], actor=None)
    before, logs = counts(), AuditLog.objects.count()

    binding_invite(person=archive["person"], actor=None)

    assert (counts(), AuditLog.objects.count()) == (before, logs)


def test_binding_invite_refuses_a_person_without_a_mobile(archive):
    person = PersonFactory(household=archive["household"], phone="010-12345678")

    with pytest.raises(BindingError):
        binding_invite(person=person, actor=None)

    assert counts() == (0, 0, 0, 0)


def test_binding_invite_approves_a_pending_request_of_the_same_account(archive):
    account = OwnerAccountFactory(phone="13912345678")
    request = submit(account, archive["household"].community)

    binding_invite(person=archive["person"], actor=None)

    request.refresh_from_db()
    assert request.state == "approved"
    assert HouseholdBinding.objects.count() == 1


@pytest.mark.parametrize(
    "overrides",
    [{}, {"last_four": "123x"}, {"building": "1", "unit": "1"}, {"name": " 王小明 "}],
    ids=["phone", "id-number", "short-names", "spaces"],
)
def test_binding_request_submit_matches_the_archive(archive, overrides):
    account = OwnerAccountFactory()

    request = submit(account, archive["household"].community, **overrides)

    assert (request.state, request.household, request.person, request.room) == (
        "pending",
        archive["household"],
        archive["person"],
        archive["room"],
    )
    log = AuditLog.objects.get(action="owners.bindingrequest.submitted")
    assert log.household_id == archive["household"].pk
    assert HouseholdBinding.objects.count() == 0


@pytest.mark.parametrize(
    "overrides",
    [{"number": "102"}, {"name": "王大明"}, {"last_four": "0000"}, {"unit": "2单元"}],
    ids=["room", "name", "digits", "unit"],
)
def test_binding_request_submit_refuses_a_mismatch_without_saying_why(archive, overrides):
    account = OwnerAccountFactory()

    with pytest.raises(BindingError, match="do not match the archive"):
        submit(account, archive["household"].community, **overrides)

    assert BindingRequest.objects.count() == 0
    assert AuditLog.objects.filter(action="owners.bindingrequest.mismatch", object_pk=account.pk).count() == 1


def test_binding_request_submit_refuses_another_communitys_room(archive, community):
    from tests.factories import CommunityFactory

    with pytest.raises(BindingError):
        submit(OwnerAccountFactory(), CommunityFactory())
    assert BindingRequest.objects.count() == 0


def test_binding_request_submit_stops_after_too_many_mismatches(archive):
    account = OwnerAccountFactory()
    community = archive["household"].community
    for _ in range(MISMATCHES_PER_DAY):
        with pytest.raises(BindingError):
            submit(account, community, last_four="0000")

    with pytest.raises(BindingError, match="Too many attempts"):
        submit(account, community)

    assert BindingRequest.objects.count() == 0


def test_binding_request_submit_refuses_a_second_pending_request(archive):
    account = OwnerAccountFactory()
    submit(account, archive["household"].community)

    with pytest.raises(BindingError, match="already waiting"):
        submit(account, archive["household"].community)

    assert BindingRequest.objects.count() == 1


def test_binding_request_submit_refuses_when_already_bound(archive):
    binding = HouseholdBindingFactory(person=archive["person"])

    with pytest.raises(BindingError, match="already linked"):
        submit(binding.account, archive["household"].community)

    assert BindingRequest.objects.count() == 0


def test_binding_request_approve_binds_and_tells_the_owner(archive):
    account = OwnerAccountFactory(language="en")
    request = submit(account, archive["household"].community)
    clerk = staff(archive["household"].community)

    binding_request_approve(request=request, actor=clerk)

    request.refresh_from_db()
    assert (request.state, request.decided_by) == ("approved", clerk)
    assert request.decided_at is not None
    binding = HouseholdBinding.objects.get()
    assert (binding.account, binding.household, binding.person, binding.source, binding.approved_by) == (
        account,
        archive["household"],
        archive["person"],
        "request",
        clerk,
    )
    message = Message.objects.get(event="owners.binding.decided")
    assert message.address == account.phone
    assert message.subject == "Your request for 1栋-1单元-101: Approved"
    actions = set(
        AuditLog.objects.filter(household_id=archive["household"].pk).values_list("action", flat=True)
    )
    assert {"owners.bindingrequest.approved", "owners.binding.created"} <= actions


def test_binding_request_reject_keeps_the_reason_and_binds_nothing(archive):
    request = submit(OwnerAccountFactory(), archive["household"].community)

    binding_request_reject(request=request, actor=None, reason="不是业主本人")

    request.refresh_from_db()
    assert (request.state, request.reason) == ("rejected", "不是业主本人")
    assert HouseholdBinding.objects.count() == 0
    assert "不是业主本人" in Message.objects.get(event="owners.binding.decided").body


@pytest.mark.parametrize("decide", [binding_request_approve, binding_request_reject])
def test_a_decided_request_cannot_be_decided_again(archive, decide):
    request = submit(OwnerAccountFactory(), archive["household"].community)
    binding_request_withdraw(request=request)
    before, logs = counts(), AuditLog.objects.count()

    with pytest.raises(BindingError, match="cannot be changed"):
        decide(request=request, actor=None)

    request.refresh_from_db()
    assert request.state == "withdrawn"
    assert (counts(), AuditLog.objects.count()) == (before, logs)


def test_binding_remove_unbinds_and_logs(archive):
    binding = binding_invite(person=archive["person"], actor=None)

    binding_remove(binding=binding, actor=None)

    assert HouseholdBinding.objects.count() == 0
    log = AuditLog.objects.get(action="owners.binding.removed")
    assert (log.household_id, log.changes["owner"]) == (archive["household"].pk, "139****5678")
