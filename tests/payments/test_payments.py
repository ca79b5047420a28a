"""Paying bills: orders, applying a success exactly once, counter payments with change, excess."""

import datetime

import pytest
from django.db.models import Sum

from tests.factories import staff
from tests.payments.factories import issue_bill, prepay
from wuye.billing.models import Bill, BillLine
from wuye.core.enums import Role
from wuye.core.models import AuditLog
from wuye.ledger.models import LedgerTransaction, Posting
from wuye.payments.domain.checks import ledger_check
from wuye.payments.domain.payments import (
    PaymentError,
    counter_payment_take,
    order_create,
    payment_apply,
)
from wuye.payments.domain.prepayments import prepayment_balance_fen
from wuye.payments.models import Allocation, OrderLine, PaymentAttempt, PaymentOrder, Receipt

JAN, FEB = datetime.date(2026, 1, 1), datetime.date(2026, 2, 1)


def postings(record):
    return sorted(record.postings.values_list("account", "household_id", "amount_fen"))


def online_attempt(order, method="wechat", channel="wechat_native"):
    return PaymentAttempt.objects.create(
        community_id=order.community_id,
        order=order,
        household_id=order.household_id,
        channel=channel,
        method=method,
        amount_fen=order.total_fen,
        state="pending",
    )


def paid(line_pk):
    return BillLine.objects.get(pk=line_pk).paid_fen


def test_order_takes_the_chosen_open_lines_at_what_they_owe(household):
    jan = issue_bill(household, JAN, [12345, 500])
    feb = issue_bill(household, FEB, [20000])
    chosen = [jan.lines.order_by("pk").first().pk, feb.lines.get().pk]

    order = order_create(household=household, line_ids=chosen)

    assert order.total_fen == 32345
    assert sorted(OrderLine.objects.filter(order=order).values_list("line_id", "amount_fen")) == sorted(
        zip(chosen, [12345, 20000], strict=True)
    )
    assert order_create(household=household).total_fen == 32845  # all by default


def test_order_refuses_lines_of_another_household_or_nothing_owed(household, community):
    from tests.factories import HouseholdRoomFactory

    other = HouseholdRoomFactory(household__community=community).household
    theirs = issue_bill(other, JAN, [100]).lines.get()
    with pytest.raises(PaymentError):
        order_create(household=household, line_ids=[theirs.pk])
    with pytest.raises(PaymentError):
        order_create(household=household)
    assert PaymentOrder.objects.count() == 0


def test_apply_allocates_oldest_first_posts_and_issues_a_receipt(household):
    jan = issue_bill(household, JAN, [12345])
    feb = issue_bill(household, FEB, [20000])
    order = order_create(household=household)
    attempt = online_attempt(order)

    result = payment_apply(attempt=attempt, amount_fen=32345, channel_trade_no="4200001")

    assert (result.applied, result.allocated_fen, result.excess_fen) == (True, 32345, 0)
    attempt.refresh_from_db()
    assert (attempt.state, attempt.channel_trade_no, attempt.excess_fen) == ("succeeded", "4200001", 0)
    assert postings(attempt.transaction) == [
        ("clearing_wechat", None, 32345),
        ("receivable", household.pk, -32345),
    ]
    assert (attempt.receipt.number, attempt.receipt.amount_fen, attempt.receipt.method) == (
        1,
        32345,
        "wechat",
    )
    assert [paid(jan.lines.get().pk), paid(feb.lines.get().pk)] == [12345, 20000]
    assert set(Bill.objects.values_list("state", flat=True)) == {"paid"}
    assert PaymentOrder.objects.get().state == "paid"
    assert AuditLog.objects.get(action="payments.payment.received").household_id == household.pk
    assert ledger_check(community=household.community) == []


def test_apply_twice_applies_once(household):
    issue_bill(household, JAN, [5000])
    attempt = online_attempt(order_create(household=household))
    payment_apply(attempt=attempt, amount_fen=5000)

    again = payment_apply(attempt=attempt, amount_fen=5000)

    assert again.applied is False
    assert LedgerTransaction.objects.filter(kind="payment").count() == 1
    assert Receipt.objects.count() == 1
    assert Allocation.objects.aggregate(t=Sum("amount_fen"))["t"] == 5000


def test_apply_with_a_different_amount_changes_nothing(household):
    issue_bill(household, JAN, [5000])
    attempt = online_attempt(order_create(household=household))
    with pytest.raises(PaymentError):
        payment_apply(attempt=attempt, amount_fen=4999)
    attempt.refresh_from_db()
    assert (attempt.state, attempt.transaction_id) == ("pending", None)
    assert LedgerTransaction.objects.filter(kind="payment").count() == 0


