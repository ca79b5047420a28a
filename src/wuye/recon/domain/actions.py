"""What a person does with a reconciliation difference. Every action is audited; money moves only by new
ledger transactions (nothing is edited or deleted); a refused action changes nothing.

- book (channel has a payment we lack, with our order number): ask the channel and apply the payment to
  its bill, exactly as a late notification would;
- suspend: move what cannot be explained to the suspense account (挂账) with a reason: money the
  channel holds that our books lack is debited to the channel's clearing account and credited to
  suspense (and the other way round for money we booked that the channel does not have);
- clear suspense: refunded to the payer outside Wuye (the channel's merchant platform), or written off
  to adjustments; only a difference in suspense clears, and only by this action;
- refund a double collection (a refund request, approved as every refund is), or accept a difference
  with a note (a fee the channel charged, a double collection left as prepayment).
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from wuye.core.audit import log_action, register_actions, register_field_labels
from wuye.ledger.domain.ledger import Entry, transaction_post
from wuye.ledger.enums import Account, TransactionKind
from wuye.payments.domain.online import attempt_query
from wuye.payments.domain.payments import PaymentError
from wuye.payments.domain.refunds import refund_request
from wuye.payments.domain.voids import receipt_void_request
from wuye.payments.enums import AttemptState
from wuye.payments.models import PaymentAttempt
from wuye.recon.domain.days import day_guard
from wuye.recon.domain.runs import RECHECK_DAYS, ReconError
from wuye.recon.enums import DifferenceKind, DifferenceState, Document, Resolution, money_account
from wuye.recon.models import Difference, ReconRun

register_field_labels(
    {
        "reference": gettext_lazy("reference"),
        "difference_kind": (gettext_lazy("difference"), DifferenceKind),
        "resolution": (gettext_lazy("resolution"), Resolution),
        "out_refund_no": gettext_lazy("refund number"),
        "receipt": gettext_lazy("receipt"),
        "day": gettext_lazy("day"),
        "takings_yuan": gettext_lazy("takings (yuan)"),
        "refunds_yuan": gettext_lazy("refunds (yuan)"),
        "difference_yuan": gettext_lazy("difference (yuan)"),
        "matched": pgettext_lazy("reconciliation", "matched"),
    }
)
register_actions(
    {
        "recon.difference.booked": gettext_lazy("Lost payment booked after reconciliation"),
        "recon.difference.suspended": gettext_lazy("Difference moved to suspense"),
        "recon.difference.cleared": gettext_lazy("Suspense cleared"),
        "recon.difference.accepted": gettext_lazy("Reconciliation difference accepted"),
        "recon.difference.refunded": gettext_lazy("Double collection refunded"),
        "recon.difference.carried": gettext_lazy("Difference carried forward"),
        "recon.difference.reversed": gettext_lazy(
            "Payment the channel never had: its receipt void asked for"
        ),
    }
)

SUSPENDABLE = (
    DifferenceKind.CHANNEL_ONLY,
    DifferenceKind.OURS_ONLY,
    DifferenceKind.AMOUNT,
    DifferenceKind.STATE,
)


def _locked(difference: Difference, *states: str) -> Difference:
    locked = Difference.objects.select_for_update().get(pk=difference.pk)
    if locked.carried_at is None:
        day_guard(community=locked.community, day=locked.day)
    if locked.state not in states:
        raise ReconError(
            _("This difference is %(state)s: the action is not possible.")
            % {"state": locked.get_state_display()}
        )
    return locked


def _reason(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ReconError(_("Give a reason."))
    return text[:200]


def _log(action: str, difference: Difference, actor, **changes) -> None:
    log_action(
        action,
        actor=actor,
        obj=difference,
        community_id=difference.community_id,
        household_id=difference.household_id,
        changes={
            "reference": difference.reference,
            "difference_kind": difference.kind,
            **changes,
        },
    )


def _close(difference: Difference, resolution: str, note: str, actor, state=DifferenceState.RESOLVED) -> None:
    difference.state = state
    difference.resolution = resolution
    difference.note = note[:200]
    difference.resolved_by = actor if getattr(actor, "is_authenticated", False) else None
    difference.resolved_at = timezone.now()


def difference_book(*, difference: Difference, actor=None) -> Difference:
    """A payment the channel has and we lack, under one of our order numbers: query the channel and apply
    it (allocations, ledger, receipt) as the lost notification would have."""
    if difference.kind != DifferenceKind.CHANNEL_ONLY or difference.attempt_id is None:
        raise ReconError(_("Only a payment the channel has under one of our order numbers can be booked."))
    attempt = PaymentAttempt.objects.get(pk=difference.attempt_id)
    if attempt.state != AttemptState.SUCCEEDED:
        try:
            attempt = attempt_query(attempt=attempt)
        except PaymentError as error:
            raise ReconError(str(error)) from error
    if attempt.state != AttemptState.SUCCEEDED:
        raise ReconError(
            _("The channel does not confirm the payment now (%(state)s): move it to suspense.")
            % {"state": attempt.get_state_display()}
        )
    with transaction.atomic():
        locked = _locked(difference, DifferenceState.OPEN)
        _close(locked, Resolution.BOOKED, _("Receipt %(number)s.") % {"number": attempt.out_trade_no}, actor)
        locked.save()
        _log("recon.difference.booked", locked, actor, out_trade_no=attempt.out_trade_no)
    return locked


def suspense_amount_fen(difference: Difference) -> int:
    """Fen the channel holds beyond our books (> 0), or our books beyond the channel (< 0)."""
    ours, theirs = difference.ours_fen or 0, difference.theirs_fen or 0
    is_refund = difference.refund_id is not None or difference.reference != difference.out_trade_no
    if difference.kind == DifferenceKind.CHANNEL_ONLY:
        return theirs
    if difference.kind == DifferenceKind.OURS_ONLY:
        return -ours
    if difference.kind == DifferenceKind.AMOUNT:
        return ours - theirs if is_refund else theirs - ours
    if difference.kind == DifferenceKind.STATE:
        # A refund the channel paid that we did not book, or one we booked the channel did not pay.
        return -theirs if difference.theirs_fen is not None else ours
    return 0


@transaction.atomic
def difference_suspend(*, difference: Difference, reason: str, actor=None) -> Difference:
    """Move an unexplained difference to suspense (挂账) with a reason; see the module's docstring."""
    reason = _reason(reason)
    locked = _locked(difference, DifferenceState.OPEN)
    if locked.kind not in SUSPENDABLE:
        raise ReconError(_("A fee or a double collection does not go to suspense: accept or refund it."))
    amount = suspense_amount_fen(locked)
    if amount == 0:
        raise ReconError(_("Nothing to move to suspense: the amounts agree."))
    record = transaction_post(
        community_id=locked.community_id,
        kind=TransactionKind.SUSPENSE,
        entries=[
            Entry(account=money_account(locked.kind, locked.method), amount_fen=amount),
            Entry(account=Account.SUSPENSE, amount_fen=-amount),
        ],
        memo=reason,
        reference=f"recon.difference:{locked.pk}",
        key=f"suspense:{locked.pk}",
        actor=actor,
    )
    _close(locked, Resolution.SUSPENDED, reason, actor, state=DifferenceState.SUSPENSE)
    locked.suspense_fen = amount
    locked.suspense_transaction = record
    locked.save()
    _log("recon.difference.suspended", locked, actor, amount_fen=amount, reason=reason)
    return locked


