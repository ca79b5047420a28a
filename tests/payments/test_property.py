"""A seeded, stateful property test of payments (hypothesis), against paysim and the real SDKs.

Each example is a random sequence of what happens at a property office: bills issued; owners opening
QR orders (WeChat Pay or Alipay) for some or all of their open lines, switching channel on an order,
paying in paysim with the channel's notification delivered through the real notify view once, twice,
late again, or lost (then settled by the query job); cashiers taking counter payments and
prepayments; refunds requested and approved or rejected, which WeChat settles later (its refund
notification or the sweep: refunded, still processing, or closed) and Alipay at once; the community
switching between keeping and refunding money paid twice; and reads of the counter page.

After every step:

- every ledger transaction sums to zero, and ``ledger_check`` finds no difference;
- each attempt is applied at most once: one payment transaction per applied attempt, and receipts
  = applied attempts + counter prepayments; an online attempt is applied only when the owner paid
  it in paysim, for the amount paysim took, and every paid attempt whose notification arrived is;
- Σ paid of the lines = Σ allocations, and no line is paid below zero or above what it owes;
- money is conserved: the money accounts hold Σ payments applied + prepayments − refunds paid out,
  the counter's share is what the cashiers took less what they paid back, and the channels' share is
  what paysim collected less what it refunded, but for what is still in flight (a lost notification
  not yet swept; a refund paysim made whose news has not arrived).

Each example runs inside a savepoint rolled back at its end, with paysim emptied, so examples never
see each other. paysim's own deliveries are dropped: the test delivers what it means to arrive.
Derandomized: the same examples run every time.
"""

from __future__ import annotations

import contextlib
import datetime
import itertools

import pytest
from django.db import transaction
from django.db.models import F, Q, Sum
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, Phase, event, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.factories import CommunityFactory, HouseholdRoomFactory
from tests.payments.factories import issue_bill, prepay
from tests.paysim.fixtures import _paysim_server, paysim  # noqa: F401
from wuye.billing.models import BillLine
from wuye.ledger.enums import Account, TransactionKind
from wuye.ledger.models import LedgerTransaction, Posting
from wuye.payments.domain.checks import ledger_check
from wuye.payments.domain.online import attempt_start, attempts_sweep
from wuye.payments.domain.payments import PaymentError, attempt_create, counter_payment_take, order_create
from wuye.payments.domain.prepayments import prepayment_balance_fen
from wuye.payments.domain.queries import open_bills, open_lines, prepayment_balances, receipts_for_household
from wuye.payments.domain.refunds import (
    OPEN_REFUND_STATES,
    refund_approve,
    refund_reject,
    refund_request,
    refundable_fen,
)
from wuye.payments.enums import COUNTER_METHODS, ExcessPolicy, ReceiptKind
from wuye.payments.models import Allocation, PaymentAttempt, PaymentOrder, PaymentSettings, Receipt, Refund
from wuye.paysim.seed import paysim_accounts

pytestmark = pytest.mark.django_db

HOUSEHOLDS = 2
FIRST_MONTH = datetime.date(2026, 1, 1)
MONEY_ACCOUNTS = (Account.CASH, Account.CLEARING, Account.WECHAT, Account.ALIPAY)
COUNTER_ACCOUNTS = (Account.CASH, Account.CLEARING)
CHANNEL_ACCOUNTS = (Account.WECHAT, Account.ALIPAY)
PICK = st.integers(min_value=0, max_value=10_000)  # which of the candidates, modulo their number
AMOUNTS = st.integers(min_value=1, max_value=30_000)  # fen of a bill line
DELIVERIES = st.sampled_from(["once", "twice", "lost"])  # what becomes of the channel's notification


def tally(value: str) -> None:
    """Count a case for ``--hypothesis-show-statistics`` (nothing when a script drives the machine)."""
    with contextlib.suppress(InvalidArgument):
        event(value)


def balance(accounts, **filters) -> int:
    total = Posting.objects.filter(account__in=accounts, **filters).aggregate(t=Sum("amount_fen"))["t"]
    return total or 0


def chosen(candidates: list, pick: int):
    return candidates[pick % len(candidates)]


