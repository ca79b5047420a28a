"""The receipt as a PDF (A5 portrait), in Chinese, with the font embedded and a QR code to verify it.

ReportLab embeds a subset of TrueType CJK fonts, so every viewer shows the Chinese text (without an
embedded CJK font it comes out as empty boxes); the text is drawn through ``wuye.core.pdffonts``, whose
chain of fonts prints every character of a name, rare ones (CJK Extension A and B) included.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import segno
from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from wuye.core.money import fen_to_capitals, fen_to_yuan
from wuye.core.pdffonts import PdfFontError, PdfText, font_chain
from wuye.payments.domain.queries import ReceiptView
from wuye.payments.domain.receipts import receipt_verify_url

# The document's title and the amount in capitals are Chinese by definition of the document (a
# receipt's 大写 amount is written in Chinese whatever the reader's language), so they are not
# translated; every other label goes through the catalog in the site's language.
TITLE = "收据"
CURRENCY_IN_WORDS = "人民币"
# A void receipt's stamp: in both languages whatever the site's, so that a paper copy reads as void to
# anyone it is shown to.
VOID_MARK = "作废 VOID"


def pdf_response(make: Callable[[], bytes], *, filename: str) -> HttpResponse:
    """A PDF shown in the browser (its print button prints it); 503 with the reason when no CJK font
    is installed to draw it."""
    try:
        content = make()
    except PdfFontError as error:
        return HttpResponse(str(error), status=503, content_type="text/plain; charset=utf-8")
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


WIDTH, HEIGHT = A5
MARGIN = 12 * mm
QR_SIZE = 28 * mm


def _qr(canvas: Canvas, url: str, x: float, y: float, size: float) -> None:
    """The QR code as vector squares (sharp at any zoom, no image library needed)."""
    matrix = segno.make(url, error="m", micro=False).matrix
    module = size / len(matrix)
    canvas.setFillColorRGB(0, 0, 0)
    for row_index, row in enumerate(matrix):
        for column_index, dark in enumerate(row):
            if dark:
                canvas.rect(
                    x + column_index * module,
                    y + size - (row_index + 1) * module,
                    module,
                    module,
                    stroke=0,
                    fill=1,
                )


def _void_stamp(canvas: Canvas, text: PdfText, receipt: ReceiptView) -> None:
    """A void receipt: a large red 作废 VOID across the page, and the date it was voided beside its kind."""
    voided = timezone.localtime(receipt.voided_at)
    canvas.saveState()
    canvas.setFillColorRGB(0.8, 0.1, 0.1)
    # On the line of the receipt's kind, at the left (the kind is centred).
    voided_on = _("Voided on %(date)s") % {"date": f"{voided:%Y-%m-%d %H:%M}"}
    text.draw(MARGIN, HEIGHT - MARGIN - 23 * mm, voided_on, 9)
    # Level, not slanted: text readers (and pdftotext) read it as the words it is.
    canvas.setFillAlpha(0.35)
    text.draw(WIDTH / 2, HEIGHT / 2, VOID_MARK, 48, align="centre")
    canvas.restoreState()


def receipt_pdf(view: ReceiptView) -> bytes:
    """The receipt's PDF, printing what ``view`` shows: ``receipt_view`` for staff, ``receipt_public_view``
    for whoever holds the token. Rendered on request from the stored receipt, so it is always the same
    document for the same reader."""
    font_chain()  # no CJK font: PdfFontError before anything is drawn
    with translation.override(settings.LANGUAGE_CODE):
        return _render(view)


def _render(receipt: ReceiptView) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A5, pageCompression=1)
    canvas.setTitle(f"{TITLE} {receipt.number}")
    canvas.setAuthor(receipt.company)
    canvas.setCreator("Wuye")
    issued = timezone.localtime(receipt.issued_at)
    pen = PdfText(canvas, document=f"receipt {receipt.number}")

    def text(x, y, value, size=10, *, right=False, centre=False):
        pen.draw(x, y, value, size, align="right" if right else "centre" if centre else "left")

    def rule(y, width=0.6):
        canvas.setLineWidth(width)
        canvas.line(MARGIN, y, WIDTH - MARGIN, y)

    y = HEIGHT - MARGIN - 6 * mm
    text(WIDTH / 2, y, receipt.company, 12, centre=True)
    y -= 11 * mm
    text(WIDTH / 2, y, TITLE, 22, centre=True)
    y -= 6 * mm
    text(WIDTH / 2, y, receipt.kind, 10, centre=True)
    y -= 9 * mm
    text(MARGIN, y, f"{_('Community')}: {receipt.community}")
    text(WIDTH - MARGIN, y, f"{pgettext('receipt number', 'No.')} {receipt.number}", 11, right=True)
    y -= 6 * mm
    text(MARGIN, y, f"{_('Date')}: {issued:%Y-%m-%d %H:%M}")
    y -= 6 * mm
    text(MARGIN, y, f"{_('Household')}: {receipt.payer}")
    y -= 6 * mm
    if receipt.rooms:
        for part in pen.wrap(f"{_('Rooms')}: {receipt.rooms}", 10, WIDTH - 2 * MARGIN):
            text(MARGIN, y, part)
            y -= 5 * mm
    y -= 2 * mm
    rule(y + 3 * mm, 1)
    text(MARGIN, y - 2 * mm, _("Item"), 10)
    text(WIDTH - MARGIN, y - 2 * mm, _("Amount (yuan)"), 10, right=True)
    y -= 5 * mm
    rule(y)
    for item in receipt.items:
        if y < MARGIN + QR_SIZE + 30 * mm:
            canvas.showPage()
            y = HEIGHT - MARGIN
        y -= 6 * mm
        parts = pen.wrap(item.description, 10, WIDTH - 2 * MARGIN - 30 * mm) or [""]
        text(MARGIN, y, parts[0])
        text(WIDTH - MARGIN, y, fen_to_yuan(item.amount_fen), 10, right=True)
        for part in parts[1:]:
            y -= 5 * mm
            text(MARGIN, y, part)
    y -= 3 * mm
    rule(y)
    y -= 7 * mm
    text(MARGIN, y, f"{_('Total')}: ¥{fen_to_yuan(receipt.amount_fen)}", 12)
    y -= 7 * mm
    text(MARGIN, y, f"{_('In words')}: {CURRENCY_IN_WORDS} {fen_to_capitals(receipt.amount_fen)}", 11)
    y -= 7 * mm
    text(MARGIN, y, f"{_('Paid by')}: {receipt.method}")
    if receipt.cashier:
        y -= 6 * mm
        text(MARGIN, y, f"{_('Cashier')}: {receipt.cashier}")
    if receipt.note:
        y -= 6 * mm
        for part in pen.wrap(f"{_('Note')}: {receipt.note}", 10, WIDTH - 2 * MARGIN - QR_SIZE):
            text(MARGIN, y, part)
            y -= 5 * mm

    if receipt.voided_at is not None:
        _void_stamp(canvas, pen, receipt)

    url = receipt_verify_url(receipt)
    qr_x, qr_y = WIDTH - MARGIN - QR_SIZE, MARGIN + 8 * mm
    _qr(canvas, url, qr_x, qr_y, QR_SIZE)
    text(qr_x + QR_SIZE / 2, qr_y - 4 * mm, _("Scan to verify"), 8, centre=True)
    text(MARGIN, MARGIN, url, 6)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
