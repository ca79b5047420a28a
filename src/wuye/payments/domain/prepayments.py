"""Prepayments (预存款): taken at the counter with a receipt, and applied to bills oldest first.

A household's prepayment balance is read from the ledger (−Σ of its prepayment postings: the
account is a liability, so money held is a credit). It is never stored anywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.billing.models import BillLine
from wuye.billing.tagrules import arrears_tag_refresh_on_commit
from wuye.core.audit import log_action, register_actions
from wuye.core.money import fen_to_yuan
from wuye.households.models import Household
from wuye.ledger.domain.ledger import Entry, transaction_post
from wuye.ledger.enums import Account, TransactionKind
from wuye.ledger.models import Posting
from wuye.payments.domain.allocations import allocations_write
from wuye.payments.domain.queries import debit_locked_line_ids
from wuye.payments.domain.receipts import receipt_issue
from wuye.payments.enums import METHOD_ACCOUNT, PaymentMethod, ReceiptKind
from wuye.payments.limits import MAX_COUNTER_FEN
from wuye.payments.lock_objects import household_lock, open_lines_lock
from wuye.payments.models import Receipt

register_actions(
    {
        "payments.prepayment.received": gettext_lazy("Prepayment received"),
        "payments.prepayment.applied": gettext_lazy("Prepayment applied to bills"),
    }
)

KEY_PREFIX = "prepayment:"


class PrepaymentError(Exception):
    """A refused prepayment; the message is translated and nothing was written."""


@dataclass(frozen=True)
class PrepaymentResult:
    receipt: Receipt
    created: bool  # False: the same form was submitted before, and this is its receipt
    applied_fen: int  # fen of the new balance applied to open bills at once


def prepayment_balance_fen(*, household: Household) -> int:
    """Fen held for the household (≥ 0 unless the books are broken)."""
    total = Posting.objects.filter(
        community_id=household.community_id, account=Account.PREPAYMENT, household_id=household.pk
    ).aggregate(total=Sum("amount_fen"))["total"]
    return -(total or 0)


def _existing(community_id: int, key: str) -> Receipt | None:
    return (
        Receipt.objects.filter(community_id=community_id, transaction__key=key)
        .select_related("transaction")
        .first()
    )


@transaction.atomic
def prepayment_record(
    *,
    household: Household,
    amount_fen: int,
    method: str,
    key: str,
    note: str = "",
    actor,
    refresh_tags: bool = True,
) -> PrepaymentResult:
    """Take a prepayment at the counter, in one database transaction.

    Steps: check the amount and method; if the form's one-time ``key`` was used already, return its
    receipt (a double submit records once); lock the household; post Dr cash/clearing, Cr
    prepayment(household); issue the receipt with the community's next number; log it on the
    household's timeline; apply the new balance to the household's open bills (``refresh_tags``: as
    ``prepayments_apply``'s, False when the caller refreshes the 欠费 tag once for many households).
    """
    if not isinstance(amount_fen, int) or amount_fen <= 0:
        raise PrepaymentError(_("The amount must be more than zero."))
    if amount_fen > MAX_COUNTER_FEN:
        raise PrepaymentError(
            _("The amount is too large: at most %(max)s yuan.") % {"max": fen_to_yuan(MAX_COUNTER_FEN)}
        )
    if method not in PaymentMethod.values:
        raise PrepaymentError(_("Choose how the money was paid."))
    if not key:
        raise PrepaymentError(_("The form has expired; open it again."))
    ledger_key = KEY_PREFIX + key
    existing = _existing(household.community_id, ledger_key)
    if existing is not None:
        return PrepaymentResult(receipt=existing, created=False, applied_fen=0)
    household_lock(household.pk)
    record = transaction_post(
        community_id=household.community_id,
        kind=TransactionKind.PREPAYMENT,
        entries=[
            Entry(account=METHOD_ACCOUNT[method], amount_fen=amount_fen),
            Entry(account=Account.PREPAYMENT, amount_fen=-amount_fen, household_id=household.pk),
        ],
        memo=note,
        reference=f"households.household:{household.pk}",
        key=ledger_key,
        actor=actor,
    )
    # transaction_post returns the first record of a key another request posted meanwhile: its
    # receipt was written in the same committed transaction, so it is there to return.
    existing = Receipt.objects.filter(transaction=record).first()
    if existing is not None:
        return PrepaymentResult(receipt=existing, created=False, applied_fen=0)
    if record.kind != TransactionKind.PREPAYMENT:
        raise PrepaymentError(_("The form has expired; open it again."))
    receipt = receipt_issue(
        household=household,
        kind=ReceiptKind.PREPAYMENT,
        method=method,
        amount_fen=amount_fen,
        record=record,
        note=note,
        actor=actor,
    )
    log_action(
        "payments.prepayment.received",
        actor=actor,
        obj=receipt,
        household_id=household.pk,
        changes={
            "amount_yuan": fen_to_yuan(amount_fen),
            "payment_method": method,
            "receipt_number": receipt.display_number,
        },
    )
    applied = prepayments_apply(household=household, actor=actor, refresh_tags=refresh_tags)
    return PrepaymentResult(receipt=receipt, created=True, applied_fen=applied)


@transaction.atomic
def prepayments_apply(*, household: Household, actor=None, refresh_tags: bool = True) -> int:
    """Apply the household's prepayment balance to its open lines, oldest first. Returns fen applied.

    Steps: lock the household row (two applications for one household queue here, so a balance is
    never spent twice); read the balance from the ledger; lock the open lines; pay each line up to
    its outstanding amount (by bill month, then line); post one transaction Dr prepayment, Cr
    receivable; raise the lines' paid_fen and write one allocation per line (never a line a bank debit
    is collecting: the bank's result pays it); refresh the bills' states; log on the timeline; refresh
    the 欠费 tag after commit (unless the caller does it once for many households). Nothing is written when there is no balance or nothing open.
    """
    household_lock(household.pk)
    available = prepayment_balance_fen(household=household)
    if available <= 0:
        return 0
    plan: list[tuple[BillLine, int]] = []
    lines = open_lines_lock(household.pk)
    collecting = debit_locked_line_ids(line_ids=[line.pk for line in lines])  # the bank's to collect
    oldest_first = sorted(
        (line for line in lines if line.pk not in collecting), key=lambda line: (line.bill_period, line.pk)
    )
    for line in oldest_first:
        if available <= 0:
            break
        amount = min(available, line.outstanding_fen)
        plan.append((line, amount))
        available -= amount
    total = sum(amount for _line, amount in plan)
    if total == 0:
        return 0
    record = transaction_post(
        community_id=household.community_id,
        kind=TransactionKind.PREPAYMENT_USE,
        entries=[
            Entry(account=Account.PREPAYMENT, amount_fen=total, household_id=household.pk),
            Entry(account=Account.RECEIVABLE, amount_fen=-total, household_id=household.pk),
        ],
        reference=f"households.household:{household.pk}",
        actor=actor,
    )
    allocations_write(record=record, household=household, plan=plan)
    log_action(
        "payments.prepayment.applied",
        actor=actor,
        obj=record,
        household_id=household.pk,
        changes={"amount_yuan": fen_to_yuan(total), "bill_lines": len(plan)},
    )
    if refresh_tags:
        arrears_tag_refresh_on_commit(community_id=household.community_id)
    return total


def households_with_prepayment(*, community_id: int, household_ids) -> list[int]:
    """Which of ``household_ids`` hold a prepayment balance: one query, whatever their number."""
    wanted = set(household_ids)
    if not wanted:
        return []
    postings = Posting.objects.filter(community_id=community_id, account=Account.PREPAYMENT)
    # A short list goes into the query; a billing-run chunk's thousands are matched in Python
    # against the (few) households of the community that hold a balance at all.
    if len(wanted) <= 500:
        postings = postings.filter(household_id__in=wanted)
    holders = (
        postings.values("household_id")
        .annotate(total=Sum("amount_fen"))
        .filter(total__lt=0)
        .values_list("household_id", flat=True)
    )
    return sorted(pk for pk in holders if pk in wanted)
