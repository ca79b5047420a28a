"""Takings reports (收费日报、周报、月报): one page with a period switch and a day, its tables and charts,
and the same tables as an Excel workbook. The figures come from ``wuye.recon.domain.reports``; the page
only reads the form. finance.view to read; anything else is 404."""

from __future__ import annotations

import datetime

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy, pgettext_lazy

from wuye.console.decorators import staff_view
from wuye.core.enums import Permission
from wuye.recon.domain.reports import DAY, PERIODS, chart_data, takings_report
from wuye.recon.domain.runs import BEIJING
from wuye.recon.interfaces.reports_excel import takings_workbook

VIEW = Permission.FINANCE_VIEW
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ReportForm(forms.Form):
    period = forms.ChoiceField(label=gettext_lazy("Report"), choices=list(PERIODS.items()), required=False)
    day = forms.DateField(
        label=pgettext_lazy("report", "Day"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


def _choice(request) -> tuple[str, datetime.date, ReportForm]:
    """The period kind and the day asked for; what is missing or wrong falls back to today's day report."""
    today = datetime.datetime.now(BEIJING).date()
    form = ReportForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    kind = data.get("period") or DAY
    day = data.get("day") or today
    if not form.is_bound or not form.is_valid():
        form = ReportForm(initial={"period": kind, "day": day})
    return kind, day, form


@staff_view(VIEW)
def takings(request):
    kind, day, form = _choice(request)
    report = takings_report(community=request.community, kind=kind, day=day)
    return render(
        request,
        "console/reports/takings.html",
        {
            "form": form,
            "report": report,
            "kind": kind,
            "periods": list(PERIODS.items()),
            "chart": chart_data(report),
            "day_value": day.isoformat(),
        },
    )


@staff_view(VIEW)
def takings_export(request):
    kind, day, _form = _choice(request)
    report = takings_report(community=request.community, kind=kind, day=day)
    response = HttpResponse(takings_workbook(report=report), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="takings-{kind}-{day.isoformat()}.xlsx"'
    return response