def subset(lines: list[BillLine], pick: int) -> list[int] | None:
    """Some of the lines (a bit mask of ``pick``), or None (all of them) when the mask picks none."""
    ids = [line.pk for bit, line in enumerate(lines) if pick >> bit & 1]
    return ids or None


class PaymentsMachine(RuleBasedStateMachine):
    """Set ``sim`` (a started PaySim) and ``capture`` (django_capture_on_commit_callbacks) on a subclass."""

    sim = None
    capture = None

    def __init__(self) -> None:
        super().__init__()
        self.sim.reset()
        self.sim.faults.update(drop=True)
        self._example = transaction.atomic()
        self._example.__enter__()
        self.community = CommunityFactory()
        paysim_accounts(self.community, base_url=self.sim.base_url)
        self.households = [
            HouseholdRoomFactory(household__community=self.community).household for _ in range(HOUSEHOLDS)
        ]
        self.months = dict.fromkeys(range(HOUSEHOLDS), 0)
        self.client = Client()
        self.serial = itertools.count(1)
        self.attempts: list[int] = []  # online attempts started at paysim, in order
        self.paid: set[int] = set()  # … that the owner paid in paysim
        self.lost: set[int] = set()  # … paid, whose notification was lost and not yet swept
        # What the counter took and paid back, and how many prepayments it recorded (the model's own count).
        self.counter_in_fen = 0
        self.counter_out_fen = 0
        self.prepayments = 0

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._example.__exit__(None, None, None)
        self.sim.reset()

    # Helpers ----------------------------------------------------------------------------------------------

    def committed(self):
        """Run the block as if it committed: the on-commit work (channel refunds, tags) runs after it."""
        return self.capture(execute=True)

    def deliver(self, method: str, headers: dict, body: bytes) -> int:
        response = self.client.post(
            reverse("payments_notify:notify", kwargs={"method": method, "community_pk": self.community.pk}),
            data=body,
            content_type=headers.get("Content-Type", "application/json"),
            headers={k: v for k, v in headers.items() if k.lower() != "content-type"},
        )
        return response.status_code

    def deliver_payment(self, attempt: PaymentAttempt) -> None:
        _url, headers, body = self.sim.notification_for(attempt.out_trade_no, method=attempt.method)
        with self.committed():
            assert self.deliver(attempt.method, headers, body) == 200

    def money_snapshot(self) -> tuple:
        return (
            LedgerTransaction.objects.filter(community=self.community).count(),
            Receipt.objects.filter(community=self.community).count(),
            BillLine.objects.filter(community=self.community).aggregate(t=Sum("paid_fen"))["t"],
        )

    def applied(self):
        return PaymentAttempt.objects.filter(community=self.community, transaction__isnull=False)

    def open_line_count(self) -> int:
        return sum(len(open_lines(household=owner)) for owner in self.households)

    def pending_at_paysim(self) -> list[int]:
        return [pk for pk in self.attempts if pk not in self.paid]

    # Rules ------------------------------------------------------------------------------------------------

    @initialize(
        amounts=st.lists(AMOUNTS, min_size=HOUSEHOLDS, max_size=HOUSEHOLDS),
        policy=st.sampled_from(ExcessPolicy.values),
    )
    def start(self, amounts, policy):
        """Every household starts owing something (a bill of two lines); the community keeps or refunds
        money paid twice."""
        for household, amount in enumerate(amounts):
            self.issue(household, [amount, amount // 3 + 1])
        PaymentSettings.objects.create(community=self.community, excess_policy=policy)

    @precondition(lambda self: self.open_line_count() < 6)
    @rule(household=st.integers(0, HOUSEHOLDS - 1), amounts=st.lists(AMOUNTS, min_size=1, max_size=3))
    def issue(self, household, amounts):
        """A new month's bill (while few lines are open, so that the money has somewhere to go)."""
        month = self.months[household]
        self.months[household] += 1
        period = datetime.date(FIRST_MONTH.year + month // 12, month % 12 + 1, 1)
        issue_bill(self.households[household], period, amounts)

    @rule(
        household=st.integers(0, HOUSEHOLDS - 1),
        channel=st.sampled_from(["wechat_native", "alipay_qr"]),
        pick=PICK,
        then=st.sampled_from(["wait", "pay"]),
        delivery=DELIVERIES,
    )
    def open_order(self, household, channel, pick, then, delivery):
        """The owner scans, picks some lines (all by default) and gets the channel's QR code; then pays
        at once, or later (``owner_pays``), or never."""
        owner = self.households[household]
        lines = open_lines(household=owner)
        if not lines:
            before = self.money_snapshot()
            with pytest.raises(PaymentError):
                order_create(household=owner)
            assert self.money_snapshot() == before
            return
        order = order_create(household=owner, line_ids=subset(lines, pick))
        attempt = self._start(order, channel)
        if then == "pay":
            self._pay(attempt, delivery)

    def _start(self, order: PaymentOrder, channel: str) -> PaymentAttempt:
        attempt = attempt_start(attempt=attempt_create(order=order, channel=channel), description="物业费")
        assert (attempt.state, attempt.amount_fen) == ("pending", order.total_fen)
        assert self.sim.order(attempt.out_trade_no).amount_fen == order.total_fen
        self.attempts.append(attempt.pk)
        return attempt

    @precondition(lambda self: any(pk not in self.paid for pk in self.attempts))
    @rule(pick=PICK, delivery=DELIVERIES, switch=st.booleans())
    def owner_pays(self, pick, delivery, switch):
        """An owner pays a QR code opened earlier (perhaps paid at the counter meanwhile), or opens the
        same order again through the other channel and pays that (the first QR code stays open)."""
        attempt = PaymentAttempt.objects.select_related("order").get(
            pk=chosen(self.pending_at_paysim(), pick)
        )
        if switch:
            other = "alipay_qr" if attempt.method == "wechat" else "wechat_native"
            if attempt.order.state != "open":
                with pytest.raises(PaymentError):
                    attempt_create(order=attempt.order, channel=other)
                return
            attempt = self._start(attempt.order, other)
        self._pay(attempt, delivery)

    def _pay(self, attempt: PaymentAttempt, delivery: str) -> None:
        """The owner confirms on the phone; the channel's notification arrives once, twice, or never."""
        self.sim.pay(attempt.out_trade_no, notify=False)
        self.paid.add(attempt.pk)
        if delivery == "lost":
            self.lost.add(attempt.pk)
            return
        for _ in range(1 if delivery == "once" else 2):
            self.deliver_payment(attempt)
        attempt.refresh_from_db()
        assert (attempt.state, attempt.is_applied) == ("succeeded", True)
        tally("payment with excess" if attempt.excess_fen else "payment without excess")

    @precondition(lambda self: self.paid)
    @rule(pick=PICK)
    def channel_retries(self, pick):
        """A notification of a paid attempt arrives again later (the channel's retry)."""
        attempt = PaymentAttempt.objects.get(pk=chosen(sorted(self.paid), pick))
        was_applied = attempt.is_applied
        before = self.money_snapshot()
        self.deliver_payment(attempt)
        if was_applied:
            assert self.money_snapshot() == before
        self.lost.discard(attempt.pk)

    @rule(older_than_minutes=st.sampled_from([3, 0, 0]))
    def sweep(self, older_than_minutes):
        """The query job. Run as scheduled (attempts older than 3 minutes) it leaves these young ones
        alone; run at once, every paid attempt is settled, unpaid ones stay pending, refunds are asked."""
        before = (self.money_snapshot(), list(Refund.objects.order_by("pk").values_list("state", flat=True)))
        with self.committed():
            result = attempts_sweep(older_than_minutes=older_than_minutes)
        if older_than_minutes:
            assert result.queried == 0
            assert (
                self.money_snapshot(),
                list(Refund.objects.order_by("pk").values_list("state", flat=True)),
            ) == before
            return
        assert (result.queried, result.succeeded) == (
            len(self.pending_at_paysim()) + len(self.lost),
            len(self.lost),
        )
        tally(f"sweep settled {len(self.lost)} lost")
        self.lost.clear()
        for attempt in PaymentAttempt.objects.filter(pk__in=self.attempts):
            expected = ("succeeded", True) if attempt.pk in self.paid else ("pending", False)
            assert (attempt.state, attempt.is_applied) == expected

    @rule(
        household=st.integers(0, HOUSEHOLDS - 1),
        what=st.sampled_from(["payment", "payment", "prepayment"]),
        pick=PICK,
        method=st.sampled_from(COUNTER_METHODS),
        extra=st.integers(min_value=0, max_value=10_000),
    )
    def counter(self, household, what, pick, method, extra):
        """A cashier takes some of the household's open lines (cash: ``extra`` fen too many handed over,
        given back as change), or a prepayment of 1 + ``extra`` fen (applied to open lines at once)."""
        owner = self.households[household]
        if what == "prepayment":
            with self.committed():
                receipt = prepay(owner, 1 + extra, method=method)
            assert (receipt.kind, receipt.amount_fen) == (ReceiptKind.PREPAYMENT, 1 + extra)
            self.counter_in_fen += 1 + extra
            self.prepayments += 1
            return
        lines = open_lines(household=owner)
        key = f"desk{next(self.serial)}"
        if not lines:
            before = self.money_snapshot()
            with pytest.raises(PaymentError):
                counter_payment_take(
                    household=owner, line_ids=None, method=method, key=key, tendered_fen=100, actor=None
                )
            assert self.money_snapshot() == before
            return
        ids = subset(lines, pick) or [line.pk for line in lines]
        total = sum(line.outstanding_fen for line in lines if line.pk in ids)
        with self.committed():
            result = counter_payment_take(
                household=owner,
                line_ids=ids,
                method=method,
                key=key,
                tendered_fen=total + extra if method == "cash" else None,
                actor=None,
            )
        assert (result.created, result.attempt.amount_fen, result.attempt.excess_fen) == (True, total, 0)
        assert result.change_fen == (extra if method == "cash" else 0)
        self.counter_in_fen += total

    @precondition(lambda self: self.applied().exists())
    @rule(
        pick=PICK,
        amount=st.integers(min_value=1, max_value=40_000),
        outcome=st.sampled_from(["SUCCESS", "PROCESSING", "CLOSED"]),
        decision=st.sampled_from(["approve", "approve", "reject"]),
        online=st.booleans(),
        news=st.sampled_from(["later", "notified", "notified twice"]),
    )
    def refund(self, pick, amount, outcome, decision, online, news):
        """A cashier asks to refund part of a payment (an online one, when ``online`` and there is one);
        a supervisor approves or rejects it. WeChat's notification of the outcome comes at once (perhaps
        twice), or later."""
        candidates = [a for a in self.applied().order_by("pk") if refundable_fen(a) > 0]
        if online and any(a.method not in COUNTER_METHODS for a in candidates):
            candidates = [a for a in candidates if a.method not in COUNTER_METHODS]
        if not candidates:
            return
        attempt = chosen(candidates, pick)
        amount = 1 + (amount - 1) % refundable_fen(attempt)
        self.sim.refund_outcome = outcome  # what a WeChat refund becomes at paysim
        refund = refund_request(attempt=attempt, amount_fen=amount, reason="退款", actor=None)
        before = self.money_snapshot()
        if decision == "reject":
            refund_reject(refund=refund, reason="不退")
            assert self.money_snapshot() == before
            return
        try:
            with self.committed():
                refund_approve(refund=refund)
        except PaymentError:
            # Neither the prepayment balance nor this payment's lines hold the amount any more (its
            # excess went to prepayment and paid other lines since): refused, nothing written.
            assert self.money_snapshot() == before
            assert Refund.objects.get(pk=refund.pk).state == "requested"
            tally("refund refused: the money is no longer there")
            refund_reject(refund=refund, reason="无法原路退回")
            return
        refund.refresh_from_db()
        assert refund.from_prepayment_fen + refund.from_lines_fen == amount
        tally(f"refund approved: {attempt.method}, {outcome if attempt.method == 'wechat' else 'SUCCESS'}")
        if attempt.method in COUNTER_METHODS:
            assert refund.state == "succeeded"  # paid out by the cashier at approval
            self.counter_out_fen += amount
        elif attempt.method == "alipay":
            assert refund.state == "succeeded"  # Alipay refunds synchronously
        else:
            assert refund.state == "pending"  # WeChat answers PROCESSING
            if news != "later":
                self._refund_news(refund.out_refund_no, news)

    @precondition(lambda self: self.wechat_refunds())
    @rule(pick=PICK, news=st.sampled_from(["notified", "notified twice", "SUCCESS", "CLOSED"]))
    def wechat_refund_news(self, pick, news):
        """WeChat's notification of a refund's current state arrives (perhaps twice); or WeChat finishes
        a refund it was processing, and that notification is lost (only a query finds out)."""
        self._refund_news(chosen(self.wechat_refunds(), pick), news)

    def _refund_news(self, out_refund_no: str, news: str) -> None:
        sim_refund = self.sim.refunds[("wechat", out_refund_no)]
        if news in ("SUCCESS", "CLOSED"):
            if sim_refund.status == "PROCESSING":
                self.sim.complete_refund(out_refund_no, status=news)
            return
        _url, headers, body = self.sim.refund_notification_for(out_refund_no)
        for _ in range(2 if news == "notified twice" else 1):
            with self.committed():
                assert self.deliver("wechat", headers, body) == 200
        refund = Refund.objects.get(out_refund_no=out_refund_no)
        assert (
            refund.state
            == {"SUCCESS": "succeeded", "CLOSED": "failed", "PROCESSING": "pending"}[sim_refund.status]
        )

    def wechat_refunds(self, status: str | None = None) -> list[str]:
        """The refunds paysim holds for WeChat, in the order we made them (their numbers are random)."""
        with self.sim.lock:
            numbers = [
                no
                for (method, no), r in self.sim.refunds.items()
                if method == "wechat" and status in (None, r.status)
            ]
        return list(
            Refund.objects.filter(out_refund_no__in=numbers)
            .order_by("pk")
            .values_list("out_refund_no", flat=True)
        )

    @invariant()
    def counter_page_agrees(self):
        """What the counter shows of each household agrees with the ledger."""
        for owner in self.households:
            self._counter_page(owner)

    def _counter_page(self, owner):
        receivable = balance([Account.RECEIVABLE], household_id=owner.pk)
        assert sum(row.outstanding_fen for row in open_bills(household=owner)) == receivable
        assert sum(line.outstanding_fen for line in open_lines(household=owner)) == receivable
        held = prepayment_balance_fen(household=owner)
        assert (
            prepayment_balances(community_id=self.community.pk, household_ids=[owner.pk]).get(owner.pk, 0)
            == held
        )
        assert held >= 0
        applied_here = self.applied().filter(household=owner).count()
        prepaid_here = Receipt.objects.filter(household=owner, kind=ReceiptKind.PREPAYMENT).count()
        assert receipts_for_household(household=owner).count() == applied_here + prepaid_here
        for attempt in self.applied().filter(household=owner):
            taken = Refund.objects.filter(attempt=attempt, state__in=OPEN_REFUND_STATES).aggregate(
                t=Sum("amount_fen")
            )["t"]
            assert refundable_fen(attempt) == attempt.amount_fen - (taken or 0) >= 0

    # Invariants ---------------------------------------------------------------------------------------------

    @invariant()
    def books_balance(self):
        postings = Posting.objects.filter(community=self.community)
        unbalanced = postings.values("transaction_id").annotate(t=Sum("amount_fen")).exclude(t=0)
        assert list(unbalanced) == []
        assert (postings.aggregate(t=Sum("amount_fen"))["t"] or 0) == 0
        assert ledger_check(community=self.community) == []

    @invariant()
    def applied_exactly_once(self):
        applied = self.applied()
        payments = LedgerTransaction.objects.filter(community=self.community, kind=TransactionKind.PAYMENT)
        assert payments.count() == applied.count()
        assert sorted(payments.values_list("pk", flat=True)) == sorted(
            applied.values_list("transaction_id", flat=True)
        )
        assert sorted(payments.values_list("reference", flat=True)) == sorted(
            f"payments.attempt:{pk}" for pk in applied.values_list("pk", flat=True)
        )
        receipts = Receipt.objects.filter(community=self.community)
        assert receipts.count() == applied.count() + self.prepayments
        assert receipts.filter(kind=ReceiptKind.PREPAYMENT).count() == self.prepayments
        online = set(applied.exclude(method__in=COUNTER_METHODS).values_list("pk", flat=True))
        assert online <= self.paid  # nothing applied that the owner did not pay
        assert self.paid - online <= self.lost  # every paid attempt whose notification came is applied
        for attempt in applied.exclude(method__in=COUNTER_METHODS):
            assert (
                self.sim.order(attempt.out_trade_no, method=attempt.method).amount_fen == attempt.amount_fen
            )

    @invariant()
    def lines_paid_within_their_amounts(self):
        lines = BillLine.objects.filter(community=self.community)
        paid = lines.aggregate(t=Sum("paid_fen"))["t"] or 0
        allocated = (
            Allocation.objects.filter(community=self.community).aggregate(t=Sum("amount_fen"))["t"] or 0
        )
        assert paid == allocated
        owed = F("amount_fen") + F("adjusted_fen") - F("waived_fen")
        assert not lines.filter(Q(paid_fen__lt=0) | Q(paid_fen__gt=owed)).exists()

    @invariant()
    def money_is_conserved(self):
        applied = self.applied().aggregate(t=Sum("amount_fen"))["t"] or 0
        prepaid = (
            Receipt.objects.filter(community=self.community, kind=ReceiptKind.PREPAYMENT).aggregate(
                t=Sum("amount_fen")
            )["t"]
            or 0
        )
        refunds = Refund.objects.filter(community=self.community)
        paid_out = refunds.filter(state="succeeded").aggregate(t=Sum("amount_fen"))["t"] or 0
        assert balance(MONEY_ACCOUNTS, community=self.community) == applied + prepaid - paid_out
        # The counter: what the cashiers took, less what they paid back.
        assert (
            balance(COUNTER_ACCOUNTS, community=self.community) == self.counter_in_fen - self.counter_out_fen
        )
        # The channels: what paysim collected less what it refunded, but for what is still in flight.
        with self.sim.lock:
            collected = sum(o.amount_fen for o in self.sim.orders.values() if o.state == "paid")
            refunded = {no: r.amount_fen for (_m, no), r in self.sim.refunds.items() if r.status == "SUCCESS"}
        not_yet_applied = (
            PaymentAttempt.objects.filter(pk__in=self.paid, transaction__isnull=True).aggregate(
                t=Sum("amount_fen")
            )["t"]
            or 0
        )
        online_refunds = refunds.exclude(attempt__method__in=COUNTER_METHODS)
        settled = set(online_refunds.filter(state="succeeded").values_list("out_refund_no", flat=True))
        assert settled <= set(refunded)  # nothing counted as refunded that the channel did not pay out
        not_yet_settled = sum(amount for no, amount in refunded.items() if no not in settled)
        assert balance(CHANNEL_ACCOUNTS, community=self.community) == (
            collected - not_yet_applied - (sum(refunded.values()) - not_yet_settled)
        )
        # Money held for the households never goes below zero, and refunds payable are in flight only.
        for owner in self.households:
            assert prepayment_balance_fen(household=owner) >= 0
        in_flight = refunds.filter(state__in=("pending", "unknown")).aggregate(t=Sum("amount_fen"))["t"] or 0
        assert balance([Account.REFUNDS], community=self.community) == -in_flight


def machine_class(sim, capture) -> type[PaymentsMachine]:
    return type("Machine", (PaymentsMachine,), {"sim": sim, "capture": staticmethod(capture)})


def test_payments_conserve_money_and_apply_once_whatever_happens(paysim, django_capture_on_commit_callbacks):  # noqa: F811
    run_state_machine_as_test(
        machine_class(paysim, django_capture_on_commit_callbacks),
        settings=settings(
            max_examples=60,
            stateful_step_count=12,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            # No shrinking: a failure prints its (derandomized, so repeatable) steps at once, rather
            # than after minutes of shrinking database-backed steps. Add Phase.shrink to shrink one.
            phases=[Phase.explicit, Phase.generate],
        ),
    )


@pytest.mark.parametrize("policy", ExcessPolicy.values)
def test_payments_machine_walks_the_interleavings_that_matter(
    paysim,  # noqa: F811
    django_capture_on_commit_callbacks,
    policy,
):
    """The same machine and invariants, driven through the cases random search may reach only rarely:
    a QR payment of lines paid at the counter meanwhile, a lost notification swept, a late retry,
    Alipay and WeChat refunds refunded, closed and processing, a refund whose money is gone, and an
    order paid through both channels."""
    machine = machine_class(paysim, django_capture_on_commit_callbacks)()
    invariants = [
        machine.books_balance,
        machine.applied_exactly_once,
        machine.lines_paid_within_their_amounts,
        machine.money_is_conserved,
        machine.counter_page_agrees,
    ]
    steps = [
        lambda: machine.start(amounts=[12345, 20000], policy=policy),
        # Household 0: the owner opens a QR code; the cashier takes the same lines; the owner pays.
        lambda: machine.open_order(
            household=0, channel="wechat_native", pick=0, then="wait", delivery="once"
        ),
        lambda: machine.counter(household=0, what="payment", pick=0, method="cash", extra=500),
        lambda: machine.owner_pays(pick=0, delivery="twice", switch=False),
        # Household 1: paid by Alipay, the notification lost; the job, once too early, then in time.
        lambda: machine.open_order(household=1, channel="alipay_qr", pick=0, then="pay", delivery="lost"),
        lambda: machine.sweep(older_than_minutes=3),
        lambda: machine.sweep(older_than_minutes=0),
        lambda: machine.channel_retries(pick=1),
        # Refunds: Alipay at once; WeChat closed (back to prepayment), then processing until swept.
        lambda: machine.refund(
            pick=1, amount=5000, outcome="SUCCESS", decision="approve", online=True, news="later"
        ),
        lambda: machine.refund(
            pick=0, amount=3000, outcome="CLOSED", decision="approve", online=True, news="notified twice"
        ),
        lambda: machine.refund(
            pick=0, amount=2000, outcome="PROCESSING", decision="approve", online=True, news="notified"
        ),
        lambda: machine.refund(
            pick=0, amount=1000, outcome="SUCCESS", decision="reject", online=True, news="later"
        ),
        lambda: machine.wechat_refund_news(pick=1, news="SUCCESS"),
        lambda: machine.sweep(older_than_minutes=0),
        # The prepayment pays a new bill; then a refund of the WeChat payment finds its money gone.
        lambda: machine.issue(household=0, amounts=[30000, 30000]),
        lambda: machine.counter(household=0, what="prepayment", pick=0, method="card", extra=0),
        lambda: machine.refund(
            pick=0, amount=40000, outcome="SUCCESS", decision="approve", online=True, news="later"
        ),
        # One order, two QR codes (WeChat, then Alipay), both paid: the second is all excess.
        lambda: machine.open_order(
            household=1, channel="wechat_native", pick=0, then="wait", delivery="once"
        ),
        lambda: machine.owner_pays(pick=0, delivery="once", switch=True),
        lambda: machine.owner_pays(pick=0, delivery="once", switch=False),
        lambda: machine.sweep(older_than_minutes=0),
    ]
    try:
        for invariant_check in invariants:
            invariant_check()
        for step in steps:
            step()
            for invariant_check in invariants:
                invariant_check()
        paid_twice = machine.applied().filter(excess_fen__gt=0).exclude(method__in=COUNTER_METHODS)
        assert paid_twice.count() == 2
        if policy == ExcessPolicy.REFUND:  # each excess went back to its payer, through its channel
            for attempt in paid_twice:
                assert Refund.objects.filter(
                    attempt=attempt, amount_fen=attempt.excess_fen, state="succeeded"
                ).exists()
        else:
            assert Refund.objects.filter(state="rejected", failure_reason="无法原路退回").count() == 1
            assert set(Refund.objects.values_list("attempt__method", "state")) == {
                ("alipay", "succeeded"),
                ("wechat", "failed"),
                ("wechat", "succeeded"),
                ("wechat", "rejected"),
            }
    finally:
        machine.teardown()
