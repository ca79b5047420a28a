"""A QR payment and a counter payment of the same bill at the same time: the lines are collected once,
and the excess goes to the household's prepayment or back to the payer, as the community chose.

The owner scans and pays in paysim while the cashier takes the same bill at the counter; the channel's
notification then arrives through the real notify view. On PostgreSQL the two also run at once, each
in its own thread and connection, as a web worker and the notify endpoint do.
"""

import datetime
import threading

import pytest
from django.db import connection
from django.db.models import Sum
from django.urls import reverse

from tests.conftest import on_postgres
from tests.factories import HouseholdRoomFactory, PersonFactory
from tests.payments.factories import issue_bill
from tests.paysim.fixtures import _paysim_server, paysim  # noqa: F401
from wuye.billing.models import Bill, BillLine
from wuye.ledger.models import LedgerTransaction, Posting
from wuye.payments.domain.checks import ledger_check
from wuye.payments.domain.inbox import notification_receive
from wuye.payments.domain.online import attempt_start
from wuye.payments.domain.payments import PaymentError, attempt_create, counter_payment_take, order_create
from wuye.payments.domain.prepayments import prepayment_balance_fen
from wuye.payments.domain.refunds import refunds_sweep
from wuye.payments.models import PaymentAttempt, PaymentSettings, Receipt, Refund
from wuye.paysim.seed import paysim_accounts

JAN = datetime.date(2026, 1, 1)
CLEARING = {"wechat_native": "clearing_wechat", "alipay_qr": "clearing_alipay"}


def balance(account: str, **filters) -> int:
    return Posting.objects.filter(account=account, **filters).aggregate(t=Sum("amount_fen"))["t"] or 0


def deliver(client, attempt: PaymentAttempt, headers: dict, body: bytes):
    return client.post(
        reverse(
            "payments_notify:notify", kwargs={"method": attempt.method, "community_pk": attempt.community_id}
        ),
        data=body,
        content_type=headers.get("Content-Type", "application/json"),
        headers={k: v for k, v in headers.items() if k.lower() != "content-type"},
    )


def qr_attempt(household, channel: str) -> PaymentAttempt:
    """The owner scanned the household's QR, chose every open line and got the channel's QR code."""
    attempt = attempt_start(
        attempt=attempt_create(order=order_create(household=household), channel=channel), description="物业费"
    )
    assert attempt.state == "pending"
    return attempt


def line_ids(household) -> list[int]:
    return list(BillLine.objects.filter(household=household).order_by("pk").values_list("pk", flat=True))


@pytest.fixture
def accounts(household, paysim):  # noqa: F811
    paysim.faults.update(drop=True)  # the test hands each notification to the notify view itself
    return paysim_accounts(household.community, base_url=paysim.base_url)


@pytest.mark.parametrize("channel", ["wechat_native", "alipay_qr"])
@pytest.mark.parametrize(
    ("counter_lines", "excess"),
    [("all", 13000), ("second", 655)],
    ids=["counter-paid-all", "counter-paid-one-line"],
)
def test_qr_and_counter_payment_of_one_bill_collect_once_and_keep_the_excess_as_prepayment(
    client,
    paysim,  # noqa: F811
    household,
    accounts,
    channel,
    counter_lines,
    excess,
):
    issue_bill(household, JAN, [12345, 655])
    attempt = qr_attempt(household, channel)
    chosen = line_ids(household) if counter_lines == "all" else line_ids(household)[1:]
    counter = counter_payment_take(
        household=household, line_ids=chosen, method="cash", key="desk1", tendered_fen=20000, actor=None
    )
    # The counter takes what the chosen lines owe; the QR order still asks for the whole bill.
    assert (counter.attempt.amount_fen, counter.change_fen) == (excess, 20000 - excess)

    paysim.pay(attempt.out_trade_no, notify=False)  # the owner confirms on the phone meanwhile
    _url, headers, body = paysim.notification_for(attempt.out_trade_no, method=attempt.method)
    assert deliver(client, attempt, headers, body).status_code == 200
    assert deliver(client, attempt, headers, body).status_code == 200  # the channel's retry: no effect

    attempt.refresh_from_db()
    assert (attempt.state, attempt.amount_fen, attempt.excess_fen) == ("succeeded", 13000, excess)
    assert list(BillLine.objects.order_by("pk").values_list("paid_fen", flat=True)) == [12345, 655]
    assert Bill.objects.get().state == "paid"
    assert LedgerTransaction.objects.filter(kind="payment").count() == 2
    assert sorted(Receipt.objects.values_list("method", "amount_fen")) == sorted(
        [("cash", excess), (attempt.method, 13000)]
    )
    assert prepayment_balance_fen(household=household) == excess
    assert (balance("cash"), balance(CLEARING[channel]), balance("receivable")) == (excess, 13000, 0)
    assert Refund.objects.count() == 0
    assert ledger_check(community=household.community) == []


