"""Bills after issue: their state, adjustments (±) and waivers, each backed by a ledger transaction.

Each write here runs in one database transaction and follows the same steps:

1. check what needs no lock (reason, approver, amount); a refusal raises ``BillError`` and changes
   nothing;
2. lock the lines (``select_for_update``, ordered by pk) and check again against the locked values;
3. post the ledger transaction and move the line counters with it, write the ``Adjustment`` rows;
4. recompute the bill's state (``bill_refresh_state``, which locks the bill after its lines), log the
   change with ``household_id`` so that it shows on the household's timeline;
5. after commit, bring the 欠费 (arrears) tag up to date.

Lock order, everywhere in billing and payments: lines first (by pk), then their bills (by pk).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from wuye.billing.domain import compute
from wuye.billing.enums import BillState, Method, RoundingMode, RoundingUnit
from wuye.billing.models import Adjustment, Bill, BillLine, line_outstanding_sql
from wuye.billing.tagrules import arrears_tag_refresh_on_commit
from wuye.core import sql
from wuye.core.audit import AuditEntry, log_action, log_bulk, register_actions, register_field_labels
from wuye.core.enums import Permission
from wuye.core.models import user_can
from wuye.core.money import fen_to_decimal, fen_to_yuan
from wuye.households.models import Household
from wuye.ledger.domain.ledger import Entry, transaction_post
from wuye.ledger.enums import Account, TransactionKind

register_actions(
    {
        "billing.line.adjusted": gettext_lazy("Bill line adjusted"),
        "billing.line.waived": gettext_lazy("Bill line waived"),
        "billing.bill.waived": gettext_lazy("Bill waived"),
        "billing.bill.state_changed": gettext_lazy("Bill state changed"),
    }
)
register_field_labels(
    {
        "bill_state": (gettext_lazy("bill state"), BillState),
        "adjustment_yuan": gettext_lazy("adjustment (yuan)"),
        "waived_yuan": gettext_lazy("waived (yuan)"),
        "outstanding_yuan": gettext_lazy("outstanding (yuan)"),
        "approved_by": gettext_lazy("approved by"),
        "reason": gettext_lazy("reason"),
        "fee_item": gettext_lazy("fee item"),
        "lines": gettext_lazy("lines"),
    }
)


class BillError(Exception):
    """A refused change to a bill or a line; the message is translated. Nothing was written."""


# Which changes a bill accepts in each state: data, checked in one place (``_check_accepts``).
# A paid or waived bill may still be adjusted upwards (a correction re-opens it); a void bill
# accepts nothing.
ADJUST, WAIVE, LATE_FEE_WAIVE = "adjust", "waive", "late_fee_waive"
ACCEPTS: dict[str, frozenset[str]] = {
    BillState.OPEN: frozenset({ADJUST, WAIVE, LATE_FEE_WAIVE}),
    BillState.PARTIAL: frozenset({ADJUST, WAIVE, LATE_FEE_WAIVE}),
    BillState.PAID: frozenset({ADJUST}),
    BillState.WAIVED: frozenset({ADJUST}),
    BillState.VOID: frozenset(),
}


def _check_accepts(bill: Bill, line: BillLine | None, change: str) -> None:
    if line is not None and line.is_void:
        raise BillError(_("This line is void; it cannot be changed."))
    if change not in ACCEPTS[bill.state]:
        raise BillError(
            _("A bill in state %(state)s cannot be changed this way.") % {"state": bill.get_state_display()}
        )


def _check_reason_and_approver(*, reason: str, approver, community_id: int) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise BillError(_("Give a reason."))
    if len(reason) > 200:
        raise BillError(_("The reason is at most 200 characters."))
    if approver is None or not user_can(approver, community_id, Permission.BILLING_MANAGE):
        raise BillError(_("The approver must be allowed to adjust and waive bills in this community."))
    return reason


def _lock_lines(queryset) -> list[BillLine]:
    # Rows are locked in pk order, the one order every writer of lines uses, so two writers never
    # wait on each other in a cycle. No select_related: PostgreSQL would lock the joined rows too.
    return list(queryset.select_for_update().order_by("pk"))


_BILL_LOCK = (
    f"SELECT {sql.columns(Bill, 'b')}, h.name FROM billing_bill b"
    " JOIN households_household h ON h.id = b.household_id WHERE b.id = %s"
)
_BILL_SUMS = (
    f"SELECT COALESCE(SUM({line_outstanding_sql()}), 0), COALESCE(SUM(paid_fen), 0),"
    " COALESCE(SUM(waived_fen), 0) FROM billing_billline WHERE bill_id = %s AND NOT is_void"
)


def bill_state_of(*, outstanding_fen: int, paid_fen: int, waived_fen: int) -> str:
    """A (non-void) bill's state from the sums of its lines (see ``bill_refresh_state``)."""
    if outstanding_fen == 0 and paid_fen > 0:
        return BillState.PAID
    if outstanding_fen == 0 and waived_fen > 0:
        return BillState.WAIVED
    if paid_fen > 0:
        return BillState.PARTIAL
    return BillState.OPEN


