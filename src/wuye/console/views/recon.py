"""Reconciliation (对账) and suspense (挂账): reconcile a day's channel bill (downloaded through the
channel, or uploaded), read what differs, and settle each difference. Money moves only in the recon
domain; these views read forms, call it and say what happened.

Runs and differences are scoped to the current community: finance.view to read, finance.reconcile to act;
anything else is 404.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from wuye.console.decorators import staff_view
from wuye.core.enums import Permission
from wuye.core.forms import errors_text
from wuye.core.tenancy import scoped_get
from wuye.debit.models import DebitSettings
from wuye.recon.domain import actions
from wuye.recon.domain.fundflow import fundflow_fetch, fundflow_run
from wuye.recon.domain.queries import day_to_reconcile, differences_of, runs_of, suspense_balance_fen
from wuye.recon.domain.runs import (
    RECONCILED_METHODS,
    BillError,
    ReconError,
    recon_fetch,
    recon_run,
)
from wuye.recon.domain.settlements import BankFileError, statement_run
from wuye.recon.enums import (
    BANK,
    KINDS_OF,
    DifferenceKind,
    DifferenceState,
    Document,
    Resolution,
    RunSource,
)
from wuye.recon.models import Difference, ReconRun, Settlement

VIEW, RECONCILE = Permission.FINANCE_VIEW, Permission.FINANCE_RECONCILE
FUNDFLOW = "wechat_fundflow"  # the form's choice for WeChat Pay's fund-flow bill
PER_PAGE = 30
ACTIONS = ("book", "suspend", "refund_out", "write_off", "accept", "refund", "carry", "reverse")


class RunForm(forms.Form):
    method = forms.ChoiceField(label=gettext_lazy("Channel"), choices=())
    day = forms.DateField(
        label=gettext_lazy("Day"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    file = forms.FileField(
        label=gettext_lazy("Bill file"),
        required=False,
        help_text=gettext_lazy(
            "A channel's bill: leave empty to download it from the channel. The bank statement: upload it."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from wuye.payments.enums import PaymentMethod

        self.fields["method"].choices = [
            *((method, PaymentMethod(method).label) for method in RECONCILED_METHODS),
            (FUNDFLOW, _("WeChat Pay fund-flow bill")),
            (BANK, _("Bank statement (camt.053 / camt.054)")),
        ]

    def clean(self):
        data = super().clean()
        if data.get("method") == BANK and not data.get("file"):
            self.add_error(
                "file",
                _(
                    "Upload the statement: download it from the bank's e-banking (in the demo, paysim's bank page)."
                ),
            )
        return data

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload is not None and upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB.") % {"mb": settings.IMPORT_MAX_BYTES // 2**20}
            )
        return upload


@staff_view(VIEW)
def run_list(request):
    method = request.GET.get("method", "")
    runs = runs_of(community=request.community, method=method or None)
    page = Paginator(runs, PER_PAGE).get_page(request.GET.get("page"))
    form = RunForm(
        initial={"day": day_to_reconcile(community=request.community), "method": RECONCILED_METHODS[0]}
    )
    return render(
        request,
        "console/recon/list.html",
        {
            "page": page,
            "form": form,
            "method": method,
            "methods": RunForm().fields["method"].choices,
            "open_count": differences_of(community=request.community, state=DifferenceState.OPEN).count(),
            "bank_account": DebitSettings.of(request.community.pk).creditor_account,
            "paysim_bank": f"{settings.WUYE_PAYSIM_URL.rstrip('/')}/bank/" if settings.PAYSIM_ENABLED else "",
            "suspense_fen": suspense_balance_fen(community=request.community),
        },
    )


@require_POST
@staff_view(RECONCILE)
def run_new(request):
    form = RunForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, errors_text(form))
        return redirect("console:recon_runs")
    method, day, upload = form.cleaned_data["method"], form.cleaned_data["day"], form.cleaned_data["file"]
    try:
        if method == BANK:
            run = statement_run(
                community=request.community,
                data=upload.read(),
                file_name=upload.name,
                actor=request.user,
                day=day,
            )
        elif method == FUNDFLOW and upload is None:
            run = fundflow_fetch(community=request.community, day=day, actor=request.user)
        elif method == FUNDFLOW:
            run = fundflow_run(
                community=request.community,
                day=day,
                data=upload.read(),
                file_name=upload.name,
                actor=request.user,
            )
        elif upload is None:
            run = recon_fetch(community=request.community, method=method, day=day, actor=request.user)
        else:
            run = recon_run(
                community=request.community,
                method=method,
                day=day,
                data=upload.read(),
                source=RunSource.UPLOADED,
                file_name=upload.name,
                actor=request.user,
            )
    except (ReconError, BillError, BankFileError) as error:
        messages.error(request, str(error))
        return redirect("console:recon_runs")
    found = run.differences_found
    if found:
        messages.warning(
            request,
            _("Reconciled: %(matched)s matched, %(found)s differences.")
            % {"matched": run.matched, "found": found},
        )
    else:
        messages.success(
            request, _("Reconciled: %(matched)s matched, no difference.") % {"matched": run.matched}
        )
    return redirect("console:recon_run", reconrun_pk=run.pk)


@staff_view(VIEW)
def run_detail(request, reconrun_pk: int):
    run = scoped_get(ReconRun.objects.select_related("created_by"), request, VIEW, pk=reconrun_pk)
    differences = run.differences.select_related("household").order_by("kind", "reference")
    return render(
        request,
        "console/recon/detail.html",
        {
            "run": run,
            "differences": differences,
            "kinds": [(kind, kind.label, run.found.get(kind, 0)) for kind in KINDS_OF[run.document]],
            "settlements": run.settlements.order_by("method", "trade_day") if run.method == BANK else (),
            "settlement": Settlement.objects.filter(
                community=run.community, method=run.method, trade_day=run.day
            ).first()
            if run.document == Document.TRADE
            else None,
        },
    )


@require_GET
@staff_view(VIEW)
def difference_list(request):
    state = request.GET.get("state", DifferenceState.OPEN)
    if state not in DifferenceState.values and state != "all":
        state = DifferenceState.OPEN
    kind = request.GET.get("kind", "")
    differences = differences_of(
        community=request.community,
        state=None if state == "all" else state,
        kind=kind if kind in DifferenceKind.values else None,
    )
    page = Paginator(differences, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "console/recon/differences.html",
        {
            "page": page,
            "state": state,
            "kind": kind,
            "states": [*DifferenceState.choices, ("all", _("All"))],
            "kinds": DifferenceKind.choices,
            "suspense_fen": suspense_balance_fen(community=request.community),
        },
    )


@staff_view(VIEW)
def difference_detail(request, difference_pk: int):
    difference = scoped_get(
        Difference.objects.select_related("household", "attempt", "refund", "first_run", "resolved_by"),
        request,
        VIEW,
        pk=difference_pk,
    )
    return render(
        request,
        "console/recon/difference.html",
        {
            "difference": difference,
            "actions": _actions_of(difference),
            "suspense_fen": actions.suspense_amount_fen(difference),
        },
    )


def _actions_of(difference: Difference) -> set[str]:
    if difference.state == DifferenceState.SUSPENSE:
        return {"refund_out", "write_off"} if difference.suspense_fen > 0 else {"write_off"}
    if difference.state != DifferenceState.OPEN:
        return set()
    found = {"accept"} | (set() if difference.carried_at else {"carry"})
    if difference.kind == DifferenceKind.CHANNEL_ONLY and difference.attempt_id:
        found.add("book")
    if difference.kind in actions.SUSPENDABLE and actions.suspense_amount_fen(difference):
        found.add("suspend")
    if difference.kind == DifferenceKind.DOUBLE:
        found.add("refund")
    if actions.reversible(difference):
        found.add("reverse")
    return found


@require_POST
@staff_view(RECONCILE)
def difference_act(request, difference_pk: int, action: str):
    difference = scoped_get(Difference.objects.all(), request, RECONCILE, pk=difference_pk)
    reason = request.POST.get("reason", "")
    try:
        if action == "book":
            actions.difference_book(difference=difference, actor=request.user)
            messages.success(request, _("The payment is booked against its bill."))
        elif action == "suspend":
            actions.difference_suspend(difference=difference, reason=reason, actor=request.user)
            messages.success(request, _("Moved to suspense."))
        elif action in ("refund_out", "write_off"):
            resolution = Resolution.REFUNDED if action == "refund_out" else Resolution.WRITTEN_OFF
            actions.suspense_clear(
                difference=difference, resolution=resolution, reason=reason, actor=request.user
            )
            messages.success(request, _("Suspense cleared."))
        elif action == "accept":
            actions.difference_accept(difference=difference, note=reason, actor=request.user)
            messages.success(request, _("Difference closed."))
        elif action == "reverse":
            actions.difference_reverse(difference=difference, reason=reason, actor=request.user)
            messages.success(
                request, _("The receipt's void is asked for: a supervisor approves it on the receipt's page.")
            )
        elif action == "carry":
            actions.difference_carry(difference=difference, note=reason, actor=request.user)
            messages.success(request, _("Carried forward: the day can close; settle it later."))
        elif action == "refund":
            actions.difference_refund(difference=difference, actor=request.user)
            messages.success(request, _("Refund requested: a supervisor approves it on the refunds page."))
    except ReconError as error:
        messages.error(request, str(error))
    return redirect("console:recon_difference", difference_pk=difference.pk)
