"""Closing a day (日结).

Money is booked on the Beijing day its ledger transaction is written (``booked_takings``). A day closes
once it is over and only when: every channel account of the community has its bill of that day
reconciled; every difference found for that day is resolved, in suspense, or carried forward by a
person; every cashier who took money at the counter that day has handed over, and every handover ending
that day is signed off. The close records the day's takings as they stand. As a closed day is over and
bookings carry the time they are written, nothing can land on it afterwards: a late notification, a
refund or a void made later is booked on the day it is made, the next open day. A closed day refuses a new
reconciliation and actions on its differences (except those carried forward); an accountant may reopen it
with a reason (反结账), which is recorded, never deleted.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.core.audit import log_action, register_actions
from wuye.core.money import fen_to_yuan
from wuye.payments.enums import COUNTER_METHODS, RefundState
from wuye.payments.models import ChannelAccount, Refund
from wuye.recon.domain.runs import RECONCILED_METHODS, ReconError, day_window
from wuye.recon.domain.shifts import bookings, by_method, shift_start
from wuye.recon.enums import DifferenceState, Document, ShiftState
from wuye.recon.models import DayClose, Difference, ReconRun, Shift

register_actions(
    {
        "recon.day.closed": gettext_lazy("Day closed"),
        "recon.day.reopened": gettext_lazy("Day reopened"),
    }
)


def day_closed(*, community, day: datetime.date) -> DayClose | None:
    return DayClose.objects.filter(community=community, day=day, reopened_at__isnull=True).first()


def booked_takings(*, community, day: datetime.date) -> tuple[dict[str, list[int]], int]:
    """({method: [count, fen]}, refunds paid out in fen) booked on ``day``."""
    start, end = day_window(day)
    takings = by_method(bookings(community=community, since=start, before=end))
    refunds = Refund.objects.filter(
        community=community,
        state=RefundState.SUCCEEDED,
        settle_transaction__created_at__gte=start,
        settle_transaction__created_at__lt=end,
    ).aggregate(total=Sum("amount_fen"))["total"]
    return takings, refunds or 0


def day_close_blockers(*, community, day: datetime.date) -> list[str]:
    """Why ``day`` cannot close yet (translated sentences); empty when it can."""
    blockers = []
    start, end = day_window(day)
    if end > timezone.now():
        return [_("The day is not over yet (Beijing time).")]
    if day_closed(community=community, day=day):
        return [_("The day is closed already.")]
    accounts = ChannelAccount.objects.filter(community=community, enabled=True, method__in=RECONCILED_METHODS)
    for account in accounts.order_by("method"):
        if not ReconRun.objects.filter(
            community=community, method=account.method, day=day, document=Document.TRADE
        ).exists():
            blockers.append(
                _("%(channel)s: the bill of the day is not reconciled.")
                % {"channel": account.get_method_display()}
            )
    waiting = Difference.objects.filter(
        community=community, day=day, state=DifferenceState.OPEN, carried_at__isnull=True
    ).count()
    if waiting:
        blockers.append(
            _("%(count)s differences are neither settled nor carried forward.") % {"count": waiting}
        )
    unsigned = Shift.objects.filter(
        community=community, ended_at__gte=start, ended_at__lt=end, state=ShiftState.SUBMITTED
    ).select_related("cashier")
    for shift in unsigned:
        blockers.append(
            _("The handover of %(cashier)s at %(time)s is not signed off.")
            % {
                "cashier": shift.cashier.get_full_name() or shift.cashier.username,
                "time": timezone.localtime(shift.ended_at).strftime("%H:%M"),
            }
        )
    blockers += _cashiers_not_handed_over(community, start, end)
    return blockers


def _cashiers_not_handed_over(community, start, end) -> list[str]:
    """Cashiers with counter takings booked that day after their last handover."""
    from django.contrib.auth import get_user_model

    attempts, receipts = bookings(community=community, methods=COUNTER_METHODS, since=start, before=end)
    cashier_pks = set(attempts.filter(created_by__isnull=False).values_list("created_by", flat=True)) | set(
        receipts.filter(issued_by__isnull=False).values_list("issued_by", flat=True)
    )
    found = []
    for cashier in get_user_model().objects.filter(pk__in=cashier_pks).order_by("username"):
        last = shift_start(community=community, cashier=cashier)
        booked_after = any(
            queryset.exists()
            for queryset in bookings(
                community=community, methods=COUNTER_METHODS, cashier=cashier, after=last, before=end
            )
        )
        if booked_after:
            found.append(
                _("%(cashier)s has not handed over the takings of the day.")
                % {"cashier": cashier.get_full_name() or cashier.username}
            )
    return found


@transaction.atomic
def day_close(*, community, day: datetime.date, actor, note: str = "") -> DayClose:
    blockers = day_close_blockers(community=community, day=day)
    if blockers:
        raise ReconError(" ".join(blockers))
    takings, refunds = booked_takings(community=community, day=day)
    closed = DayClose.objects.create(
        community=community,
        day=day,
        takings=takings,
        refunds_fen=refunds,
        note=(note or "").strip()[:200],
        closed_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    log_action(
        "recon.day.closed",
        actor=actor,
        obj=closed,
        community_id=community.pk,
        changes={
            "day": day.isoformat(),
            "takings_yuan": fen_to_yuan(closed.takings_fen),
            "refunds_yuan": fen_to_yuan(refunds),
        },
    )
    return closed


@transaction.atomic
def day_reopen(*, closed: DayClose, actor, reason: str) -> DayClose:
    reason = (reason or "").strip()
    if not reason:
        raise ReconError(_("Give a reason."))
    locked = DayClose.objects.select_for_update().get(pk=closed.pk)
    if locked.reopened_at is not None:
        raise ReconError(_("The day is open already."))
    locked.reopened_at, locked.reopened_by, locked.reopen_reason = timezone.now(), actor, reason[:200]
    locked.save(update_fields=["reopened_at", "reopened_by", "reopen_reason"])
    log_action(
        "recon.day.reopened",
        actor=actor,
        obj=locked,
        community_id=locked.community_id,
        changes={"day": locked.day.isoformat(), "reason": locked.reopen_reason},
    )
    return locked


def day_guard(*, community, day: datetime.date) -> None:
    """Refuse a change to a closed day (ReconError)."""
    if day_closed(community=community, day=day):
        raise ReconError(_("%(day)s is closed: reopen it first.") % {"day": day.isoformat()})