_BILLS_LOCK = "SELECT b.id, b.state, b.community_id, b.household_id, b.period, h.name FROM billing_bill b JOIN households_household h ON h.id = b.household_id WHERE b.id IN ({ids}) ORDER BY b.id"
_BILLS_SUMS = (
    f"SELECT bill_id, COALESCE(SUM({line_outstanding_sql()}), 0), COALESCE(SUM(paid_fen), 0),"
    " COALESCE(SUM(waived_fen), 0) FROM billing_billline WHERE bill_id IN ({ids}) AND NOT is_void GROUP BY bill_id"
)


def bills_refresh_state(*, bill_pks: list[int], chunk: int = 5000) -> int:
    """``bill_refresh_state`` for many bills at once (set-based writers: a debit result settles
    thousands): lock them in pk order, sum their lines, write the states that changed and log each
    change like the one-by-one path. The number of bills whose state changed."""
    changed: list[tuple[str, int]] = []
    entries: list[AuditEntry] = []
    bill_pks = sorted(set(bill_pks))
    for part in sql.chunks(bill_pks, chunk):
        ids = ", ".join(str(int(pk)) for pk in part)
        locked = sql.rows(_BILLS_LOCK.format(ids=ids) + sql.for_update(of="b"))
        sums = {found[0]: found[1:] for found in sql.rows(_BILLS_SUMS.format(ids=ids))}
        for pk, before, community_id, household_id, period, name in locked:
            if before == BillState.VOID:
                continue
            outstanding, paid, waived = sums.get(pk, (0, 0, 0))
            state = bill_state_of(outstanding_fen=outstanding, paid_fen=paid, waived_fen=waived)
            if state != before:
                changed.append((state, pk))
                entries.append(
                    AuditEntry(
                        community_id=community_id,
                        action="billing.bill.state_changed",
                        object_type="billing.bill",
                        object_pk=pk,
                        object_repr=f"{name} {str(period)[:7]}"[:200],
                        household_id=household_id,
                        changes={"bill_state": [before, state]},
                    )
                )
    for state in {state for state, _pk in changed}:
        pks = [pk for new, pk in changed if new == state]
        for part in sql.chunks(pks, chunk):
            ids = ", ".join(str(int(pk)) for pk in part)
            sql.execute(f"UPDATE billing_bill SET state = %s WHERE id IN ({ids})", [state])
    log_bulk(entries)
    return len(changed)


@transaction.atomic(savepoint=False)  # callers write lines in their transaction: no savepoint of its own
def bill_refresh_state(*, bill: Bill) -> str:
    """Recompute a bill's state from its (non-void) lines; the one place a bill's state is set.

    Steps: lock the bill (callers hold its lines' locks already), sum its lines, derive the state,
    write it if it changed and log the change on the household's timeline. A void bill is left
    alone. The state is:

    - paid: nothing outstanding and something paid;
    - waived: nothing outstanding, nothing paid, something waived;
    - partial: something outstanding and something paid;
    - open: otherwise (nothing settled yet, or a bill whose lines come to zero).
    """
    # Plain SQL (wuye.core.sql): every payment refreshes its bills.
    locked = sql.instance(Bill, _BILL_LOCK + sql.for_update(of="b"), [bill.pk])
    if locked is None:
        raise Bill.DoesNotExist(bill.pk)
    if locked.state == BillState.VOID:
        bill.state = locked.state
        return locked.state
    locked.household = Household(
        pk=locked.household_id, community_id=locked.community_id, name=locked.extra[0]
    )
    outstanding, paid, waived = sql.row(_BILL_SUMS, [locked.pk])
    state = bill_state_of(outstanding_fen=outstanding, paid_fen=paid, waived_fen=waived)
    if state != locked.state:
        sql.execute("UPDATE billing_bill SET state = %s WHERE id = %s", [state, locked.pk])
        log_action(
            "billing.bill.state_changed",
            actor=None,
            obj=locked,
            household_id=locked.household_id,
            changes={"bill_state": [locked.state, state]},
        )
    bill.state = state
    return state


