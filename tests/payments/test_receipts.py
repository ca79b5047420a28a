"""Receipts: numbered per community without gaps, a Chinese PDF with a QR code, a public verify page."""

import datetime
import logging
import shutil
import subprocess
import uuid

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from tests.factories import HouseholdRoomFactory, staff
from tests.payments.factories import issue_bill, prepay
from wuye.billing.models import BillLine
from wuye.core import pdffonts
from wuye.core.enums import Role
from wuye.ledger.models import LedgerTransaction
from wuye.payments import pdf
from wuye.payments.domain.payments import counter_payment_take
from wuye.payments.domain.prepayments import prepayment_record
from wuye.payments.domain.queries import receipt_view
from wuye.payments.domain.receipts import receipt_verify_url
from wuye.payments.models import Receipt, ReceiptCounter


def test_receipt_numbers_count_up_per_community(household):
    other = HouseholdRoomFactory().household
    numbers = [prepay(household, 100).number, prepay(household, 200).number, prepay(other, 300).number]
    numbers.append(prepay(household, 400).number)
    assert numbers == [1, 2, 1, 3]
    assert ReceiptCounter.objects.get(community=household.community).last_number == 3


def test_receipt_number_of_a_rolled_back_attempt_is_reused(household, monkeypatch):
    first = prepay(household, 100)

    def fail(*args, **kwargs):
        raise RuntimeError("printer on fire")

    # The receipt is numbered and stored, then the audit log write fails: all of it is rolled back.
    monkeypatch.setattr("wuye.payments.domain.prepayments.log_action", fail)
    with pytest.raises(RuntimeError):
        prepay(household, 200)
    monkeypatch.undo()

    def fails_after_the_receipt():
        with transaction.atomic():
            prepay(household, 300)
            raise RuntimeError("the surrounding transaction fails after the receipt")

    with pytest.raises(RuntimeError):
        fails_after_the_receipt()
    second = prepay(household, 400)

    assert (first.number, second.number) == (1, 2)
    assert list(Receipt.objects.order_by("number").values_list("number", "amount_fen")) == [
        (1, 100),
        (2, 400),
    ]
    assert LedgerTransaction.objects.filter(kind="prepayment").count() == 2


def test_receipt_number_is_unique_per_community_in_the_database(household):
    receipt = prepay(household, 100)
    record = LedgerTransaction.objects.create(community=household.community, kind="prepayment")
    with pytest.raises(IntegrityError), transaction.atomic():
        Receipt.objects.create(
            community=household.community,
            number=receipt.number,
            household=household,
            kind="prepayment",
            method="cash",
            amount_fen=100,
            transaction=record,
            payer_name="x",
        )


def test_receipt_snapshots_payer_and_rooms(household):
    receipt = prepay(household, 100)
    room = household.room_links.get().room
    assert receipt.payer_name == household.name
    assert receipt.rooms_label == str(room)
    assert len(receipt.token) >= 20


def test_verify_url_is_absolute_from_the_public_url(household, settings):
    settings.PUBLIC_URL = "https://wuye.example.com/"
    receipt = prepay(household, 100)
    assert receipt_verify_url(receipt) == f"https://wuye.example.com/r/{receipt.token}/"


