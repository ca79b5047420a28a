"""A cashier's handover (交班) and its sign-off by a supervisor.

A shift runs from the cashier's last handover (that was not returned for a recount) to the moment of this
one. The system's takings are what the cashier booked at the counter in that time, by method: payments
(attempts the cashier created, booked when their ledger transaction was written) and prepayments
received (receipts the cashier issued). The cashier states what was counted; any difference needs a
reason (also a database constraint). Another person with the right signs it off, or returns it: a
returned shift is counted again in the cashier's next handover.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.core.audit import log_action, register_actions
from wuye.core.money import fen_to_yuan
from wuye.payments.enums import COUNTER_METHODS, ReceiptKind
from wuye.payments.models import PaymentAttempt, Receipt
from wuye.recon.domain.runs import ReconError
from wuye.recon.enums import ShiftState
from wuye.recon.models import Shift

register_actions(
    {
        "recon.shift.handed_over": gettext_lazy("Shift handed over"),
        "recon.shift.signed_off": gettext_lazy("Shift signed off"),
        "recon.shift.returned": gettext_lazy("Shift returned for a recount"),
    }
)


@dataclass(frozen=True)
class Takings:
    payments: int
    by_method: dict[str, int]  # fen per counter method (every counter method present)

    @property
    def total_fen(self) -> int:
        return sum(self.by_method.values())


def shift_start(*, community, cashier):
    """When the cashier's current shift began: the last handover not returned (None: never handed over)."""
    return (
        Shift.objects.filter(community=community, cashier=cashier)
        .exclude(state=ShiftState.RETURNED)
        .order_by("-ended_at")
        .values_list("ended_at", flat=True)
        .first()
    )


# Booking-time bounds of ``bookings``: after (>), since (>=), before (<), until (<=).
BOUNDS = {"after": "gt", "since": "gte", "before": "lt", "until": "lte"}


def bookings(*, community, methods=None, cashier=None, **bounds):
    """The money booked in the community, as (payments, prepayments received): payment attempts, booked
    when their ledger transaction was written, and prepayment receipts, booked when issued; only those of
    ``methods`` and of ``cashier`` when given, and within the booking-time ``bounds`` (see BOUNDS; None
    is no bound). The one definition of "booked" for handovers and day close."""
    attempts = PaymentAttempt.objects.filter(community=community, transaction__isnull=False)
    receipts = Receipt.objects.filter(community=community, kind=ReceiptKind.PREPAYMENT)
    if methods is not None:
        attempts, receipts = attempts.filter(method__in=methods), receipts.filter(method__in=methods)
    if cashier is not None:
        attempts, receipts = attempts.filter(created_by=cashier), receipts.filter(issued_by=cashier)
    for name, value in bounds.items():
        if value is not None:
            attempts = attempts.filter(**{f"transaction__created_at__{BOUNDS[name]}": value})
            receipts = receipts.filter(**{f"issued_at__{BOUNDS[name]}": value})
    return attempts, receipts


def by_method(sources) -> dict[str, list[int]]:
    """{method: [count, fen]} of the querysets of ``bookings``, in one aggregate each."""
    found: dict[str, list[int]] = {}
    for queryset in sources:
        for method, count, total in (
            queryset.values_list("method").annotate(count=Count("pk"), total=Sum("amount_fen")).order_by()
        ):
            row = found.setdefault(method, [0, 0])
            row[0] += count
            row[1] += total or 0
    return dict(sorted(found.items()))


def shift_takings(*, community, cashier, start, end) -> Takings:
    """What ``cashier`` booked at the counter in (start, end], by method."""
    found = by_method(
        bookings(community=community, methods=COUNTER_METHODS, cashier=cashier, after=start, until=end)
    )
    return Takings(
        payments=sum(count for count, _fen in found.values()),
        by_method={method: found.get(method, [0, 0])[1] for method in COUNTER_METHODS},
    )


@transaction.atomic
def shift_hand_over(
    *, community, cashier, counted: dict[str, int], reason: str = "", note: str = ""
) -> Shift:
    """Close the cashier's shift now with the counted amounts (fen per counter method)."""
    if any(counted.get(method, 0) < 0 for method in COUNTER_METHODS):
        raise ReconError(_("A counted amount cannot be negative."))
    now = timezone.now()
    start = shift_start(community=community, cashier=cashier)
    takings = shift_takings(community=community, cashier=cashier, start=start, end=now)
    differs = any(counted.get(method, 0) != takings.by_method[method] for method in COUNTER_METHODS)
    reason = (reason or "").strip()[:200]
    if differs and not reason:
        raise ReconError(_("The counted takings differ from the system's: give the reason."))
    shift = Shift.objects.create(
        community=community,
        cashier=cashier,
        started_at=start,
        ended_at=now,
        payments=takings.payments,
        system_cash_fen=takings.by_method["cash"],
        system_card_fen=takings.by_method["card"],
        system_transfer_fen=takings.by_method["transfer"],
        counted_cash_fen=counted.get("cash", 0),
        counted_card_fen=counted.get("card", 0),
        counted_transfer_fen=counted.get("transfer", 0),
        reason=reason if differs else "",
        note=(note or "").strip()[:200],
    )
    log_action(
        "recon.shift.handed_over",
        actor=cashier,
        obj=shift,
        community_id=community.pk,
        changes={
            "takings_yuan": fen_to_yuan(takings.total_fen),
            "difference_yuan": fen_to_yuan(shift.difference_fen),
            **({"reason": shift.reason} if shift.reason else {}),
        },
    )
    return shift


def _decided(shift: Shift, actor) -> Shift:
    locked = Shift.objects.select_for_update().get(pk=shift.pk)
    if locked.state != ShiftState.SUBMITTED:
        raise ReconError(_("This handover was decided already."))
    if getattr(actor, "pk", None) == locked.cashier_id:
        raise ReconError(_("Another person signs off a cashier's handover."))
    return locked


@transaction.atomic
def shift_sign_off(*, shift: Shift, actor, note: str = "") -> Shift:
    locked = _decided(shift, actor)
    locked.state = ShiftState.SIGNED_OFF
    locked.signed_off_by = actor
    locked.signed_off_at = timezone.now()
    if note.strip():
        locked.note = note.strip()[:200]
    locked.save(update_fields=["state", "signed_off_by", "signed_off_at", "note"])
    log_action(
        "recon.shift.signed_off", actor=actor, obj=locked, community_id=locked.community_id, changes={}
    )
    return locked


@transaction.atomic
def shift_return(*, shift: Shift, actor, note: str) -> Shift:
    """Send a handover back: the cashier counts again and hands over the same takings anew."""
    if not (note or "").strip():
        raise ReconError(_("Give a reason."))
    locked = _decided(shift, actor)
    locked.state = ShiftState.RETURNED
    locked.note = note.strip()[:200]
    locked.save(update_fields=["state", "note"])
    log_action(
        "recon.shift.returned",
        actor=actor,
        obj=locked,
        community_id=locked.community_id,
        changes={"note": locked.note},
    )
    return locked
