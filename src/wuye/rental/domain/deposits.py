"""A lease's deposit (押金), held in the ledger for the tenant's household.

Received at the counter: Dr cash / card-and-transfer clearing, Cr deposits (household), with a
numbered receipt of kind deposit. Returned once, when the lease has closed, in ONE transaction that
releases everything held: Dr deposits (household) the whole balance; Cr receivable what it pays of
the lease's open lines (its unpaid rent, if asked, and the deductions charged for damage or cleaning,
each first charged as a one-off line of the 押金扣款 item so that the bill shows what was kept and
why), with one allocation per line; Cr cash/clearing the rest, handed back. The deposit entries are
the documents; ``checks.deposits_check`` proves the ledger agrees with them.

Only the company's leases hold a deposit here: an owner and their tenant settle theirs between them.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.billing.domain.bills import BillError
from wuye.billing.domain.charges import charge_add
from wuye.billing.tagrules import arrears_tag_refresh_on_commit
from wuye.core.audit import log_action, register_actions, register_field_labels
from wuye.core.models import Community
from wuye.core.money import fen_to_yuan
from wuye.ledger.domain.ledger import Entry, transaction_post
from wuye.ledger.enums import Account, TransactionKind
from wuye.payments.domain.allocations import allocations_write
from wuye.payments.domain.queries import debit_locked_line_ids
from wuye.payments.domain.receipts import receipt_issue
from wuye.payments.enums import COUNTER_METHODS, METHOD_ACCOUNT, ReceiptKind
from wuye.payments.lock_objects import household_lock, open_lines_lock
from wuye.rental.domain.billing import deduction_fee_item, lease_source_prefix
from wuye.rental.domain.errors import RentalError, staff_or_none
from wuye.rental.domain.schedule import MAX_RENT_FEN
from wuye.rental.enums import CLOSED_STATES, DepositEntryKind, LeaseState
from wuye.rental.models import DepositEntry, Lease

register_actions(
    {
        "rental.deposit.received": gettext_lazy("Lease deposit received"),
        "rental.deposit.returned": gettext_lazy("Lease deposit returned"),
    }
)
register_field_labels(
    {
        "deducted_yuan": gettext_lazy("deducted (yuan)"),
        "returned_yuan": gettext_lazy("returned (yuan)"),
        "deductions": gettext_lazy("deductions"),
    }
)

KEY_PREFIX = "deposit:"
MAX_DEDUCTIONS = 10


def deposit_held_fen(lease: Lease) -> int:
    """Fen of the lease's deposit held now (received, less what its return released)."""
    sums = {
        row["kind"]: row["total"] or 0
        for row in DepositEntry.objects.filter(lease=lease).values("kind").annotate(total=Sum("amount_fen"))
    }
    return sums.get(DepositEntryKind.RECEIVED, 0) - sums.get(DepositEntryKind.RETURNED, 0)


def _lease_locked(lease: Lease) -> Lease:
    return Lease.objects.select_for_update().select_related("household", "room").get(pk=lease.pk)


@transaction.atomic
def deposit_receive(
    *, lease: Lease, amount_fen: int, method: str, key: str, note: str = "", actor
) -> DepositEntry:
    """Take (part of) the lease's deposit at the counter, with a receipt.

    Refused: an owner's lease (not held here), a closed lease, a method that is not the counter's,
    more than the deposit agreed less what is held. The form's one-time ``key`` makes a double submit
    record once (the first entry is returned)."""
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise RentalError(_("The amount must be more than zero."))
    if method not in COUNTER_METHODS:
        raise RentalError(_("Choose how the money was paid."))
    if not key:
        raise RentalError(_("The form has expired; open it again."))
    lease = _lease_locked(lease)  # a second submit of the form waits here, then finds the first's entry
    existing = DepositEntry.objects.filter(
        community_id=lease.community_id, transaction__key=KEY_PREFIX + key
    ).first()
    if existing is not None:
        return existing
    if not lease.bills_rent:
        raise RentalError(_("An owner's tenant pays the deposit to the owner: the office holds none."))
    if lease.state != LeaseState.ACTIVE:
        raise RentalError(_("The lease is closed: no deposit is taken for it."))
    held = deposit_held_fen(lease)
    if held + amount_fen > lease.deposit_fen:
        raise RentalError(
            _("The deposit agreed is %(agreed)s yuan and %(held)s yuan is held: at most %(left)s yuan more.")
            % {
                "agreed": fen_to_yuan(lease.deposit_fen),
                "held": fen_to_yuan(held),
                "left": fen_to_yuan(max(lease.deposit_fen - held, 0)),
            }
        )
    household = household_lock(lease.household_id)
    record = transaction_post(
        community_id=lease.community_id,
        kind=TransactionKind.DEPOSIT,
        entries=[
            Entry(METHOD_ACCOUNT[method], amount_fen),
            Entry(Account.DEPOSITS, -amount_fen, household_id=household.pk),
        ],
        memo=note,
        reference=f"rental.lease:{lease.pk}",
        key=KEY_PREFIX + key,
        actor=actor,
        key_seen="raise",
    )
    receipt = receipt_issue(
        household=household,
        kind=ReceiptKind.DEPOSIT,
        method=method,
        amount_fen=amount_fen,
        record=record,
        note=(note or _("Deposit of lease %(number)s") % {"number": lease.number})[:200],
        actor=actor,
    )
    entry = DepositEntry.objects.create(
        community_id=lease.community_id,
        lease=lease,
        household=household,
        kind=DepositEntryKind.RECEIVED,
        method=method,
        amount_fen=amount_fen,
        note=note[:200],
        transaction=record,
        receipt=receipt,
        created_by=staff_or_none(actor),
    )
    log_action(
        "rental.deposit.received",
        actor=actor,
        obj=entry,
        household_id=household.pk,
        changes={
            "lease_number": lease.number,
            "amount_yuan": fen_to_yuan(amount_fen),
            "payment_method": method,
            "receipt_number": receipt.display_number,
        },
    )
    return entry