CLEARINGS = (Resolution.REFUNDED, Resolution.WRITTEN_OFF)


@transaction.atomic
def suspense_clear(*, difference: Difference, resolution: str, reason: str, actor=None) -> Difference:
    """Clear a difference held in suspense: ``REFUNDED`` (the money went back to the payer through the
    channel's own platform: out of the channel's clearing account) or ``WRITTEN_OFF`` (to adjustments,
    a gain or a loss the company accepts)."""
    reason = _reason(reason)
    locked = _locked(difference, DifferenceState.SUSPENSE)
    if resolution not in CLEARINGS:
        raise ReconError(_("Clear suspense by a refund or a write-off."))
    amount = locked.suspense_fen
    if resolution == Resolution.REFUNDED and amount <= 0:
        raise ReconError(_("Only money the channel holds for us can be refunded; write this one off."))
    other = (
        money_account(locked.kind, locked.method)
        if resolution == Resolution.REFUNDED
        else Account.ADJUSTMENTS
    )
    record = transaction_post(
        community_id=locked.community_id,
        kind=TransactionKind.SUSPENSE_CLEAR,
        entries=[
            Entry(account=Account.SUSPENSE, amount_fen=amount),
            Entry(account=other, amount_fen=-amount),
        ],
        memo=reason,
        reference=f"recon.difference:{locked.pk}",
        key=f"suspense-clear:{locked.pk}",
        actor=actor,
    )
    _close(locked, resolution, reason, actor)
    locked.clear_transaction = record
    locked.save()
    _log("recon.difference.cleared", locked, actor, amount_fen=amount, resolution=resolution, reason=reason)
    return locked


