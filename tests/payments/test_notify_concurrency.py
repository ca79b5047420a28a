"""The same payment success arriving from many threads at once (the channel's retries, the query job)
applies once on PostgreSQL; with the exactly-once guards switched off the race shows (the control)."""

import datetime

import pytest
from django.db.models import Sum

from tests.factories import HouseholdRoomFactory, PersonFactory
from tests.payments.factories import issue_bill
from tests.payments.test_concurrency import _all_at_once, _meet, _postgres_only  # noqa: F401
from tests.paysim.fixtures import _paysim_server, paysim  # noqa: F401
from wuye.billing.models import BillLine
from wuye.ledger.models import LedgerTransaction
from wuye.payments.channels import ChannelResult
from wuye.payments.domain import attempts, online
from wuye.payments.domain.checks import ledger_check
from wuye.payments.domain.inbox import notification_receive
from wuye.payments.domain.online import attempt_settle
from wuye.payments.domain.payments import attempt_create, order_create
from wuye.payments.models import ChannelEvent, PaymentAttempt, Receipt
from wuye.paysim.seed import paysim_accounts

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
JAN = datetime.date(2026, 1, 1)
THREADS = 6


@pytest.fixture
def attempt(paysim):  # noqa: F811
    link = HouseholdRoomFactory()
    PersonFactory(household=link.household, phone="13912345678")
    paysim_accounts(link.household.community, base_url=paysim.base_url)
    issue_bill(link.household, JAN, [12345, 655])
    return attempt_create(order=order_create(household=link.household), channel="wechat_native")


def _slow_reads(monkeypatch):
    """Every thread holds its read of the attempt until all have read it (or a lock made them wait)."""
    meet = _meet(THREADS)
    original = attempts.attempt_lock

    def slow(pk):
        attempt = original(pk)
        meet()
        return attempt

    monkeypatch.setattr(attempts, "attempt_lock", slow)
    monkeypatch.setattr(online, "attempt_lock", slow)


def test_the_same_notification_from_many_threads_applies_once(paysim, attempt, monkeypatch):  # noqa: F811
    _slow_reads(monkeypatch)
    _url, headers, body = paysim.notification_for(attempt.out_trade_no, method="wechat", amount_fen=13000)

    outcomes = _all_at_once(
        lambda _n: notification_receive(
            method="wechat", community_id=attempt.community_id, headers=headers, body=body
        ),
        range(THREADS),
    )

    assert outcomes == ["done"] * THREADS
    assert LedgerTransaction.objects.filter(kind="payment").count() == 1
    assert Receipt.objects.count() == 1
    assert BillLine.objects.aggregate(t=Sum("paid_fen"))["t"] == 13000
    assert sorted(ChannelEvent.objects.values_list("outcome", flat=True)) == ["applied"] + ["duplicate"] * (
        THREADS - 1
    )
    assert ledger_check(community=attempt.community) == []


@pytest.mark.parametrize("guards", [True, False], ids=["guarded", "control-without-guards"])
def test_a_success_settled_by_many_threads_at_once(attempt, monkeypatch, guards):
    monkeypatch.setattr(attempts, "EXACTLY_ONCE_GUARDS", guards)
    _slow_reads(monkeypatch)
    result = ChannelResult(out_trade_no=attempt.out_trade_no, state="succeeded", amount_fen=13000)

    outcomes = _all_at_once(lambda _n: attempt_settle(attempt=attempt, result=result), range(THREADS))

    applied = LedgerTransaction.objects.filter(kind="payment").count()
    if guards:
        assert (outcomes, applied, Receipt.objects.count()) == (["done"] * THREADS, 1, 1)
        assert ledger_check(community=attempt.community) == []
        assert PaymentAttempt.objects.get().excess_fen == 0
    else:
        assert applied > 1  # the race the guards prevent: the money counted more than once
        assert ledger_check(community=attempt.community) != []
