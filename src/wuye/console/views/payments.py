"""The counter's payments (收银): take a payment of chosen bills, the payments list and one payment
with its refunds; refund approval (supervisors); the inbox of channel notifications."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wuye.billing.domain.latefees import late_fees_attach
from wuye.console.decorators import staff_view
from wuye.core.enums import Permission
from wuye.core.forms import errors_text
from wuye.core.money import fen_to_yuan
from wuye.core.tenancy import scoped_get
from wuye.households.models import Household
from wuye.payments.domain.payments import PaymentError, counter_payment_take
from wuye.payments.domain.prepayments import prepayment_balance_fen
from wuye.payments.domain.queries import open_lines, receipt_items
from wuye.payments.domain.refunds import refund_approve, refund_reject, refund_request, refundable_fen
from wuye.payments.domain.settings import ChannelAccountError, channel_account_save, payment_settings_save
from wuye.payments.enums import ONLINE_METHODS, AttemptState, EventOutcome, RefundState
from wuye.payments.interfaces.forms import (
    ChannelAccountForm,
    CounterPaymentForm,
    PaymentSettingsForm,
    RefundRequestForm,
    new_counter_key,
)
from wuye.payments.models import ChannelAccount, ChannelEvent, PaymentAttempt, PaymentSettings, Refund
from wuye.payments.pdf import pdf_response
from wuye.recon.domain.reports import attempts_filtered, cashiers_of
from wuye.recon.interfaces.forms import TakingsFilterForm

TAKE = Permission.PAYMENTS_TAKE
REFUND = Permission.PAYMENTS_REFUND
VIEW = Permission.BILLING_VIEW
PAGE_SIZE = 50


@staff_view(TAKE)
def payment_new(request, household_pk: int):
    """Take a payment of the household's chosen open lines (all ticked at first), each with the late fee
    it costs today (shown before paying; the payment asks exactly this)."""
    household = scoped_get(Household.objects, request, TAKE, pk=household_pk)
    lines = late_fees_attach(open_lines(household=household))
    chosen = {line.pk for line in lines}
    if request.method == "POST":
        form = CounterPaymentForm(request.POST)
        chosen = {int(pk) for pk in request.POST.getlist("line") if pk.isdigit()}
        if not chosen:
            form.add_error(None, _("Tick at least one bill line."))
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = counter_payment_take(
                    household=household,
                    line_ids=sorted(chosen),
                    method=data["method"],
                    tendered_fen=data["tendered"],
                    key=data["key"],
                    actor=request.user,
                )
            except PaymentError as error:
                form.add_error(None, str(error))
            else:
                attempt = result.attempt
                if not result.created:
                    messages.warning(request, _("This form was submitted already: its payment is shown."))
                else:
                    messages.success(
                        request,
                        _("Payment of ¥%(amount)s received; receipt %(number)s.")
                        % {
                            "amount": fen_to_yuan(attempt.amount_fen),
                            "number": attempt.receipt.display_number,
                        },
                    )
                if result.change_fen:
                    messages.info(
                        request, _("Change due: ¥%(change)s.") % {"change": fen_to_yuan(result.change_fen)}
                    )
                return redirect("console:payment", paymentattempt_pk=attempt.pk)
    else:
        form = CounterPaymentForm(initial={"key": new_counter_key()})
    return render(
        request,
        "console/payments/new.html",
        {
            "household": household,
            "form": form,
            "lines": lines,
            "chosen": chosen,
            "total_fen": sum(
                line.outstanding_fen + line.late_fee_due_fen for line in lines if line.pk in chosen
            ),
            "late_fee_fen": sum(line.late_fee_due_fen for line in lines if line.pk in chosen),
            "prepayment_fen": prepayment_balance_fen(household=household),
        },
    )


@staff_view(VIEW)
def payment_list(request):
    """Payments of the community, by state, Beijing days created, channel and who took them."""
    form = TakingsFilterForm(request.GET or None, cashiers=cashiers_of(community=request.community))
    state = request.GET.get("state") or ""
    if state not in AttemptState.values:
        state = ""
    attempts = attempts_filtered(community=request.community, filter=form.takings_filter(), state=state)
    page = Paginator(attempts.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = "&".join(part for part in (f"state={state}" if state else "", form.query()) if part)
    return render(
        request,
        "console/payments/list.html",
        {"page": page, "state": state, "states": AttemptState.choices, "query": query, "form": form},
    )


def _attempt(request, pk: int, permission=VIEW) -> PaymentAttempt:
    return scoped_get(
        PaymentAttempt.objects.select_related("household", "receipt", "order"), request, permission, pk=pk
    )


@staff_view(VIEW)
def payment_detail(request, paymentattempt_pk: int):
    attempt = _attempt(request, paymentattempt_pk)
    return render(
        request,
        "console/payments/detail.html",
        {
            "attempt": attempt,
            "items": receipt_items(receipt=attempt.receipt) if attempt.receipt else [],
            "refunds": attempt.refunds.select_related("requested_by", "approved_by").order_by("-created_at"),
            "refundable_fen": refundable_fen(attempt),
            "events": attempt.events.order_by("-received_at")[:20],
            "refund_form": RefundRequestForm(),
        },
    )


@require_POST
@staff_view(TAKE)
def payment_refund_request(request, paymentattempt_pk: int):
    attempt = _attempt(request, paymentattempt_pk, TAKE)
    form = RefundRequestForm(request.POST)
    if form.is_valid():
        try:
            refund_request(
                attempt=attempt,
                amount_fen=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except PaymentError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Refund requested; a supervisor approves it."))
    else:
        messages.error(request, errors_text(form))
    return redirect("console:payment", paymentattempt_pk=attempt.pk)


@staff_view(REFUND)
def refund_list(request):
    refunds = Refund.objects.filter(community=request.community).select_related(
        "attempt__order", "household", "requested_by"
    )
    state = request.GET.get("state", RefundState.REQUESTED)
    if state in RefundState.values:
        refunds = refunds.filter(state=state)
    page = Paginator(refunds.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "console/payments/refunds.html",
        {"page": page, "state": state, "states": RefundState.choices, "query": f"state={state}"},
    )


@require_POST
@staff_view(REFUND)
def refund_decide(request, refund_pk: int, decision: str):
    refund = scoped_get(Refund.objects, request, REFUND, pk=refund_pk)
    try:
        if decision == "approve":
            refund = refund_approve(refund=refund, actor=request.user)
            messages.success(request, _("Refund %(number)s approved.") % {"number": refund.out_refund_no})
        else:
            refund_reject(
                refund=refund, reason=(request.POST.get("reason") or "").strip(), actor=request.user
            )
            messages.success(request, _("Refund %(number)s rejected.") % {"number": refund.out_refund_no})
    except PaymentError as error:
        messages.error(request, str(error))
    return redirect("console:payment", paymentattempt_pk=refund.attempt_id)


@staff_view(REFUND)
def event_list(request):
    """The inbox: every notification a channel sent, with what became of it."""
    events = ChannelEvent.objects.filter(community=request.community)
    outcome = request.GET.get("outcome") or ""
    if outcome in EventOutcome.values:
        events = events.filter(outcome=outcome)
    page = Paginator(events.order_by("-received_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "console/payments/events.html",
        {
            "page": page,
            "outcome": outcome,
            "outcomes": EventOutcome.choices,
            "query": f"outcome={outcome}" if outcome else "",
        },
    )


@staff_view(VIEW)
def pay_poster(request):
    """The community's A4 poster with the QR code of its self-service pay page (扫码缴费), to print."""
    from wuye.portal.domain.poster import poster_pdf

    return pdf_response(
        lambda: poster_pdf(request.community), filename=f"pay-poster-{request.community.pk}.pdf"
    )


