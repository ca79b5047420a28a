"""The PDFs people print (the receipt, the community's pay poster) read in Chinese: no English is left on
them under zh_Hans, whatever the label."""

import datetime
import re
import shutil
import uuid

import pytest
from django.utils import translation

from tests.factories import staff
from tests.payments.factories import issue_bill
from tests.payments.test_receipts import _pdf_text
from wuye.billing.models import BillLine
from wuye.core.enums import Role
from wuye.payments import pdf
from wuye.payments.domain.payments import counter_payment_take
from wuye.payments.domain.queries import receipt_public_view, receipt_view
from wuye.payments.domain.receipts import receipt_verify_url
from wuye.payments.domain.voids import receipt_void_approve, receipt_void_request
from wuye.portal.domain.poster import community_pay_url, poster_pdf

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils is not installed: a PDF's text cannot be read"
)

# Latin words a Chinese receipt or poster may carry: the void stamp is bilingual by design (pdf.VOID_MARK).
ALLOWED = {"VOID", "PDF", "QR"}
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


def english_left(text: str, *, printed: list[str]) -> list[str]:
    """The runs of three or more Latin letters in ``text`` once the identifiers printed as they are (the
    verify or pay address, a payment's order number) are taken out."""
    for identifier in printed:
        assert identifier in text, identifier  # printed whole, so taking it out hides nothing else
        text = text.replace(identifier, "")
    return [word for word in LATIN_WORD.findall(text) if word not in ALLOWED]


def _receipt(household):
    cashier = staff(household.community, Role.CASHIER, first_name="李收银")
    issue_bill(household, datetime.date(2026, 1, 1), [12345, 500])
    lines = list(BillLine.objects.filter(household=household).values_list("pk", flat=True))
    attempt = counter_payment_take(
        household=household,
        line_ids=lines,
        method="cash",
        key=uuid.uuid4().hex[:24],
        tendered_fen=20000,
        actor=cashier,
    ).attempt
    return attempt.receipt


def test_receipt_pdf_has_no_english_under_zh_hans(household, tmp_path):
    receipt = _receipt(household)

    with translation.override("zh-hans"):
        text = _pdf_text(pdf.receipt_pdf(receipt_view(receipt=receipt)), tmp_path)

    assert "大写金额" in text
    assert "In words" not in text
    assert receipt.note.startswith("CT")  # the counter payment's order number
    assert english_left(text, printed=[receipt_verify_url(receipt), receipt.note]) == []


def test_public_receipt_pdf_has_no_english_under_zh_hans(household, tmp_path):
    receipt = _receipt(household)

    with translation.override("zh-hans"):
        text = _pdf_text(pdf.receipt_pdf(receipt_public_view(receipt=receipt)), tmp_path)

    assert english_left(text, printed=[receipt_verify_url(receipt)]) == []  # no note for the public


def test_void_receipt_pdf_has_no_english_but_its_stamp(household, tmp_path):
    receipt = _receipt(household)
    receipt_void_request(receipt=receipt, reason="收错户", actor=staff(household.community, Role.CASHIER))
    receipt_void_approve(receipt=receipt, actor=staff(household.community, Role.SUPERVISOR))
    receipt.refresh_from_db()

    with translation.override("zh-hans"):
        text = _pdf_text(pdf.receipt_pdf(receipt_view(receipt=receipt)), tmp_path)

    assert "作废 VOID" in text
    assert "作废于" in text
    assert english_left(text, printed=[receipt_verify_url(receipt), receipt.note]) == []


def test_pay_poster_pdf_has_no_english_under_zh_hans(community, settings, tmp_path):
    settings.PUBLIC_URL = "https://wuye.example.com"

    with translation.override("zh-hans"):
        text = _pdf_text(poster_pdf(community), tmp_path)

    assert "扫码缴物业费" in text
    assert english_left(text, printed=[community_pay_url(community)]) == []
