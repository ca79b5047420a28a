"""New-bill notifications: one message per billed household after a run, exactly once."""

import datetime
from decimal import Decimal

import pytest

from tests.billing.factories import FeeAssignmentFactory, FeeItemFactory
from tests.factories import HouseholdRoomFactory, PersonFactory
from tests.owners.factories import HouseholdBindingFactory
from tests.payments.factories import prepay
from wuye.billing.domain import runs
from wuye.billing.domain.bill_notices import BILL_ISSUED, NOTIFIED, run_owners_notify
from wuye.core.models import AuditLog
from wuye.notifications.models import Message, NotificationPreference

MAY = datetime.date(2026, 5, 1)


@pytest.fixture
def fee(community):
    return FeeItemFactory(community=community, method="fixed", price=Decimal("120.00"))


def billed_household(community, fee, *, phone, bound=True, language="en"):
    link = HouseholdRoomFactory(household__community=community)
    FeeAssignmentFactory(fee_item=fee, room=link.room, starts_on=datetime.date(2024, 1, 1))
    person = PersonFactory(household=link.household, phone=phone)
    if bound:
        HouseholdBindingFactory(person=person, account__language=language)
    return link.household, person


def issue(community, actor, period=MAY, capture=None):
    run = runs.run_preview(community=community, period=period, actor=actor)
    if capture is None:
        return runs.run_issue(run=run, actor=actor)
    with capture(execute=True):
        return runs.run_issue(run=run, actor=actor)


def test_run_notifies_each_bound_household_once_with_its_total(
    community, fee, admin_user, django_capture_on_commit_callbacks
):
    household, person = billed_household(community, fee, phone="13900000001")
    billed_household(community, fee, phone="13900000002", bound=False)

    run = issue(community, admin_user, capture=django_capture_on_commit_callbacks)

    message = Message.objects.get(event=BILL_ISSUED)
    assert (message.person, message.channel, message.address, message.language) == (
        person,
        "sms",
        "13900000001",
        "en",
    )
    assert message.subject == "Your bill for 2026-05"
    assert message.body == (
        f"{community.name}: the bill of {household.name} for 2026-05 is out, 120.00 yuan in all;"
        " 120.00 yuan is due by 2026-05-15. See and pay it in the owner portal."
    )
    mark = AuditLog.objects.get(action=NOTIFIED)
    assert (mark.object_pk, mark.changes) == (run.pk, {"period": "2026-05", "households": 1, "messages": 1})


def test_due_amount_is_after_prepayment(community, fee, admin_user, django_capture_on_commit_callbacks):
    household, _person = billed_household(community, fee, phone="13900000001")
    prepay(household, 5000)

    issue(community, admin_user, capture=django_capture_on_commit_callbacks)

    body = Message.objects.get(event=BILL_ISSUED).body
    assert "120.00 yuan in all; 70.00 yuan is due by 2026-05-15" in body


def test_running_the_job_again_notifies_nobody_twice(
    community, fee, admin_user, django_capture_on_commit_callbacks
):
    billed_household(community, fee, phone="13900000001")
    billed_household(community, fee, phone="13900000002")
    run = issue(community, admin_user, capture=django_capture_on_commit_callbacks)
    assert Message.objects.filter(event=BILL_ISSUED).count() == 2

    assert run_owners_notify(run_pk=run.pk) == 0
    assert run_owners_notify(run_pk=run.pk) == 0

    assert Message.objects.filter(event=BILL_ISSUED).count() == 2
    assert AuditLog.objects.filter(action=NOTIFIED).count() == 1


def test_interrupted_run_issued_again_notifies_once(
    community, fee, admin_user, django_capture_on_commit_callbacks
):
    billed_household(community, fee, phone="13900000001")
    run = runs.run_preview(community=community, period=MAY, actor=admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        runs.run_issue(run=run, actor=admin_user)
    # As if the run had stopped before its end was recorded, and staff issued it again.
    type(run).objects.filter(pk=run.pk).update(state="issuing")
    with django_capture_on_commit_callbacks(execute=True):
        runs.run_issue(run=run, actor=admin_user)

    assert Message.objects.filter(event=BILL_ISSUED).count() == 1


def test_second_run_of_the_month_notifies_only_households_it_billed(
    community, fee, admin_user, django_capture_on_commit_callbacks
):
    billed_household(community, fee, phone="13900000001")
    issue(community, admin_user, capture=django_capture_on_commit_callbacks)
    billed_household(community, fee, phone="13900000002")

    issue(community, admin_user, capture=django_capture_on_commit_callbacks)

    assert sorted(Message.objects.filter(event=BILL_ISSUED).values_list("address", flat=True)) == [
        "13900000001",
        "13900000002",
    ]
    assert AuditLog.objects.filter(action=NOTIFIED).count() == 2


def test_opted_out_person_gets_no_bill_message(
    community, fee, admin_user, django_capture_on_commit_callbacks
):
    _household, person = billed_household(community, fee, phone="13900000001")
    NotificationPreference.objects.create(
        community=community, person=person, event=BILL_ISSUED, channel="sms", enabled=False
    )

    issue(community, admin_user, capture=django_capture_on_commit_callbacks)

    assert Message.objects.filter(event=BILL_ISSUED).count() == 0
    assert AuditLog.objects.get(action=NOTIFIED).changes["households"] == 1


def test_void_run_notifies_nobody(community, fee, admin_user):
    billed_household(community, fee, phone="13900000001")
    run = issue(community, admin_user)  # inside the test's transaction: the job waits for a commit
    runs.run_void(run=run, reason="价格错了", actor=admin_user)

    assert run_owners_notify(run_pk=run.pk) == 0
    assert Message.objects.filter(event=BILL_ISSUED).count() == 0
    assert AuditLog.objects.filter(action=NOTIFIED).count() == 0


def test_message_in_chinese_for_a_chinese_account(
    community, fee, admin_user, django_capture_on_commit_callbacks
):
    billed_household(community, fee, phone="13900000001", language="zh-hans")
    issue(community, admin_user, capture=django_capture_on_commit_callbacks)
    assert Message.objects.get(event=BILL_ISSUED).language == "zh-hans"


def test_households_are_notified_in_batches_each_once(
    community, fee, admin_user, django_capture_on_commit_callbacks, monkeypatch
):
    from wuye.billing.domain import bill_notices

    monkeypatch.setattr(bill_notices, "BATCH", 2)
    people = [billed_household(community, fee, phone=f"1390000000{n}")[1] for n in range(5)]
    billed_household(community, fee, phone="13900000009", bound=False)

    issue(community, admin_user, capture=django_capture_on_commit_callbacks)

    assert sorted(Message.objects.filter(event=BILL_ISSUED).values_list("person_id", flat=True)) == sorted(
        person.pk for person in people
    )
    assert AuditLog.objects.get(action=NOTIFIED).changes["households"] == 5
