"""Receipts (收据): the list by community, household and Beijing days, one receipt with what it paid,
and its PDF (the console's print).

Permission is the console's ``billing.view`` in the receipt's community; any other receipt answers 404.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.errors import HttpError

from wuye.api.pagination import page_of
from wuye.api.schemas import ErrorOut
from wuye.api.schemas_payments import ReceiptDetailOut, ReceiptListQuery, ReceiptPageOut
from wuye.core.enums import Permission
from wuye.core.tenancy import scoped_get
from wuye.payments.domain.queries import receipt_view, receipts_for_print
from wuye.payments.models import Receipt
from wuye.payments.pdf import pdf_response, receipt_pdf
from wuye.recon.domain.runs import day_window

router = Router(tags=["receipts"])

VIEW = Permission.BILLING_VIEW
PDF_RESPONSE = {
    "200": {"description": "The receipt as a PDF (A5).", "content": {"application/pdf": {}}},
    "503": {"description": "No CJK font is installed to draw it; the body says which to install."},
}


@router.get("/receipts", response={200: ReceiptPageOut, 400: ErrorOut}, operation_id="receipt_list")
def receipt_list(request, filters: Query[ReceiptListQuery]):
    """Receipts, highest number first within a community (newest first across communities).

    ``first`` and ``last`` are days in Beijing time, as the console's list and the takings reports
    cut them.
    """
    if filters.first is not None and filters.last is not None and filters.first > filters.last:
        raise HttpError(400, _("The first day is after the last."))
    receipts = Receipt.objects.for_user(request.user, VIEW).select_related("household", "issued_by")
    if filters.community is not None:
        receipts = receipts.filter(community_id=filters.community)
    if filters.household is not None:
        receipts = receipts.filter(household_id=filters.household)
    if filters.first is not None:
        receipts = receipts.filter(issued_at__gte=day_window(filters.first)[0])
    if filters.last is not None:
        receipts = receipts.filter(issued_at__lt=day_window(filters.last)[1])
    if filters.method is not None:
        receipts = receipts.filter(method=filters.method)
    receipts = receipts.order_by("-issued_at", "-number", "-pk")
    return page_of(receipts, page=filters.page, limit=filters.limit)


@router.get(
    "/receipts/{receipt_pk}", response={200: ReceiptDetailOut, 404: ErrorOut}, operation_id="receipt_detail"
)
def receipt_detail(request, receipt_pk: int):
    """One receipt with its items (the lines it paid, its late fees, or the prepayment) and void state."""
    return scoped_get(receipts_for_print(), request, VIEW, pk=receipt_pk)


@router.get(
    "/receipts/{receipt_pk}/pdf",
    response={404: ErrorOut},
    operation_id="receipt_pdf",
    url_name="receipt_pdf",
    openapi_extra={"responses": PDF_RESPONSE},
)
def receipt_pdf_download(request, receipt_pk: int):
    """The receipt as the console prints it: a PDF with its verification QR code."""
    receipt = scoped_get(receipts_for_print(), request, VIEW, pk=receipt_pk)
    return pdf_response(
        lambda: receipt_pdf(receipt_view(receipt=receipt)), filename=f"receipt-{receipt.display_number}.pdf"
    )