@pytest.mark.parametrize("channel", ["wechat_native", "alipay_qr"])
def test_qr_and_counter_payment_of_one_bill_refund_the_excess_through_the_channel(
    client,
    paysim,  # noqa: F811
    household,
    accounts,
    channel,
    django_capture_on_commit_callbacks,
):
    PaymentSettings.objects.create(community=household.community, excess_policy="refund")
    issue_bill(household, JAN, [12345, 655])
    attempt = qr_attempt(household, channel)
    counter_payment_take(
        household=household, line_ids=line_ids(household), method="card", key="desk1", actor=None
    )
    paysim.pay(attempt.out_trade_no, notify=False)
    _url, headers, body = paysim.notification_for(attempt.out_trade_no, method=attempt.method)

    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(client, attempt, headers, body).status_code == 200
        assert Refund.objects.count() == 0  # requested only once the payment committed
    if channel == "wechat_native":  # WeChat answered PROCESSING; its query finds the refund done
        assert Refund.objects.get().state == "pending"
        refunds_sweep(older_than_minutes=0)

    refund = Refund.objects.get()
    attempt.refresh_from_db()
    assert (refund.attempt_id, refund.amount_fen, refund.state) == (attempt.pk, 13000, "succeeded")
    assert (refund.from_prepayment_fen, refund.from_lines_fen) == (13000, 0)
    method = attempt.method
    sim_refund = paysim.refunds[(method, refund.out_refund_no)]
    assert (sim_refund.amount_fen, sim_refund.status) == (13000, "SUCCESS")
    assert attempt.excess_fen == 13000
    assert list(BillLine.objects.order_by("pk").values_list("paid_fen", flat=True)) == [12345, 655]
    assert prepayment_balance_fen(household=household) == 0
    assert (balance("clearing"), balance(CLEARING[channel]), balance("refunds")) == (13000, 0, 0)
    assert ledger_check(community=household.community) == []


def test_counter_refuses_a_bill_the_qr_payment_paid_first(client, paysim, household, accounts):  # noqa: F811
    issue_bill(household, JAN, [12345, 655])
    attempt = qr_attempt(household, "wechat_native")
    paysim.pay(attempt.out_trade_no, notify=False)
    _url, headers, body = paysim.notification_for(attempt.out_trade_no, method="wechat")
    deliver(client, attempt, headers, body)
    before = (LedgerTransaction.objects.count(), Receipt.objects.count(), PaymentAttempt.objects.count())

    with pytest.raises(PaymentError):
        counter_payment_take(
            household=household,
            line_ids=line_ids(household),
            method="cash",
            key="desk1",
            tendered_fen=13000,
            actor=None,
        )

    assert (
        LedgerTransaction.objects.count(),
        Receipt.objects.count(),
        PaymentAttempt.objects.count(),
    ) == before
    assert prepayment_balance_fen(household=household) == 0
    assert ledger_check(community=household.community) == []


# PostgreSQL: both at once --------------------------------------------------------------------------------