@staff_view(VIEW)
def household_pay_link(request, household_pk: int):
    """A new pay link of the household and its QR code, to print on a notice or send to the owner,
    with the date it stops working and a button that withdraws every earlier link."""
    from wuye.portal.domain.queries import household_pay_link as pay_link

    household = scoped_get(Household.objects, request, VIEW, pk=household_pk)
    link = pay_link(household)
    qr_svg = segno.make(link.url, error="m").svg_inline(
        scale=6, border=2, omitsize=False, title=_("Pay link")
    )
    return render(
        request,
        "console/payments/pay_link.html",
        {"household": household, "url": link.url, "expires_at": link.expires_at, "qr_svg": qr_svg},
    )


@staff_view(VIEW)
def household_pay_links_revoke(request, household_pk: int):
    """Withdraw every pay link of the household issued so far (a notice went astray), then show a new
    one. Whoever may hand out the link may withdraw it: revoking only takes access away."""
    from wuye.portal.domain.paylinks import household_pay_links_revoke as revoke

    household = scoped_get(Household.objects, request, VIEW, pk=household_pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    revoke(household=household, actor=request.user)
    messages.success(
        request, _("Every earlier pay link of this household stopped working. This is the new one.")
    )
    return redirect("console:household_pay_link", household_pk=household.pk)


CONFIGURE = Permission.PAYMENTS_CONFIGURE


@staff_view(CONFIGURE)
def channel_settings(request):
    """The community's payment rules and its WeChat Pay and Alipay accounts."""
    settings = PaymentSettings.of(request.community.pk)
    if request.method == "POST":
        form = PaymentSettingsForm(request.POST, instance=settings)
        if form.is_valid():
            payment_settings_save(settings=form.save(commit=False), actor=request.user)
            messages.success(request, _("Payment settings saved."))
            return redirect("console:channel_settings")
    else:
        form = PaymentSettingsForm(instance=settings)
    accounts = {
        account.method: account for account in ChannelAccount.objects.filter(community=request.community)
    }
    return render(
        request,
        "console/payments/channels.html",
        {
            "form": form,
            "accounts": [(method, accounts.get(method)) for method in ONLINE_METHODS],
        },
    )


def _channel_account_form(request, account: ChannelAccount, method: str):
    if request.method == "POST":
        form = ChannelAccountForm(request.POST, instance=account, method=method)
        if form.is_valid():
            try:
                channel_account_save(account=form.save(commit=False), actor=request.user)
            except ChannelAccountError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Channel account saved."))
                return redirect("console:channel_settings")
    else:
        form = ChannelAccountForm(instance=account, method=method)
    return render(
        request, "console/payments/channel_account.html", {"form": form, "account": account, "method": method}
    )


@staff_view(CONFIGURE)
def channel_account_new(request):
    method = request.GET.get("method") or request.POST.get("method") or ""
    if method not in ONLINE_METHODS:
        raise Http404
    existing = ChannelAccount.objects.filter(community=request.community, method=method).first()
    if existing is not None:
        return redirect("console:channel_account", channelaccount_pk=existing.pk)
    return _channel_account_form(request, ChannelAccount(community=request.community, method=method), method)


@staff_view(CONFIGURE)
def channel_account_edit(request, channelaccount_pk: int):
    account = scoped_get(ChannelAccount.objects, request, CONFIGURE, pk=channelaccount_pk)
    return _channel_account_form(request, account, account.method)
