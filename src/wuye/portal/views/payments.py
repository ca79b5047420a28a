"""What the owner's household paid: its prepayment balance and its receipts, newest first, each with
what it paid (months and fee items) and its PDF to open or download."""

from __future__ import annotations

from django.core.paginator import Paginator

from wuye.payments.domain.prepayments import prepayment_balance_fen
from wuye.payments.domain.queries import receipt_items, receipts_for_household
from wuye.portal.auth import owner_required
from wuye.portal.views.base import render_portal

RECEIPTS_PER_PAGE = 20


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