# Lines of a given amount, new bills, void lines -------------------------------------------------


def line_of_amount(
    *,
    bill: Bill,
    room_id: int,
    fee_item_id: int,
    period: datetime.date,
    amount_fen: int,
    record_id: int,
    source: str = "",
) -> BillLine:
    """An unsaved line asking for ``amount_fen`` (a one-off charge, an arrear brought from an old system).

    Its stored inputs say exactly that (one-off, quantity 1, the amount as its price, the whole month,
    to the fen), so ``line_explain`` explains it as "One-off amount … yuan"."""
    days = compute.month_end(period).day
    return BillLine(
        community_id=bill.community_id,
        bill=bill,
        household_id=bill.household_id,
        room_id=room_id,
        fee_item_id=fee_item_id,
        period=period,
        method=Method.ONE_OFF,
        quantity=Decimal(1),
        price=fen_to_decimal(amount_fen),
        billable_days=days,
        period_days=days,
        rounding_unit=RoundingUnit.FEN,
        rounding_mode=RoundingMode.HALF_UP,
        gross_fen=amount_fen,
        amount_fen=amount_fen,
        transaction_id=record_id,
        source=source,
    )


@dataclass(frozen=True)
class NewLine:
    """A line of a given amount for ``bills_create``."""

    household_id: int
    room_id: int
    fee_item_id: int
    period: datetime.date
    amount_fen: int
    due_on: datetime.date


def bills_create(*, community_id: int, lines: list[NewLine], record_id: int) -> list[BillLine]:
    """New bills, one per household and month, holding the given lines, in the caller's transaction.

    The caller holds the community's lock (as a billing run and a one-off charge do), has checked
    that none of these households has a bill of these months yet (the one-bill-per-month index
    refuses it anyway: IntegrityError rolls everything back) and has posted ``record_id``, the ledger
    transaction the lines name. A bill is due on the earliest ``due_on`` of its lines; its total is
    the sum of its lines and its state open. Returns the lines, saved.
    """
    grouped: dict[tuple[int, datetime.date], list[NewLine]] = {}
    for line in lines:
        grouped.setdefault((line.household_id, line.period), []).append(line)
    bills = Bill.objects.bulk_create(
        [
            Bill(
                community_id=community_id,
                household_id=household_id,
                period=period,
                state=BillState.OPEN,
                total_fen=sum(line.amount_fen for line in group),
                due_on=min(line.due_on for line in group),
            )
            for (household_id, period), group in grouped.items()
        ]
    )
    return BillLine.objects.bulk_create(
        [
            line_of_amount(
                bill=bill,
                room_id=line.room_id,
                fee_item_id=line.fee_item_id,
                period=line.period,
                amount_fen=line.amount_fen,
                record_id=record_id,
            )
            for bill, group in zip(bills, grouped.values(), strict=True)
            for line in group
        ]
    )


def lines_void(*, lines) -> list[int]:
    """Mark ``lines`` (a queryset of non-void lines nobody paid, adjusted or waived) void, in the caller's
    transaction, after it reversed their ledger postings: their bills' totals drop by them, a bill
    left without a live line is void, the others get their state again. Returns the bills' pks.

    The one way bills are voided (a billing run voided, an opening-balance import reversed)."""
    bill_pks = sorted(set(lines.order_by().values_list("bill_id", flat=True)))
    lines.update(is_void=True)
    for part in sql.chunks(bill_pks, 5000):
        ids = ", ".join(str(int(pk)) for pk in part)
        sql.execute(
            f"""UPDATE billing_bill SET total_fen = (SELECT COALESCE(SUM(l.amount_fen), 0) FROM billing_billline l
                                                    WHERE l.bill_id = billing_bill.id AND NOT l.is_void)
                WHERE id IN ({ids})"""
        )
    emptied = Bill.objects.filter(pk__in=bill_pks).exclude(lines__is_void=False)
    emptied_pks = set(emptied.values_list("pk", flat=True))
    emptied.update(state=BillState.VOID)
    bills_refresh_state(bill_pks=[pk for pk in bill_pks if pk not in emptied_pks])
    return bill_pks


