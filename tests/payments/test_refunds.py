"""Refunds of counter payments: requested, approved (prepayment first, then the paid lines), rejected."""

import datetime

import pytest
from django.db.models import Sum

from tests.factories import UserFactory, staff
from tests.payments.factories import issue_bill, prepay
from wuye.billing.models import Bill, BillLine
from wuye.core.enums import Role
from wuye.ledger.models import LedgerTransaction, Posting
from wuye.payments.domain.checks import ledger_check
from wuye.payments.domain.payments import PaymentError, counter_payment_take
from wuye.payments.domain.prepayments import prepayment_balance_fen
from wuye.payments.domain.refunds import (
    RefundApprovalError,
    refund_approve,
    refund_reject,
    refund_request,
    refundable_fen,
)
from wuye.payments.models import Allocation, Refund

JAN, FEB = datetime.date(2026, 1, 1), datetime.date(2026, 2, 1)


def postings(record):
    return sorted(record.postings.values_list("account", "household_id", "amount_fen"))


@pytest.fixture
def paid_card(household):
    issue_bill(household, JAN, [3000])
    issue_bill(household, FEB, [2000])
    lines = list(BillLine.objects.order_by("pk").values_list("pk", flat=True))
    return counter_payment_take(
        household=household, line_ids=lines, method="card", key="card1", actor=None
    ).attempt


def test_partial_refund_takes_back_the_newest_line_first(household, paid_card):
    supervisor = staff(household.community, Role.SUPERVISOR)
    refund = refund_request(attempt=paid_card, amount_fen=1500, reason="多收", actor=None)
    assert refund.state == "requested"

    refund = refund_approve(refund=refund, actor=supervisor)

    refund.refresh_from_db()
    assert (refund.state, refund.from_prepayment_fen, refund.from_lines_fen) == ("succeeded", 0, 1500)
    assert list(BillLine.objects.order_by("period").values_list("paid_fen", flat=True)) == [3000, 500]
    assert list(Bill.objects.order_by("period").values_list("state", flat=True)) == ["paid", "partial"]
    assert postings(refund.transaction) == [("receivable", household.pk, 1500), ("refunds", None, -1500)]
    assert postings(refund.settle_transaction) == [("clearing", None, -1500), ("refunds", None, 1500)]
    assert Allocation.objects.filter(transaction=refund.transaction).get().amount_fen == -1500
    assert refundable_fen(paid_card) == 3500
    assert ledger_check(community=household.community) == []


def test_refund_comes_from_the_prepayment_balance_first(household, paid_card):
    prepay(household, 800, method="card")
    refund = refund_approve(
        refund=refund_request(attempt=paid_card, amount_fen=1000, reason="退", actor=None)
    )
    assert (refund.from_prepayment_fen, refund.from_lines_fen) == (800, 200)
    assert prepayment_balance_fen(household=household) == 0
    assert BillLine.objects.aggregate(t=Sum("paid_fen"))["t"] == 4800
    assert ledger_check(community=household.community) == []


def test_full_refund_opens_every_line_again(household, paid_card):
    refund_approve(refund=refund_request(attempt=paid_card, amount_fen=5000, reason="全退", actor=None))
    assert BillLine.objects.aggregate(t=Sum("paid_fen"))["t"] == 0
    assert set(Bill.objects.values_list("state", flat=True)) == {"open"}
    assert refundable_fen(paid_card) == 0
    assert Posting.objects.aggregate(t=Sum("amount_fen"))["t"] == 0
    assert ledger_check(community=household.community) == []


@pytest.mark.parametrize(("amount", "reason"), [(5001, "多"), (0, "零"), (-1, "负"), (100, "  ")])
def test_refused_refund_request_changes_nothing(household, paid_card, amount, reason):
    with pytest.raises(PaymentError):
        refund_request(attempt=paid_card, amount_fen=amount, reason=reason, actor=None)
    assert Refund.objects.count() == 0


def test_requests_cannot_exceed_what_is_left_together(household, paid_card):
    refund_request(attempt=paid_card, amount_fen=4000, reason="一", actor=None)
    with pytest.raises(PaymentError):
        refund_request(attempt=paid_card, amount_fen=1001, reason="二", actor=None)
    assert refund_request(attempt=paid_card, amount_fen=1000, reason="二", actor=None).amount_fen == 1000


