"""Notifications through the real notify endpoint, signed by paysim and verified by the real SDKs.

Every refusal changes nothing but its inbox row; a redelivery applies nothing; a lost notification is
settled by the query job; a crash at any statement of applying leaves the fault-free result after
the channel's retry.
"""

import contextlib
import datetime
import time

import pytest
from django.db import connection
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from tests.payments.factories import issue_bill
from tests.paysim.fixtures import _paysim_server, paysim  # noqa: F401
from wuye.billing.models import BillLine
from wuye.ledger.models import LedgerTransaction, Posting
from wuye.payments.domain.checks import ledger_check
from wuye.payments.domain.online import attempt_start, attempts_sweep
from wuye.payments.domain.payments import attempt_create, order_create
from wuye.payments.models import ChannelEvent, PaymentAttempt, Receipt
from wuye.paysim.seed import paysim_accounts

JAN, FEB = datetime.date(2026, 1, 1), datetime.date(2026, 2, 1)


@pytest.fixture
def accounts(household, paysim):  # noqa: F811
    return paysim_accounts(household.community, base_url=paysim.base_url)


@pytest.fixture
def attempt(household, accounts):
    issue_bill(household, JAN, [12345])
    issue_bill(household, FEB, [20000])
    return attempt_create(order=order_create(household=household), channel="wechat_native")


def notify_path(attempt):
    return reverse(
        "payments_notify:notify", kwargs={"method": attempt.method, "community_pk": attempt.community_id}
    )


def post(client, attempt, headers, body):
    return client.post(
        notify_path(attempt),
        data=body,
        content_type=headers.get("Content-Type", "application/json"),
        headers={k: v for k, v in headers.items() if k.lower() != "content-type"},
    )


def signed(paysim, attempt, **kwargs):  # noqa: F811
    kwargs.setdefault("amount_fen", attempt.amount_fen)
    _url, headers, body = paysim.notification_for(attempt.out_trade_no, method=attempt.method, **kwargs)
    return headers, body


def money_state(community):
    return (
        LedgerTransaction.objects.filter(kind="payment").count(),
        Receipt.objects.count(),
        BillLine.objects.aggregate(t=Sum("paid_fen"))["t"],
        list(PaymentAttempt.objects.values_list("state", "transaction_id")),
    )


def test_genuine_notification_applies_once_however_often_it_comes(client, paysim, attempt, household):  # noqa: F811
    for _ in range(4):  # a channel retries with the same event id; each delivery is signed anew
        headers, body = signed(paysim, attempt)
        assert post(client, attempt, headers, body).status_code in (200, 204)

    attempt.refresh_from_db()
    assert (attempt.state, attempt.amount_fen, attempt.receipt.amount_fen) == ("succeeded", 32345, 32345)
    assert attempt.channel_trade_no
    assert LedgerTransaction.objects.filter(kind="payment").count() == 1
    assert BillLine.objects.aggregate(t=Sum("paid_fen"))["t"] == 32345
    outcomes = list(ChannelEvent.objects.order_by("pk").values_list("outcome", flat=True))
    assert outcomes == ["applied", "duplicate", "duplicate", "duplicate"]
    assert ledger_check(community=household.community) == []


def test_alipay_notification_applies(client, paysim, household, accounts):  # noqa: F811
    issue_bill(household, JAN, [9990])
    attempt = attempt_create(order=order_create(household=household), channel="alipay_qr")
    headers, body = signed(paysim, attempt)
    response = post(client, attempt, headers, body)
    assert (response.status_code, response.content) == (200, b"success")
    attempt.refresh_from_db()
    assert (
        attempt.state,
        attempt.method,
        attempt.transaction.postings.get(account="clearing_alipay").amount_fen,
    ) == (
        "succeeded",
        "alipay",
        9990,
    )
    assert ledger_check(community=household.community) == []


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("tampered", "signature"),
        ("probe", "probe"),
        ("stale", "timestamp"),
        ("merchant", "merchant"),
        ("amount", "amount"),
        ("unknown", "unknown order"),
    ],
)
def test_refused_notification_changes_nothing_and_is_kept_with_its_reason(
    client,
    paysim,  # noqa: F811
    attempt,
    household,
    case,
    reason,
):
    before = money_state(household.community)
    if case == "tampered":
        headers, body = signed(paysim, attempt)
        body = body.replace(b"{", b'{"x":1,', 1)
    elif case == "probe":
        headers, body = signed(paysim, attempt)
        headers["Wechatpay-Signature"] = "WECHATPAY/SIGNTEST/" + headers["Wechatpay-Signature"]
    elif case == "stale":
        headers, body = signed(paysim, attempt, at=time.time() - 600)
    elif case == "merchant":
        _url, headers, body = paysim.notification_for(
            "WYOTHER1", method="wechat", amount_fen=attempt.amount_fen, merchant_id="1900000999"
        )
    elif case == "amount":
        PaymentAttempt.objects.filter(pk=attempt.pk).update(amount_fen=32300)
        headers, body = signed(paysim, attempt, amount_fen=32345)
    else:
        _url, headers, body = paysim.notification_for("WYNOSUCH", method="wechat", amount_fen=5)

    response = post(client, attempt, headers, body)

    assert response.status_code >= 400
    assert money_state(household.community)[:3] == before[:3]
    assert PaymentAttempt.objects.get().transaction_id is None
    event = ChannelEvent.objects.get()
    assert event.outcome == "rejected"
    assert reason in event.reason
    assert event.body == body.decode()
    assert event.event_id is None