def test_a_line_paid_meanwhile_sends_the_money_to_prepayment(household):
    bill = issue_bill(household, JAN, [5000])
    attempt = online_attempt(order_create(household=household))
    counter = counter_payment_take(
        household=household,
        line_ids=[bill.lines.get().pk],
        method="cash",
        tendered_fen=5000,
        key="k1",
        actor=None,
    )
    assert counter.change_fen == 0

    result = payment_apply(attempt=attempt, amount_fen=5000)

    assert (result.allocated_fen, result.excess_fen) == (0, 5000)
    assert paid(bill.lines.get().pk) == 5000
    assert prepayment_balance_fen(household=household) == 5000
    assert postings(result.attempt.transaction) == [
        ("clearing_wechat", None, 5000),
        ("prepayment", household.pk, -5000),
    ]
    assert ledger_check(community=household.community) == []


def test_counter_cash_payment_gives_change_and_a_receipt(household):
    cashier = staff(household.community, Role.CASHIER)
    issue_bill(household, JAN, [12345, 655])
    lines = list(BillLine.objects.order_by("pk").values_list("pk", flat=True))

    result = counter_payment_take(
        household=household, line_ids=lines, method="cash", tendered_fen=20000, key="abc", actor=cashier
    )

    assert (result.created, result.change_fen, result.attempt.amount_fen) == (True, 7000, 13000)
    assert (result.attempt.state, result.attempt.channel, result.attempt.tendered_fen) == (
        "succeeded",
        "counter",
        20000,
    )
    assert postings(result.attempt.transaction) == [
        ("cash", None, 13000),
        ("receivable", household.pk, -13000),
    ]
    assert result.attempt.receipt.issued_by == cashier
    assert ledger_check(community=household.community) == []


def test_counter_payment_submitted_twice_records_once(household):
    issue_bill(household, JAN, [5000])
    line = BillLine.objects.get().pk
    first = counter_payment_take(household=household, line_ids=[line], method="card", key="same", actor=None)
    second = counter_payment_take(household=household, line_ids=[line], method="card", key="same", actor=None)
    assert (first.created, second.created, second.attempt.pk) == (True, False, first.attempt.pk)
    assert Receipt.objects.count() == 1
    assert postings(first.attempt.transaction) == [
        ("clearing", None, 5000),
        ("receivable", household.pk, -5000),
    ]


@pytest.mark.parametrize(
    ("method", "tendered", "key"),
    [
        ("cash", 4999, "k"),
        ("cash", None, "k"),
        ("cheque", None, "k"),
        ("card", None, ""),
        ("card", None, "x" * 25),
    ],
)
def test_refused_counter_payment_changes_nothing(household, method, tendered, key):
    issue_bill(household, JAN, [5000])
    with pytest.raises(PaymentError):
        counter_payment_take(
            household=household,
            line_ids=[BillLine.objects.get().pk],
            method=method,
            tendered_fen=tendered,
            key=key,
            actor=None,
        )
    assert (PaymentOrder.objects.count(), PaymentAttempt.objects.count(), Receipt.objects.count()) == (
        0,
        0,
        0,
    )
    assert LedgerTransaction.objects.filter(kind="payment").count() == 0
    assert BillLine.objects.get().paid_fen == 0


def test_prepayment_then_payment_keeps_the_books_checkable(household):
    issue_bill(household, JAN, [3000])
    prepay(household, 1000)  # pays 1,000 of January at once
    feb = issue_bill(household, FEB, [2000])
    attempt = online_attempt(order_create(household=household))
    assert attempt.amount_fen == 4000

    payment_apply(attempt=attempt, amount_fen=4000)

    assert paid(feb.lines.get().pk) == 2000
    assert BillLine.objects.aggregate(t=Sum("paid_fen"))["t"] == 5000
    assert ledger_check(community=household.community) == []
    assert Posting.objects.aggregate(t=Sum("amount_fen"))["t"] == 0


def test_paying_everything_overdue_takes_the_arrears_tag_off_the_household(
    household, django_capture_on_commit_callbacks
):
    from wuye.billing.tagrules import arrears_tag_refresh
    from wuye.households.models import HouseholdTag

    issue_bill(household, JAN, [5000])  # due 2026-01-15: overdue
    arrears_tag_refresh(community_id=household.community_id)
    assert HouseholdTag.objects.filter(household=household, tag__rule="arrears").count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        counter_payment_take(
            household=household, line_ids=[BillLine.objects.get().pk], method="card", key="tag1", actor=None
        )

    assert HouseholdTag.objects.filter(household=household, tag__rule="arrears").count() == 0
