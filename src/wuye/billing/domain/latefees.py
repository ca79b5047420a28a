"""Late fees (滞纳金): computed, as of a date, from what a line still owes; waivable per line.

A late fee is **not posted to the ledger while it accrues**. It is a figure computed on demand from
stored inputs (the line's outstanding amount, its bill's due date, the fee item's late-fee terms and
the date asked about), so the same question always gets the same answer, and it is shown apart from
the bill's amount on bill pages, in arrears and on dunning notices. A payment of the line collects it:
the amount due when the payment order is made is stored on the order's line and asked of the payer,
and the payment posts it to late-fee income (``payments.domain.payments``), raising the line's
``late_fee_paid_fen``. What was collected is subtracted from what accrues, and once the principal is
paid nothing accrues any more, so a line's late fee is never charged twice and never grows after.

Waiving it takes two people (four eyes, as refunds): one asks with a reason
(``line_late_fee_waiver_request``), another approves (``line_late_fee_waiver_approve``) or rejects
it; from the approval on, the line's late fee is 0 and no payment charges it. A waived late fee is
never charged, so waiving it needs no ledger transaction, only the audit entries.

The arithmetic is integer only. With ``d`` days late (after the due date plus the grace days), an
outstanding amount ``o`` fen and a daily rate ``r = p / q`` (the exact fraction of the stored Decimal):

    daily rate:  o × p × d / q fen, rounded half up once, to the fen
    fixed:       the fixed amount, once the grace days are over
    both:        never more than the cap, when the fee item sets one
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.billing.domain import compute
from wuye.billing.domain.bills import ACCEPTS, LATE_FEE_WAIVE, BillError
from wuye.billing.enums import LateFeeMethod, RoundingMode, RoundingUnit
from wuye.billing.models import Bill, BillLine, FeeItem
from wuye.core.audit import log_action, register_actions, register_field_labels
from wuye.core.money import fen_to_yuan

register_actions(
    {
        "billing.line.late_fee_waiver_requested": gettext_lazy("Late fee waiver requested"),
        "billing.line.late_fee_waived": gettext_lazy("Late fee waived"),
        "billing.line.late_fee_waiver_rejected": gettext_lazy("Late fee waiver rejected"),
    }
)
register_field_labels(
    {
        "late_fee_yuan": gettext_lazy("late fee (yuan)"),
        "requested_by": gettext_lazy("requested by"),
    }
)


class LateFeeWaiverApprovalError(BillError):
    """The approver may not approve this waiver (four eyes); nothing was changed."""


@dataclass(frozen=True)
class LateFeeTerms:
    """A fee item's late-fee settings (``FeeItem.late_fee_*``)."""

    method: str  # LateFeeMethod, or "" for none
    grace_days: int
    rate: Decimal  # a fraction per day: 0.0005 is 0.05 % a day
    fixed_fen: int
    cap_fen: int | None

    @classmethod
    def of(cls, item: FeeItem) -> LateFeeTerms:
        return cls(
            method=item.late_fee_method,
            grace_days=item.late_fee_grace_days,
            rate=item.late_fee_rate,
            fixed_fen=item.late_fee_fixed_fen,
            cap_fen=item.late_fee_cap_fen,
        )


def late_days(*, due_on: datetime.date, grace_days: int, as_of: datetime.date) -> int:
    """Days charged: the first is the day after the due date plus the grace days."""
    return max((as_of - (due_on + datetime.timedelta(days=grace_days))).days, 0)


def late_fee_compute(
    *, outstanding_fen: int, due_on: datetime.date, as_of: datetime.date, terms: LateFeeTerms, waived: bool
) -> int:
    """The late fee in fen; 0 when waived, nothing is owed, no terms apply, or it is not late yet."""
    if waived or outstanding_fen <= 0 or not terms.method:
        return 0
    days = late_days(due_on=due_on, grace_days=terms.grace_days, as_of=as_of)
    if days == 0:
        return 0
    if terms.method == LateFeeMethod.DAILY_RATE:
        rate_numerator, rate_denominator = Decimal(terms.rate).as_integer_ratio()
        fee = compute.round_fraction(
            outstanding_fen * rate_numerator * days,
            rate_denominator,
            unit=RoundingUnit.FEN,
            mode=RoundingMode.HALF_UP,
        )
    elif terms.method == LateFeeMethod.FIXED:
        fee = terms.fixed_fen
    else:
        raise ValueError(terms.method)
    if terms.cap_fen is not None:
        fee = min(fee, terms.cap_fen)
    return fee


def late_fee_due(*, accrued_fen: int, paid_fen: int) -> int:
    """What is still due of an accrued late fee once ``paid_fen`` of it was collected (never below 0)."""
    return max(accrued_fen - paid_fen, 0)