def test_forged_notification_cannot_take_the_id_of_the_real_one(client, paysim, attempt):  # noqa: F811
    headers, body = signed(paysim, attempt)
    post(client, attempt, headers, body.replace(b"{", b'{"x":1,', 1))  # forged, same claimed id
    headers, body = signed(paysim, attempt)
    post(client, attempt, headers, body)
    attempt.refresh_from_db()
    assert attempt.state == "succeeded"
    assert list(ChannelEvent.objects.order_by("pk").values_list("outcome", flat=True)) == [
        "rejected",
        "applied",
    ]


def test_lost_notification_is_settled_by_the_query_job(paysim, household, accounts):  # noqa: F811
    issue_bill(household, JAN, [5000])
    attempt = attempt_start(
        attempt=attempt_create(order=order_create(household=household), channel="wechat_native"),
        description="物业费",
    )
    assert attempt.state == "pending" and attempt.code_url
    paysim.pay(attempt.out_trade_no, notify=False)  # paid; the notification is lost

    result = attempts_sweep(older_than_minutes=0)

    attempt.refresh_from_db()
    assert (result.queried, result.succeeded, attempt.state) == (1, 1, "succeeded")
    assert BillLine.objects.get().paid_fen == 5000
    assert ledger_check(community=household.community) == []


def test_unpaid_attempt_is_closed_at_the_channel_once_expired(paysim, household, accounts):  # noqa: F811
    issue_bill(household, JAN, [5000])
    attempt = attempt_start(
        attempt=attempt_create(order=order_create(household=household), channel="alipay_qr"),
        description="物业费",
    )
    assert attempts_sweep(older_than_minutes=0).closed == 0  # not expired yet: still pending
    later = timezone.now() + datetime.timedelta(minutes=30)

    result = attempts_sweep(older_than_minutes=0, now=later)

    attempt.refresh_from_db()
    assert (result.closed, attempt.state) == (1, "closed")
    assert paysim.order(attempt.out_trade_no, method="alipay").state == "closed"
    assert LedgerTransaction.objects.filter(kind="payment").count() == 0


def _writes_of_apply(sql: str) -> bool:
    return sql.lstrip().startswith(("INSERT", "UPDATE")) and "payments_channelevent" not in sql


def test_crash_at_each_write_of_applying_leaves_the_fault_free_result_after_the_retry(
    client,
    paysim,  # noqa: F811
    household,
    accounts,
):
    issue_bill(household, JAN, [12345])
    issue_bill(household, FEB, [20000])
    clean = attempt_create(order=order_create(household=household), channel="wechat_native")
    headers, body = signed(paysim, clean)
    writes = []

    def counting(execute, sql, params, many, context):
        if _writes_of_apply(sql):
            writes.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counting):
        post(client, clean, headers, body)
    clean.refresh_from_db()
    assert clean.state == "succeeded"
    expected_lines = list(BillLine.objects.order_by("pk").values_list("paid_fen", flat=True))
    assert len(writes) >= 8

    crash_at = 0
    while True:  # crash at the 1st, 2nd, … write until applying runs through without reaching it
        crash_at += 1
        issue_bill(household, JAN.replace(year=2030 + crash_at), [12345])
        issue_bill(household, FEB.replace(year=2030 + crash_at), [20000])
        attempt = attempt_create(
            order=order_create(
                household=household,
                line_ids=list(BillLine.objects.filter(paid_fen=0).values_list("pk", flat=True)),
            ),
            channel="wechat_native",
        )
        before = money_state(household.community)
        seen = {"n": 0}

        def crashing(execute, sql, params, many, context, crash_at=crash_at, seen=seen):
            if _writes_of_apply(sql):
                seen["n"] += 1
                if seen["n"] == crash_at:
                    raise RuntimeError("killed")
            return execute(sql, params, many, context)

        headers, body = signed(paysim, attempt)
        with connection.execute_wrapper(crashing), contextlib.suppress(RuntimeError):
            post(client, attempt, headers, body)
        if seen["n"] < crash_at:  # every write was crashed at once
            attempt.refresh_from_db()
            assert attempt.state == "succeeded"
            break
        assert money_state(household.community)[:3] == before[:3], crash_at
        headers, body = signed(paysim, attempt)  # the channel retries
        post(client, attempt, headers, body)
        attempt.refresh_from_db()
        assert (attempt.state, attempt.receipt.amount_fen) == ("succeeded", 32345), crash_at
        assert (
            list(
                BillLine.objects.filter(allocations__transaction=attempt.transaction)
                .order_by("pk")
                .values_list("paid_fen", flat=True)
            )
            == expected_lines
        ), crash_at
    assert crash_at > 8
    assert ledger_check(community=household.community) == []
    assert Posting.objects.aggregate(t=Sum("amount_fen"))["t"] == 0
