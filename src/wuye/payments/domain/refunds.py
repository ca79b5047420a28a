"""Refunds (退款), full and partial, through the channel the money came by, with approval.

A refund is requested (by a cashier), then approved or rejected (by a supervisor), and approved by
someone other than who requested it (four eyes): one person may do both only for an amount below the
community's ``PaymentSettings.refund_self_approval_below_fen`` (0 by default: never), and the audit
log of that approval says so. A refund the system requests itself (an excess paid twice) is approved
by the system. Approval moves
the money out of the household's books at once, in one transaction: first from its prepayment
balance, then from the lines this attempt paid (newest first; they open again), into "refunds
payable". Only after commit is the channel asked (with the ``out_refund_no`` stored before); the
channel's answer settles it: refunded (payable → the channel's clearing account), failed (payable →
back to the household's prepayment, which pays the reopened lines again), or unknown (queried
later). A counter refund (cash, card, transfer) is paid out by the cashier at approval.

A visitor's payment (no household: temporary parking) is refunded the same way, its money taken back
out of the income account of its kind of order (``order_kinds``) instead of a household's books, and
the app that sold it records the refund on its own object (``OrderKindHandler.on_refunded``); a failed
refund puts the money back into that income.

Idempotent: every ledger write carries the refund's number as its key, and a refund's state moves
only along ``REFUND_TRANSITIONS`` under a row lock.
"""

from __future__ import annotations

import datetime
import logging

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.billing.models import BillLine
from wuye.billing.tagrules import arrears_tag_refresh_on_commit
from wuye.core.audit import log_action, register_actions, register_field_labels
from wuye.core.money import fen_to_yuan
from wuye.ledger.domain.ledger import Entry, transaction_post
from wuye.ledger.enums import Account, TransactionKind
from wuye.payments.channels import ChannelError, RefundResult, adapter_for
from wuye.payments.domain.accounts import channel_account, notify_url
from wuye.payments.domain.allocations import allocations_write
from wuye.payments.domain.approvals import ApprovalError, four_eyes_check
from wuye.payments.domain.attempts import PaymentError, attempt_lock
from wuye.payments.domain.order_kinds import ORDER_KINDS, OrderKindHandler
from wuye.payments.domain.prepayments import prepayment_balance_fen, prepayments_apply
from wuye.payments.enums import (
    METHOD_ACCOUNT,
    ONLINE_METHODS,
    REFUND_TRANSITIONS,
    AttemptState,
    RefundState,
)
from wuye.payments.lock_objects import household_lock
from wuye.payments.models import Allocation, PaymentAttempt, PaymentOrder, Receipt, Refund

logger = logging.getLogger(__name__)

register_actions(
    {
        "payments.refund.requested": gettext_lazy("Refund requested"),
        "payments.refund.rejected": gettext_lazy("Refund rejected"),
        "payments.refund.approved": gettext_lazy("Refund approved"),
        "payments.refund.succeeded": gettext_lazy("Refund paid out"),
        "payments.refund.failed": gettext_lazy("Refund failed, money returned to prepayment"),
    }
)
register_field_labels({"approved_by_requester": gettext_lazy("approved by the person who requested it")})


class RefundApprovalError(ApprovalError):
    """The approver may not approve this refund (four eyes); nothing was changed."""


OPEN_REFUND_STATES = (RefundState.REQUESTED, RefundState.PENDING, RefundState.UNKNOWN, RefundState.SUCCEEDED)


def refundable_fen(attempt: PaymentAttempt) -> int:
    """What can still be refunded of an applied attempt: its amount less refunds not rejected or failed."""
    if not attempt.is_applied or _receipt_void_asked(attempt):
        return 0
    taken = (
        Refund.objects.filter(attempt=attempt, state__in=OPEN_REFUND_STATES).aggregate(
            total=Sum("amount_fen")
        )["total"]
        or 0
    )
    return attempt.amount_fen - taken


def _receipt_void_asked(attempt: PaymentAttempt) -> bool:
    """Whether the payment's receipt is void, or its void waits for approval (``voids``): then nothing
    of the payment can be refunded (its money is, or is about to be, reversed whole)."""
    return Receipt.objects.filter(pk=attempt.receipt_id, void_requested_at__isnull=False).exists()


def _refund_lock(pk: int) -> Refund:
    return Refund.objects.select_for_update(of=("self",)).select_related("attempt", "household").get(pk=pk)


