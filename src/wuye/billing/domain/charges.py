"""One-off charges (一次性收费) on a household's bill, such as a paid repair (有偿维修).

A charge is one bill line of the community's repair fee item (``维修费``, category other, method one-off)
on the household's bill for the month, with its ``source`` naming what it was raised for
("service.request:12"). The line's unique ``source`` makes the charge of one source a single line:
setting the charge again does not add a second line but adjusts the first, so re-charging never bills
twice. Several repairs of one room in one month are several lines (one per source).

Money follows the rules of the billing run: the line and its ledger transaction (Dr receivable of the
household, Cr income of the fee item) are written in the caller's database transaction, and a change
afterwards is an ``Adjustment`` with its own transaction, as ``bills.line_adjust`` writes it. After
commit, billing's ``bills_issued`` extension point is sent (with ``run_id=None``) so that payments
applies the household's prepayment balance to the new charge, exactly as after a run.

Lock order, as everywhere in billing: the community (a billing run holds it while it inserts bills,
so the bill of the month is created by one writer at a time), the household, its lines, its bills.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.billing.domain import compute
from wuye.billing.domain.bills import ACCEPTS, ADJUST, BillError, bill_refresh_state, line_of_amount
from wuye.billing.enums import BillState, FeeCategory, Method
from wuye.billing.models import Adjustment, Bill, BillLine, FeeItem
from wuye.billing.signals import bills_issued
from wuye.billing.tagrules import arrears_tag_refresh_on_commit
from wuye.core.audit import log_action, register_actions, register_field_labels
from wuye.core.models import Community
from wuye.core.money import fen_to_yuan
from wuye.estate.models import Room
from wuye.households.models import Household
from wuye.ledger.domain.ledger import Entry, transaction_post
from wuye.ledger.enums import Account, TransactionKind

register_actions(
    {
        "billing.charge.added": gettext_lazy("One-off charge added to the bill"),
        "billing.charge.changed": gettext_lazy("One-off charge changed"),
    }
)
register_field_labels(
    {
        "amount_yuan": gettext_lazy("amount (yuan)"),
        "charge_yuan": gettext_lazy("charge (yuan)"),
        "description": gettext_lazy("description"),
        "source": gettext_lazy("charged for"),
        "bill_period": gettext_lazy("bill month"),
    }
)

# The community's own name for its repair item: stored data (like every fee item name), in the
# language of the property office. Staff may edit the item's due day or late fee in the console;
# if they rename it, the next charge creates a new one under this name.
REPAIR_FEE_ITEM_NAME = "维修费"
MAX_CHARGE_FEN = 100_000_000  # 1 000 000 yuan: far above any repair, well below the column's range


def _check_amount(amount_fen) -> int:
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen < 0:
        raise BillError(_("A charge is a whole number of fen, zero or more."))
    if amount_fen > MAX_CHARGE_FEN:
        raise BillError(
            _("The charge is too large: at most %(max)s yuan.") % {"max": fen_to_yuan(MAX_CHARGE_FEN)}
        )
    return amount_fen


def _check_words(*, description: str, reference: str) -> tuple[str, str]:
    description = " ".join((description or "").split())[:200]
    reference = (reference or "").strip()
    if not description:
        raise BillError(_("Say what the charge is for."))
    if not reference or len(reference) > BillLine._meta.get_field("source").max_length:
        raise BillError(_("A charge needs a reference of at most 60 characters."))
    return description, reference


def repair_fee_item(*, community: Community) -> FeeItem:
    """The community's one-off fee item for repairs, created on first use (category other, one-off)."""
    return one_off_fee_item(community=community, name=REPAIR_FEE_ITEM_NAME, category=FeeCategory.OTHER)


def one_off_fee_item(*, community: Community, name: str, category: str) -> FeeItem:
    """The community's one-off fee item of ``name`` (repairs, rent, deductions from a deposit),
    created on first use in ``category``.

    No room is ever assigned to it, so billing runs bill nothing of it; its lines come only from charges.
    """
    item = FeeItem.objects.filter(community=community, name=name).first()
    if item is not None:
        return item
    item = FeeItem.objects.create(
        community=community,
        name=name,
        category=category,
        method=Method.ONE_OFF,
        price=Decimal(0),
        valid_from=datetime.date(2000, 1, 1),
    )
    log_action(
        "billing.feeitem.created",
        actor=None,
        obj=item,
        changes={"name": item.name, "fee_category": item.category, "charge_method": item.method},
    )
    return item


