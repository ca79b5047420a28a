"""Voiding a payment's receipt (收据作废、冲红): asked for with a reason, approved by a second person.

Which way a void goes depends on where the money is:

- taken at the counter (cash, bank card at the POS, bank transfer): a plain void. The cash is handed
  back at the counter, the card sale is cancelled on the POS terminal (撤销), or the transfer the
  receipt was written for is sent back by the cashier or never arrived. ``receipt_void_request``
  records the request on the receipt; ``receipt_void_approve`` reverses the payment exactly;
- paid online (WeChat Pay, Alipay) or by bank direct debit: the money is at the channel or the bank,
  and only a refund brings it back to the payer. ``receipt_void_request`` then requests a refund of
  everything still refundable of the payment (``refunds.refund_request``, with the same reason), which
  a supervisor approves on the payment's page like any refund; the receipt is not marked void (the
  refund documents where the money went).

Approval (four eyes, ``approvals.four_eyes_check``, with the refunds' per-community limit) does, in
one database transaction under the attempt's lock (then the receipt, the household, the lines by pk,
the bills: the lock order of ``payment_apply`` and of refunds):

1. check: the receipt is a payment's receipt with a void asked for and not done; nothing of the
   payment was refunded or is being refunded (that money is the refund flow's); the prepayment the
   payment created is still held; every line it paid still holds that payment;
2. write: one ledger transaction that negates every posting of the payment's transaction (so it
   reverses whatever the payment posted); one negative allocation per line it paid (the lines open
   again, their bills' states are refreshed); the receipt's void fields;
3. log on the household's timeline; refresh the 欠费 tag after commit.

The books are then as before the payment. The receipt keeps its number (the numbers stay gapless), and
its PDF and its public verify page say it is void. A rejected request clears the request (the audit
log keeps it).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.billing.models import BillLine
from wuye.billing.tagrules import arrears_tag_refresh_on_commit
from wuye.core.audit import log_action, register_actions, register_field_labels
from wuye.core.money import fen_to_yuan
from wuye.ledger.domain.ledger import transactions_reverse
from wuye.ledger.enums import TransactionKind
from wuye.ledger.models import LedgerTransaction
from wuye.payments.domain.allocations import allocations_write
from wuye.payments.domain.approvals import ApprovalError, four_eyes_check
from wuye.payments.domain.attempts import PaymentError, attempt_lock
from wuye.payments.domain.prepayments import prepayment_balance_fen
from wuye.payments.domain.refunds import refund_request, refundable_fen
from wuye.payments.enums import COUNTER_METHODS, ReceiptKind, RefundState
from wuye.payments.lock_objects import household_lock
from wuye.payments.models import Allocation, PaymentAttempt, Receipt, Refund

register_actions(
    {
        "payments.receipt.void_requested": gettext_lazy("Receipt void requested"),
        "payments.receipt.void_rejected": gettext_lazy("Receipt void rejected"),
        "payments.receipt.voided": gettext_lazy("Receipt voided, its payment reversed"),
    }
)
register_field_labels({"void_reason": gettext_lazy("reason for voiding")})


class ReceiptVoidError(PaymentError):
    """A refused void; the message is translated and nothing was changed."""


class ReceiptVoidApprovalError(ReceiptVoidError, ApprovalError):
    """The approver may not approve this void (four eyes); nothing was changed."""


def receipt_voids_plainly(receipt: Receipt) -> bool:
    """Whether a void of this receipt is a plain void (money taken at the counter), rather than a
    refund through the channel or the bank the money came by (see the module's docstring)."""
    return receipt.method in COUNTER_METHODS


@dataclass(frozen=True)
class VoidRequested:
    receipt: Receipt
    refund: Refund | None = None  # the money goes back through its channel: this refund was requested


def _signed_in(actor) -> bool:
    return getattr(actor, "is_authenticated", False)


def _receipt_lock(pk: int) -> Receipt:
    return Receipt.objects.select_for_update(of=("self",)).get(pk=pk)


def _attempt_of(receipt: Receipt) -> PaymentAttempt:
    attempt = PaymentAttempt.objects.filter(receipt_id=receipt.pk).first()
    if receipt.kind != ReceiptKind.PAYMENT or attempt is None:
        raise ReceiptVoidError(
            _("Only the receipt of a payment of bills can be voided; a prepayment is given back by a refund.")
        )
    return attempt


def _refunds_taken(attempt: PaymentAttempt) -> bool:
    """Whether any money of the payment was refunded or is on its way back (a rejected refund moved none)."""
    return Refund.objects.filter(attempt=attempt).exclude(state=RefundState.REJECTED).exists()


def _log(action: str, receipt: Receipt, actor, **changes) -> None:
    log_action(
        action,
        actor=actor,
        obj=receipt,
        household_id=receipt.household_id,
        changes={
            "receipt_number": receipt.display_number,
            "amount_yuan": fen_to_yuan(receipt.amount_fen),
            "payment_method": receipt.method,
            **changes,
        },
    )


@transaction.atomic
def receipt_void_request(
    *, receipt: Receipt, reason: str, actor, money_never_arrived: bool = False
) -> VoidRequested:
    """Ask to void a payment's receipt (a cashier); a supervisor approves it (``receipt_void_approve``).

    For money that came online or by direct debit this requests a refund of the whole payment instead
    (see the module's docstring) and returns it. Refused (ReceiptVoidError, nothing written) without a
    reason or a signed-in person, for a receipt that is not a payment's, void already or asked for
    already, or a payment of which money was refunded (the refund flow handles the rest).

    ``money_never_arrived``: reconciliation found that the channel never had this online payment (not in
    its bill of the day nor of the next two days): there is nothing to refund, and the void is plain."""
    reason = (reason or "").strip()
    if not reason:
        raise ReceiptVoidError(_("Give the reason for voiding the receipt."))
    if not _signed_in(actor):
        raise ReceiptVoidError(_("A void is asked for and approved by people signed in, by name."))
    attempt = attempt_lock(_attempt_of(receipt).pk)
    locked = _receipt_lock(receipt.pk)
    if locked.is_void:
        raise ReceiptVoidError(_("This receipt is void already."))
    if locked.void_requested:
        raise ReceiptVoidError(_("A void of this receipt was asked for already and waits for approval."))
    if not receipt_voids_plainly(locked) and not money_never_arrived:
        # The money is at the channel or the bank: it goes back to the payer as a refund.
        if refundable_fen(attempt) <= 0:
            raise ReceiptVoidError(
                _("Everything of this payment was refunded already, or is being refunded.")
            )
        return VoidRequested(
            receipt=locked,
            refund=refund_request(
                attempt=attempt, amount_fen=refundable_fen(attempt), reason=reason, actor=actor
            ),
        )
    if _refunds_taken(attempt):
        raise ReceiptVoidError(
            _(
                "Money of this payment was refunded or is being refunded, so its receipt cannot be voided:"
                " refund the rest instead."
            )
        )
    locked.void_requested_at = timezone.now()
    locked.void_reason = reason[:200]
    locked.voided_by = actor
    locked.save(update_fields=["void_requested_at", "void_reason", "voided_by"])
    _log("payments.receipt.void_requested", locked, actor, void_reason=locked.void_reason)
    return VoidRequested(receipt=locked)


@transaction.atomic
def receipt_void_reject(*, receipt: Receipt, actor) -> Receipt:
    """Turn a void request down (a supervisor): the receipt stands as it was; the log keeps the request."""
    if not _signed_in(actor):
        raise ReceiptVoidError(_("A void is asked for and approved by people signed in, by name."))
    locked = _receipt_lock(receipt.pk)
    if not locked.void_requested:
        raise ReceiptVoidError(_("No void of this receipt waits for approval."))
    reason = locked.void_reason
    locked.void_requested_at, locked.void_reason, locked.voided_by = None, "", None
    locked.save(update_fields=["void_requested_at", "void_reason", "voided_by"])
    _log("payments.receipt.void_rejected", locked, actor, void_reason=reason)
    return locked


def _reopen_plan(attempt: PaymentAttempt) -> list[tuple[BillLine, int]]:
    """What the payment paid, line by line (the lines locked in pk order), to be taken back whole."""
    paid = dict(
        Allocation.objects.filter(transaction_id=attempt.transaction_id)
        .values("line_id")
        .annotate(total=Sum("amount_fen"))
        .values_list("line_id", "total")
    )
    lines = BillLine.objects.select_for_update(of=("self",)).filter(pk__in=list(paid)).order_by("pk")
    plan = []
    for line in lines:
        if line.is_void or line.paid_fen < paid[line.pk]:
            raise ReceiptVoidError(
                _("A bill this payment paid was voided or changed since; the receipt cannot be voided.")
            )
        plan.append((line, -paid[line.pk]))
    return plan


@transaction.atomic
def receipt_void_approve(*, receipt: Receipt, actor) -> Receipt:
    """Approve a void (a supervisor other than who asked, ``four_eyes_check``) and reverse the payment;
    the steps are in the module's docstring. Refused (ReceiptVoidError, nothing written) as they say."""
    if not _signed_in(actor):
        raise ReceiptVoidError(_("A void is asked for and approved by people signed in, by name."))
    attempt = attempt_lock(_attempt_of(receipt).pk)
    locked = _receipt_lock(receipt.pk)
    if locked.is_void:
        raise ReceiptVoidError(_("This receipt is void already."))
    if not locked.void_requested:
        raise ReceiptVoidError(_("No void of this receipt waits for approval."))
    self_approval = four_eyes_check(
        community_id=locked.community_id,
        amount_fen=locked.amount_fen,
        requested_by_id=locked.voided_by_id,
        actor=actor,
        never_message=_("A void must be approved by someone other than the person who asked for it."),
        limit_message=_(
            "A void of a receipt of ¥%(limit)s or more must be approved by someone other than the person"
            " who asked for it."
        ),
        error=ReceiptVoidApprovalError,
    )
    if _refunds_taken(attempt):
        raise ReceiptVoidError(
            _(
                "Money of this payment was refunded or is being refunded, so its receipt cannot be voided:"
                " refund the rest instead."
            )
        )
    household = household_lock(attempt.household_id)
    if attempt.excess_fen and prepayment_balance_fen(household=household) < attempt.excess_fen:
        raise ReceiptVoidError(
            _(
                "The ¥%(excess)s this payment left as prepayment was spent on other bills since; the receipt"
                " cannot be voided. Refund the payment instead."
            )
            % {"excess": fen_to_yuan(attempt.excess_fen)}
        )
    plan = _reopen_plan(attempt)
    record_pk = transactions_reverse(
        community_id=locked.community_id,
        reference=f"payments.attempt:{attempt.pk}",
        kind=TransactionKind.PAYMENT,
        reversal_kind=TransactionKind.RECEIPT_VOID,
        memo=locked.display_number,
        key=f"receipt-void:{locked.pk}",
        actor=actor,
    )
    record = LedgerTransaction.objects.get(pk=record_pk)
    allocations_write(record=record, household=household, plan=plan)
    locked.voided_at = timezone.now()
    locked.void_approved_by = actor
    locked.void_transaction = record
    locked.save(update_fields=["voided_at", "void_approved_by", "void_transaction"])
    _log(
        "payments.receipt.voided",
        locked,
        actor,
        void_reason=locked.void_reason,
        out_trade_no=attempt.out_trade_no,
        **self_approval,
    )
    arrears_tag_refresh_on_commit(community_id=locked.community_id, household_ids=[household.pk])
    return locked