def _post_adjustment(*, line: BillLine, amount_fen: int, reason: str, actor) -> object:
    """Adjustment +: Dr receivable, Cr income. Adjustment −: the reverse."""
    return transaction_post(
        community_id=line.community_id,
        kind=TransactionKind.ADJUSTMENT,
        entries=[
            Entry(Account.RECEIVABLE, amount_fen, household_id=line.household_id),
            Entry(Account.INCOME, -amount_fen, fee_item_id=line.fee_item_id),
        ],
        memo=reason,
        reference=f"billing.line:{line.pk}",
        actor=actor,
    )


@transaction.atomic
def line_adjust(*, line: BillLine, amount_fen: int, reason: str, approver, actor) -> Adjustment:
    """Raise (amount > 0) or lower (amount < 0) what a line asks for, with a reason and an approver.

    Steps: check reason, approver (must hold billing.manage in the community; may be the actor)
    and amount; lock the line; refuse a void line or bill, or a change that would leave the line
    owing less than nothing; post Dr receivable / Cr income (or the reverse); add to
    ``adjusted_fen``; write the Adjustment; refresh the bill's state; log; refresh 欠费 on commit.
    """
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen == 0:
        raise BillError(_("An adjustment is a whole number of fen other than zero."))
    reason = _check_reason_and_approver(reason=reason, approver=approver, community_id=line.community_id)
    (locked,) = _lock_lines(BillLine.objects.filter(pk=line.pk))
    bill = Bill.objects.get(pk=locked.bill_id)
    _check_accepts(bill, locked, ADJUST)
    if locked.outstanding_fen + amount_fen < 0:
        raise BillError(
            _("The line owes %(outstanding)s yuan; it cannot be lowered by %(amount)s yuan.")
            % {"outstanding": fen_to_yuan(locked.outstanding_fen), "amount": fen_to_yuan(-amount_fen)}
        )
    record = _post_adjustment(line=locked, amount_fen=amount_fen, reason=reason, actor=actor)
    BillLine.objects.filter(pk=locked.pk).update(adjusted_fen=F("adjusted_fen") + amount_fen)
    adjustment = Adjustment.objects.create(
        community_id=locked.community_id,
        line=locked,
        kind=Adjustment.Kind.ADJUSTMENT,
        amount_fen=amount_fen,
        reason=reason,
        approved_by=approver,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        transaction=record,
    )
    log_action(
        "billing.line.adjusted",
        actor=actor,
        obj=locked,
        household_id=locked.household_id,
        changes={
            "adjustment_yuan": fen_to_yuan(amount_fen, signed=True),
            "outstanding_yuan": [
                fen_to_yuan(locked.outstanding_fen),
                fen_to_yuan(locked.outstanding_fen + amount_fen),
            ],
            "reason": reason,
            "approved_by": approver.get_username(),
        },
    )
    bill_refresh_state(bill=bill)
    arrears_tag_refresh_on_commit(community_id=locked.community_id)
    line.refresh_from_db()
    return adjustment


def _waive_lines(
    *, lines: list[BillLine], amounts: dict[int, int], reason: str, approver, actor, reference: str
) -> list[Adjustment]:
    """One transaction for the lines (all of one household): Dr adjustments per fee item, Cr receivable."""
    household_id = lines[0].household_id
    by_item: dict[int, int] = {}
    for line in lines:
        by_item[line.fee_item_id] = by_item.get(line.fee_item_id, 0) + amounts[line.pk]
    total = sum(amounts.values())
    record = transaction_post(
        community_id=lines[0].community_id,
        kind=TransactionKind.WAIVER,
        entries=[
            *(
                Entry(Account.ADJUSTMENTS, amount, household_id=household_id, fee_item_id=item)
                for item, amount in sorted(by_item.items())
            ),
            Entry(Account.RECEIVABLE, -total, household_id=household_id),
        ],
        memo=reason,
        reference=reference,
        actor=actor,
    )
    adjustments = []
    for line in lines:
        BillLine.objects.filter(pk=line.pk).update(waived_fen=F("waived_fen") + amounts[line.pk])
        adjustments.append(
            Adjustment(
                community_id=line.community_id,
                line=line,
                kind=Adjustment.Kind.WAIVER,
                amount_fen=amounts[line.pk],
                reason=reason,
                approved_by=approver,
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
                transaction=record,
            )
        )
    return Adjustment.objects.bulk_create(adjustments)


