"""Late fees (滞纳金): computed, as of a date, from what a line still owes; waivable per line.

A late fee is **not posted to the ledger while it accrues**. It is a figure computed on demand from
stored inputs (the line's outstanding amount, its bill's due date, the fee item's late-fee terms and
the date asked about), so the same question always gets the same answer, and it is shown apart from
the bill's amount on bill pages, in arrears and on dunning notices. The payments issue charges it
when it is collected and posts it then (Dr cash/clearing, Cr income); a waived late fee is never
charged, so waiving it needs no ledger transaction either, only the audit entry.

The arithmetic is integer only. With ``d`` days late (after the due date plus the grace days), an
outstanding amount ``o`` fen and a daily rate ``r = p / q`` (the exact fraction of the stored Decimal):

    daily rate:  o × p × d / q fen, rounded half up once, to the fen
    fixed:       the fixed amount, once the grace days are over
    both:        never more than the cap, when the fee item sets one
"""

from __future__ import annotations

import datetime
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

register_actions({"billing.line.late_fee_waived": gettext_lazy("Late fee waived")})
register_field_labels({"late_fee_yuan": gettext_lazy("late fee (yuan)")})


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


def late_fee_fen(*, line: BillLine, as_of: datetime.date) -> int:
    """The late fee of ``line`` as of ``as_of``, in fen (see the module docstring)."""
    if line.is_void:
        return 0
    return late_fee_compute(
        outstanding_fen=line.outstanding_fen,
        due_on=line.bill.due_on,
        as_of=as_of,
        terms=LateFeeTerms.of(line.fee_item),
        waived=line.late_fee_waived_at is not None,
    )


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
    if terms.cap_fen is not None and fee == terms.cap_fen:
        text += " " + _("(capped at %(cap)s yuan)") % {"cap": fen_to_yuan(terms.cap_fen)}
    return f"{text} = {fen_to_yuan(fee)} " + _("yuan")


@transaction.atomic
def line_late_fee_waive(*, line: BillLine, reason: str, actor) -> BillLine:
    """Waive a line's late fee, now and from now on, with a reason.

    Steps: check the reason; lock the line; refuse a void line or bill, a paid or waived bill, a
    fee item without late fees, or a late fee already waived; record who, when and why on the line;
    log on the household's timeline. No ledger transaction: late fees are posted only when collected.
    """
    reason = (reason or "").strip()
    if not reason:
        raise BillError(_("Give a reason."))
    if len(reason) > 200:
        raise BillError(_("The reason is at most 200 characters."))
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
    accrued = late_fee_fen(line=locked, as_of=timezone.localdate())
    now = timezone.now()
    BillLine.objects.filter(pk=locked.pk).update(
        late_fee_waived_at=now, late_fee_waived_by=actor, late_fee_waiver_reason=reason
    )
    log_action(
        "billing.line.late_fee_waived",
        actor=actor,
        obj=locked,
        household_id=locked.household_id,
        changes={"late_fee_yuan": fen_to_yuan(accrued), "reason": reason},
    )
    line.refresh_from_db()
    return line