def charge_line(*, community_id: int, reference: str) -> BillLine | None:
    """The (non-void) line of a charge, with its bill and fee item, or None."""
    return (
        BillLine.objects.filter(community_id=community_id, source=reference, is_void=False)
        .select_related("bill", "fee_item")
        .first()
    )


def _bill_of_month(*, household: Household, period: datetime.date, due_day: int) -> Bill:
    """The household's bill of ``period``: the open one (made by a run or an earlier charge), or a new one.

    A new bill is due on the item's due day of the month, or today if that day has passed (a charge
    is never born overdue). An existing bill keeps its due date: its other lines were issued with it.
    """
    bill = Bill.objects.filter(household=household, period=period).exclude(state=BillState.VOID).first()
    if bill is not None:
        return bill
    due_on = max(period.replace(day=due_day), timezone.localdate())
    return Bill.objects.create(
        community_id=household.community_id,
        household=household,
        period=period,
        state=BillState.OPEN,
        total_fen=0,
        due_on=due_on,
    )


def _after_commit(*, household: Household) -> None:
    """The household may owe more now: apply its prepayment balance, bring 欠费 up to date."""
    community_id, household_pk = household.community_id, household.pk
    transaction.on_commit(
        lambda: bills_issued.send(
            sender=BillLine, community_id=community_id, run_id=None, household_ids=[household_pk]
        )
    )
    arrears_tag_refresh_on_commit(community_id=community_id)


@transaction.atomic
def charge_add(
    *,
    household: Household,
    amount_fen: int,
    description: str,
    reference: str,
    actor,
    room: Room | None = None,
    period: datetime.date | None = None,
    item: FeeItem | None = None,
    any_room: bool = False,
) -> BillLine | None:
    """Put a one-off charge on the household's bill of ``period`` (this month by default), of ``item``
    (a one-off fee item of the household's community; the repair item by default).

    Steps: check the amount (0 adds nothing and returns None), the description and the reference
    (refused if a charge with this reference exists: use ``charge_set`` to change it); lock the
    community and the household; find the room (the one given, which must be the household's unless
    ``any_room``: a rented room of the community that the tenant's household does not hold; else its
    first); take the fee item; find or create the bill of the month; post Dr receivable /
    Cr income; insert the line with its source; raise the bill's total and refresh its state; log on
    the household's timeline; after commit, apply prepayments and refresh 欠费.
    """
    amount_fen = _check_amount(amount_fen)
    description, reference = _check_words(description=description, reference=reference)
    if amount_fen == 0:
        return None
    period = compute.month_start(period or timezone.localdate())
    # Lock order: the community first (a run's chunk holds it while it inserts bills), then the household.
    Community.objects.select_for_update().filter(pk=household.community_id).exists()
    Household.objects.select_for_update().filter(pk=household.pk).exists()
    if charge_line(community_id=household.community_id, reference=reference) is not None:
        raise BillError(_("This charge is on a bill already; change it instead of adding it again."))
    rooms = Room.objects.filter(household_links__household=household)
    if room is not None:
        if room.community_id != household.community_id or (
            not any_room and not rooms.filter(pk=room.pk).exists()
        ):
            raise BillError(_("The room is not one of the household's rooms."))
    else:
        room = rooms.order_by("pk").first()
        if room is None:
            raise BillError(_("The household has no room to bill."))
    if item is None:
        item = repair_fee_item(community=household.community)
    elif item.community_id != household.community_id or item.method != Method.ONE_OFF:
        raise BillError(_("A charge is of a one-off fee item of the household's community."))
    bill = _bill_of_month(household=household, period=period, due_day=item.due_day)
    record = transaction_post(
        community_id=household.community_id,
        kind=TransactionKind.BILLING,
        entries=[
            Entry(Account.RECEIVABLE, amount_fen, household_id=household.pk),
            Entry(Account.INCOME, -amount_fen, fee_item_id=item.pk),
        ],
        memo=description,
        reference=reference,
        actor=actor,
    )
    line = line_of_amount(
        bill=bill,
        room_id=room.pk,
        fee_item_id=item.pk,
        period=period,
        amount_fen=amount_fen,
        record_id=record.pk,
        source=reference,
    )
    line.room, line.fee_item = room, item
    line.save(force_insert=True)
    Bill.objects.filter(pk=bill.pk).update(total_fen=F("total_fen") + amount_fen)
    log_action(
        "billing.charge.added",
        actor=actor,
        obj=line,
        household_id=household.pk,
        changes={
            "fee_item": item.name,
            "amount_yuan": fen_to_yuan(amount_fen),
            "description": description,
            "source": reference,
            "bill_period": f"{period:%Y-%m}",
        },
    )
    bill_refresh_state(bill=bill)
    _after_commit(household=household)
    return line


