"""Billing runs: preview a month, issue it with a progress bar, void it."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from wuye.billing.domain import runs as run_domain
from wuye.billing.enums import RunState
from wuye.billing.models import BillingRun
from wuye.billing.tasks import run_issue_job
from wuye.console.decorators import staff_view
from wuye.core import jobs
from wuye.core.enums import Permission
from wuye.core.models import user_can
from wuye.core.tenancy import scoped_get

VIEW, MANAGE = Permission.BILLING_VIEW, Permission.BILLING_MANAGE


class PreviewForm(forms.Form):
    month = forms.CharField(label=gettext_lazy("Month"), help_text=gettext_lazy("YYYY-MM"), max_length=7)

    def clean_month(self):
        try:
            return datetime.datetime.strptime(self.cleaned_data["month"], "%Y-%m").date()
        except ValueError:
            raise forms.ValidationError(_("Enter a month as YYYY-MM, e.g. 2026-11.")) from None


class VoidForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200)


@staff_view(VIEW)
def run_list(request):
    form = PreviewForm(request.POST or None, initial={"month": f"{timezone.localdate():%Y-%m}"})
    if request.method == "POST":
        if not user_can(request.user, request.community.pk, MANAGE):
            raise Http404
        if form.is_valid():
            run = run_domain.run_preview(
                community=request.community, period=form.cleaned_data["month"], actor=request.user
            )
            return redirect("console:run", billingrun_pk=run.pk)
    page = Paginator(BillingRun.objects.filter(community=request.community), 30).get_page(
        request.GET.get("page")
    )
    return render(request, "console/runs/list.html", {"page": page, "form": form})


@staff_view(VIEW)
def run_detail(request, billingrun_pk: int):
    run = scoped_get(BillingRun.objects, request, VIEW, pk=billingrun_pk)
    return render(request, "console/runs/detail.html", {"run": run, "void_form": VoidForm()})


@staff_view(VIEW)
def run_progress(request, billingrun_pk: int):
    run = scoped_get(BillingRun.objects, request, VIEW, pk=billingrun_pk)
    return render(request, "console/runs/progress.html", {"run": run})


@staff_view(MANAGE)
@require_POST
def run_issue(request, billingrun_pk: int):
    run = scoped_get(BillingRun.objects, request, MANAGE, pk=billingrun_pk)
    if run.state not in (RunState.PREVIEWED, RunState.ISSUING):
        messages.error(request, _("This run has already been issued or voided."))
    else:
        jobs.start(
            run_issue_job,
            actor=request.user,
            community_id=run.community_id,
            run_pk=run.pk,
            actor_pk=request.user.pk,
        )
        messages.success(request, _("Issuing the bills of %(month)s.") % {"month": f"{run.period:%Y-%m}"})
    return redirect("console:run", billingrun_pk=run.pk)


@staff_view(MANAGE)
@require_POST
def run_void(request, billingrun_pk: int):
    run = scoped_get(BillingRun.objects, request, MANAGE, pk=billingrun_pk)
    form = VoidForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason for voiding the run."))
    else:
        try:
            run_domain.run_void(run=run, reason=form.cleaned_data["reason"], actor=request.user)
            messages.success(request, _("The run was voided; its bills are void and reversed in the ledger."))
        except run_domain.RunError as error:
            messages.error(request, str(error))
    return redirect("console:run", billingrun_pk=run.pk)
