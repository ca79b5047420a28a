"""Refunds through the online channels, against paysim and the real SDKs.

Approval moves the money into refunds payable; only after commit is the channel asked. WeChat answers
PROCESSING and settles later (its refund notification, or the refund query of the sweep); Alipay
refunds synchronously. A refund the channel closes returns the money to the household's prepayment,
which pays the reopened lines again. Every figure is exact fen, and the ledger check passes after each.

paysim's own deliveries are dropped here (``drop``): each test hands the channel's notifications to
the real notify view itself, when it wants them to arrive.
"""

import datetime

import pytest
from django.db.models import Sum
from django.urls import reverse

from tests.payments.factories import issue_bill, prepay
from tests.paysim.fixtures import _paysim_server, paysim  # noqa: F401
from wuye.billing.models import Bill, BillLine
from wuye.ledger.models import LedgerTransaction, Posting
from wuye.payments.domain.checks import ledger_check
from wuye.payments.domain.online import attempt_start
from wuye.payments.domain.payments import attempt_create, order_create
from wuye.payments.domain.prepayments import prepayment_balance_fen
from wuye.payments.domain.refunds import refund_approve, refund_request, refundable_fen, refunds_sweep
from wuye.payments.models import ChannelEvent, PaymentAttempt, Refund
from wuye.paysim.seed import paysim_accounts

JAN, FEB = datetime.date(2026, 1, 1), datetime.date(2026, 2, 1)


@pytest.fixture
def accounts(household, paysim):  # noqa: F811
    paysim.faults.update(drop=True)  # nothing arrives unless the test delivers it
    return paysim_accounts(household.community, base_url=paysim.base_url)


def deliver(client, method: str, community_id: int, headers: dict, body: bytes):
    """POST a channel's notification to the real notify view, as the channel would."""
    return client.post(
        reverse("payments_notify:notify", kwargs={"method": method, "community_pk": community_id}),
        data=body,
        content_type=headers.get("Content-Type", "application/json"),
        headers={k: v for k, v in headers.items() if k.lower() != "content-type"},
    )


def paid_attempt(client, paysim, household, channel: str) -> PaymentAttempt:  # noqa: F811
    """An attempt for all the household's open lines, started at paysim, paid by the owner, and applied
    by the channel's notification through the notify view."""
    attempt = attempt_start(
        attempt=attempt_create(order=order_create(household=household), channel=channel),
        description="物业费",
    )
    assert attempt.state == "pending"
    paysim.pay(attempt.out_trade_no, notify=False)
    _url, headers, body = paysim.notification_for(attempt.out_trade_no, method=attempt.method)
    assert deliver(client, attempt.method, attempt.community_id, headers, body).status_code == 200
    attempt.refresh_from_db()
    assert attempt.is_applied
    return attempt


def approved(refund: Refund, capture) -> Refund:
    """Approve, then commit (the on-commit callbacks run: the channel is asked)."""
    with capture(execute=True):
        refund_approve(refund=refund)
    refund.refresh_from_db()
    return refund


def balance(account: str, **filters) -> int:
    return Posting.objects.filter(account=account, **filters).aggregate(t=Sum("amount_fen"))["t"] or 0


def postings(record) -> list:
    return sorted(record.postings.values_list("account", "household_id", "amount_fen"))


def line_paid() -> list[int]:
    return list(BillLine.objects.order_by("period", "pk").values_list("paid_fen", flat=True))


@pytest.fixture
def wechat_paid(client, paysim, household, accounts):  # noqa: F811
    issue_bill(household, JAN, [12345])
    issue_bill(household, FEB, [20000])
    return paid_attempt(client, paysim, household, "wechat_native")


