"""The counter (收银台): find a household, take a prepayment, print its receipt; the receipts list."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from wuye.console.decorators import staff_view
from wuye.core.enums import Permission
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
from wuye.payments.interfaces.forms import PrepaymentForm, new_form_key
from wuye.payments.models import Receipt
from wuye.payments.pdf import pdf_response, receipt_pdf
from wuye.recon.domain.reports import cashiers_of, receipts_filtered
from wuye.recon.interfaces.forms import TakingsFilterForm

TAKE = Permission.PAYMENTS_TAKE
VIEW = Permission.BILLING_VIEW
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


@staff_view(VIEW)
def receipt_list(request):
    """Receipts of the community, by number, Beijing days issued, method and who issued them."""
    form = TakingsFilterForm(request.GET or None, cashiers=cashiers_of(community=request.community))
    receipts = receipts_filtered(community=request.community, filter=form.takings_filter())
    number = (request.GET.get("number") or "").strip()
    if number.isdigit():
        receipts = receipts.filter(number=int(number))
    page = Paginator(receipts.order_by("-number"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = "&".join(part for part in (f"number={number}" if number.isdigit() else "", form.query()) if part)
    return render(
        request,
        "console/receipts/list.html",
        {"page": page, "number": number, "query": query, "form": form},
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
        },
    )


@staff_view(VIEW)
def receipt_download(request, receipt_pk: int):
    """The receipt as a PDF, shown in the browser (its print button prints it)."""
    receipt = _receipt(request, receipt_pk)
    return pdf_response(
        lambda: receipt_pdf(receipt_view(receipt=receipt)), filename=f"receipt-{receipt.display_number}.pdf"
    )