def test_rejected_refund_moves_no_money_and_cannot_be_approved(household, paid_card):
    refund = refund_reject(refund=refund_request(attempt=paid_card, amount_fen=100, reason="x", actor=None))
    before = LedgerTransaction.objects.count()
    with pytest.raises(PaymentError):
        refund_approve(refund=refund)
    assert (Refund.objects.get().state, LedgerTransaction.objects.count()) == ("rejected", before)
    assert refundable_fen(paid_card) == 5000


def test_approving_twice_refunds_once(household, paid_card):
    refund = refund_request(attempt=paid_card, amount_fen=100, reason="x", actor=None)
    refund_approve(refund=refund)
    with pytest.raises(PaymentError):
        refund_approve(refund=refund)
    assert LedgerTransaction.objects.filter(kind="refund").count() == 1
    assert ledger_check(community=household.community) == []


def refund_state(refund):
    """What approving would change: the refund's row, refund ledger transactions, approval audit entries."""
    from wuye.core.models import AuditLog

    refund.refresh_from_db()
    return (
        (refund.state, refund.approved_by_id, refund.transaction_id),
        LedgerTransaction.objects.filter(kind="refund").count(),
        list(BillLine.objects.order_by("pk").values_list("paid_fen", flat=True)),
        AuditLog.objects.filter(action="payments.refund.approved").count(),
    )


def test_the_person_who_requested_a_refund_cannot_approve_it(household, paid_card):
    administrator = staff(household.community, Role.ADMINISTRATOR)  # may both request and approve
    refund = refund_request(attempt=paid_card, amount_fen=1, reason="多收", actor=administrator)
    before = refund_state(refund)

    with pytest.raises(RefundApprovalError, match="必须由申请人以外的人审批"):
        refund_approve(refund=refund, actor=administrator)

    assert refund_state(refund) == before
    assert before[:2] == (("requested", None, None), 0)


def test_a_second_person_approves_the_refund(household, paid_card):
    from wuye.core.models import AuditLog

    cashier, supervisor = (
        staff(household.community, Role.CASHIER),
        staff(household.community, Role.SUPERVISOR),
    )
    refund = refund_request(attempt=paid_card, amount_fen=1500, reason="多收", actor=cashier)

    refund = refund_approve(refund=refund, actor=supervisor)

    refund.refresh_from_db()
    assert (refund.state, refund.requested_by, refund.approved_by) == ("succeeded", cashier, supervisor)
    assert LedgerTransaction.objects.filter(kind="refund").count() == 1
    entry = AuditLog.objects.get(action="payments.refund.approved")
    assert (entry.actor, "approved_by_requester" in entry.changes) == (supervisor, False)


def test_one_person_may_approve_their_own_refund_below_the_community_s_limit_and_it_is_audited(
    household, paid_card
):
    from wuye.core.models import AuditLog
    from wuye.payments.models import PaymentSettings

    PaymentSettings.objects.create(community=household.community, refund_self_approval_below_fen=1000)
    supervisor = UserFactory(
        roles=[(household.community, Role.SUPERVISOR), (household.community, Role.CASHIER)]
    )
    at_limit = refund_request(attempt=paid_card, amount_fen=1000, reason="多收", actor=supervisor)
    with pytest.raises(RefundApprovalError, match=r"¥10\.00"):
        refund_approve(refund=at_limit, actor=supervisor)  # the limit itself needs a second person
    refund_reject(refund=at_limit, actor=supervisor)
    below = refund_request(attempt=paid_card, amount_fen=999, reason="多收", actor=supervisor)

    refund = refund_approve(refund=below, actor=supervisor)

    refund.refresh_from_db()
    assert (refund.state, refund.requested_by, refund.approved_by) == ("succeeded", supervisor, supervisor)
    entry = AuditLog.objects.get(action="payments.refund.approved")
    assert (entry.actor, entry.object_pk) == (supervisor, refund.pk)
    assert entry.changes == {
        "amount_yuan": "9.99",
        "out_trade_no": paid_card.out_trade_no,
        "approved_by_requester": True,
        "refund_self_approval_below_yuan": "10.00",
    }
    assert ledger_check(community=household.community) == []