def late_fee_still_due(
    *,
    outstanding_fen: int,
    due_on: datetime.date,
    as_of: datetime.date,
    terms: LateFeeTerms,
    waived: bool,
    paid_fen: int,
) -> int:
    """``late_fee_fen`` from a line's stored values (for set-based callers that read rows, not lines)."""
    return late_fee_due(
        accrued_fen=late_fee_compute(
            outstanding_fen=outstanding_fen, due_on=due_on, as_of=as_of, terms=terms, waived=waived
        ),
        paid_fen=paid_fen,
    )


def late_fees_still_due(
    rows: Iterable[tuple[int, int, datetime.date, int, bool, int]], *, as_of: datetime.date
) -> dict[int, int]:
    """{line pk: late fee still due on ``as_of``} for rows (line pk, fee item pk, due on, outstanding,
    waived, late fee paid): one read of their fee items' terms, whatever the number of rows."""
    # The due date (not the order's figure) caps what is taken: a line whose late fee another payment
    # collected meanwhile (its principal refunded and paid again) is not charged it a second time.
    rows = list(rows)
    if not rows:
        return {}
    terms = {
        item.pk: LateFeeTerms.of(item) for item in FeeItem.objects.filter(pk__in={row[1] for row in rows})
    }
    return {
        pk: late_fee_still_due(
            outstanding_fen=outstanding,
            # raw rows: SQLite gives the date as text
            due_on=due_on if isinstance(due_on, datetime.date) else datetime.date.fromisoformat(str(due_on)),
            as_of=as_of,
            terms=terms[fee_item_pk],
            waived=waived,
            paid_fen=paid,
        )
        for pk, fee_item_pk, due_on, outstanding, waived, paid in rows
    }


def late_fee_fen(*, line: BillLine, as_of: datetime.date) -> int:
    """The late fee of ``line`` still due as of ``as_of``, in fen (see the module docstring): 0 when the
    line is void, its late fee waived or its principal paid; less what payments collected of it."""
    if line.is_void:
        return 0
    return late_fee_still_due(
        outstanding_fen=line.outstanding_fen,
        due_on=line.bill.due_on,
        as_of=as_of,
        terms=LateFeeTerms.of(line.fee_item),
        waived=line.late_fee_waived_at is not None,
        paid_fen=line.late_fee_paid_fen,
    )


def late_fees_attach(lines: list[BillLine], *, as_of: datetime.date | None = None) -> list[BillLine]:
    """Set ``line.late_fee_due_fen`` on each line (its bill and fee item loaded): what a payment made on
    ``as_of`` (today by default) asks for it besides the principal. Returns the lines."""
    as_of = as_of or timezone.localdate()
    for line in lines:
        line.late_fee_due_fen = late_fee_fen(line=line, as_of=as_of)
    return lines


def late_fee_explain(*, line: BillLine, as_of: datetime.date) -> str:
    """The late fee in words, e.g. "0.0500 % a day × 223.75 yuan × 12 days = 1.34 yuan"."""
    terms = LateFeeTerms.of(line.fee_item)
    if not terms.method:
        return _("No late fee for this fee item.")
    if line.late_fee_waived_at is not None:
        return _("Late fee waived: %(reason)s") % {"reason": line.late_fee_waiver_reason}
    starts = line.bill.due_on + datetime.timedelta(days=terms.grace_days + 1)
    days = late_days(due_on=line.bill.due_on, grace_days=terms.grace_days, as_of=as_of)
    fee = late_fee_fen(line=line, as_of=as_of)
    if line.outstanding_fen <= 0:
        return _("Nothing owed, no late fee.")
    if days == 0:
        return _("Not late: a late fee runs from %(date)s.") % {"date": starts.isoformat()}
    if terms.method == LateFeeMethod.DAILY_RATE:
        text = _("%(rate)s %% a day × %(owed)s yuan × %(days)s days from %(date)s") % {
            "rate": f"{terms.rate * 100:.4f}",
            "owed": fen_to_yuan(line.outstanding_fen),
            "days": days,
            "date": starts.isoformat(),
        }
    else:
        text = _("Fixed late fee from %(date)s") % {"date": starts.isoformat()}
    if terms.cap_fen is not None and fee + line.late_fee_paid_fen == terms.cap_fen:
        text += " " + _("(capped at %(cap)s yuan)") % {"cap": fen_to_yuan(terms.cap_fen)}
    if line.late_fee_paid_fen:
        text += " " + _("less %(paid)s yuan collected") % {"paid": fen_to_yuan(line.late_fee_paid_fen)}
    if line.late_fee_waiver_requested_at is not None:
        text += " " + _("(waiver requested, awaiting approval)")
    return f"{text} = {fen_to_yuan(fee)} " + _("yuan")


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise BillError(_("Give a reason."))
    if len(reason) > 200:
        raise BillError(_("The reason is at most 200 characters."))
    return reason


