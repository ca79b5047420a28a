"""Payments: orders, attempts at a channel or the counter, and applying a success exactly once.

The path of an online payment:

1. ``order_create`` records which lines the payer chose and what they owed then;
2. ``attempt_create`` stores the attempt with its ``out_trade_no`` and commits, *before* any call;
3. ``attempt_start`` asks the channel for the QR payload (pending), or leaves it unknown when the
   call fails: an unknown attempt is queried later, never taken for failed;
4. the channel's notification (``wuye.payments.domain.inbox``) or a query (``attempts_sweep``) tells
   the outcome; ``attempt_settle`` moves the attempt, and a success goes to ``payment_apply``.

``payment_apply`` is the only writer of a payment: in one database transaction it locks the attempt,
returns at once if it was applied already, allocates the money to the order's lines oldest first
(each line up to what it still owes, so a line paid meanwhile at the counter takes nothing), keeps
any excess as prepayment (or refunds it, as the community chose), collects each paid line's late fee as the
order fixed it (never more than is still due: a late fee is charged once), posts one ledger transaction
(the late fees to late-fee income),
issues the receipt and logs on the household's timeline. The caller acknowledges the channel only
after it returns, i.e. after commit.

A top-up (预存, ``order_topup_create``) is an order of kind prepayment with no lines: ``payment_apply``
keeps its whole amount as prepayment, applies it to the household's open bills at once (as a
prepayment at the counter is) and issues an online-prepayment receipt.

Counter payments take the same path in one call (``counter_payment_take``): order, attempt and
application in one transaction.

Lock order (see ``lock_objects``): the attempt, then the household, the receipt counter, the lines,
the bills. Refunds take the attempt first too.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.billing.domain.latefees import late_fees_attach, late_fees_still_due
from wuye.billing.models import BillLine
from wuye.billing.tagrules import arrears_tag_refresh_on_commit
from wuye.core import sql
from wuye.core.audit import log_action, register_actions, register_field_labels
from wuye.core.money import fen_to_yuan
from wuye.households.models import Household
from wuye.ledger.domain.ledger import Entry, transaction_post
from wuye.ledger.enums import Account, TransactionKind
from wuye.payments.domain import attempts
from wuye.payments.domain.allocations import allocation_split, allocations_write
from wuye.payments.domain.attempts import PaymentError, attempt_transition
from wuye.payments.domain.order_kinds import ORDER_KINDS
from wuye.payments.domain.prepayments import prepayments_apply
from wuye.payments.domain.queries import debit_locked_line_ids, open_lines
from wuye.payments.domain.receipts import receipt_issue
from wuye.payments.domain.refunds import refund_excess_on_commit
from wuye.payments.enums import (
    ATTEMPT_OPEN_STATES,
    CHANNEL_METHOD,
    COUNTER_METHODS,
    METHOD_ACCOUNT,
    ONLINE_METHODS,
    AttemptState,
    Channel,
    ExcessPolicy,
    OrderKind,
    OrderState,
    PaymentMethod,
    ReceiptKind,
)
from wuye.payments.limits import MAX_COUNTER_FEN
from wuye.payments.lock_objects import household_lock, open_lines_lock
from wuye.payments.models import (
    OrderLine,
    PaymentAttempt,
    PaymentOrder,
    PaymentSettings,
)

register_actions(
    {
        "payments.payment.received": gettext_lazy("Payment received"),
    }
)
register_field_labels(
    {
        "out_trade_no": gettext_lazy("order number"),
        "excess_yuan": gettext_lazy("kept as prepayment (yuan)"),
        "attempt_state": (gettext_lazy("state"), AttemptState),
    }
)


@dataclass(frozen=True)
class Applied:
    attempt: PaymentAttempt
    applied: bool  # False: it was applied before (a duplicate), nothing was written now
    allocated_fen: int = 0
    excess_fen: int = 0
    late_fee_fen: int = 0  # fen collected as late fees (late-fee income)


@transaction.atomic
def order_create(*, household: Household, line_ids=None, actor=None) -> PaymentOrder:
    """An order for the household's chosen open lines (all of them by default), at what they owe now:
    each line's outstanding principal and the late fee due today (``late_fee_fen``), fixed on the order
    so that the amount shown before paying is the amount asked."""
    lines = open_lines(household=household, line_ids=line_ids)
    if line_ids is not None and len(lines) != len(set(line_ids)):
        raise PaymentError(
            _("Some of the chosen bills are paid already or not this household's; reload the page.")
        )
    locked = debit_locked_line_ids(line_ids=[line.pk for line in lines])
    if locked and line_ids is None:  # "everything owed": what the bank is collecting is not owed here
        lines = [line for line in lines if line.pk not in locked]
    elif locked:
        raise PaymentError(
            _(
                "Some of these bills are being collected by bank direct debit: the debit file is with"
                " the bank. Wait for the bank's result before paying them another way."
            )
        )
    if not lines:
        raise PaymentError(_("Nothing is owed: there is nothing to pay."))
    late_fees_attach(lines)
    late_fee = sum(line.late_fee_due_fen for line in lines)
    total = sum(line.outstanding_fen for line in lines) + late_fee
    if total > MAX_COUNTER_FEN:
        raise PaymentError(
            _("The amount is too large: at most %(max)s yuan.") % {"max": fen_to_yuan(MAX_COUNTER_FEN)}
        )
    order = PaymentOrder.objects.create(
        community_id=household.community_id,
        household=household,
        total_fen=total,
        late_fee_fen=late_fee,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=order, line=line, amount_fen=line.outstanding_fen, late_fee_fen=line.late_fee_due_fen
            )
            for line in lines
        ]
    )
    return order


def _amount_check(amount_fen) -> None:
    """An amount a lines-less order may ask (a top-up, a visitor's): whole fen, more than zero, at most
    what the counter takes."""
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen <= 0:
        raise PaymentError(_("The amount must be more than zero."))
    if amount_fen > MAX_COUNTER_FEN:
        raise PaymentError(
            _("The amount is too large: at most %(max)s yuan.") % {"max": fen_to_yuan(MAX_COUNTER_FEN)}
        )


@transaction.atomic
def order_topup_create(*, household: Household, amount_fen: int, actor=None) -> PaymentOrder:
    """An order to pay ``amount_fen`` in as the household's prepayment (预存): no lines. Once paid, the
    whole amount is held as prepayment (never refunded as excess) and applied to the household's open
    bills at once, as a prepayment taken at the counter is; the receipt is an online prepayment's."""
    _amount_check(amount_fen)
    return PaymentOrder.objects.create(
        community_id=household.community_id,
        household=household,
        kind=OrderKind.PREPAYMENT,
        total_fen=amount_fen,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )


def attempt_create(*, order: PaymentOrder, channel: str, payer_ref: str = "", actor=None) -> PaymentAttempt:
    """Store an online attempt for the order, committed before the channel is called."""
    if channel not in CHANNEL_METHOD:
        raise PaymentError(_("Choose WeChat Pay or Alipay."))
    if order.state != OrderState.OPEN:
        raise PaymentError(_("This order is paid or closed already."))
    minutes = PaymentSettings.of(order.community_id).order_minutes
    with transaction.atomic():
        return PaymentAttempt.objects.create(
            community_id=order.community_id,
            order=order,
            household_id=order.household_id,
            channel=channel,
            method=CHANNEL_METHOD[channel],
            amount_fen=order.total_fen,
            payer_ref=payer_ref,
            expires_at=timezone.now() + datetime.timedelta(minutes=minutes),
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )


def _allocate(order_id: int, amount: int, household_pk: int) -> list[tuple[BillLine, int, int]]:
    """Split ``amount`` over the order's lines oldest first (``allocation_split``): each its principal up
    to min(what the order asked for it, what it owes now), then its late fee up to min(what the order
    asked, what is still due now). The order's open lines are locked, in pk order."""
    locked = open_lines_lock(household_pk, order_id=order_id)
    due = late_fees_still_due(
        (
            (
                line.pk,
                line.fee_item_id,
                line.bill_due_on,
                line.outstanding_fen,
                line.late_fee_waived_at is not None,
                line.late_fee_paid_fen,
            )
            for line in locked
            if line.late_fee_asked_fen
        ),
        as_of=timezone.localdate(),
    )
    plan, _excess = allocation_split(
        amount_fen=amount,
        lines=(
            (line, line.asked_fen, line.outstanding_fen, line.late_fee_asked_fen, due.get(line.pk, 0))
            for line in sorted(locked, key=lambda line: (line.bill_period, line.pk))
        ),
    )
    return plan


@transaction.atomic
def payment_apply(
    *,
    attempt: PaymentAttempt,
    amount_fen: int,
    channel_trade_no: str = "",
    paid_at: datetime.datetime | None = None,
    actor=None,
    on_applied: Callable[[Applied], None] | None = None,
) -> Applied:
    """Apply a success of ``attempt`` for ``amount_fen`` exactly once. See the module's docstring.
    ``on_applied`` runs in the same transaction once the money is applied (the inbox closes its event
    there, so the event and the money commit together).

    Raises PaymentError (nothing written) when the amount differs from what the attempt asked."""
    locked = attempts.attempt_lock(attempt.pk)
    if locked.is_applied:
        return Applied(attempt=locked, applied=False)
    if amount_fen != locked.amount_fen:
        raise PaymentError(
            _("The amount paid (%(paid)s fen) differs from the order (%(asked)s fen).")
            % {"paid": amount_fen, "asked": locked.amount_fen}
        )
    if locked.state != AttemptState.SUCCEEDED and not attempt_transition(
        attempt=locked, to_state=AttemptState.SUCCEEDED, actor=actor, save=False
    ):
        raise PaymentError(_("This attempt failed finally and cannot be paid."))
    if locked.household_id is None:
        return _visitor_apply(locked, amount_fen, channel_trade_no, paid_at, actor, on_applied)
    household = household_lock(locked.household_id, news=True)
    plan = _allocate(locked.order_id, amount_fen, household.pk)
    allocated = sum(share for _line, share, _late in plan)
    late_fee = sum(late for _line, _share, late in plan)
    excess = amount_fen - allocated - late_fee
    # Only an order that allocates nothing can be a top-up: the common payment asks nothing more here.
    topup = not plan and PaymentOrder.objects.filter(pk=locked.order_id, kind=OrderKind.PREPAYMENT).exists()
    community_id = locked.community_id
    record = transaction_post(
        community_id=community_id,
        kind=TransactionKind.PAYMENT,
        entries=[
            Entry(account=METHOD_ACCOUNT[locked.method], amount_fen=amount_fen),
            Entry(account=Account.RECEIVABLE, amount_fen=-allocated, household_id=household.pk),
            Entry(account=Account.LATE_FEE_INCOME, amount_fen=-late_fee, household_id=household.pk),
            Entry(account=Account.PREPAYMENT, amount_fen=-excess, household_id=household.pk),
        ],
        memo=channel_trade_no,
        reference=f"payments.attempt:{locked.pk}",
        key=f"payment:{locked.out_trade_no}" if attempts.EXACTLY_ONCE_GUARDS else None,
        actor=actor,
        key_seen="raise",  # the attempt's lock makes a second posting impossible; the key is the DB's proof
    )
    allocations_write(
        record=record,
        household=household,
        plan=[(line, share) for line, share, _late in plan],
        late_fees={line.pk: late for line, _share, late in plan if late},
    )
    sql.execute(
        "UPDATE payments_paymentorder SET state = %s WHERE id = %s", [OrderState.PAID, locked.order_id]
    )
    if topup:  # held as prepayment: it pays the household's open bills at once (lines before the counter)
        prepayments_apply(household=household, actor=actor, refresh_tags=False)
    # The receipt comes last: its number locks the community's counter until commit, so the lock is
    # held for the few statements after it only (every payment of the community queues on it).
    receipt = receipt_issue(
        household=household,
        kind=ReceiptKind.TOPUP if topup else ReceiptKind.PAYMENT,
        method=locked.method,
        amount_fen=amount_fen,
        record=record,
        note=locked.out_trade_no,
        actor=actor,
        notify=household.anyone_bound,
    )
    locked.transaction = record
    locked.receipt = receipt
    locked.excess_fen = excess
    locked.channel_trade_no = channel_trade_no[:64] or locked.channel_trade_no
    locked.paid_at = paid_at or timezone.now()
    sql.update(
        locked, ["state", "transaction", "receipt", "excess_fen", "channel_trade_no", "paid_at", "updated_at"]
    )
    log_action(
        "payments.prepayment.received" if topup else "payments.payment.received",
        actor=actor,
        obj=locked,
        household_id=household.pk,
        changes={
            "amount_yuan": fen_to_yuan(amount_fen),
            "payment_method": locked.method,
            "receipt_number": receipt.display_number,
            "out_trade_no": locked.out_trade_no,
            "excess_yuan": fen_to_yuan(excess),
            **({"late_fee_yuan": fen_to_yuan(late_fee)} if late_fee else {}),
        },
    )
    if household.arrears_tagged:  # paying in can only take a household out of 欠费
        arrears_tag_refresh_on_commit(community_id=community_id, household_ids=[household.pk], paid=True)
    online = locked.method in ONLINE_METHODS  # a channel that can refund by itself
    if (
        excess
        and online
        and not topup
        and PaymentSettings.of(community_id).excess_policy == ExcessPolicy.REFUND
    ):
        refund_excess_on_commit(attempt=locked, amount_fen=excess)
    applied = Applied(
        attempt=locked, applied=True, allocated_fen=allocated, excess_fen=excess, late_fee_fen=late_fee
    )
    if on_applied is not None:
        on_applied(applied)
    return applied


# --- visitors' orders (no household) -----------------------------------------------------------------


@transaction.atomic
def order_visitor_create(*, community_id: int, kind: str, amount_fen: int, reference: str) -> PaymentOrder:
    """An order of a visitor (no household) for ``amount_fen``, paying for ``reference`` of the app
    that registered ``kind``; paid online through ``attempt_create`` as any order."""
    if kind not in ORDER_KINDS:
        raise PaymentError(f"no app registered orders of kind {kind!r}")
    _amount_check(amount_fen)
    return PaymentOrder.objects.create(
        community_id=community_id, household=None, kind=kind, total_fen=amount_fen, reference=reference[:60]
    )


def _visitor_apply(
    locked: PaymentAttempt, amount_fen, channel_trade_no, paid_at, actor, on_applied
) -> Applied:
    """``payment_apply`` for a visitor's order (its attempt is locked and moved to succeeded): the money to
    the kind's income account, the app's ``on_paid``, a receipt of the kind; no household, no lines."""
    order = PaymentOrder.objects.get(pk=locked.order_id)
    handler = ORDER_KINDS[order.kind]
    record = transaction_post(
        community_id=locked.community_id,
        kind=TransactionKind.PAYMENT,
        entries=[
            Entry(account=METHOD_ACCOUNT[locked.method], amount_fen=amount_fen),
            Entry(account=handler.income_account, amount_fen=-amount_fen),
        ],
        memo=channel_trade_no,
        reference=f"payments.attempt:{locked.pk}",
        key=f"payment:{locked.out_trade_no}" if attempts.EXACTLY_ONCE_GUARDS else None,
        actor=actor,
        key_seen="raise",
    )
    sql.execute("UPDATE payments_paymentorder SET state = %s WHERE id = %s", [OrderState.PAID, order.pk])
    locked.paid_at = paid_at or timezone.now()
    handler.on_paid(order, locked)
    receipt = receipt_issue(
        household=None,
        kind=handler.receipt_kind,
        method=locked.method,
        amount_fen=amount_fen,
        record=record,
        note=locked.out_trade_no,
        actor=actor,
        visitor=handler.visitor(order),
    )
    locked.transaction, locked.receipt, locked.excess_fen = record, receipt, 0
    locked.channel_trade_no = channel_trade_no[:64] or locked.channel_trade_no
    sql.update(
        locked, ["state", "transaction", "receipt", "excess_fen", "channel_trade_no", "paid_at", "updated_at"]
    )
    log_action(
        "payments.payment.received",
        actor=actor,
        obj=locked,
        changes={
            "amount_yuan": fen_to_yuan(amount_fen),
            "payment_method": locked.method,
            "receipt_number": receipt.display_number,
            "out_trade_no": locked.out_trade_no,
        },
    )
    applied = Applied(attempt=locked, applied=True)
    if on_applied is not None:
        on_applied(applied)
    return applied


@dataclass(frozen=True)
class CounterResult:
    attempt: PaymentAttempt
    created: bool  # False: this form was submitted before; its attempt is returned
    change_fen: int  # fen to hand back (cash)


@transaction.atomic
def counter_payment_take(
    *,
    household: Household,
    line_ids,
    method: str,
    key: str,
    tendered_fen: int | None = None,
    actor,
) -> CounterResult:
    """Take a payment at the counter for the chosen lines: order, attempt and application at once.

    ``key`` is the form's one-time key: a double submit records once and returns the first result.
    Cash needs ``tendered_fen`` ≥ the total; the change is tendered − total."""
    if method not in COUNTER_METHODS:
        raise PaymentError(_("Choose how the money was paid."))
    if not key or len(key) > 24:
        raise PaymentError(_("The form has expired; open it again."))
    out_trade_no = f"CT{key}"
    existing = PaymentAttempt.objects.filter(out_trade_no=out_trade_no).first()
    if existing is not None:
        if existing.household_id != household.pk:
            raise PaymentError(_("The form has expired; open it again."))
        return CounterResult(attempt=existing, created=False, change_fen=_change(existing))
    household_lock(household.pk)
    order = order_create(household=household, line_ids=line_ids, actor=actor)
    if method == PaymentMethod.CASH:
        if tendered_fen is None or tendered_fen < order.total_fen:
            raise PaymentError(
                _("The cash handed over is less than the %(total)s yuan due.")
                % {"total": fen_to_yuan(order.total_fen)}
            )
        if tendered_fen > order.total_fen + MAX_COUNTER_FEN:
            raise PaymentError(_("The cash handed over is implausibly large; check the figure."))
    else:
        tendered_fen = None
    attempt = PaymentAttempt.objects.create(
        community_id=household.community_id,
        order=order,
        household=household,
        channel=Channel.COUNTER,
        method=method,
        out_trade_no=out_trade_no,
        amount_fen=order.total_fen,
        tendered_fen=tendered_fen,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    applied = payment_apply(attempt=attempt, amount_fen=order.total_fen, actor=actor)
    return CounterResult(attempt=applied.attempt, created=True, change_fen=_change(applied.attempt))


def _change(attempt: PaymentAttempt) -> int:
    return (attempt.tendered_fen - attempt.amount_fen) if attempt.tendered_fen is not None else 0


def attempts_open(*, older_than: datetime.timedelta, now: datetime.datetime | None = None):
    """Online attempts still open after ``older_than``: what the query job looks at."""
    now = now or timezone.now()
    return PaymentAttempt.objects.filter(
        state__in=ATTEMPT_OPEN_STATES, created_at__lte=now - older_than
    ).exclude(channel=Channel.COUNTER)
