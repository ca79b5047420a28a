"""Reconciling a day of WeChat Pay and Alipay against paysim's bills: every class of difference lands in
its bucket, a second run of the same file changes nothing, and each action leaves the books checked."""

import datetime

import pytest
from django.db.models import F, Sum

from tests.factories import HouseholdRoomFactory, UserFactory
from tests.payments.factories import issue_bill
from wuye.core.enums import Role
from wuye.ledger.enums import Account
from wuye.ledger.models import LedgerTransaction, Posting
from wuye.payments.domain.checks import ledger_check
from wuye.payments.domain.online import attempt_query, attempt_start
from wuye.payments.domain.payments import attempt_create, order_create
from wuye.payments.models import PaymentAttempt, Refund
from wuye.paysim.seed import paysim_accounts
from wuye.paysim.state import SimOrder, SimRefund
from wuye.recon.domain.actions import (
    difference_accept,
    difference_book,
    difference_refund,
    difference_suspend,
    suspense_clear,
)
from wuye.recon.domain.runs import ReconError, beijing_today, day_window, recon_fetch, recon_run
from wuye.recon.enums import Resolution
from wuye.recon.models import Difference, ReconRun

JAN = datetime.date(2026, 1, 1)
CHANNEL = {"wechat": "wechat_native", "alipay": "alipay_qr"}


def back(days: int) -> datetime.date:
    return beijing_today() - datetime.timedelta(days=days)


def _household(community, amount=10000):
    household = HouseholdRoomFactory(household__community=community, room__community=community).household
    issue_bill(household, JAN, [amount])
    return household


def _attempt(household, method):
    return attempt_start(
        attempt=attempt_create(order=order_create(household=household), channel=CHANNEL[method]),
        description="物业费",
    )


def _move(paysim, attempt, day):
    """Both sides say the payment happened at noon of ``day`` (Beijing time)."""
    at = day_window(day)[0] + datetime.timedelta(hours=12)
    paysim.order(attempt.out_trade_no).paid_at = at
    PaymentAttempt.objects.filter(pk=attempt.pk, paid_at__isnull=False).update(paid_at=at)


def paid(paysim, household, method, day, *, query=True):
    attempt = _attempt(household, method)
    paysim.pay(attempt.out_trade_no, notify=False)
    if query:
        attempt = attempt_query(attempt=attempt)
        assert attempt.state == "succeeded"
    _move(paysim, attempt, day)
    return attempt


def stranger(paysim, method: str, number: str, amount_fen: int, day: datetime.date, hours: int) -> None:
    """A payment at the channel, ``hours`` into ``day``, under a number Wuye never issued (same merchant as
    the channel's other orders)."""
    template = next(order for order in paysim.orders.values() if order.method == method)
    paysim.orders[(method, number)] = SimOrder(
        method=method,
        out_trade_no=number,
        amount_fen=amount_fen,
        description="?",
        notify_url="",
        merchant_id=template.merchant_id,
        app_id=template.app_id,
        trade_type="NATIVE",
        state="paid",
        channel_trade_no="S",
        paid_at=day_window(day)[0] + datetime.timedelta(hours=hours),
    )


def suspense() -> int:
    return Posting.objects.filter(account=Account.SUSPENSE).aggregate(t=Sum("amount_fen"))["t"] or 0


def found(run) -> dict:
    return {kind: count for kind, count in run.found.items() if count}


@pytest.mark.parametrize("method", ["wechat", "alipay"])
def test_a_clean_day_matches_every_payment_and_flags_nothing(setup, paysim, method):
    day = back(1)
    for amount in (10000, 12345, 1):
        paid(paysim, _household(setup, amount), method, day)

    run = recon_fetch(community=setup, method=method, day=day)

    assert (run.matched, run.their_payments, run.their_paid_fen, run.our_payments, run.our_paid_fen) == (
        3,
        3,
        22346,
        3,
        22346,
    )
    assert run.their_fee_fen == 60 + 74 + 0
    assert (found(run), Difference.objects.count(), run.ledger_differences) == ({}, 0, 0)