@transaction.atomic
def line_waive(*, line: BillLine, reason: str, approver, actor, amount_fen: int | None = None) -> Adjustment:
    """Waive what a line still owes (all of it, or ``amount_fen`` of it), with reason and approver.

    Steps: check reason and approver; lock the line; refuse a void line or bill, nothing owed, or
    more than is owed; post Dr adjustments / Cr receivable; add to ``waived_fen``; write the
    Adjustment; refresh the bill's state; log; refresh 欠费 on commit.
    """
    reason = _check_reason_and_approver(reason=reason, approver=approver, community_id=line.community_id)
    (locked,) = _lock_lines(BillLine.objects.filter(pk=line.pk))
    bill = Bill.objects.get(pk=locked.bill_id)
    _check_accepts(bill, locked, WAIVE)
    outstanding = locked.outstanding_fen
    amount = outstanding if amount_fen is None else amount_fen
    if outstanding <= 0:
        raise BillError(_("This line owes nothing; there is nothing to waive."))
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 < amount <= outstanding:
        raise BillError(
            _("Waive more than nothing and at most what the line owes (%(outstanding)s yuan).")
            % {"outstanding": fen_to_yuan(outstanding)}
        )
    (adjustment,) = _waive_lines(
        lines=[locked],
        amounts={locked.pk: amount},
        reason=reason,
        approver=approver,
        actor=actor,
        reference=f"billing.line:{locked.pk}",
    )
    log_action(
        "billing.line.waived",
        actor=actor,
        obj=locked,
        household_id=locked.household_id,
        changes={
            "waived_yuan": fen_to_yuan(amount),
            "outstanding_yuan": [fen_to_yuan(outstanding), fen_to_yuan(outstanding - amount)],
            "reason": reason,
            "approved_by": approver.get_username(),
        },
    )
    bill_refresh_state(bill=bill)
    arrears_tag_refresh_on_commit(community_id=locked.community_id)
    line.refresh_from_db()
    return adjustment


@transaction.atomic
def bill_waive(*, bill: Bill, reason: str, approver, actor) -> list[Adjustment]:
    """Waive everything a bill still owes, line by line, in one ledger transaction.

    Steps: check reason and approver; lock the bill's lines; refuse a void bill or one that owes
    nothing; post Dr adjustments per fee item / Cr receivable; add each line's outstanding to its
    ``waived_fen``; write one Adjustment per line; refresh the state; log; refresh 欠费 on commit.
    """
    reason = _check_reason_and_approver(reason=reason, approver=approver, community_id=bill.community_id)
    lines = _lock_lines(BillLine.objects.filter(bill_id=bill.pk, is_void=False))
    locked_bill = Bill.objects.get(pk=bill.pk)
    _check_accepts(locked_bill, None, WAIVE)
    owing = [line for line in lines if line.outstanding_fen > 0]
    if not owing:
        raise BillError(_("This bill owes nothing; there is nothing to waive."))
    amounts = {line.pk: line.outstanding_fen for line in owing}
    adjustments = _waive_lines(
        lines=owing,
        amounts=amounts,
        reason=reason,
        approver=approver,
        actor=actor,
        reference=f"billing.bill:{bill.pk}",
    )
    total = sum(amounts.values())
    log_action(
        "billing.bill.waived",
        actor=actor,
        obj=locked_bill,
        household_id=locked_bill.household_id,
        changes={
            "waived_yuan": fen_to_yuan(total),
            "lines": len(owing),
            "reason": reason,
            "approved_by": approver.get_username(),
        },
    )
    bill_refresh_state(bill=bill)
    arrears_tag_refresh_on_commit(community_id=locked_bill.community_id)
    return adjustments


# Explaining a line in words -------------------------------------------------------------------