@transaction.atomic
def charge_set(
    *,
    household: Household,
    amount_fen: int,
    description: str,
    reference: str,
    actor,
    room: Room | None = None,
    period: datetime.date | None = None,
) -> BillLine | None:
    """Make the charge of ``reference`` come to ``amount_fen``: add it, or change the one there is.

    Steps: check the amount, description and reference; lock the community and the household; if
    the reference has no line yet, ``charge_add`` (0 adds nothing). Otherwise lock its line; the
    same amount changes nothing; a different amount is an adjustment of the difference (Dr
    receivable / Cr income, or the reverse) with the description as its reason and the actor as its
    approver, refused when the line's bill accepts no adjustment or when the new amount is less
    than what was already paid or waived of the line (the money must be refunded first: a refund is
    the business of payments, not of a charge); refresh the bill's state; log on the household's
    timeline; after commit, apply prepayments (when it rose) and refresh 欠费.
    """
    amount_fen = _check_amount(amount_fen)
    description, reference = _check_words(description=description, reference=reference)
    Community.objects.select_for_update().filter(pk=household.community_id).exists()
    Household.objects.select_for_update().filter(pk=household.pk).exists()
    existing = charge_line(community_id=household.community_id, reference=reference)
    if existing is None:
        return charge_add(
            household=household,
            amount_fen=amount_fen,
            description=description,
            reference=reference,
            actor=actor,
            room=room,
            period=period,
        )
    if existing.household_id != household.pk:
        raise BillError(_("This charge is on another household's bill."))
    locked = BillLine.objects.select_for_update().get(pk=existing.pk)
    bill = Bill.objects.get(pk=locked.bill_id)
    charged = locked.amount_fen + locked.adjusted_fen
    difference = amount_fen - charged
    if difference == 0:
        return locked
    if ADJUST not in ACCEPTS[bill.state]:
        raise BillError(
            _("A bill in state %(state)s cannot be changed this way.") % {"state": bill.get_state_display()}
        )
    settled = locked.paid_fen + locked.waived_fen
    if amount_fen < settled:
        raise BillError(
            _(
                "%(settled)s yuan of this charge is paid or waived already; it cannot be lowered below that"
                " (refund the payment first)."
            )
            % {"settled": fen_to_yuan(settled)}
        )
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise BillError(_("A changed charge needs the member of staff who changes it."))
    reason = _("Charge changed from %(before)s to %(after)s yuan: %(description)s") % {
        "before": fen_to_yuan(charged),
        "after": fen_to_yuan(amount_fen),
        "description": description,
    }
    reason = reason[:200]
    record = transaction_post(
        community_id=locked.community_id,
        kind=TransactionKind.ADJUSTMENT,
        entries=[
            Entry(Account.RECEIVABLE, difference, household_id=locked.household_id),
            Entry(Account.INCOME, -difference, fee_item_id=locked.fee_item_id),
        ],
        memo=reason,
        reference=reference,
        actor=actor,
    )
    BillLine.objects.filter(pk=locked.pk).update(adjusted_fen=F("adjusted_fen") + difference)
    Adjustment.objects.create(
        community_id=locked.community_id,
        line=locked,
        kind=Adjustment.Kind.ADJUSTMENT,
        amount_fen=difference,
        reason=reason,
        approved_by=actor,
        created_by=actor,
        transaction=record,
    )
    log_action(
        "billing.charge.changed",
        actor=actor,
        obj=locked,
        household_id=locked.household_id,
        changes={
            "charge_yuan": [fen_to_yuan(charged), fen_to_yuan(amount_fen)],
            "adjustment_yuan": fen_to_yuan(difference, signed=True),
            "description": description,
            "source": reference,
        },
    )
    bill_refresh_state(bill=bill)
    _after_commit(household=household)
    locked.refresh_from_db()
    return locked
