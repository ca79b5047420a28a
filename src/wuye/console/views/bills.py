"""Bills, adjustments and waivers, late fees, arrears with aging, dunning notices, collection rate.

Reading needs billing.view; adjusting and waiving need billing.manage. Every object comes through
``scoped_get``, so another community's bill, line or household answers 404. Views only parse input
(through forms) and call ``wuye.billing.domain``; the domain checks, writes, logs and refuses.
"""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from wuye.billing.domain import arrears as queries
from wuye.billing.domain import bills as billing
from wuye.billing.domain import latefees
from wuye.billing.domain.compute import add_months, month_start
from wuye.billing.enums import BillState
from wuye.billing.interfaces.dunning import dunning_workbook
from wuye.billing.models import Bill, BillLine
from wuye.console.decorators import staff_view
from wuye.core.enums import Permission
from wuye.core.money import decimal_to_fen, fen_to_yuan
from wuye.core.rules import roles_granting
from wuye.core.tenancy import scoped_get
from wuye.estate.models import Building
from wuye.households.models import Household

VIEW = Permission.BILLING_VIEW
MANAGE = Permission.BILLING_MANAGE
PAGE_SIZE = 50


def _date(value: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def _month(value: str | None) -> datetime.date | None:
    return _date(f"{(value or '').strip()}-01") if value else None


def _int(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


def _as_of(request) -> datetime.date:
    return _date(request.GET.get("as_of")) or timezone.localdate()


def _building(request) -> Building | None:
    pk = _int(request.GET.get("building"))
    return Building.objects.filter(community=request.community, pk=pk).first() if pk else None


# Forms ----------------------------------------------------------------------------------------


class ApproverChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


def _approvers(community):
    """Staff who may approve: those holding billing.manage in the community."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True, staff_roles__community=community, staff_roles__role__in=roles_granting(MANAGE)
        )
        .distinct()
        .order_by("username")
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200)


class ApprovedForm(ReasonForm):
    approver = ApproverChoiceField(queryset=None, label=gettext_lazy("Approved by"))

    def __init__(self, *args, community, user, **kwargs):
        super().__init__(*args, **kwargs)
        approvers = _approvers(community)
        if user.is_superuser:
            approvers = (approvers | get_user_model().objects.filter(pk=user.pk)).distinct()
        self.fields["approver"].queryset = approvers
        if approvers.filter(pk=user.pk).exists():
            self.fields["approver"].initial = user.pk


class AdjustForm(ApprovedForm):
    field_order = ["amount", "reason", "approver"]
    amount = forms.DecimalField(
        label=gettext_lazy("Amount (yuan)"),
        max_digits=14,
        decimal_places=2,
        help_text=gettext_lazy("Positive to charge more, negative to charge less."),
    )


class WaiveForm(ApprovedForm):
    field_order = ["amount", "reason", "approver"]
    amount = forms.DecimalField(
        label=gettext_lazy("Amount to waive (yuan)"),
        max_digits=14,
        decimal_places=2,
        required=False,
        help_text=gettext_lazy("Leave empty to waive everything the line still owes."),
    )


# Bills ----------------------------------------------------------------------------------------


@staff_view(VIEW)
def bill_list(request):
    community = request.community
    state = request.GET.get("state", "")
    current = queries.BillFilter(
        month=_month(request.GET.get("month")),
        state=state if state in BillState.values else "",
        building=_int(request.GET.get("building")),
        text=(request.GET.get("q") or "").strip()[:60],
        household=_int(request.GET.get("household")),
    )
    bills = queries.bills_filtered(community=community, filter=current)
    page = Paginator(bills, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "console/bills/list.html",
        {
            "page": page,
            "filter": current,
            "month_value": current.month.strftime("%Y-%m") if current.month else "",
            "query": query.urlencode(),
            "states": BillState.choices,
            "buildings": Building.objects.filter(community=community),
            "today": timezone.localdate(),
        },
    )


@staff_view(VIEW)
def bill_detail(request, bill_pk: int):
    bill = scoped_get(Bill.objects.select_related("household", "run"), request, VIEW, pk=bill_pk)
    as_of = _as_of(request)
    rows = []
    for line in queries.bill_lines(bill=bill):
        rows.append(
            {
                "line": line,
                "explanation": billing.line_explain(line=line),
                "late_fee_fen": latefees.late_fee_fen(line=line, as_of=as_of),
                "late_fee_text": latefees.late_fee_explain(line=line, as_of=as_of),
                "adjustments": list(line.adjustments.all()),
            }
        )
    live = [row["line"] for row in rows if not row["line"].is_void]
    return render(
        request,
        "console/bills/detail.html",
        {
            "bill": bill,
            "rows": rows,
            "as_of": as_of,
            "amount_fen": sum(line.amount_fen for line in live),
            "adjusted_fen": sum(line.adjusted_fen for line in live),
            "waived_fen": sum(line.waived_fen for line in live),
            "paid_fen": sum(line.paid_fen for line in live),
            "outstanding_fen": sum(line.outstanding_fen for line in live),
            "late_fee_fen": sum(row["late_fee_fen"] for row in rows),
            "overdue": bill.due_on < as_of,
        },
    )


def _line(request, billline_pk: int) -> BillLine:
    return scoped_get(
        BillLine.objects.select_related("bill__household", "fee_item", "room__building", "room__unit"),
        request,
        MANAGE,
        pk=billline_pk,
    )


def _action_page(request, *, form, title, line=None, bill=None, action_url):
    return render(
        request,
        "console/bills/action.html",
        {
            "form": form,
            "title": title,
            "line": line,
            "bill": bill or line.bill,
            "action_url": action_url,
        },
    )


@staff_view(MANAGE)
def line_adjust(request, billline_pk: int):
    line = _line(request, billline_pk)
    form = AdjustForm(request.POST or None, community=line.community, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            amount = decimal_to_fen(data["amount"])
            billing.line_adjust(
                line=line,
                amount_fen=amount,
                reason=data["reason"],
                approver=data["approver"],
                actor=request.user,
            )
        except billing.BillError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Line adjusted by %(amount)s yuan.") % {"amount": fen_to_yuan(amount, signed=True)},
            )
            return redirect("console:bill", bill_pk=line.bill_id)
    return _action_page(request, form=form, title=_("Adjust a bill line"), line=line, action_url=request.path)


@staff_view(MANAGE)
def line_waive(request, billline_pk: int):
    line = _line(request, billline_pk)
    form = WaiveForm(request.POST or None, community=line.community, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            amount = None if data["amount"] is None else decimal_to_fen(data["amount"])
            adjustment = billing.line_waive(
                line=line,
                amount_fen=amount,
                reason=data["reason"],
                approver=data["approver"],
                actor=request.user,
            )
        except billing.BillError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, _("%(amount)s yuan waived.") % {"amount": fen_to_yuan(adjustment.amount_fen)}
            )
            return redirect("console:bill", bill_pk=line.bill_id)
    return _action_page(request, form=form, title=_("Waive a bill line"), line=line, action_url=request.path)


@staff_view(MANAGE)
def line_late_fee_waive(request, billline_pk: int):
    """Ask to waive a line's late fee; someone else approves it on the bill's page (four eyes)."""
    line = _line(request, billline_pk)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            latefees.line_late_fee_waiver_request(
                line=line, reason=form.cleaned_data["reason"], actor=request.user
            )
        except billing.BillError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Late fee waiver requested: someone else approves it."))
            return redirect("console:bill", bill_pk=line.bill_id)
    return _action_page(request, form=form, title=_("Waive a late fee"), line=line, action_url=request.path)


@require_POST
@staff_view(MANAGE)
def line_late_fee_waiver_decide(request, billline_pk: int, decision: str):
    line = _line(request, billline_pk)
    try:
        if decision == "approve":
            latefees.line_late_fee_waiver_approve(line=line, actor=request.user)
            messages.success(request, _("Late fee waived."))
        else:
            latefees.line_late_fee_waiver_reject(
                line=line, actor=request.user, reason=(request.POST.get("reason") or "").strip()
            )
            messages.success(request, _("Late fee waiver rejected."))
    except billing.BillError as error:
        messages.error(request, str(error))
    return redirect("console:bill", bill_pk=line.bill_id)


@staff_view(MANAGE)
def bill_waive(request, bill_pk: int):
    bill = scoped_get(Bill.objects.select_related("household"), request, MANAGE, pk=bill_pk)
    form = ApprovedForm(request.POST or None, community=bill.community, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            adjustments = billing.bill_waive(
                bill=bill, reason=data["reason"], approver=data["approver"], actor=request.user
            )
        except billing.BillError as error:
            form.add_error(None, str(error))
        else:
            total = sum(adjustment.amount_fen for adjustment in adjustments)
            messages.success(request, _("%(amount)s yuan waived.") % {"amount": fen_to_yuan(total)})
            return redirect("console:bill", bill_pk=bill.pk)
    return _action_page(
        request, form=form, title=_("Waive the whole bill"), bill=bill, action_url=request.path
    )


# Arrears --------------------------------------------------------------------------------------


@staff_view(VIEW)
def arrears(request):
    """Community totals with aging, then by building; with ?building=, that building's households."""
    community = request.community
    as_of = _as_of(request)
    building = _building(request)
    context = {
        "as_of": as_of,
        "building": building,
        "buildings": Building.objects.filter(community=community),
        "totals": queries.arrears_totals(
            community=community, as_of=as_of, building_id=building.pk if building else None
        ),
        "buckets": [_("0–30 days"), _("31–90 days"), _("91–180 days"), _("over 180 days")],
    }
    if building is None:
        context["by_building"] = queries.arrears_by_building(community=community, as_of=as_of)
    rows = queries.arrears_by_household(
        community=community, as_of=as_of, building_id=building.pk if building else None
    )
    context["page"] = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context["query"] = query.urlencode()
    return render(request, "console/bills/arrears.html", context)


@staff_view(VIEW)
def household_arrears(request, household_pk: int):
    household = scoped_get(Household.objects, request, VIEW, pk=household_pk)
    as_of = _as_of(request)
    lines = queries.household_overdue_lines(household=household, as_of=as_of)
    return render(
        request,
        "console/bills/household_arrears.html",
        {
            "household": household,
            "as_of": as_of,
            "lines": lines,
            "total_fen": sum(o.outstanding_fen for o in lines),
            "late_fee_fen": sum(o.late_fee_fen for o in lines),
        },
    )


def _dunning_notices(request):
    as_of = _as_of(request)
    building = _building(request)
    min_days = _int(request.GET.get("min_days")) or 1
    notices = queries.dunning_notices(
        community=request.community,
        as_of=as_of,
        building_id=building.pk if building else None,
        min_days=min_days,
    )
    return notices, as_of, building, min_days


@staff_view(VIEW)
def dunning(request):
    """催缴单: one printable notice per household (the page prints one notice per sheet)."""
    notices, as_of, building, min_days = _dunning_notices(request)
    return render(
        request,
        "console/bills/dunning.html",
        {
            "notices": notices,
            "as_of": as_of,
            "building": building,
            "min_days": min_days,
            "buildings": Building.objects.filter(community=request.community),
            "community": request.community,
            "query": request.GET.urlencode(),
        },
    )


@staff_view(VIEW)
def dunning_export(request):
    notices, as_of, *_filters = _dunning_notices(request)
    content = dunning_workbook(notices=notices, as_of=as_of)
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="dunning-{as_of.isoformat()}.xlsx"'
    return response


# Collection rate ------------------------------------------------------------------------------


@staff_view(VIEW)
def collection_rate(request):
    """收缴率 of the bills of the last ``months`` months up to ``to``, by month and by building."""
    last = _month(request.GET.get("to")) or month_start(timezone.localdate())
    count = min(max(_int(request.GET.get("months")) or 12, 1), 36)
    months = [add_months(last, -offset) for offset in range(count - 1, -1, -1)]
    return render(
        request,
        "console/bills/collection.html",
        {
            "table": queries.collection_rates(community=request.community, months=months),
            "to_value": last.strftime("%Y-%m"),
            "months_count": count,
        },
    )
