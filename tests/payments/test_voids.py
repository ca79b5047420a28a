"""Voiding a payment's receipt: asked for by one person, approved by another, reversing the payment
exactly (the books as before it), or a refund of the payment when the money came online or by debit."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from tests.factories import staff
from tests.payments.factories import issue_bill, prepay
from tests.payments.test_receipts import _pdf_text
from wuye.billing.models import Bill, BillLine
from wuye.core.enums import Role
from wuye.core.models import AuditLog
from wuye.ledger.models import LedgerTransaction, Posting
from wuye.payments import pdf
from wuye.payments.domain.checks import ledger_check
from wuye.payments.domain.payments import PaymentError, counter_payment_take, order_create, payment_apply
from wuye.payments.domain.prepayments import prepayment_balance_fen, prepayments_apply
from wuye.payments.domain.queries import receipt_public_view, receipt_view, receipts_for_community
from wuye.payments.domain.refunds import refund_reject, refund_request, refundable_fen
from wuye.payments.domain.voids import (
    ReceiptVoidApprovalError,
    ReceiptVoidError,
    receipt_void_approve,
    receipt_void_reject,
    receipt_void_request,
)
from wuye.payments.models import Allocation, PaymentAttempt, PaymentSettings, Receipt, ReceiptCounter, Refund

JAN, FEB, MAR = datetime.date(2026, 1, 1), datetime.date(2026, 2, 1), datetime.date(2026, 3, 1)


def books(community) -> dict:
    """Everything a payment changes and a void must restore: ledger balances per account, household and
    fee item; each line's paid amount and net allocations; each bill's state; prepayment balances."""
    return {
        "ledger": sorted(
            Posting.objects.filter(community=community)
            .values_list("account", "household_id", "fee_item_id")
            .annotate(total=Sum("amount_fen"))
            .exclude(total=0)
        ),
        "lines": list(BillLine.objects.order_by("pk").values_list("pk", "paid_fen")),
        "allocated": sorted(
            Allocation.objects.values_list("line_id").annotate(total=Sum("amount_fen")).exclude(total=0)
        ),
        "bills": list(Bill.objects.order_by("pk").values_list("pk", "state")),
    }


def what_a_refusal_could_change(receipt) -> tuple:
    receipt.refresh_from_db()
    return (
        (receipt.void_requested_at, receipt.void_reason, receipt.voided_by_id, receipt.voided_at),
        (receipt.void_approved_by_id, receipt.void_transaction_id),
        LedgerTransaction.objects.count(),
        Posting.objects.count(),
        Allocation.objects.count(),
        Refund.objects.count(),
        AuditLog.objects.filter(action__startswith="payments.receipt.").count(),
    )


@pytest.fixture
def cashier(household):
    return staff(household.community, Role.CASHIER, first_name="李收银")


@pytest.fixture
def supervisor(household):
    return staff(household.community, Role.SUPERVISOR, first_name="张主管")


def pay(household, method="cash", key="pay1", actor=None) -> PaymentAttempt:
    lines = list(BillLine.objects.filter(household=household).order_by("pk").values_list("pk", flat=True))
    return counter_payment_take(
        household=household,
        line_ids=lines,
        method=method,
        key=key,
        tendered_fen=None if method != "cash" else 10**6,
        actor=actor,
    ).attempt


def attempt_with_excess(household, cashier, method="cash", channel="counter") -> PaymentAttempt:
    """An attempt for JAN (3000 + 2000) applied after the 3000 line was paid at the counter meanwhile:
    2000 pays the open line, 3000 is kept as prepayment."""
    issue_bill(household, JAN, [3000, 2000])
    order = order_create(household=household)
    first = BillLine.objects.order_by("pk").first()
    counter_payment_take(
        household=household, line_ids=[first.pk], method="card", key="meanwhile", actor=cashier
    )
    attempt = PaymentAttempt.objects.create(
        community=household.community,
        order=order,
        household=household,
        channel=channel,
        method=method,
        amount_fen=order.total_fen,
    )
    applied = payment_apply(attempt=attempt, amount_fen=5000, actor=cashier)
    assert (applied.allocated_fen, applied.excess_fen) == (2000, 3000)
    return applied.attempt


def test_a_voided_cash_receipt_leaves_the_books_as_before_the_payment(household, cashier, supervisor):
    issue_bill(household, JAN, [3000, 1500])
    issue_bill(household, FEB, [2000])
    before = books(household.community)
    attempt = pay(household, actor=cashier)
    receipt = attempt.receipt
    assert books(household.community) != before

    requested = receipt_void_request(receipt=receipt, reason="收错户", actor=cashier)
    assert requested.refund is None
    voided = receipt_void_approve(receipt=receipt, actor=supervisor)

    assert books(household.community) == before
    assert list(BillLine.objects.order_by("pk").values_list("paid_fen", flat=True)) == [0, 0, 0]
    assert set(Bill.objects.values_list("state", flat=True)) == {"open"}
    assert prepayment_balance_fen(household=household) == 0
    record = voided.void_transaction
    assert (record.kind, record.memo, record.key) == (
        "receipt_void",
        receipt.display_number,
        f"receipt-void:{receipt.pk}",
    )
    assert sorted(record.postings.values_list("account", "household_id", "amount_fen")) == [
        ("cash", None, -6500),
        ("receivable", household.pk, 6500),
    ]
    assert sorted(Allocation.objects.filter(transaction=record).values_list("amount_fen", flat=True)) == [
        -3000,
        -2000,
        -1500,
    ]
    voided.refresh_from_db()
    assert (voided.voided_by, voided.void_approved_by, voided.void_reason) == (cashier, supervisor, "收错户")
    assert voided.voided_at is not None and voided.is_void
    # The number stays used: no renumbering, the next receipt takes the next number.
    assert (voided.number, ReceiptCounter.objects.get(community=household.community).last_number) == (1, 1)
    assert prepay(household, 100).number == 2
    assert refundable_fen(attempt) == 0
    assert ledger_check(community=household.community) == []
    out = StringIO()
    call_command("ledger", "check", stdout=out)  # `wuye ledger check` is green: exits 0
    entry = AuditLog.objects.get(action="payments.receipt.voided")
    assert (entry.actor, entry.household_id, entry.changes["void_reason"]) == (
        supervisor,
        household.pk,
        "收错户",
    )


def test_a_void_takes_back_the_prepayment_the_payment_left(household, cashier, supervisor):
    issue_bill(household, JAN, [3000, 2000])
    order = order_create(household=household)
    first = BillLine.objects.order_by("pk").first()
    counter_payment_take(
        household=household, line_ids=[first.pk], method="card", key="meanwhile", actor=cashier
    )
    before = books(household.community)
    attempt = PaymentAttempt.objects.create(
        community=household.community,
        order=order,
        household=household,
        channel="counter",
        method="cash",
        amount_fen=order.total_fen,
    )
    payment_apply(attempt=attempt, amount_fen=5000, actor=cashier)
    attempt.refresh_from_db()
    assert (attempt.excess_fen, prepayment_balance_fen(household=household)) == (3000, 3000)

    receipt_void_request(receipt=attempt.receipt, reason="重复收款", actor=cashier)
    receipt_void_approve(receipt=attempt.receipt, actor=supervisor)

    assert books(household.community) == before
    assert prepayment_balance_fen(household=household) == 0
    assert list(BillLine.objects.order_by("pk").values_list("paid_fen", flat=True)) == [3000, 0]
    assert sorted(
        Receipt.objects.get(pk=attempt.receipt_id).void_transaction.postings.values_list(
            "account", "household_id", "amount_fen"
        )
    ) == [
        ("cash", None, -5000),
        ("prepayment", household.pk, 3000),
        ("receivable", household.pk, 2000),
    ]
    assert ledger_check(community=household.community) == []


def test_a_void_is_refused_when_the_prepayment_it_left_was_spent(household, cashier, supervisor):
    attempt = attempt_with_excess(household, cashier)
    receipt_void_request(receipt=attempt.receipt, reason="重复收款", actor=cashier)
    issue_bill(household, FEB, [3000])
    assert prepayments_apply(household=household) == 3000
    before = what_a_refusal_could_change(attempt.receipt)
    books_before = books(household.community)

    with pytest.raises(ReceiptVoidError, match=r"30\.00"):
        receipt_void_approve(receipt=attempt.receipt, actor=supervisor)

    assert what_a_refusal_could_change(attempt.receipt) == before
    assert books(household.community) == books_before
    assert ledger_check(community=household.community) == []


def test_voiding_twice_is_refused(household, cashier, supervisor):
    issue_bill(household, JAN, [3000])
    receipt = pay(household, actor=cashier).receipt
    receipt_void_request(receipt=receipt, reason="收错", actor=cashier)
    receipt_void_approve(receipt=receipt, actor=supervisor)
    before = what_a_refusal_could_change(receipt)
    books_before = books(household.community)

    with pytest.raises(ReceiptVoidError, match="已作废"):
        receipt_void_approve(receipt=receipt, actor=supervisor)
    with pytest.raises(ReceiptVoidError, match="已作废"):
        receipt_void_request(receipt=receipt, reason="再来", actor=cashier)
    with pytest.raises(ReceiptVoidError):
        receipt_void_reject(receipt=receipt, actor=supervisor)

    assert what_a_refusal_could_change(receipt) == before
    assert books(household.community) == books_before
    assert LedgerTransaction.objects.filter(kind="receipt_void").count() == 1


def test_asking_twice_is_refused(household, cashier):
    issue_bill(household, JAN, [3000])
    receipt = pay(household, actor=cashier).receipt
    receipt_void_request(receipt=receipt, reason="收错", actor=cashier)
    before = what_a_refusal_could_change(receipt)
    with pytest.raises(ReceiptVoidError):
        receipt_void_request(receipt=receipt, reason="再来", actor=cashier)
    assert what_a_refusal_could_change(receipt) == before


def test_the_person_who_asked_cannot_approve_the_void(household):
    administrator = staff(household.community, Role.ADMINISTRATOR)  # may both ask and approve
    issue_bill(household, JAN, [3000])
    receipt = pay(household, actor=administrator).receipt
    receipt_void_request(receipt=receipt, reason="收错", actor=administrator)
    before = what_a_refusal_could_change(receipt)
    books_before = books(household.community)

    with pytest.raises(ReceiptVoidApprovalError, match="必须由申请人以外的人审批"):
        receipt_void_approve(receipt=receipt, actor=administrator)

    assert what_a_refusal_could_change(receipt) == before
    assert books(household.community) == books_before


def test_one_person_may_void_below_the_community_s_limit_and_it_is_audited(household):
    PaymentSettings.objects.create(community=household.community, refund_self_approval_below_fen=3000)
    administrator = staff(household.community, Role.ADMINISTRATOR)
    issue_bill(household, JAN, [3000])
    issue_bill(household, FEB, [2999])
    jan, feb = BillLine.objects.order_by("period").values_list("pk", flat=True)
    at_limit = counter_payment_take(
        household=household, line_ids=[jan], method="card", key="a", actor=administrator
    )
    below = counter_payment_take(
        household=household, line_ids=[feb], method="card", key="b", actor=administrator
    )
    receipt_void_request(receipt=at_limit.attempt.receipt, reason="收错", actor=administrator)
    receipt_void_request(receipt=below.attempt.receipt, reason="收错", actor=administrator)

    with pytest.raises(ReceiptVoidApprovalError, match=r"¥30\.00"):
        receipt_void_approve(receipt=at_limit.attempt.receipt, actor=administrator)
    receipt_void_approve(receipt=below.attempt.receipt, actor=administrator)

    entry = AuditLog.objects.get(action="payments.receipt.voided")
    assert (entry.changes["approved_by_requester"], entry.changes["refund_self_approval_below_yuan"]) == (
        True,
        "30.00",
    )
    assert list(BillLine.objects.order_by("period").values_list("paid_fen", flat=True)) == [3000, 0]
    assert ledger_check(community=household.community) == []


def test_a_rejected_void_leaves_the_receipt_as_it_was(household, cashier, supervisor):
    issue_bill(household, JAN, [3000])
    receipt = pay(household, actor=cashier).receipt
    books_before = books(household.community)
    receipt_void_request(receipt=receipt, reason="收错", actor=cashier)

    receipt_void_reject(receipt=receipt, actor=supervisor)

    receipt.refresh_from_db()
    assert (receipt.void_requested_at, receipt.void_reason, receipt.voided_by, receipt.voided_at) == (
        None,
        "",
        None,
        None,
    )
    assert books(household.community) == books_before
    assert list(
        AuditLog.objects.filter(action__startswith="payments.receipt.")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == [
        "payments.receipt.void_requested",
        "payments.receipt.void_rejected",
    ]
    with pytest.raises(ReceiptVoidError):
        receipt_void_approve(receipt=receipt, actor=supervisor)  # nothing waits for approval now


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_void_needs_a_reason(household, cashier, reason):
    issue_bill(household, JAN, [3000])
    receipt = pay(household, actor=cashier).receipt
    before = what_a_refusal_could_change(receipt)
    with pytest.raises(ReceiptVoidError, match="原因"):
        receipt_void_request(receipt=receipt, reason=reason, actor=cashier)
    with pytest.raises(ReceiptVoidError):
        receipt_void_request(receipt=receipt, reason="收错", actor=None)  # and a person, by name
    assert what_a_refusal_could_change(receipt) == before


def test_a_prepayment_receipt_cannot_be_voided(household, cashier):
    receipt = prepay(household, 5000, actor=cashier)
    before = what_a_refusal_could_change(receipt)
    with pytest.raises(ReceiptVoidError):
        receipt_void_request(receipt=receipt, reason="收错", actor=cashier)
    assert what_a_refusal_could_change(receipt) == before


def test_a_payment_with_money_refunded_cannot_be_voided(household, cashier, supervisor):
    issue_bill(household, JAN, [3000])
    attempt = pay(household, method="card", actor=cashier)
    refund = refund_request(attempt=attempt, amount_fen=100, reason="多收", actor=cashier)
    before = what_a_refusal_could_change(attempt.receipt)

    with pytest.raises(ReceiptVoidError, match="退款"):
        receipt_void_request(receipt=attempt.receipt, reason="收错", actor=cashier)
    assert what_a_refusal_could_change(attempt.receipt) == before

    refund_reject(refund=refund, actor=supervisor)  # a rejected refund moved no money
    receipt_void_request(receipt=attempt.receipt, reason="收错", actor=cashier)
    receipt_void_approve(receipt=attempt.receipt, actor=supervisor)
    assert ledger_check(community=household.community) == []


def test_a_refund_asked_for_after_the_void_blocks_it_and_the_void_blocks_refunds(
    household, cashier, supervisor
):
    issue_bill(household, JAN, [3000])
    attempt = pay(household, method="card", actor=cashier)
    receipt_void_request(receipt=attempt.receipt, reason="收错", actor=cashier)
    with pytest.raises(PaymentError, match="作废"):
        refund_request(attempt=attempt, amount_fen=100, reason="多收", actor=cashier)
    assert (Refund.objects.count(), refundable_fen(attempt)) == (0, 0)


@pytest.mark.parametrize(("channel", "method"), [("wechat_native", "wechat"), ("bank_debit", "debit")])
def test_voiding_online_or_debit_money_requests_a_refund_of_the_whole_payment(
    household, cashier, channel, method
):
    attempt = attempt_with_excess(household, cashier, method=method, channel=channel)
    receipt = attempt.receipt
    books_before = books(household.community)

    requested = receipt_void_request(receipt=receipt, reason="业主要求退款", actor=cashier)

    refund = requested.refund
    assert (refund.attempt_id, refund.amount_fen, refund.reason, refund.state, refund.requested_by) == (
        attempt.pk,
        5000,
        "业主要求退款",
        "requested",
        cashier,
    )
    receipt.refresh_from_db()
    assert (receipt.void_requested_at, receipt.voided_at) == (None, None)  # the refund documents it
    assert books(household.community) == books_before  # nothing moves before a supervisor approves
    with pytest.raises(ReceiptVoidError):
        receipt_void_request(receipt=receipt, reason="再来", actor=cashier)  # all of it is being refunded


def test_the_public_verify_page_and_the_pdf_say_void(client, household, cashier, supervisor, tmp_path):
    issue_bill(household, JAN, [12345])
    receipt = pay(household, actor=cashier).receipt
    page = client.get(reverse("payments:verify", kwargs={"token": receipt.token})).content.decode()
    assert 'id="verified"' in page and 'id="voided"' not in page
    assert "作废" not in _pdf_text(pdf.receipt_pdf(receipt_view(receipt=receipt)), tmp_path)

    receipt_void_request(receipt=receipt, reason="收错户", actor=cashier)
    receipt_void_approve(receipt=receipt, actor=supervisor)
    receipt = Receipt.objects.select_related("community__company").get(pk=receipt.pk)

    response = client.get(reverse("payments:verify", kwargs={"token": receipt.token}))
    page = response.content.decode()
    voided_on = f"{timezone.localtime(receipt.voided_at):%Y-%m-%d %H:%M}"
    assert response.status_code == 200
    assert 'id="voided"' in page and 'id="verified"' not in page
    assert "此收据已作废" in page
    assert voided_on in page
    assert "收错户" not in page  # the reason is the office's, not the public's
    for view in (receipt_view(receipt=receipt), receipt_public_view(receipt=receipt)):
        text = _pdf_text(pdf.receipt_pdf(view), tmp_path)
        assert "作废 VOID" in text, text
        assert voided_on in text
        assert receipt.display_number in text  # the number stays on it


def test_receipts_list_filters_void_ones(household, cashier, supervisor):
    issue_bill(household, JAN, [3000])
    issue_bill(household, FEB, [2000])
    issue_bill(household, MAR, [1000])
    jan, feb, mar = BillLine.objects.order_by("period").values_list("pk", flat=True)
    void = counter_payment_take(
        household=household, line_ids=[jan], method="cash", key="a", tendered_fen=3000, actor=cashier
    ).attempt.receipt
    asked = counter_payment_take(
        household=household, line_ids=[feb], method="cash", key="b", tendered_fen=2000, actor=cashier
    ).attempt.receipt
    kept = counter_payment_take(
        household=household, line_ids=[mar], method="cash", key="c", tendered_fen=1000, actor=cashier
    ).attempt.receipt
    receipt_void_request(receipt=void, reason="收错", actor=cashier)
    receipt_void_approve(receipt=void, actor=supervisor)
    receipt_void_request(receipt=asked, reason="收错", actor=cashier)

    def numbers(void_filter):
        found = receipts_for_community(community=household.community, void=void_filter)
        return sorted(found.values_list("number", flat=True))

    assert numbers("void") == [void.number]
    assert numbers("requested") == [asked.number]
    assert numbers("valid") == [asked.number, kept.number]
    assert numbers("") == [void.number, asked.number, kept.number]


def test_the_database_refuses_inconsistent_void_fields(household, cashier):
    from django.db import IntegrityError, transaction

    issue_bill(household, JAN, [3000])
    receipt = pay(household, actor=cashier).receipt
    with pytest.raises(IntegrityError), transaction.atomic():
        Receipt.objects.filter(pk=receipt.pk).update(void_reason="无申请")  # a reason, nobody asked
    with pytest.raises(IntegrityError), transaction.atomic():
        Receipt.objects.filter(pk=receipt.pk).update(
            void_requested_at=receipt.issued_at,
            void_reason="x",
            voided_by=cashier,
            voided_at=receipt.issued_at,
        )  # voided without an approver or a reversal
    prepayment = prepay(household, 100, actor=cashier)
    with pytest.raises(IntegrityError), transaction.atomic():
        Receipt.objects.filter(pk=prepayment.pk).update(
            void_requested_at=receipt.issued_at, void_reason="x", voided_by=cashier
        )  # only a payment's receipt


def test_a_user_who_is_not_signed_in_cannot_approve(household, cashier):
    issue_bill(household, JAN, [3000])
    receipt = pay(household, actor=cashier).receipt
    receipt_void_request(receipt=receipt, reason="收错", actor=cashier)
    before = what_a_refusal_could_change(receipt)
    with pytest.raises(ReceiptVoidError):
        receipt_void_approve(receipt=receipt, actor=None)
    assert what_a_refusal_could_change(receipt) == before
