"""Counter prepayments: one ledger transaction and one receipt each, applied to open bills oldest first."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.db.models import Sum

from tests.billing.factories import FeeAssignmentFactory, FeeItemFactory
from tests.factories import HouseholdRoomFactory, staff
from tests.payments.factories import issue_bill, prepay
from wuye.billing.domain import runs
from wuye.billing.models import Bill, BillLine
from wuye.billing.signals import bills_issued
from wuye.core.enums import Role
from wuye.core.models import AuditLog
from wuye.ledger.models import LedgerTransaction, Posting
from wuye.payments.domain.prepayments import (
    PrepaymentError,
    households_with_prepayment,
    prepayment_balance_fen,
    prepayment_record,
    prepayments_apply,
)
from wuye.payments.models import Allocation, Receipt

JAN, FEB, MAR = datetime.date(2026, 1, 1), datetime.date(2026, 2, 1), datetime.date(2026, 3, 1)


def postings(record):
    return sorted(record.postings.values_list("account", "household_id", "amount_fen"))


def test_prepayment_posts_cash_against_prepayment_and_issues_a_receipt(household):
    cashier = staff(household.community, Role.CASHIER)

    result = prepayment_record(
        household=household, amount_fen=50000, method="cash", key=uuid.uuid4().hex, note="半年", actor=cashier
    )

    receipt = result.receipt
    assert (result.created, result.applied_fen) == (True, 0)
    assert (receipt.number, receipt.amount_fen, receipt.kind, receipt.method) == (
        1,
        50000,
        "prepayment",
        "cash",
    )
    assert (receipt.issued_by, receipt.note, receipt.household) == (cashier, "半年", household)
    assert postings(receipt.transaction) == [("cash", None, 50000), ("prepayment", household.pk, -50000)]
    assert receipt.transaction.kind == "prepayment"
    assert prepayment_balance_fen(household=household) == 50000
    entry = AuditLog.objects.get(action="payments.prepayment.received")
    assert (entry.household_id, entry.actor, entry.object_pk) == (household.pk, cashier, receipt.pk)
    assert entry.changes == {"amount_yuan": "500.00", "payment_method": "cash", "receipt_number": "00000001"}


@pytest.mark.parametrize(("method", "account"), [("card", "clearing"), ("transfer", "clearing")])
def test_prepayment_by_card_or_transfer_goes_to_clearing(household, method, account):
    receipt = prepay(household, 8800, method=method)
    assert postings(receipt.transaction) == [(account, None, 8800), ("prepayment", household.pk, -8800)]


@pytest.mark.parametrize(
    ("amount_fen", "method", "key"),
    [
        (0, "cash", "k" * 32),
        (-100, "cash", "k" * 32),
        (100_000_001, "cash", "k" * 32),
        (100, "cheque", "k" * 32),
        (100, "cash", ""),
    ],
)
def test_refused_prepayment_changes_nothing(household, amount_fen, method, key):
    with pytest.raises(PrepaymentError):
        prepayment_record(household=household, amount_fen=amount_fen, method=method, key=key, actor=None)
    assert Receipt.objects.count() == 0
    assert LedgerTransaction.objects.count() == 0
    assert AuditLog.objects.filter(action__startswith="payments.").count() == 0


def test_same_key_twice_records_one_prepayment(household):
    key = uuid.uuid4().hex
    first = prepayment_record(household=household, amount_fen=10000, method="cash", key=key, actor=None)
    again = prepayment_record(household=household, amount_fen=10000, method="cash", key=key, actor=None)

    assert (first.created, again.created) == (True, False)
    assert again.receipt == first.receipt
    assert Receipt.objects.count() == 1
    assert LedgerTransaction.objects.filter(kind="prepayment").count() == 1
    assert prepayment_balance_fen(household=household) == 10000


def test_prepayment_is_applied_to_open_lines_oldest_first(household):
    march = issue_bill(household, MAR, [7000])
    january = issue_bill(household, JAN, [10000, 3000])
    february = issue_bill(household, FEB, [10000, 500])

    result = prepayment_record(household=household, amount_fen=15000, method="cash", key="a" * 32, actor=None)

    assert result.applied_fen == 15000
    paid = {
        (line.period, line.amount_fen): line.paid_fen for line in BillLine.objects.filter(household=household)
    }
    assert paid == {(JAN, 10000): 10000, (JAN, 3000): 3000, (FEB, 10000): 2000, (FEB, 500): 0, (MAR, 7000): 0}
    states = {bill.period: bill.state for bill in Bill.objects.filter(household=household)}
    assert states == {JAN: "paid", FEB: "partial", MAR: "open"}
    assert prepayment_balance_fen(household=household) == 0
    use = LedgerTransaction.objects.get(kind="prepayment_use")
    assert postings(use) == [("prepayment", household.pk, 15000), ("receivable", household.pk, -15000)]
    assert sorted(Allocation.objects.filter(transaction=use).values_list("line__period", "amount_fen")) == [
        (JAN, 3000),
        (JAN, 10000),
        (FEB, 2000),
    ]
    entry = AuditLog.objects.get(action="payments.prepayment.applied")
    assert (entry.household_id, entry.changes) == (household.pk, {"amount_yuan": "150.00", "bill_lines": 3})
    assert {march.pk, january.pk, february.pk} == set(Bill.objects.values_list("pk", flat=True))


def test_prepayment_larger_than_the_bills_leaves_a_balance(household):
    issue_bill(household, JAN, [12345])
    prepay(household, 20000)
    assert BillLine.objects.get().paid_fen == 12345
    assert Bill.objects.get().state == "paid"
    assert prepayment_balance_fen(household=household) == 7655


def test_apply_without_balance_or_open_lines_writes_nothing(household):
    issue_bill(household, JAN, [1000])
    assert prepayments_apply(household=household) == 0
    other = HouseholdRoomFactory(household__community=household.community).household
    prepay(other, 500)
    assert prepayments_apply(household=other) == 0
    assert LedgerTransaction.objects.filter(kind="prepayment_use").count() == 0
    assert Allocation.objects.count() == 0


def test_balance_is_applied_when_new_bills_are_issued(household):
    prepay(household, 5000)
    without = HouseholdRoomFactory(household__community=household.community).household
    issue_bill(household, JAN, [3000])
    issue_bill(without, JAN, [3000])

    bills_issued.send(
        sender=Bill, community_id=household.community_id, run_id=0, household_ids=[household.pk, without.pk]
    )

    assert BillLine.objects.get(household=household).paid_fen == 3000
    assert BillLine.objects.get(household=without).paid_fen == 0
    assert prepayment_balance_fen(household=household) == 2000


def test_households_without_balance_are_skipped_with_one_query(household, django_assert_num_queries):
    community = household.community
    holders = [HouseholdRoomFactory(household__community=community).household for _ in range(3)]
    prepay(holders[0], 100)
    prepay(holders[2], 100)
    prepay(holders[1], 100)
    prepayments_apply(household=holders[1])  # nothing to pay: the balance stays
    spent = HouseholdRoomFactory(household__community=community).household
    prepay(spent, 100)
    issue_bill(spent, JAN, [100])
    prepayments_apply(household=spent)
    many = [household.pk, spent.pk, *(h.pk for h in holders), *range(10**6, 10**6 + 600)]

    with django_assert_num_queries(1):
        found = households_with_prepayment(community_id=community.pk, household_ids=many)
    with django_assert_num_queries(1):
        few = households_with_prepayment(
            community_id=community.pk, household_ids=[household.pk, holders[2].pk]
        )

    assert found == sorted([holders[0].pk, holders[1].pk, holders[2].pk])
    assert few == [holders[2].pk]


def test_billing_run_applies_prepayments_after_commit(
    household, admin_user, django_capture_on_commit_callbacks
):
    room = household.room_links.get().room
    item = FeeItemFactory(community=household.community, method="fixed", price=Decimal("120.00"))
    FeeAssignmentFactory(fee_item=item, room=room, starts_on=datetime.date(2024, 1, 1))
    prepay(household, 30000)

    run = runs.run_preview(community=household.community, period=JAN, actor=admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        runs.run_issue(run=run, actor=admin_user)

    line = BillLine.objects.get(household=household)
    assert (line.amount_fen, line.paid_fen) == (12000, 12000)
    assert Bill.objects.get(household=household).state == "paid"
    assert prepayment_balance_fen(household=household) == 18000
    assert (
        Posting.objects.filter(account="receivable", household_id=household.pk).aggregate(
            total=Sum("amount_fen")
        )["total"]
        == 0
    )