@pytest.mark.parametrize("method", ["wechat", "alipay"])
def test_every_class_lands_in_its_bucket_and_a_second_run_changes_nothing(setup, paysim, method):
    day = back(1)
    paid(paysim, _household(setup), method, day)  # matched
    lost = paid(paysim, _household(setup), method, day, query=False)  # notification lost
    missing = paid(paysim, _household(setup), method, day)
    paysim.orders.pop((method, missing.out_trade_no))  # the channel never had it
    amount = paid(paysim, _household(setup), method, day)
    paysim.order(amount.out_trade_no).amount_fen += 1
    fee = paid(paysim, _household(setup), method, day)
    paysim.order(fee.out_trade_no).fee_fen = 99
    refunded = paid(paysim, _household(setup), method, day)
    paysim.refunds[(method, "RX1")] = SimRefund(
        method=method,
        out_refund_no="RX1",
        out_trade_no=refunded.out_trade_no,
        amount_fen=500,
        notify_url="",
        status="SUCCESS",
        succeeded_at=day_window(day)[0] + datetime.timedelta(hours=13),
    )
    twice = _household(setup)
    first, second = _attempt(twice, method), _attempt(twice, method)  # two orders open at once, both paid
    paysim.pay(first.out_trade_no, notify=False)
    _move(paysim, attempt_query(attempt=first), day)
    stranger(paysim, method, "NOTOURS1", 777, day, 1)
    paysim.pay(second.out_trade_no, notify=False)
    second = attempt_query(attempt=second)
    _move(paysim, second, day)
    assert second.excess_fen == 10000

    run = recon_fetch(community=setup, method=method, day=day)

    assert found(run) == {"channel_only": 2, "ours_only": 1, "amount": 1, "fee": 1, "state": 1, "double": 1}
    assert run.matched == 4  # the first payment, the refunded one, and both of the household paying twice
    by_kind = {(d.kind, d.reference): d for d in Difference.objects.all()}
    assert set(by_kind) == {
        ("channel_only", lost.out_trade_no),
        ("channel_only", "NOTOURS1"),
        ("ours_only", missing.out_trade_no),
        ("amount", amount.out_trade_no),
        ("fee", fee.out_trade_no),
        ("state", "RX1"),
        ("double", second.out_trade_no),
    }
    assert (
        by_kind["amount", amount.out_trade_no].ours_fen,
        by_kind["amount", amount.out_trade_no].theirs_fen,
    ) == (10000, 10001)
    assert by_kind["fee", fee.out_trade_no].theirs_fen == 99
    assert by_kind["double", second.out_trade_no].ours_fen == 10000
    assert run.ledger_differences == 0

    again = recon_fetch(community=setup, method=method, day=day)
    assert again.pk == run.pk
    assert (ReconRun.objects.count(), Difference.objects.count()) == (1, 7)


def test_a_lost_notification_is_booked_against_its_bill(setup, paysim):
    day = back(1)
    household = _household(setup, 8800)
    lost = paid(paysim, household, "wechat", day, query=False)
    difference = Difference.objects.get(first_run=recon_fetch(community=setup, method="wechat", day=day))
    assert (difference.kind, difference.attempt_id) == ("channel_only", lost.pk)

    difference_book(difference=difference)

    difference.refresh_from_db()
    lost.refresh_from_db()
    assert (difference.state, difference.resolution) == ("resolved", "booked")
    assert (lost.state, lost.amount_fen) == ("succeeded", 8800)
    assert household.bills.get().state == "paid"
    assert ledger_check(community=setup) == []
    with pytest.raises(ReconError):
        difference_book(difference=difference)


