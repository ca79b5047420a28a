"""The console's 期初导入 pages: template, upload and preview, confirm, the household page, reversal."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from tests.factories import staff
from tests.opening.factories import ARREARS_FEN, DEPOSIT_FEN, ROWS, estate, workbook
from wuye.billing.models import Bill
from wuye.core.enums import Role
from wuye.opening.models import OpeningImport
from wuye.payments.domain.checks import ledger_check


@pytest.fixture(autouse=True)
def _english(client):
    """Pages and messages in English (the msgids), whatever the catalog says."""
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def place(community):
    return estate(community)


def upload(client, content, name="期初.xlsx"):
    return client.post(reverse("console:opening"), {"file": SimpleUploadedFile(name, content)})


def test_template_download(admin_client, place):
    response = admin_client.get(reverse("console:opening_template"))

    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["期初余额", "填写说明"]


def test_upload_preview_confirm_and_reverse(admin_client, place):
    response = upload(admin_client, workbook())
    record = OpeningImport.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("console:opening_import", kwargs={"openingimport_pk": record.pk})

    page = admin_client.get(response.url).content.decode()
    assert "Confirm and import" in page
    assert "592.00" in page  # arrears: 256.80 + 35.20 + 300.00
    assert "2,000.00" in page  # the deposit
    assert Bill.objects.count() == 0

    confirmed = admin_client.post(reverse("console:opening_confirm", kwargs={"openingimport_pk": record.pk}))
    assert confirmed.status_code == 302
    record.refresh_from_db()
    assert (record.state, record.arrears_fen) == ("imported", ARREARS_FEN)
    assert Bill.objects.count() == 2
    assert ledger_check(community=place.community) == []

    household = admin_client.get(
        reverse("console:household", kwargs={"household_pk": place.households["101"].pk})
    ).content.decode()
    assert 'id="opening-section"' in household
    assert f"¥{DEPOSIT_FEN // 100:,}.00" in household
    assert "装修押金" in household

    refused = admin_client.post(reverse("console:opening_reverse", kwargs={"openingimport_pk": record.pk}))
    record.refresh_from_db()
    assert record.state == "imported"  # no reason given
    assert refused.status_code == 302

    admin_client.post(
        reverse("console:opening_reverse", kwargs={"openingimport_pk": record.pk}), {"reason": "文件有误"}
    )
    record.refresh_from_db()
    assert record.state == "reversed"
    assert set(Bill.objects.values_list("state", flat=True)) == {"void"}
    assert ledger_check(community=place.community) == []
    household = admin_client.get(
        reverse("console:household", kwargs={"household_pk": place.households["101"].pk})
    ).content.decode()
    assert 'id="opening-section"' not in household


def test_a_file_with_problems_lists_them_by_row_and_column_and_keeps_nothing(admin_client, place):
    rows = [
        *ROWS,
        ["1栋-1单元-999", "欠费", "物业费", "2026-03", 10, ""],
        ["1-1-101", "押金", None, None, -1, ""],
    ]

    response = upload(admin_client, workbook(rows))

    assert response.status_code == 200
    assert [(p.row, p.column, p.code) for p in response.context["problems"]] == [
        (8, "金额（元）", "negative"),
    ]
    response = upload(admin_client, workbook(rows[:-1]))
    assert [(p.row, p.column, p.code) for p in response.context["problems"]] == [
        (7, "房号", "opening_unknown_room"),
    ]
    assert "Room “1栋-1单元-999” does not exist in this community" in response.content.decode()
    assert OpeningImport.objects.count() == 0


def test_cashier_sees_the_imports_but_cannot_upload_confirm_or_reverse(client, place, admin_user):
    content = workbook()
    client.force_login(admin_user)
    upload(client, content)
    record = OpeningImport.objects.get()
    client.force_login(staff(place.community, Role.CASHIER))

    assert client.get(reverse("console:opening")).status_code == 200
    assert "Upload and preview" not in client.get(reverse("console:opening")).content.decode()
    upload(client, workbook([ROWS[3]]))
    assert OpeningImport.objects.count() == 1
    assert client.get(reverse("console:opening_template")).status_code == 404
    assert (
        client.post(reverse("console:opening_confirm", kwargs={"openingimport_pk": record.pk})).status_code
        == 404
    )
    record.refresh_from_db()
    assert record.state == "previewed"
