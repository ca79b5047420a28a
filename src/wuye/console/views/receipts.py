"""The counter (收银台): find a household, take a prepayment, print its receipt; the receipts list; a
receipt's void, asked for by a cashier and approved or rejected by a supervisor (as refunds are)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from wuye.console.decorators import staff_view
from wuye.core.enums import Permission
from wuye.core.forms import errors_text
from wuye.core.money import fen_to_yuan
from wuye.core.tenancy import scoped_get
from wuye.households.models import Household
from wuye.payments.domain.prepayments import PrepaymentError, prepayment_balance_fen, prepayment_record
from wuye.payments.domain.queries import (
    counter_households,
    open_bills,
    receipt_items,
    receipt_view,
    receipts_for_household,
    receipts_for_print,
)
from wuye.payments.domain.receipts import receipt_verify_url
from wuye.payments.domain.voids import (
    ReceiptVoidError,
    receipt_void_approve,
    receipt_void_reject,
    receipt_void_request,
    receipt_voids_plainly,
)
from wuye.payments.enums import ReceiptKind
from wuye.payments.interfaces.forms import PrepaymentForm, ReceiptVoidForm, new_form_key
from wuye.payments.models import Receipt
from wuye.payments.pdf import pdf_response, receipt_pdf
from wuye.recon.domain.reports import cashiers_of, receipts_filtered
from wuye.recon.interfaces.forms import TakingsFilterForm

TAKE = Permission.PAYMENTS_TAKE
VIEW = Permission.BILLING_VIEW
REFUND = Permission.PAYMENTS_REFUND
PAGE_SIZE = 50


@staff_view(TAKE)
def counter(request):
    """Find the household that stands at the counter: by room, name or phone."""
    text = (request.GET.get("q") or "").strip()
    return render(
        request,
        "console/receipts/counter.html",
        {"search_text": text, "households": counter_households(community=request.community, text=text)},
    )


@staff_view(TAKE)
def prepayment_new(request, household_pk: int):
    household = scoped_get(Household.objects, request, TAKE, pk=household_pk)
    if request.method == "POST":
        form = PrepaymentForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = prepayment_record(
                    household=household,
                    amount_fen=data["amount"],
                    method=data["method"],
                    note=data["note"],
                    key=data["key"],
                    actor=request.user,
                )
            except PrepaymentError as error:
                form.add_error(None, str(error))
            else:
                receipt = result.receipt
                if not result.created:
                    messages.warning(
                        request,
                        _("This form was submitted already: receipt %(number)s was issued then.")
                        % {"number": receipt.display_number},
                    )
                else:
                    messages.success(
                        request,
                        _("Prepayment of ¥%(amount)s recorded; receipt %(number)s.")
                        % {"amount": fen_to_yuan(receipt.amount_fen), "number": receipt.display_number},
                    )
                    if result.applied_fen:
                        messages.info(
                            request,
                            _("¥%(amount)s of the balance was applied to open bills.")
                            % {"amount": fen_to_yuan(result.applied_fen)},
                        )
                return redirect("console:receipt", receipt_pk=receipt.pk)
    else:
        form = PrepaymentForm(initial={"key": new_form_key()})
    return render(
        request,
        "console/receipts/prepayment.html",
        {
            "household": household,
            "form": form,
            "prepayment_fen": prepayment_balance_fen(household=household),
            "open_bills": open_bills(household=household),
            "receipts": receipts_for_household(household=household)[:5],
        },
    )


VOID_FILTERS = (
    ("valid", pgettext_lazy("receipts", "Not void")),
    ("requested", pgettext_lazy("receipts", "Void awaiting approval")),
    ("void", pgettext_lazy("receipts", "Void")),
)


@staff_view(VIEW)
def receipt_list(request):
    void = request.GET.get("void") or ""
    void = void if void in dict(VOID_FILTERS) else ""
    form = TakingsFilterForm(request.GET or None, cashiers=cashiers_of(community=request.community))
    receipts = receipts_filtered(community=request.community, filter=form.takings_filter(), void=void)
    number = (request.GET.get("number") or "").strip()
    if number.isdigit():
        receipts = receipts.filter(number=int(number))
    page = Paginator(receipts.order_by("-number"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = "&".join(
        part
        for part in (
            f"number={number}" if number.isdigit() else "",
            f"void={void}" if void else "",
            form.query(),
        )
        if part
    )
    return render(
        request,
        "console/receipts/list.html",
        {
            "page": page,
            "number": number,
            "void": void,
            "void_filters": VOID_FILTERS,
            "query": query,
            "form": form,
        },
    )


def _receipt(request, receipt_pk: int) -> Receipt:
    return scoped_get(receipts_for_print(), request, VIEW, pk=receipt_pk)


@staff_view(VIEW)
def receipt_detail(request, receipt_pk: int):
    receipt = _receipt(request, receipt_pk)
    return render(
        request,
        "console/receipts/detail.html",
        {
            "receipt": receipt,
            "items": receipt_items(receipt=receipt),
            "verify_url": receipt_verify_url(receipt),
            "voidable": receipt.kind == ReceiptKind.PAYMENT and receipt.void_requested_at is None,
            "voids_plainly": receipt_voids_plainly(receipt),
            "void_form": ReceiptVoidForm(),
        },
    )


@require_POST
@staff_view(TAKE)
def receipt_void(request, receipt_pk: int):
    """Ask for a void (cashiers): a counter payment's receipt waits for a supervisor; an online or debit
    payment's void is a refund of the payment, approved on the payment's page."""
    receipt = scoped_get(Receipt.objects, request, TAKE, pk=receipt_pk)
    form = ReceiptVoidForm(request.POST)
    if not form.is_valid():
        messages.error(request, errors_text(form))
        return redirect("console:receipt", receipt_pk=receipt.pk)
    try:
        requested = receipt_void_request(
            receipt=receipt, reason=form.cleaned_data["reason"], actor=request.user
        )
    except ReceiptVoidError as error:
        messages.error(request, str(error))
        return redirect("console:receipt", receipt_pk=receipt.pk)
    if requested.refund is not None:
        messages.success(
            request,
            _(
                "The money goes back through its channel: a refund of ¥%(amount)s was requested; a"
                " supervisor approves it."
            )
            % {"amount": fen_to_yuan(requested.refund.amount_fen)},
        )
        return redirect("console:payment", paymentattempt_pk=requested.refund.attempt_id)
    messages.success(
        request,
        _("Void of receipt %(number)s requested; a supervisor approves it.")
        % {"number": receipt.display_number},
    )
    return redirect("console:receipt", receipt_pk=receipt.pk)


@require_POST
@staff_view(REFUND)
def receipt_void_decide(request, receipt_pk: int, decision: str):
    """Approve (the payment is reversed) or reject a void asked for (supervisors)."""
    receipt = scoped_get(Receipt.objects, request, REFUND, pk=receipt_pk)
    try:
        if decision == "approve":
            receipt_void_approve(receipt=receipt, actor=request.user)
            messages.success(
                request,
                _("Receipt %(number)s is void; its payment was reversed.")
                % {"number": receipt.display_number},
            )
        else:
            receipt_void_reject(receipt=receipt, actor=request.user)
            messages.success(
                request,
                _("The void of receipt %(number)s was rejected.") % {"number": receipt.display_number},
            )
    except ReceiptVoidError as error:
        messages.error(request, str(error))
    return redirect("console:receipt", receipt_pk=receipt.pk)


@staff_view(VIEW)
def receipt_download(request, receipt_pk: int):
    """The receipt as a PDF, shown in the browser (its print button prints it)."""
    receipt = _receipt(request, receipt_pk)
    return pdf_response(
        lambda: receipt_pdf(receipt_view(receipt=receipt)), filename=f"receipt-{receipt.display_number}.pdf"
    )