def test_unexplained_money_goes_to_suspense_and_clears_only_by_an_audited_action(setup, paysim):
    day = back(1)
    paid(paysim, _household(setup), "wechat", day)
    next(iter(paysim.orders.values()))
    stranger(paysim, "wechat", "NOTOURS2", 4321, day, 2)
    recon_fetch(community=setup, method="wechat", day=day)
    difference = Difference.objects.get(reference="NOTOURS2")
    before = LedgerTransaction.objects.count()

    for refused in (
        lambda: difference_book(difference=difference),
        lambda: difference_suspend(difference=difference, reason="  "),
        lambda: suspense_clear(difference=difference, resolution=Resolution.REFUNDED, reason="x"),
    ):
        with pytest.raises(ReconError):
            refused()
    assert (LedgerTransaction.objects.count(), suspense()) == (before, 0)

    accountant = UserFactory(roles=[(setup, Role.ACCOUNTANT)])
    difference_suspend(difference=difference, reason="不明来款", actor=accountant)
    assert (suspense(), Difference.objects.get(pk=difference.pk).state) == (-4321, "suspense")
    assert (
        Posting.objects.filter(account="clearing_wechat").aggregate(t=Sum("amount_fen"))["t"] == 10000 + 4321
    )
    assert ledger_check(community=setup) == []

    suspense_clear(
        difference=difference, resolution=Resolution.REFUNDED, reason="商户平台原路退回", actor=accountant
    )
    difference.refresh_from_db()
    assert (suspense(), difference.state, difference.resolution) == (0, "resolved", "refunded")
    assert ledger_check(community=setup) == []
    assert setup.pk and difference.resolved_by == accountant
    from wuye.core.models import AuditLog

    assert list(
        AuditLog.objects.filter(action__startswith="recon.difference")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["recon.difference.suspended", "recon.difference.cleared"]


def test_the_ledger_check_notices_suspense_moved_by_hand(setup, paysim):
    day = back(1)
    paid(paysim, _household(setup), "wechat", day)
    next(iter(paysim.orders.values()))
    stranger(paysim, "wechat", "NOTOURS3", 100, day, 2)
    recon_fetch(community=setup, method="wechat", day=day)
    difference_suspend(difference=Difference.objects.get(reference="NOTOURS3"), reason="不明来款")
    Difference.objects.filter(reference="NOTOURS3").update(suspense_fen=F("suspense_fen") + 1)

    assert [d.check for d in ledger_check(community=setup)] == ["suspense", "suspense"]


def test_a_payment_the_channel_lists_the_next_day_resolves_itself(setup, paysim):
    late = paid(paysim, _household(setup), "alipay", back(3))
    paysim.order(late.out_trade_no).paid_at = day_window(back(2))[0] + datetime.timedelta(seconds=1)

    recon_fetch(community=setup, method="alipay", day=back(3))
    difference = Difference.objects.get()
    assert (difference.kind, difference.state) == ("ours_only", "open")

    recon_fetch(community=setup, method="alipay", day=back(2))
    difference.refresh_from_db()
    assert (difference.state, difference.resolution) == ("resolved", "matched_later")
    assert Difference.objects.count() == 1


def test_a_double_collection_is_refunded_or_left_in_prepayment(setup, paysim):
    day = back(1)
    household = _household(setup, 5000)
    first, second = _attempt(household, "wechat"), _attempt(household, "wechat")
    for attempt in (first, second):
        paysim.pay(attempt.out_trade_no, notify=False)
        _move(paysim, attempt_query(attempt=attempt), day)
    recon_fetch(community=setup, method="wechat", day=day)
    difference = Difference.objects.get()
    assert (difference.kind, difference.attempt_id, difference.ours_fen) == ("double", second.pk, 5000)

    difference_refund(difference=difference)

    refund = Refund.objects.get()
    assert (refund.attempt_id, refund.amount_fen, refund.state) == (second.pk, 5000, "requested")
    difference.refresh_from_db()
    assert (difference.state, difference.resolution, difference.refund_id) == (
        "resolved",
        "refunded",
        refund.pk,
    )
    with pytest.raises(ReconError):
        difference_accept(difference=difference, note="x")


def test_today_cannot_be_reconciled_and_an_unreadable_bill_writes_nothing(setup, paysim):
    with pytest.raises(ReconError):
        recon_run(community=setup, method="wechat", day=back(0), data=b"")
    from wuye.recon.interfaces.bills import BillError

    with pytest.raises(BillError):
        recon_run(community=setup, method="wechat", day=back(1), data=b"not a bill")
    assert (ReconRun.objects.count(), Difference.objects.count()) == (0, 0)


def test_communities_sharing_a_merchant_each_reconcile_their_own_payments(setup, paysim):
    from tests.factories import CommunityFactory

    other = CommunityFactory(company=setup.company)
    paysim_accounts(other, base_url=paysim.base_url)
    day = back(1)
    paid(paysim, _household(setup, 1000), "wechat", day)
    paid(paysim, _household(other, 2000), "wechat", day)
    stranger(paysim, "wechat", "NOTOURS4", 300, day, 2)

    first, second = (recon_fetch(community=c, method="wechat", day=day) for c in (setup, other))

    assert (first.their_payments, first.their_paid_fen, first.matched, found(first)) == (
        2,
        1300,
        1,
        {"channel_only": 1},
    )
    assert (second.their_payments, second.their_paid_fen, second.matched, found(second)) == (1, 2000, 1, {})
    assert list(Difference.objects.values_list("community_id", "reference")) == [(setup.pk, "NOTOURS4")]


def test_a_payment_the_channel_never_had_is_reversed_after_two_more_bills(setup, paysim):
    from wuye.payments.domain.voids import receipt_void_approve
    from wuye.recon.domain.actions import difference_reverse

    household = _household(setup, 6600)
    missing = paid(paysim, household, "wechat", back(4))
    paysim.orders.pop(("wechat", missing.out_trade_no))
    cashier, supervisor = (
        UserFactory(roles=[(setup, Role.ACCOUNTANT)]),
        UserFactory(roles=[(setup, Role.SUPERVISOR)]),
    )
    recon_fetch(community=setup, method="wechat", day=back(4))
    difference = Difference.objects.get()
    recon_fetch(community=setup, method="wechat", day=back(3))
    with pytest.raises(ReconError):  # T+2 not reconciled yet
        difference_reverse(difference=difference, reason="渠道无此款", actor=cashier)
    recon_fetch(community=setup, method="wechat", day=back(2))

    difference_reverse(difference=difference, reason="渠道无此款", actor=cashier)
    missing.refresh_from_db()
    receipt = missing.receipt
    assert (receipt.void_reason, Refund.objects.count()) == ("渠道无此款", 0)
    receipt_void_approve(receipt=receipt, actor=supervisor)

    difference.refresh_from_db()
    assert (difference.state, difference.resolution) == ("resolved", "reversed")
    assert household.bills.get().state == "open"
    assert Posting.objects.filter(account="clearing_wechat").aggregate(t=Sum("amount_fen"))["t"] == 0
    assert ledger_check(community=setup) == []
