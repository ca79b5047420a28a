"""Cashier handovers (交班) and day close (日结). Money is not moved here: a handover records what was
counted against what the system booked; a supervisor signs it off; an accountant closes a day once its
bills are reconciled, its differences settled or carried forward and its handovers signed off."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from wuye.console.decorators import staff_view
from wuye.core.enums import Permission
from wuye.core.money import fen_to_yuan, yuan_to_fen
from wuye.core.tenancy import scoped_get
from wuye.payments.domain.payments import MAX_COUNTER_FEN
from wuye.payments.enums import COUNTER_METHODS, PaymentMethod
from wuye.recon.domain.days import booked_takings, day_close, day_close_blockers, day_closed, day_reopen
from wuye.recon.domain.runs import ReconError, beijing_today
from wuye.recon.domain.shifts import shift_hand_over, shift_return, shift_sign_off, shift_start, shift_takings
from wuye.recon.enums import ShiftState
from wuye.recon.models import DayClose, Shift

TAKE, VIEW, RECONCILE = Permission.PAYMENTS_TAKE, Permission.FINANCE_VIEW, Permission.FINANCE_RECONCILE
PER_PAGE = 30


class HandoverForm(forms.Form):
    cash = forms.CharField(label=gettext_lazy("Cash counted (yuan)"), max_length=20, initial="0")
    card = forms.CharField(label=gettext_lazy("Card slips counted (yuan)"), max_length=20, initial="0")
    transfer = forms.CharField(label=gettext_lazy("Transfers confirmed (yuan)"), max_length=20, initial="0")
    reason = forms.CharField(
        label=gettext_lazy("Reason for any difference"),
        max_length=200,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)

    def _fen(self, name):
        return yuan_to_fen(self.cleaned_data[name], max_fen=100 * MAX_COUNTER_FEN, allow_zero=True)

    clean_cash = lambda self: self._fen("cash")  # noqa: E731
    clean_card = lambda self: self._fen("card")  # noqa: E731
    clean_transfer = lambda self: self._fen("transfer")  # noqa: E731


@staff_view(TAKE)
def handover(request):
    """The cashier's own handover: takings since the last one, counted amounts, and past handovers."""
    start = shift_start(community=request.community, cashier=request.user)
    takings = shift_takings(
        community=request.community, cashier=request.user, start=start, end=timezone.now()
    )
    form = HandoverForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            shift = shift_hand_over(
                community=request.community,
                cashier=request.user,
                counted={method: form.cleaned_data[method] for method in COUNTER_METHODS},
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
        except ReconError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Handed over %(yuan)s yuan: a supervisor signs it off.")
                % {
                    "yuan": fen_to_yuan(
                        shift.system_cash_fen + shift.system_card_fen + shift.system_transfer_fen
                    )
                },
            )
            return redirect("console:handover")
    mine = Shift.objects.filter(community=request.community, cashier=request.user).order_by("-ended_at")[:10]
    return render(
        request,
        "console/recon/handover.html",
        {
            "form": form,
            "start": start,
            "takings": [(PaymentMethod(method).label, fen) for method, fen in takings.by_method.items()],
            "total_fen": takings.total_fen,
            "payments": takings.payments,
            "mine": mine,
        },
    )


@staff_view(VIEW)
def shift_list(request):
    state = request.GET.get("state", ShiftState.SUBMITTED)
    shifts = Shift.objects.filter(community=request.community).select_related("cashier", "signed_off_by")
    if state in ShiftState.values:
        shifts = shifts.filter(state=state)
    page = Paginator(shifts.order_by("-ended_at"), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "console/recon/shifts.html",
        {"page": page, "state": state, "states": [*ShiftState.choices, ("all", _("All"))]},
    )


@staff_view(VIEW)
def shift_detail(request, shift_pk: int):
    shift = scoped_get(Shift.objects.select_related("cashier", "signed_off_by"), request, VIEW, pk=shift_pk)
    return render(
        request,
        "console/recon/shift.html",
        {
            "shift": shift,
            "rows": [
                (PaymentMethod(method).label, system, counted, diff)
                for method, system, counted, diff in shift.rows
            ],
        },
    )


@require_POST
@staff_view(RECONCILE)
def shift_decide(request, shift_pk: int, decision: str):
    shift = scoped_get(Shift.objects.all(), request, RECONCILE, pk=shift_pk)
    try:
        if decision == "sign_off":
            shift_sign_off(shift=shift, actor=request.user, note=request.POST.get("note", ""))
            messages.success(request, _("Signed off."))
        else:
            shift_return(shift=shift, actor=request.user, note=request.POST.get("note", ""))
            messages.success(request, _("Returned to the cashier for a recount."))
    except ReconError as error:
        messages.error(request, str(error))
    return redirect("console:shift", shift_pk=shift.pk)


def _day(request) -> datetime.date:
    yesterday = beijing_today() - datetime.timedelta(days=1)
    try:
        return datetime.date.fromisoformat(request.GET.get("day") or request.POST.get("day") or "")
    except ValueError:
        return yesterday


@staff_view(VIEW)
def day_list(request):
    day = _day(request)
    takings, refunds = booked_takings(community=request.community, day=day)
    closed = day_closed(community=request.community, day=day)
    closes = DayClose.objects.filter(community=request.community).select_related("closed_by", "reopened_by")
    page = Paginator(closes, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "console/recon/days.html",
        {
            "day": day,
            "closed": closed,
            "blockers": [] if closed else day_close_blockers(community=request.community, day=day),
            "takings": [
                (PaymentMethod(method).label, count, fen) for method, (count, fen) in takings.items()
            ],
            "takings_fen": sum(fen for _count, fen in takings.values()),
            "refunds_fen": refunds,
            "page": page,
        },
    )


@require_POST
@staff_view(RECONCILE)
def day_close_view(request):
    day = _day(request)
    try:
        day_close(community=request.community, day=day, actor=request.user, note=request.POST.get("note", ""))
    except ReconError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(day)s is closed.") % {"day": day.isoformat()})
    return redirect(f"{reverse('console:days')}?day={day.isoformat()}")


@require_POST
@staff_view(RECONCILE)
def day_reopen_view(request, dayclose_pk: int):
    closed = scoped_get(DayClose.objects.all(), request, RECONCILE, pk=dayclose_pk)
    try:
        day_reopen(closed=closed, actor=request.user, reason=request.POST.get("reason", ""))
    except ReconError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(day)s is open again.") % {"day": closed.day.isoformat()})
    return redirect(f"{reverse('console:days')}?day={closed.day.isoformat()}")
