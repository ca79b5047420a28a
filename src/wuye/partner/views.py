"""The partner bank's dashboard (合作银行看板): figures only, read-only, for the communities where the
user holds a role granting ``partner.view`` (the bank, administrators, supervisors).

No page here names a household, an owner, a phone or an ID number: every figure comes from
``wuye.partner.domain.queries``, which returns counts and sums.
"""

from __future__ import annotations

import datetime
from functools import wraps

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_GET

from wuye.core.enums import Permission
from wuye.core.models import Community, communities_for
from wuye.debit.enums import LineState, MandateState, ReferralState
from wuye.partner.domain.queries import METHODS, MONTHS_MAX, Dashboard, months_back, partner_dashboard
from wuye.partner.exports import dashboard_workbook
from wuye.payments.enums import PaymentMethod

MONTHS_DEFAULT = 12


def partner_view(view):
    """The user must hold ``partner.view`` in some community (404 otherwise, as everywhere else);
    ``request.partner_communities`` are those communities."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        communities = list(communities_for(request.user, Permission.PARTNER_VIEW).order_by("pk"))
        if not communities:
            raise Http404
        request.partner_communities = communities
        return view(request, *args, **kwargs)

    wrapper.permission = Permission.PARTNER_VIEW
    return wrapper


class DashboardFilter(forms.Form):
    community = forms.ModelChoiceField(
        label=gettext_lazy("Community"),
        queryset=Community.objects.none(),
        required=False,
        empty_label=gettext_lazy("All communities"),
    )
    to = forms.DateField(label=gettext_lazy("Up to month"), required=False, input_formats=["%Y-%m"])
    months = forms.IntegerField(
        label=gettext_lazy("Months"), required=False, min_value=1, max_value=MONTHS_MAX
    )

    def __init__(self, *args, communities: list[Community], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = Community.objects.filter(pk__in=[c.pk for c in communities])


def _selection(request) -> tuple[list[Community], Community | None, list[datetime.date], DashboardFilter]:
    """The communities and months asked for. A community the user may not see answers 404; a month or
    a count that does not read falls back to the default."""
    allowed = request.partner_communities
    form = DashboardFilter(request.GET, communities=allowed)
    form.is_valid()
    if "community" in form.errors:
        raise Http404
    chosen = form.cleaned_data.get("community")
    last = form.cleaned_data.get("to") or timezone.localdate()
    count = form.cleaned_data.get("months") or MONTHS_DEFAULT
    communities = [c for c in allowed if chosen is None or c.pk == chosen.pk]
    return communities, chosen, months_back(last=last, count=count), form


def _method_labels() -> list[str]:
    return [str(PaymentMethod(method).label) for method in METHODS]


def _chart_data(dashboard: Dashboard) -> dict:
    """What partner.js draws: month labels, series of counts, and amounts in fen (the script shows yuan)."""
    months = dashboard.by_month
    return {
        "labels": [item.month.strftime("%Y-%m") for item in months],
        "lines": [
            {"key": "succeeded", "label": _("Debited"), "data": [m.lines.succeeded for m in months]},
            {"key": "failed", "label": _("Failed"), "data": [m.lines.failed for m in months]},
            {"key": "unknown", "label": _("No answer yet"), "data": [m.lines.unknown for m in months]},
            {
                "key": "returned",
                "label": _("Returned after success"),
                "data": [m.lines.returned for m in months],
            },
        ],
        "rate": {
            "label": _("Success rate"),
            "data": [
                None if m.lines.success.permille is None else m.lines.success.permille / 10 for m in months
            ],
        },
        "funds": [
            {"key": method, "label": label, "data": [m.funds.by_method.get(method, 0) for m in months]}
            for method, label in zip(METHODS, _method_labels(), strict=True)
        ],
        "axes": {
            "lines": _("Debit lines"),
            "rate": _("Success rate (%)"),
            "yuan": pgettext("unit", "Yuan"),
        },
    }


@require_GET
@partner_view
def dashboard(request):
    communities, chosen, months, form = _selection(request)
    figures = partner_dashboard(communities=communities, months=months)
    return render(
        request,
        "partner/dashboard.html",
        {
            "form": form,
            "chosen": chosen,
            "dashboard": figures,
            "to_value": months[-1].strftime("%Y-%m"),
            "months_count": len(months),
            "months_max": MONTHS_MAX,
            "mandate_states": MandateState.choices,
            "referral_states": ReferralState.choices,
            "method_labels": _method_labels(),
            "line_states": LineState,
            "chart_data": _chart_data(figures),
            "query": request.GET.urlencode(),
            "console_access": communities_for(request.user, Permission.ESTATE_VIEW).exists(),
            "referrals_access": communities_for(request.user, Permission.BANK_REFERRALS).exists(),
        },
    )


@require_GET
@partner_view
def export(request):
    communities, _chosen, months, _form = _selection(request)
    figures = partner_dashboard(communities=communities, months=months)
    content = dashboard_workbook(dashboard=figures)
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    name = f"partner-{months[0]:%Y-%m}-{months[-1]:%Y-%m}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