def _transition(refund: Refund, to_state: str, *, reason: str = "") -> None:
    if to_state not in REFUND_TRANSITIONS[refund.state]:
        raise PaymentError(
            _("A refund that is %(state)s cannot become %(to)s.")
            % {"state": refund.get_state_display(), "to": RefundState(to_state).label}
        )
    refund.state = to_state
    if reason:
        refund.failure_reason = reason[:200]
    refund.save(update_fields=["state", "failure_reason", "updated_at"])


def _log(action: str, refund: Refund, actor=None, **changes) -> None:
    log_action(
        action,
        actor=actor,
        obj=refund,
        household_id=refund.household_id,
        changes={
            "amount_yuan": fen_to_yuan(refund.amount_fen),
            "out_trade_no": refund.attempt.out_trade_no,
            **changes,
        },
    )


@transaction.atomic
def refund_request(*, attempt: PaymentAttempt, amount_fen: int, reason: str, actor=None) -> Refund:
    """Ask to refund ``amount_fen`` of an applied attempt; it waits for approval."""
    locked = attempt_lock(attempt.pk)
    reason = (reason or "").strip()
    if not reason:
        raise PaymentError(_("Give the reason for the refund."))
    if locked.state != AttemptState.SUCCEEDED or not locked.is_applied:
        raise PaymentError(_("Only a payment that was received can be refunded."))
    if locked.household_id is None:
        _visitor(locked, refusing=True)
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise PaymentError(_("The amount must be more than zero."))
    if _receipt_void_asked(locked):
        raise PaymentError(
            _("This payment's receipt is voided, or its void waits for approval: it cannot be refunded.")
        )
    available = refundable_fen(locked)
    if amount_fen > available:
        raise PaymentError(
            _("At most %(max)s yuan of this payment can still be refunded.") % {"max": fen_to_yuan(available)}
        )
    refund = Refund.objects.create(
        community_id=locked.community_id,
        attempt=locked,
        household_id=locked.household_id,
        amount_fen=amount_fen,
        reason=reason[:200],
        requested_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    _log("payments.refund.requested", refund, actor, reason=refund.reason)
    return refund


def _visitor(attempt: PaymentAttempt, *, refusing: bool = False) -> tuple[PaymentOrder, OrderKindHandler]:
    """The order of a visitor's payment and the handler of its kind, or PaymentError when payments of
    that kind are not refunded; ``refusing``: also when the app refuses a refund now."""
    order = PaymentOrder.objects.get(pk=attempt.order_id)
    handler = ORDER_KINDS.get(order.kind)
    if handler is None or handler.refund_refusal is None or handler.on_refunded is None:
        raise PaymentError(_("A visitor's payment of this kind is not refunded here."))
    refusal = handler.refund_refusal(order) if refusing else ""
    if refusal:
        raise PaymentError(refusal)
    return order, handler


@transaction.atomic
def refund_reject(*, refund: Refund, reason: str = "", actor=None) -> Refund:
    locked = _refund_lock(refund.pk)
    _transition(locked, RefundState.REJECTED, reason=reason)
    _log("payments.refund.rejected", locked, actor, reason=reason)
    return locked


def _take_back_plan(attempt: PaymentAttempt, amount: int) -> list[tuple[BillLine, int]]:
    """Which lines give back ``amount`` of what this attempt paid them (newest first), locked."""
    transactions = [
        attempt.transaction_id,
        *Refund.objects.filter(attempt=attempt)
        .exclude(transaction=None)
        .values_list("transaction_id", flat=True),
    ]
    net = dict(
        Allocation.objects.filter(transaction_id__in=transactions)
        .values("line_id")
        .annotate(total=Sum("amount_fen"))
        .filter(total__gt=0)
        .values_list("line_id", "total")
    )
    lines = (
        BillLine.objects.select_for_update(of=("self",))
        .filter(pk__in=list(net))
        .select_related("bill")
        .order_by("pk")
    )
    plan = []
    for line in sorted(lines, key=lambda line: (line.bill.period, line.pk), reverse=True):
        if amount <= 0:
            break
        share = min(amount, net[line.pk], line.paid_fen)
        if share > 0:
            plan.append((line, share))
            amount -= share
    if amount > 0:
        raise PaymentError(
            _(
                "Not that much of this payment can be refunded now: what it paid has been refunded, or its "
                "excess was spent on other bills."
            )
        )
    return plan


def _self_approval_check(refund: Refund, actor) -> dict:
    """Four eyes (``approvals.four_eyes_check``) for a refund."""
    return four_eyes_check(
        community_id=refund.community_id,
        amount_fen=refund.amount_fen,
        requested_by_id=refund.requested_by_id,
        actor=actor,
        never_message=_("A refund must be approved by someone other than the person who requested it."),
        limit_message=_(
            "A refund of ¥%(limit)s or more must be approved by someone other than the person who "
            "requested it."
        ),
        error=RefundApprovalError,
    )


@transaction.atomic
def refund_approve(*, refund: Refund, actor=None) -> Refund:
    """Approve: check four eyes (``_self_approval_check``), move the money into refunds payable (see
    the module's docstring); the channel is asked after commit. A counter refund is paid out now."""
    attempt = attempt_lock(refund.attempt_id)
    locked = _refund_lock(refund.pk)
    _transition(locked, RefundState.PENDING)
    self_approval = _self_approval_check(locked, actor)  # raising rolls the transition back with the rest
    approve = _household_refund_approve if locked.household_id is not None else _visitor_refund_approve
    locked.transaction, locked.from_prepayment_fen, locked.from_lines_fen = approve(locked, attempt, actor)
    locked.approved_by = actor if getattr(actor, "is_authenticated", False) else None
    locked.save(
        update_fields=["transaction", "from_prepayment_fen", "from_lines_fen", "approved_by", "updated_at"]
    )
    _log("payments.refund.approved", locked, actor, **self_approval)
    if attempt.method not in ONLINE_METHODS:  # the counter, or a bank debit: paid out by the cashier
        refund_settle(
            refund=locked,
            result=RefundResult(
                out_refund_no=locked.out_refund_no, state=RefundState.SUCCEEDED, amount_fen=locked.amount_fen
            ),
            actor=actor,
        )
    else:
        transaction.on_commit(lambda: refund_send(refund_pk=locked.pk))
    return locked


def _household_refund_approve(locked: Refund, attempt: PaymentAttempt, actor):
    """The money of an approved refund out of the household's prepayment, then the lines it paid;
    (its ledger transaction, fen from the prepayment, fen from the lines)."""
    household = locked.household
    household_lock(household.pk)
    from_prepayment = min(prepayment_balance_fen(household=household), locked.amount_fen)
    from_lines = locked.amount_fen - from_prepayment
    plan = _take_back_plan(attempt, from_lines) if from_lines else []
    record = transaction_post(
        community_id=locked.community_id,
        kind=TransactionKind.REFUND,
        entries=[
            Entry(account=Account.PREPAYMENT, amount_fen=from_prepayment, household_id=household.pk),
            Entry(account=Account.RECEIVABLE, amount_fen=from_lines, household_id=household.pk),
            Entry(account=Account.REFUNDS, amount_fen=-locked.amount_fen),
        ],
        reference=f"payments.refund:{locked.pk}",
        key=f"refund:{locked.out_refund_no}",
        actor=actor,
    )
    allocations_write(record=record, household=household, plan=[(line, -share) for line, share in plan])
    arrears_tag_refresh_on_commit(community_id=locked.community_id, household_ids=[household.pk])
    return record, from_prepayment, from_lines


def _visitor_refund_approve(locked: Refund, attempt: PaymentAttempt, actor):
    """The money of an approved refund of a visitor's payment out of its kind's income; the app records
    it (``on_refunded`` locks its object and may still refuse: PaymentError rolls the approval back)."""
    order, handler = _visitor(attempt)
    record = transaction_post(
        community_id=locked.community_id,
        kind=TransactionKind.REFUND,
        entries=[
            Entry(account=handler.income_account, amount_fen=locked.amount_fen),
            Entry(account=Account.REFUNDS, amount_fen=-locked.amount_fen),
        ],
        reference=f"payments.refund:{locked.pk}",
        key=f"refund:{locked.out_refund_no}",
        actor=actor,
    )
    handler.on_refunded(order, locked.amount_fen)
    return record, 0, 0


def refund_send(*, refund_pk: int) -> Refund:
    """Ask the channel to pay the (approved) refund out, and settle what it answers."""
    refund = Refund.objects.select_related("attempt").get(pk=refund_pk)
    account = channel_account(community_id=refund.community_id, method=refund.attempt.method)
    try:
        result = adapter_for(account).refund(refund, notify_url=notify_url(account))
    except ChannelError as error:
        logger.warning("refund %s: %s; it will be queried", refund.out_refund_no, error)
        with transaction.atomic():
            locked = _refund_lock(refund_pk)
            if locked.state == RefundState.PENDING:
                _transition(locked, RefundState.UNKNOWN, reason=str(error))
        return locked
    return refund_settle(refund=refund, result=result)


@transaction.atomic
def refund_settle(*, refund: Refund, result: RefundResult, actor=None) -> Refund:
    """Bring a sent refund in line with the channel's answer; a final outcome is written once."""
    locked = _refund_lock(refund.pk)
    if locked.state in (RefundState.SUCCEEDED, RefundState.FAILED) or result.state == locked.state:
        return locked
    if result.state in (RefundState.PENDING, RefundState.UNKNOWN):
        if locked.state != result.state and result.state in REFUND_TRANSITIONS[locked.state]:
            _transition(locked, result.state)
        return locked
    if result.amount_fen is not None and result.amount_fen != locked.amount_fen:
        raise PaymentError(_("The channel refunded a different amount; the refund is left to be checked."))
    account = METHOD_ACCOUNT[locked.attempt.method]
    household_id = locked.household_id
    order, handler = _visitor(locked.attempt) if household_id is None else (None, None)
    if result.state == RefundState.SUCCEEDED:
        entries = [
            Entry(account=Account.REFUNDS, amount_fen=locked.amount_fen),
            Entry(account=account, amount_fen=-locked.amount_fen),
        ]
        kind, action = TransactionKind.REFUND_SETTLED, "payments.refund.succeeded"
    else:
        # The money goes back where it came from: the household's prepayment, or the visitor kind's income.
        entries = [
            Entry(account=Account.REFUNDS, amount_fen=locked.amount_fen),
            Entry(account=Account.PREPAYMENT, amount_fen=-locked.amount_fen, household_id=household_id)
            if handler is None
            else Entry(account=handler.income_account, amount_fen=-locked.amount_fen),
        ]
        kind, action = TransactionKind.REFUND_FAILED, "payments.refund.failed"
    locked.settle_transaction = transaction_post(
        community_id=locked.community_id,
        kind=kind,
        entries=entries,
        reference=f"payments.refund:{locked.pk}",
        key=f"refund-settled:{locked.out_refund_no}",
        actor=actor,
    )
    if result.channel_refund_no:
        locked.channel_refund_no = result.channel_refund_no[:64]
    locked.save(update_fields=["settle_transaction", "channel_refund_no", "updated_at"])
    _transition(locked, result.state)
    _log(action, locked, actor)
    if result.state == RefundState.FAILED:
        if handler is None:
            prepayments_apply(household=locked.household, actor=actor)
        else:
            handler.on_refunded(order, -locked.amount_fen)
    return locked


def refund_excess_on_commit(*, attempt: PaymentAttempt, amount_fen: int) -> None:
    """The community refunds money that came for lines already paid: after the payment commits, a
    refund of the excess is requested and approved by the system."""

    def refund() -> None:
        try:
            request = refund_request(
                attempt=attempt, amount_fen=amount_fen, reason=_("Paid twice: the excess is refunded")
            )
            refund_approve(refund=request)
        except PaymentError:
            logger.exception("automatic refund of %s failed", attempt.out_trade_no)

    transaction.on_commit(refund)


def refunds_sweep(*, older_than_minutes: int = 3, now: datetime.datetime | None = None) -> int:
    """Query refunds still pending or unknown after a few minutes and settle them."""
    now = now or timezone.now()
    settled = 0
    waiting = (
        Refund.objects.filter(
            state__in=(RefundState.PENDING, RefundState.UNKNOWN),
            updated_at__lte=now - datetime.timedelta(minutes=older_than_minutes),
        )
        .select_related("attempt")
        .order_by("pk")[:1000]
    )
    for refund in waiting:
        Refund.objects.filter(pk=refund.pk).update(queried_at=now)
        account = channel_account(community_id=refund.community_id, method=refund.attempt.method)
        try:
            result = adapter_for(account).refund_query(refund)
        except ChannelError:
            continue
        refund_settle(refund=refund, result=result)
        settled += 1
    return settled