def test_wechat_refund_is_asked_after_commit_and_settled_once_by_its_notification(
    client,
    paysim,  # noqa: F811
    household,
    wechat_paid,
    django_capture_on_commit_callbacks,
):
    refund = refund_request(attempt=wechat_paid, amount_fen=5000, reason="多收", actor=None)

    with django_capture_on_commit_callbacks(execute=True):
        refund_approve(refund=refund)
        assert paysim.refunds == {}  # not before commit: a rollback would otherwise refund real money

    refund.refresh_from_db()
    sim_refund = paysim.refunds[("wechat", refund.out_refund_no)]
    assert (sim_refund.amount_fen, sim_refund.status, sim_refund.out_trade_no) == (
        5000,
        "SUCCESS",
        wechat_paid.out_trade_no,
    )
    assert (refund.state, refund.from_prepayment_fen, refund.from_lines_fen) == ("pending", 0, 5000)
    assert refund.settle_transaction_id is None  # WeChat answered PROCESSING
    assert line_paid() == [12345, 15000]  # the newest line gives the money back
    assert postings(refund.transaction) == [("receivable", household.pk, 5000), ("refunds", None, -5000)]
    assert balance("refunds") == -5000
    assert ledger_check(community=household.community) == []

    _url, headers, body = paysim.refund_notification_for(refund.out_refund_no)
    answers = [deliver(client, "wechat", household.community_id, headers, body).status_code for _ in range(3)]

    refund.refresh_from_db()
    assert answers == [200, 200, 200]
    assert (refund.state, refund.channel_refund_no) == ("succeeded", sim_refund.refund_id)
    assert postings(refund.settle_transaction) == [("clearing_wechat", None, -5000), ("refunds", None, 5000)]
    assert LedgerTransaction.objects.filter(kind="refund_settled").count() == 1
    assert list(
        ChannelEvent.objects.filter(refund=refund).order_by("pk").values_list("outcome", flat=True)
    ) == [
        "applied",
        "duplicate",
        "duplicate",
    ]
    assert (balance("refunds"), balance("clearing_wechat")) == (0, 27345)
    assert list(Bill.objects.order_by("period").values_list("state", flat=True)) == ["paid", "partial"]
    assert refundable_fen(wechat_paid) == 27345
    assert ledger_check(community=household.community) == []


def test_wechat_refund_still_processing_is_settled_by_the_sweep_once_the_channel_completes_it(
    paysim,  # noqa: F811
    household,
    wechat_paid,
    django_capture_on_commit_callbacks,
):
    paysim.refund_outcome = "PROCESSING"
    refund = approved(
        refund_request(attempt=wechat_paid, amount_fen=32345, reason="全退", actor=None),
        django_capture_on_commit_callbacks,
    )
    assert refund.state == "pending"

    assert refunds_sweep(older_than_minutes=0) == 1  # asked: still PROCESSING, nothing written
    refund.refresh_from_db()
    assert (refund.state, refund.settle_transaction_id) == ("pending", None)
    assert (balance("refunds"), balance("clearing_wechat")) == (-32345, 32345)

    paysim.complete_refund(refund.out_refund_no, status="SUCCESS")  # its notification is lost (drop)
    refunds_sweep(older_than_minutes=0)
    refunds_sweep(older_than_minutes=0)  # asking again settles nothing twice

    refund.refresh_from_db()
    assert refund.state == "succeeded"
    assert LedgerTransaction.objects.filter(kind="refund_settled").count() == 1
    assert (balance("refunds"), balance("clearing_wechat")) == (0, 0)
    assert line_paid() == [0, 0]
    assert set(Bill.objects.values_list("state", flat=True)) == {"open"}
    assert balance("receivable", household_id=household.pk) == 32345
    assert ledger_check(community=household.community) == []


def test_alipay_refund_is_paid_out_synchronously_after_commit(
    client,
    paysim,  # noqa: F811
    household,
    accounts,
    django_capture_on_commit_callbacks,
):
    issue_bill(household, JAN, [9990])
    issue_bill(household, FEB, [10])
    attempt = paid_attempt(client, paysim, household, "alipay_qr")
    refund = refund_request(attempt=attempt, amount_fen=3000, reason="多收", actor=None)

    with django_capture_on_commit_callbacks(execute=True):
        refund_approve(refund=refund)
        assert paysim.refunds == {}

    refund.refresh_from_db()
    sim_refund = paysim.refunds[("alipay", refund.out_refund_no)]
    assert (sim_refund.amount_fen, sim_refund.status) == (3000, "SUCCESS")
    assert paysim.order(attempt.out_trade_no, method="alipay").refunded_fen == 3000
    assert (refund.state, refund.from_lines_fen) == ("succeeded", 3000)
    assert line_paid() == [7000, 0]  # February's 10 fen first, then 2990 of January
    assert postings(refund.settle_transaction) == [("clearing_alipay", None, -3000), ("refunds", None, 3000)]
    assert (balance("refunds"), balance("clearing_alipay")) == (0, 7000)
    assert refunds_sweep(older_than_minutes=0) == 0  # nothing left waiting
    assert ledger_check(community=household.community) == []


