"""Payment-receipt notifications: sent once the money is committed, never for a rolled-back payment."""

import uuid

import pytest
from django.db import transaction

from tests.factories import PersonFactory
from tests.owners.factories import HouseholdBindingFactory
from wuye.notifications.models import Message, NotificationPreference
from wuye.payments.domain.prepayments import prepayment_record
from wuye.payments.domain.receipt_notices import RECEIPT_ISSUED, receipt_notify
from wuye.payments.models import Receipt


class PaymentFailedError(Exception):
    """Something after the receipt fails, and the payment's transaction rolls back."""


@pytest.fixture
def owner(household):
    person = household.people.get()
    HouseholdBindingFactory(person=person, account__language="en")
    return person


def take(household, amount_fen=50000, method="cash"):
    return prepayment_record(
        household=household, amount_fen=amount_fen, method=method, key=uuid.uuid4().hex, actor=None
    ).receipt


def pay_then_fail(household):
    with transaction.atomic():
        take(household)
        raise PaymentFailedError


def test_receipt_notifies_the_bound_owner_after_commit(household, owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        receipt = take(household, 123456)

    message = Message.objects.get(event=RECEIPT_ISSUED)
    assert (message.person, message.channel, message.address) == (owner, "sms", "13912345678")
    assert message.subject == "Receipt 00000001: 1,234.56 yuan"
    assert message.body == (
        f"{household.community.name} has received 1,234.56 yuan (Prepayment, Cash) for {household.name}."
        " Receipt number 00000001."
    )
    assert receipt.display_number == "00000001"


def test_nothing_is_sent_before_the_commit(household, owner):
    take(household)  # inside the test's transaction: the job waits for a commit that never comes
    assert Message.objects.filter(event=RECEIPT_ISSUED).count() == 0


def test_rolled_back_payment_sends_nothing(household, owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(PaymentFailedError):
        pay_then_fail(household)

    assert callbacks == []
    assert (Receipt.objects.count(), Message.objects.filter(event=RECEIPT_ISSUED).count()) == (0, 0)


def test_every_bound_person_gets_it_and_unbound_people_do_not(
    household, owner, django_capture_on_commit_callbacks
):
    spouse = PersonFactory(household=household, phone="13800000002")
    HouseholdBindingFactory(person=spouse)
    PersonFactory(household=household, phone="13800000003")  # in the archive, no owner account

    with django_capture_on_commit_callbacks(execute=True):
        take(household)

    assert sorted(Message.objects.filter(event=RECEIPT_ISSUED).values_list("address", flat=True)) == [
        "13800000002",
        "13912345678",
    ]


def test_household_nobody_is_bound_to_gets_no_message(household, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        receipt = take(household)
    assert Message.objects.filter(event=RECEIPT_ISSUED).count() == 0
    assert receipt_notify(receipt_pk=receipt.pk) == 0


def test_opted_out_owner_gets_no_receipt_message(household, owner, django_capture_on_commit_callbacks):
    NotificationPreference.objects.create(
        community=household.community, person=owner, event=RECEIPT_ISSUED, channel="sms", enabled=False
    )
    with django_capture_on_commit_callbacks(execute=True):
        take(household)
    assert Message.objects.filter(event=RECEIPT_ISSUED).count() == 0


def test_unknown_receipt_notifies_nobody(db):
    assert receipt_notify(receipt_pk=999999) == 0
