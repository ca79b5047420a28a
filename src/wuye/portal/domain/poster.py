"""The community's pay poster (自助缴费海报): an A4 PDF with a big QR code to the community's pay page.

Like the receipt (``wuye.payments.pdf``) it embeds TrueType CJK fonts (drawn through
``wuye.core.pdffonts``, so a community's name with a rare character prints whole), so any viewer and any
printer shows the Chinese text, and draws the QR code as vector squares, sharp at any size.
"""

from __future__ import annotations

import io

import segno
from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from wuye.core.audit import log_action, register_actions
from wuye.core.models import Community
from wuye.core.pdffonts import PdfText, font_chain
from wuye.portal.domain.queries import community_pay_path, public_url
from wuye.portal.models import PayPoster

register_actions({"portal.payposter.created": gettext_lazy("Pay poster created")})

WIDTH, HEIGHT = A4
MARGIN = 20 * mm
QR_SIZE = 120 * mm


@transaction.atomic
def payposter_ensure(*, community: Community, actor=None) -> PayPoster:
    """The community's pay poster token, created on first use."""
    poster, created = PayPoster.objects.get_or_create(community=community)
    if created:
        log_action("portal.payposter.created", actor=actor, obj=poster, community_id=community.pk)
    return poster


def community_pay_url(community: Community) -> str:
    """The absolute address of the community's pay page (``settings.PUBLIC_URL`` based)."""
    return public_url(community_pay_path(payposter_ensure(community=community)))


def _qr(canvas: Canvas, url: str, x: float, y: float, size: float) -> None:
    matrix = segno.make(url, error="m", micro=False).matrix
    module = size / len(matrix)
    canvas.setFillColorRGB(0, 0, 0)
    for row_index, row in enumerate(matrix):
        for column_index, dark in enumerate(row):
            if dark:
                top = y + size - (row_index + 1) * module
                canvas.rect(x + column_index * module, top, module, module, stroke=0, fill=1)


def poster_pdf(community: Community) -> bytes:
    """The A4 poster of the community's pay page, in the site's language: the community's name,
    "scan to pay", the QR code, the steps, and the address printed under the code."""
    font_chain()  # no CJK font: PdfFontError before anything is drawn
    url = community_pay_url(community)
    with translation.override(settings.LANGUAGE_CODE):
        buffer = io.BytesIO()
        canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
        headline = _("Scan to pay property fees")
        canvas.setTitle(f"{community.name} {headline}")
        canvas.setCreator("Wuye")
        pen = PdfText(canvas, document=f"pay poster of community {community.pk}")

        def centred(y, value, size):
            for part in pen.wrap(value, size, WIDTH - 2 * MARGIN):
                pen.draw(WIDTH / 2, y, part, size, align="centre")
                y -= size * 1.3
            return y

        canvas.setFillColorRGB(0.043, 0.431, 0.31)  # the portal's green
        canvas.rect(0, HEIGHT - 70 * mm, WIDTH, 70 * mm, stroke=0, fill=1)
        canvas.setFillColorRGB(1, 1, 1)
        y = centred(HEIGHT - 30 * mm, community.name, 26)
        centred(y - 6 * mm, headline, 40)
        canvas.setFillColorRGB(0, 0, 0)
        qr_y = HEIGHT - 80 * mm - QR_SIZE
        _qr(canvas, url, (WIDTH - QR_SIZE) / 2, qr_y, QR_SIZE)
        y = qr_y - 14 * mm
        y = centred(y, _("Open the camera, WeChat or Alipay and scan the code."), 16)
        y = centred(
            y - 3 * mm,
            _(
                "Choose your building, unit and room, confirm with the owner's name or the last four "
                "digits of your registered phone, and pay."
            ),
            13,
        )
        pen.draw(WIDTH / 2, MARGIN, url, 9, align="centre")
        canvas.showPage()
        canvas.save()
        return buffer.getvalue()