ROUNDING_WORDS = {
    (RoundingUnit.FEN, RoundingMode.HALF_UP): gettext_lazy("rounded half up to the fen"),
    (RoundingUnit.FEN, RoundingMode.UP): gettext_lazy("rounded up to the fen"),
    (RoundingUnit.FEN, RoundingMode.DOWN): gettext_lazy("rounded down to the fen"),
    (RoundingUnit.JIAO, RoundingMode.HALF_UP): gettext_lazy("rounded half up to the jiao"),
    (RoundingUnit.JIAO, RoundingMode.UP): gettext_lazy("rounded up to the jiao"),
    (RoundingUnit.JIAO, RoundingMode.DOWN): gettext_lazy("rounded down to the jiao"),
    (RoundingUnit.YUAN, RoundingMode.HALF_UP): gettext_lazy("rounded half up to the yuan"),
    (RoundingUnit.YUAN, RoundingMode.UP): gettext_lazy("rounded up to the yuan"),
    (RoundingUnit.YUAN, RoundingMode.DOWN): gettext_lazy("rounded down to the yuan"),
}


def _exact_yuan(numerator: int, denominator: int) -> str:
    """N / D fen in yuan, to six decimals (cut, not rounded; marked with … when not exact)."""
    scaled, remainder = divmod(numerator * 10000, denominator)  # in millionths of a yuan
    whole, part = divmod(scaled, 1000000)
    return f"{whole}.{part:06d}" + ("…" if remainder else "")


def line_explain(*, line: BillLine) -> list[str]:
    """How the line's amount came about, in words, from its stored inputs (recomputed, not copied).

    e.g. ["Built-up area 89.50 m² × 2.5000 yuan/m²/month × 30/30 days = 223.750000 yuan",
    "rounded half up to the fen: 223.75 yuan", "discount …", "amount due 223.75 yuan"].
    """
    days = {"days": line.billable_days, "period_days": line.period_days}
    numerator, denominator = compute.charge_fraction(
        method=line.method,
        quantity=line.quantity,
        price=line.price,
        tiers=list(line.tiers or []),
        billable_days=line.billable_days,
        period_days=line.period_days,
    )
    exact = _exact_yuan(numerator, denominator)
    if line.method in (Method.BUILT_AREA, Method.INNER_AREA):
        template = (
            _(
                "Built-up area %(quantity)s m² × %(price)s yuan/m²/month × %(days)s/%(period_days)s days"
                " = %(exact)s yuan"
            )
            if line.method == Method.BUILT_AREA
            else _(
                "Inner area %(quantity)s m² × %(price)s yuan/m²/month × %(days)s/%(period_days)s days"
                " = %(exact)s yuan"
            )
        )
        words = [template % {"quantity": line.quantity, "price": line.price, "exact": exact, **days}]
    elif line.method == Method.FIXED:
        words = [
            _("Fixed %(price)s yuan/month × %(days)s/%(period_days)s days = %(exact)s yuan")
            % {"price": line.price, "exact": exact, **days}
        ]
    elif line.method == Method.METERED:
        usage_centi = compute.to_centi(line.quantity)
        segments = [
            (usage, price_e4)
            for usage, price_e4 in compute.tier_segments(
                usage_centi, compute.tiers_from(list(line.tiers or []), line.price)
            )
            if usage
        ]
        parts = " + ".join(
            f"{Decimal(usage) / 100:.2f} × {Decimal(price_e4) / 10000:.4f}" for usage, price_e4 in segments
        )
        words = [
            _("Usage %(quantity)s: %(parts)s = %(exact)s yuan")
            % {"quantity": line.quantity, "parts": parts or "0", "exact": exact}
        ]
    else:
        words = [_("One-off amount %(price)s yuan") % {"price": line.price}]
    words.append(
        _("%(rounding)s: %(gross)s yuan")
        % {
            "rounding": ROUNDING_WORDS[(line.rounding_unit, line.rounding_mode)],
            "gross": fen_to_yuan(line.gross_fen),
        }
    )
    if line.discount_fen:
        if line.discount_percent and line.discount_fixed_fen:
            detail = _("%(percent)s %% and %(fixed)s yuan") % {
                "percent": line.discount_percent,
                "fixed": fen_to_yuan(line.discount_fixed_fen),
            }
        elif line.discount_percent:
            detail = _("%(percent)s %%") % {"percent": line.discount_percent}
        else:
            detail = _("%(fixed)s yuan") % {"fixed": fen_to_yuan(line.discount_fixed_fen)}
        words.append(
            _("Discount %(detail)s: −%(discount)s yuan")
            % {"detail": detail, "discount": fen_to_yuan(line.discount_fen)}
        )
    words.append(pgettext("bill line", "Amount %(amount)s yuan") % {"amount": fen_to_yuan(line.amount_fen)})
    return words