@transaction.atomic
def difference_accept(*, difference: Difference, note: str, actor=None) -> Difference:
    """Close an open difference with a note and no money moved: a fee the channel charged, a double
    collection left in the household's prepayment (``CREDITED``), a difference explained elsewhere."""
    note = _reason(note)
    locked = _locked(difference, DifferenceState.OPEN)
    resolution = Resolution.CREDITED if locked.kind == DifferenceKind.DOUBLE else Resolution.ACCEPTED
    _close(locked, resolution, note, actor)
    locked.save()
    _log("recon.difference.accepted", locked, actor, resolution=resolution, note=note)
    return locked


@transaction.atomic
def difference_refund(*, difference: Difference, actor=None) -> Difference:
    """Refund a double collection: a refund request of the excess the second payment left in prepayment,
    approved and paid out as every refund is."""
    locked = _locked(difference, DifferenceState.OPEN)
    if locked.kind != DifferenceKind.DOUBLE or locked.attempt_id is None:
        raise ReconError(_("Only a double collection is refunded from here."))
    attempt = PaymentAttempt.objects.get(pk=locked.attempt_id)
    try:
        refund = refund_request(
            attempt=attempt,
            amount_fen=locked.ours_fen or 0,
            reason=_("Collected twice (reconciliation of %(day)s)") % {"day": locked.day.isoformat()},
            actor=actor,
        )
    except PaymentError as error:
        raise ReconError(str(error)) from error
    _close(
        locked,
        Resolution.REFUNDED,
        _("Refund %(number)s requested.") % {"number": refund.out_refund_no},
        actor,
    )
    locked.refund = refund
    locked.save()
    _log("recon.difference.refunded", locked, actor, out_refund_no=refund.out_refund_no)
    return locked


@transaction.atomic
def difference_carry(*, difference: Difference, note: str, actor=None) -> Difference:
    """Carry an open difference forward with a note: it stays open (to be settled on a later day) and no
    longer holds its day's close."""
    note = _reason(note)
    locked = _locked(difference, DifferenceState.OPEN)
    if locked.carried_at is not None:
        raise ReconError(_("This difference is carried forward already."))
    locked.carried_at = timezone.now()
    locked.carried_by = actor if getattr(actor, "is_authenticated", False) else None
    locked.note = note
    locked.save(update_fields=["carried_at", "carried_by", "note"])
    _log("recon.difference.carried", locked, actor, note=note)
    return locked


def reversible(difference: Difference) -> bool:
    """A payment we have and the channel does not, still missing from the bills of the next two days
    (both reconciled): reverse it."""
    if difference.kind != DifferenceKind.OURS_ONLY or difference.state != DifferenceState.OPEN:
        return False
    later = {difference.day + datetime.timedelta(days=days) for days in range(1, RECHECK_DAYS + 1)}
    reconciled = set(
        ReconRun.objects.filter(
            community_id=difference.community_id,
            method=difference.method,
            day__in=later,
            document=Document.TRADE,
        ).values_list("day", flat=True)
    )
    return reconciled == later


@transaction.atomic
def difference_reverse(*, difference: Difference, reason: str, actor) -> Difference:
    """Reverse a payment the channel never had (rechecked at T+1 and T+2): ask to void its receipt, as
    a plain void (nothing to refund); a second person approves it on the receipt's page, which reopens
    the bills it paid."""
    reason = _reason(reason)
    if not reversible(difference):
        raise ReconError(
            _(
                "Only a payment still missing from the channel's bills of the next two days, both reconciled, is reversed."
            )
        )
    locked = _locked(difference, DifferenceState.OPEN)
    attempt = PaymentAttempt.objects.select_related("receipt").get(pk=locked.attempt_id)
    if attempt.receipt is None:
        raise ReconError(_("This payment has no receipt to void."))
    try:
        receipt_void_request(receipt=attempt.receipt, reason=reason, actor=actor, money_never_arrived=True)
    except PaymentError as error:
        raise ReconError(str(error)) from error
    _close(locked, Resolution.REVERSED, reason, actor)
    locked.save()
    _log("recon.difference.reversed", locked, actor, receipt=attempt.receipt.display_number, reason=reason)
    return locked