def _check_deductions(deductions) -> list[tuple[str, int]]:
    checked = []
    for description, amount_fen in deductions:
        description = " ".join((description or "").split())[:100]
        if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen < 0:
            raise RentalError(_("A deduction is a whole number of fen, zero or more."))
        if amount_fen == 0:
            continue
        if amount_fen > MAX_RENT_FEN:
            raise RentalError(_("A deduction is too large."))
        if not description:
            raise RentalError(_("Say what each deduction is for."))
        checked.append((description, amount_fen))
    if len(checked) > MAX_DEDUCTIONS:
        raise RentalError(_("At most %(count)s deductions.") % {"count": MAX_DEDUCTIONS})
    return checked


@transaction.atomic
def deposit_return(
    *,
    lease: Lease,
    deductions: list[tuple[str, int]] = (),
    settle_rent: bool = True,
    method: str = "",
    note: str = "",
    actor,
) -> DepositEntry:
    """Release the whole deposit held for a closed lease: pay first the deductions (charged first, each a line
    of the 押金扣款 item) and, with ``settle_rent``, the lease's unpaid rent, oldest first, as far as the
    deposit goes (what it does not cover stays owed on the bills); hand back the rest by ``method``.

    Refused: a lease in force (close it first), nothing held, a second return, a method that is not the
    counter's when something is handed back. A line a bank debit is collecting is left to the bank."""
    deductions = _check_deductions(deductions)
    lease = _lease_locked(lease)
    if lease.state not in CLOSED_STATES:
        raise RentalError(_("Close the lease before its deposit is returned."))
    if DepositEntry.objects.filter(lease=lease, kind=DepositEntryKind.RETURNED).exists():
        raise RentalError(_("The deposit of this lease was returned already."))
    held = deposit_held_fen(lease)
    if held <= 0:
        raise RentalError(_("No deposit is held for this lease."))
    # Lock order as in billing's charges: the community, then the household.
    Community.objects.select_for_update().filter(pk=lease.community_id).exists()
    household = household_lock(lease.household_id)
    item = deduction_fee_item(household.community) if deductions else None
    for number, (description, amount_fen) in enumerate(deductions, start=1):
        try:
            charge_add(
                household=household,
                amount_fen=amount_fen,
                description=_("Deducted from the deposit of lease %(number)s: %(what)s")
                % {"number": lease.number, "what": description},
                reference=f"{lease_source_prefix(lease)}deduction:{number}",
                actor=actor,
                room=lease.room,
                any_room=True,
                item=item,
            )
        except BillError as error:
            raise RentalError(str(error)) from error
    prefix = lease_source_prefix(lease)
    lines = [line for line in open_lines_lock(household.pk) if (line.source or "").startswith(prefix)]
    if not settle_rent:
        lines = [line for line in lines if line.source.startswith(prefix + "deduction:")]
    collecting = debit_locked_line_ids(line_ids=[line.pk for line in lines])
    plan = []
    available = held
    for line in sorted(
        lines, key=lambda line: (not line.source.startswith(prefix + "deduction:"), line.bill_period, line.pk)
    ):
        if available <= 0:
            break
        if line.pk in collecting:
            continue
        amount = min(available, line.outstanding_fen)
        if amount > 0:
            plan.append((line, amount))
            available -= amount
    deducted = sum(amount for _line, amount in plan)
    returned = held - deducted
    if returned and method not in COUNTER_METHODS:
        raise RentalError(_("Choose how the rest of the deposit is handed back."))
    entries = [Entry(Account.DEPOSITS, held, household_id=household.pk)]
    if deducted:
        entries.append(Entry(Account.RECEIVABLE, -deducted, household_id=household.pk))
    if returned:
        entries.append(Entry(METHOD_ACCOUNT[method], -returned))
    record = transaction_post(
        community_id=lease.community_id,
        kind=TransactionKind.DEPOSIT_RETURN,
        entries=entries,
        memo=note,
        reference=f"rental.lease:{lease.pk}",
        actor=actor,
    )
    if plan:
        allocations_write(record=record, household=household, plan=plan)
    entry = DepositEntry.objects.create(
        community_id=lease.community_id,
        lease=lease,
        household=household,
        kind=DepositEntryKind.RETURNED,
        method=method if returned else "",
        amount_fen=held,
        deducted_fen=deducted,
        returned_fen=returned,
        note=(note or "")[:200],
        transaction=record,
        created_by=staff_or_none(actor),
    )
    log_action(
        "rental.deposit.returned",
        actor=actor,
        obj=entry,
        household_id=household.pk,
        changes={
            "lease_number": lease.number,
            "amount_yuan": fen_to_yuan(held),
            "deducted_yuan": fen_to_yuan(deducted),
            "returned_yuan": fen_to_yuan(returned),
            "deductions": "；".join(f"{what} {fen_to_yuan(fen)}" for what, fen in deductions),
            **({"payment_method": method} if returned else {}),
        },
    )
    arrears_tag_refresh_on_commit(community_id=lease.community_id, household_ids=[household.pk], paid=True)
    return entry