@pytest.mark.parametrize("settled_by", ["notification", "sweep"])
def test_refund_the_channel_closes_returns_to_prepayment_and_pays_the_lines_again(
    client,
    paysim,  # noqa: F811
    household,
    wechat_paid,
    django_capture_on_commit_callbacks,
    settled_by,
):
    paysim.refund_outcome = "CLOSED"
    refund = approved(
        refund_request(attempt=wechat_paid, amount_fen=25000, reason="退", actor=None),
        django_capture_on_commit_callbacks,
    )
    assert (refund.state, line_paid()) == ("pending", [7345, 0])
    assert paysim.order(wechat_paid.out_trade_no, method="wechat").refunded_fen == 0  # money kept

    if settled_by == "notification":
        _url, headers, body = paysim.refund_notification_for(refund.out_refund_no)
        for _ in range(2):
            assert deliver(client, "wechat", household.community_id, headers, body).status_code == 200
    else:
        refunds_sweep(older_than_minutes=0)
        refunds_sweep(older_than_minutes=0)

    refund.refresh_from_db()
    assert refund.state == "failed"
    assert postings(refund.settle_transaction) == [
        ("prepayment", household.pk, -25000),
        ("refunds", None, 25000),
    ]
    use = LedgerTransaction.objects.get(kind="prepayment_use")
    assert postings(use) == [("prepayment", household.pk, 25000), ("receivable", household.pk, -25000)]
    assert LedgerTransaction.objects.filter(kind="refund_failed").count() == 1
    assert line_paid() == [12345, 20000]
    assert set(Bill.objects.values_list("state", flat=True)) == {"paid"}
    assert prepayment_balance_fen(household=household) == 0
    assert (balance("refunds"), balance("clearing_wechat")) == (0, 32345)
    assert refundable_fen(wechat_paid) == 32345  # a failed refund frees its amount again
    assert ledger_check(community=household.community) == []


def test_failed_refund_taken_partly_from_prepayment_puts_back_all_of_it(
    client,
    paysim,  # noqa: F811
    household,
    wechat_paid,
    django_capture_on_commit_callbacks,
):
    prepay(household, 800, method="card")
    assert prepayment_balance_fen(household=household) == 800  # nothing open to apply it to
    paysim.refund_outcome = "CLOSED"

    refund = approved(
        refund_request(attempt=wechat_paid, amount_fen=1000, reason="退", actor=None),
        django_capture_on_commit_callbacks,
    )
    assert (refund.from_prepayment_fen, refund.from_lines_fen, line_paid()) == (800, 200, [12345, 19800])
    refunds_sweep(older_than_minutes=0)

    refund.refresh_from_db()
    assert refund.state == "failed"
    assert line_paid() == [12345, 20000]  # the 200 reopened are paid again from the returned 1000
    assert prepayment_balance_fen(household=household) == 800
    assert (balance("refunds"), balance("clearing_wechat"), balance("clearing")) == (0, 32345, 800)
    assert ledger_check(community=household.community) == []


def test_refund_abnormal_at_the_channel_stays_unknown_with_the_money_held_as_payable(
    client,
    paysim,  # noqa: F811
    household,
    wechat_paid,
    django_capture_on_commit_callbacks,
):
    """ABNORMAL (the payer's card was closed): WeChat holds the money until the merchant handles it by
    hand, so it is neither refunded nor failed; it stays unknown and in refunds payable."""
    paysim.refund_outcome = "ABNORMAL"
    refund = approved(
        refund_request(attempt=wechat_paid, amount_fen=5000, reason="退", actor=None),
        django_capture_on_commit_callbacks,
    )
    _url, headers, body = paysim.refund_notification_for(refund.out_refund_no)
    assert deliver(client, "wechat", household.community_id, headers, body).status_code == 200
    refunds_sweep(older_than_minutes=0)

    refund.refresh_from_db()
    assert (refund.state, refund.settle_transaction_id) == ("unknown", None)
    assert line_paid() == [12345, 15000]
    assert (balance("refunds"), balance("clearing_wechat")) == (-5000, 32345)
    assert prepayment_balance_fen(household=household) == 0
    assert ledger_check(community=household.community) == []