def _pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "receipt.pdf"
    path.write_bytes(content)
    return subprocess.run(  # noqa: S603 (a fixed command on our own temporary file)
        [shutil.which("pdftotext") or "pdftotext", "-layout", str(path), "-"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout


def test_receipt_pdf_has_the_chinese_text(household, tmp_path):
    cashier = staff(household.community, Role.CASHIER, first_name="李收银")
    receipt = prepayment_record(
        household=household, amount_fen=12345, method="card", key=uuid.uuid4().hex, actor=cashier
    ).receipt

    content = pdf.receipt_pdf(receipt_view(receipt=receipt))  # staff's: the whole receipt

    assert content.startswith(b"%PDF-")
    assert b"/FontFile2" in content  # the TrueType font is embedded
    text = _pdf_text(content, tmp_path)
    for expected in (
        "收据",
        receipt.display_number,
        household.community.name,
        household.community.company.name,
        household.name,
        str(household.room_links.get().room),
        "123.45",
        "壹佰贰拾叁元肆角伍分",
        "李收银",
        receipt.token,
    ):
        assert expected in text, expected
    assert "\ufffd" not in text


@pytest.fixture
def fonts_registered_again():
    """For a test that changes the font chain: registered anew before it and after it."""
    pdffonts.font_chain.cache_clear()
    yield
    pdffonts.font_chain.cache_clear()


def test_receipt_pdf_without_a_cjk_font_names_the_package(household, monkeypatch, fonts_registered_again):
    receipt = prepay(household, 100)
    monkeypatch.setattr(pdffonts, "PRIMARY_CANDIDATES", (("/nonexistent/font.ttc", 0),))
    with pytest.raises(pdffonts.PdfFontError, match="fonts-wqy-microhei"):
        pdf.receipt_pdf(receipt_view(receipt=receipt))


# Two characters of CJK Extension A (㐀 U+3400, 䶵 U+4DB5) and four of Extension B (𠀀 U+20000 and
# 𠮷 U+20BB7, in HanaMinA; 𠀁 U+20001 and 𪛖 U+2A6D6, only in HanaMinB), none but 䶵 in the primary font.
RARE_NAME = "张㐀䶵𠀀𠮷𠀁𪛖"


def test_receipt_pdf_prints_every_character_of_a_rare_name(household, tmp_path, caplog):
    household.name = RARE_NAME
    household.save()
    receipt = prepay(household, 100)

    with caplog.at_level(logging.WARNING, logger="wuye.core.pdffonts"):
        content = pdf.receipt_pdf(receipt_view(receipt=receipt))

    text = _pdf_text(content, tmp_path)
    assert f"{RARE_NAME}\n" in text  # the whole name, and nothing after it
    assert pdffonts.MISSING_MARK not in text
    assert caplog.records == []


def test_a_character_no_font_has_prints_the_mark_and_is_logged(household, tmp_path, caplog):
    household.name = "张\ue000三\ue000"  # a Private Use Area character: no font has it
    household.save()
    receipt = prepay(household, 100)

    with caplog.at_level(logging.WARNING, logger="wuye.core.pdffonts"):
        content = pdf.receipt_pdf(receipt_view(receipt=receipt))

    assert "张〓三〓\n" in _pdf_text(content, tmp_path)
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        (
            "WARNING",
            f"PDF receipt {receipt.display_number}: no installed font has a glyph for U+E000; "
            "printed 〓 in its place",
        )
    ]  # once per character and document, naming the document and the code point, not the name


def test_without_the_fallback_fonts_the_receipt_prints_marks_and_warns(
    household, tmp_path, caplog, monkeypatch, fonts_registered_again
):
    missing = tuple((name, f"/nonexistent/{name}.ttf", 0) for name, _path, _index in pdffonts.FALLBACK_FONTS)
    monkeypatch.setattr(pdffonts, "FALLBACK_FONTS", missing)
    household.name = RARE_NAME
    household.save()
    receipt = prepay(household, 100)

    with caplog.at_level(logging.WARNING, logger="wuye.core.pdffonts"):
        content = pdf.receipt_pdf(receipt_view(receipt=receipt))

    text = _pdf_text(content, tmp_path)
    assert "张〓䶵〓〓〓〓\n" in text  # 䶵 is in the primary font
    assert receipt.display_number in text and "壹元整" in text
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2 + 5
    assert all("apt-get install fonts-hanazono" in m for m in messages[:2])
    assert [m.split("glyph for ")[1].split(";")[0] for m in messages[2:]] == [
        "U+3400",
        "U+20000",
        "U+20BB7",
        "U+20001",
        "U+2A6D6",
    ]


def test_verify_page_shows_the_receipt_without_login(client, household):
    receipt = prepay(household, 100150)

    response = client.get(reverse("payments:verify", kwargs={"token": receipt.token}))

    assert response.status_code == 200
    page = response.content.decode()
    assert receipt.display_number in page
    assert household.community.name in page
    assert "1,001.50" in page
    assert "壹仟零壹元伍角整" in page
    assert household.name[0] + "*" * (len(household.name) - 1) in page
    assert household.name not in page
    assert 'name="viewport"' in page


def test_the_public_pdf_shows_what_the_verify_page_shows_and_no_name_or_room(client, household, tmp_path):
    issue_bill(household, datetime.date(2026, 1, 1), [12345])
    cashier = staff(household.community, Role.CASHIER, first_name="李收银")
    receipt = counter_payment_take(
        household=household,
        line_ids=list(BillLine.objects.values_list("pk", flat=True)),
        method="card",
        key="publicpdf",
        actor=cashier,
    ).attempt.receipt
    room = str(household.room_links.get().room)
    assert (receipt.payer_name, receipt.rooms_label) == (household.name, room)
    masked = household.name[0] + "*" * (len(household.name) - 1)

    response = client.get(reverse("portal:pay_receipt_pdf", kwargs={"token": receipt.token}))

    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
    text = _pdf_text(response.content, tmp_path)
    for shown in (receipt.display_number, household.community.name, "123.45", "壹佰贰拾叁元肆角伍分", masked):
        assert shown in text, shown
    for hidden in (household.name, room, "栋", "单元", "李收银"):
        assert hidden not in text, hidden
    page = client.get(reverse("payments:verify", kwargs={"token": receipt.token})).content.decode()
    assert f'id="receipt-payer">{masked}<' in page  # one rule for both
    assert household.name not in page and room not in page


def test_verify_page_answers_404_for_an_unknown_token(client, household):
    prepay(household, 100)
    response = client.get(reverse("payments:verify", kwargs={"token": "not-a-receipt"}))
    assert response.status_code == 404
    assert 'id="not-found"' in response.content.decode()