def _waivable(line: BillLine) -> tuple[BillLine, Bill]:
    """Lock the line and refuse what cannot be waived: a void line or bill, a paid or waived bill, a fee
    item without late fees, or a late fee already waived."""
    locked = BillLine.objects.select_for_update().get(pk=line.pk)
    bill = Bill.objects.get(pk=locked.bill_id)
    if locked.is_void:
        raise BillError(_("This line is void; it cannot be changed."))
    if LATE_FEE_WAIVE not in ACCEPTS[bill.state]:
        raise BillError(
            _("A bill in state %(state)s cannot be changed this way.") % {"state": bill.get_state_display()}
        )
    if not FeeItem.objects.get(pk=locked.fee_item_id).late_fee_method:
        raise BillError(_("This fee item charges no late fee."))
    if locked.late_fee_waived_at is not None:
        raise BillError(_("The late fee of this line is already waived."))
    locked.bill = bill
    return locked, bill


@transaction.atomic
def line_late_fee_waiver_request(*, line: BillLine, reason: str, actor) -> BillLine:
    """Ask to waive a line's late fee, now and from now on, with a reason; someone else approves it.

    Steps: check the reason; lock the line; refuse what cannot be waived (``_waivable``) or a waiver
    already asked for; record who, when and why on the line; log on the household's timeline."""
    reason = _reason(reason)
    locked, _bill = _waivable(line)
    if locked.late_fee_waiver_requested_at is not None:
        raise BillError(_("A waiver of this late fee is already awaiting approval."))
    accrued = late_fee_fen(line=locked, as_of=timezone.localdate())
    BillLine.objects.filter(pk=locked.pk).update(
        late_fee_waiver_requested_at=timezone.now(),
        late_fee_waiver_requested_by=actor if getattr(actor, "is_authenticated", False) else None,
        late_fee_waiver_reason=reason,
    )
    log_action(
        "billing.line.late_fee_waiver_requested",
        actor=actor,
        obj=locked,
        household_id=locked.household_id,
        changes={"late_fee_yuan": fen_to_yuan(accrued), "reason": reason},
    )
    line.refresh_from_db()
    return line


@transaction.atomic
def line_late_fee_waiver_approve(*, line: BillLine, actor) -> BillLine:
    """Approve the waiver asked for: from now on the line's late fee is 0 and no payment charges it.

    Steps: lock the line; refuse what cannot be waived (``_waivable``) or a line with no waiver asked
    for; four eyes: the approver is signed in and is not who asked (LateFeeWaiverApprovalError); record
    the approver and the time; log on the household's timeline. No ledger transaction: late fees are
    posted only when collected."""
    locked, _bill = _waivable(line)
    if locked.late_fee_waiver_requested_at is None:
        raise BillError(_("No waiver of this late fee was asked for."))
    if not getattr(actor, "is_authenticated", False) or actor.pk == locked.late_fee_waiver_requested_by_id:
        raise LateFeeWaiverApprovalError(
            _("A late fee waiver must be approved by someone other than the person who requested it.")
        )
    accrued = late_fee_fen(line=locked, as_of=timezone.localdate())
    BillLine.objects.filter(pk=locked.pk).update(
        late_fee_waived_at=timezone.now(), late_fee_waived_by=actor, late_fee_waiver_requested_at=None
    )
    requester = locked.late_fee_waiver_requested_by
    log_action(
        "billing.line.late_fee_waived",
        actor=actor,
        obj=locked,
        household_id=locked.household_id,
        changes={
            "late_fee_yuan": fen_to_yuan(accrued),
            "reason": locked.late_fee_waiver_reason,
            "requested_by": requester.get_username() if requester is not None else "",
        },
    )
    line.refresh_from_db()
    return line


@transaction.atomic
def line_late_fee_waiver_reject(*, line: BillLine, actor, reason: str = "") -> BillLine:
    """Turn down the waiver asked for: the late fee stays due. Logged with the reason given."""
    locked = BillLine.objects.select_for_update().get(pk=line.pk)
    if locked.late_fee_waiver_requested_at is None or locked.late_fee_waived_at is not None:
        raise BillError(_("No waiver of this late fee is awaiting approval."))
    BillLine.objects.filter(pk=locked.pk).update(
        late_fee_waiver_requested_at=None, late_fee_waiver_requested_by=None, late_fee_waiver_reason=""
    )
    log_action(
        "billing.line.late_fee_waiver_rejected",
        actor=actor,
        obj=locked,
        household_id=locked.household_id,
        changes={"reason": (reason or "").strip()[:200]},
    )
    line.refresh_from_db()
    return line
