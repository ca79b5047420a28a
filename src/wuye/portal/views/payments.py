"""What the owner's household paid: its prepayment balance and its receipts, newest first, each with
what it paid (months and fee items) and its PDF to open or download; and its bills, paid ones too, each
with what paid it."""

from __future__ import annotations

from django.core.paginator import Paginator

from wuye.billing.domain.arrears import household_bills
from wuye.payments.domain.prepayments import prepayment_balance_fen
from wuye.payments.domain.queries import bill_payers, receipt_items, receipts_for_household
from wuye.portal.auth import owner_required
from wuye.portal.views.base import render_portal

RECEIPTS_PER_PAGE = 20
BILLS_PER_PAGE = 12


@owner_required
def payment_history(request):
    household = request.household
    page = Paginator(receipts_for_household(household=household), RECEIPTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render_portal(
        request,
        "portal/payments.html",
        {
            "page": page,
            "receipts": [(receipt, receipt_items(receipt=receipt, rooms=False)) for receipt in page],
            "prepayment_fen": prepayment_balance_fen(household=household),
        },
        tab="me",
    )


@owner_required
def bill_history(request):
    """The household's bills, newest month first, open and paid: each line with what it asked and what
    is still owed, and what paid the bill (payments with their receipts, prepayment applied, refunds)."""
    page = Paginator(household_bills(household=request.household, limit=None), BILLS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    payers = bill_payers(bill_ids=[bill.pk for bill in page])
    return render_portal(
        request,
        "portal/bills.html",
        {"page": page, "bills": [(bill, payers.get(bill.pk, [])) for bill in page]},
        tab="me",
    )