def _both_at_once(household, attempt, headers, body, key: str) -> dict[str, str]:
    """The cashier's counter payment and the channel's notification, started together in two threads."""
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}
    ids = line_ids(household)

    def counter():
        try:
            start.wait()
            counter_payment_take(
                household=household, line_ids=ids, method="cash", key=key, tendered_fen=13000, actor=None
            )
            outcomes["counter"] = "paid"
        except PaymentError:
            outcomes["counter"] = "refused"  # the QR payment came first: nothing is owed any more
        finally:
            connection.close()

    def notify():
        try:
            start.wait()
            answer = notification_receive(
                method=attempt.method, community_id=attempt.community_id, headers=headers, body=body
            )
            outcomes["notify"] = str(answer.status)
        finally:
            connection.close()

    threads = [threading.Thread(target=counter), threading.Thread(target=notify)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("policy", ["prepayment", "refund"])
def test_concurrent_counter_and_qr_payment_collect_once_and_account_for_the_excess(paysim, policy):  # noqa: F811
    if not on_postgres():
        pytest.skip(
            "SQLite runs write transactions one at a time (IMMEDIATE), so the two cannot overlap there; "
            "this test needs PostgreSQL (make test-postgres)"
        )
    paysim.faults.update(drop=True)
    rounds = 6
    first = HouseholdRoomFactory().household
    community = first.community
    paysim_accounts(community, base_url=paysim.base_url)
    PaymentSettings.objects.create(community=community, excess_policy=policy)
    households = [first] + [
        HouseholdRoomFactory(household__community=community).household for _ in range(rounds - 1)
    ]
    counters_paid = 0
    for number, household in enumerate(households):
        PersonFactory(household=household)
        issue_bill(household, JAN, [12345, 655])
        attempt = qr_attempt(household, "wechat_native" if number % 2 else "alipay_qr")
        paysim.pay(attempt.out_trade_no, notify=False)
        _url, headers, body = paysim.notification_for(attempt.out_trade_no, method=attempt.method)

        outcomes = _both_at_once(household, attempt, headers, body, key=f"desk{number}")

        assert outcomes["notify"] == "200", outcomes
        attempt.refresh_from_db()
        counter_paid = outcomes["counter"] == "paid"
        counters_paid += counter_paid
        excess = 13000 if counter_paid else 0
        assert (attempt.state, attempt.excess_fen) == ("succeeded", excess)
        lines = BillLine.objects.filter(household=household).order_by("pk")
        assert list(lines.values_list("paid_fen", flat=True)) == [12345, 655]  # collected once
        assert LedgerTransaction.objects.filter(
            kind="payment", postings__household_id=household.pk
        ).distinct().count() == (2 if counter_paid else 1)
        refunds = Refund.objects.filter(household=household)
        if policy == "prepayment" or not counter_paid:
            assert refunds.count() == 0
            assert prepayment_balance_fen(household=household) == excess
        else:
            refund = refunds.get()
            assert (refund.amount_fen, refund.from_prepayment_fen, refund.state) == (
                13000,
                13000,
                "pending" if attempt.method == "wechat" else "succeeded",
            )
            assert prepayment_balance_fen(household=household) == 0

    refunds_sweep(older_than_minutes=0)  # WeChat's PROCESSING refunds are done at paysim
    # The money: every line once from one payer, and every fen of the excess is held or paid back.
    assert BillLine.objects.aggregate(t=Sum("paid_fen"))["t"] == 13000 * rounds
    money_in = sum(balance(account) for account in ("cash", "clearing_wechat", "clearing_alipay"))
    excess_total = PaymentAttempt.objects.aggregate(t=Sum("excess_fen"))["t"]
    assert excess_total == 13000 * counters_paid
    held = sum(prepayment_balance_fen(household=h) for h in households)
    refunded = Refund.objects.filter(state="succeeded").aggregate(t=Sum("amount_fen"))["t"] or 0
    assert held + refunded == excess_total
    assert money_in == 13000 * rounds + held
    assert balance("refunds") == 0
    assert ledger_check(community=community) == []
