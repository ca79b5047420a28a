"""An office moving in brings its old system's balances: it downloads the template, fills in arrears, a
prepayment and a deposit, uploads it, compares the preview's totals and confirms; then an owner pays an
imported arrear by QR (WeChat Pay in paysim) on a phone, and the books agree.

The channel is paysim (a thread of this test process) driven through the real WeChat Pay SDK; paysim's
notification goes over HTTP to the live server's notify endpoint."""

import re

import openpyxl
import pytest
from django.core.cache import cache

from tests.browser.conftest import screenshot
from tests.browser.test_qr_pay import phone_page  # noqa: F401
from tests.factories import PersonFactory, UserFactory
from tests.opening.factories import estate
from tests.paysim.fixtures import _paysim_server, paysim  # noqa: F401
from wuye.billing.models import Bill, BillLine
from wuye.core.enums import Role
from wuye.opening.models import OpeningImport
from wuye.payments.domain.checks import ledger_check
from wuye.payments.domain.prepayments import prepayment_balance_fen
from wuye.payments.models import Receipt
from wuye.paysim.seed import paysim_accounts
from wuye.portal.domain.poster import community_pay_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_office_imports_opening_balances_and_an_owner_pays_an_arrear_by_qr(
    page,
    phone_page,  # noqa: F811
    live_server,
    community,
    paysim,  # noqa: F811
    tmp_path,
):
    cache.clear()
    place = estate(community)
    owner = place.households["2-201"]
    PersonFactory(household=owner, name="赵六", phone="13912345678")
    supervisor = UserFactory(username="zhuguan", roles=[(community, Role.SUPERVISOR)])
    wechat, alipay = paysim_accounts(community, base_url=paysim.base_url)
    for account in (wechat, alipay):
        account.notify_base_url = live_server.url
        account.save(update_fields=["notify_base_url"])

    # The office signs in and opens 期初导入 from the sidebar.
    page.goto("/console/login/")
    page.fill("#id_username", supervisor.username)
    page.fill("#id_password", "pw-123456")
    page.click("button[type=submit].primary")
    page.wait_for_url("**/console/")
    page.click("nav >> text=期初导入")
    page.wait_for_url("**/console/billing/opening/")

    # It downloads the template and fills it in as its old system's totals say.
    with page.expect_download() as download_info:
        page.click("#opening-template")
    template = tmp_path / "期初余额导入模板.xlsx"
    download_info.value.save_as(template)
    book = openpyxl.load_workbook(template)
    assert book.sheetnames == ["期初余额", "填写说明"]
    sheet = book["期初余额"]
    for row in (
        ["1栋-1单元-101", "欠费", "物业费", "2026-03", 256.8, None],
        ["1-1-101", "欠费", "水费", "2026年3月", 35.2, None],
        ["2栋-1单元-201", "欠费", "物业费", "2026-04", 300, None],
        ["1栋1单元102", "预存", None, None, 500, None],
        ["1栋-1单元-101", "押金", None, None, 2000, "装修押金"],
    ):
        sheet.append(row)
    filled = tmp_path / "期初余额.xlsx"
    book.save(filled)

    # Upload, compare the preview with the old system's totals, confirm.
    page.set_input_files("#id_file", str(filled))
    page.click("#upload-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/console/billing/opening/\d+/$"))
    assert page.locator("#total-arrears").inner_text() == "592.00"
    assert page.locator("#total-prepayments").inner_text() == "500.00"
    assert page.locator("#total-deposits").inner_text() == "2,000.00"
    by_item = page.locator("#by-item").inner_text()
    assert "物业费" in by_item and "556.80" in by_item and "水费" in by_item and "35.20" in by_item
    by_building = page.locator("#by-building").inner_text()
    assert "1栋" in by_building and "2栋" in by_building and "300.00" in by_building
    screenshot(page, "opening-preview")
    assert Bill.objects.count() == 0
    page.once("dialog", lambda dialog: dialog.accept())  # "Import these opening balances now?"
    page.click("#confirm")
    page.wait_for_selector("#opening-balances")
    assert page.locator("#opening-state").inner_text() == "已导入"
    assert OpeningImport.objects.get().state == "imported"
    assert page.locator("#reverse-button").count() == 1
    screenshot(page, "opening-imported")

    # The owner of 2栋-1单元-201 scans the community's poster and pays the imported arrear by WeChat Pay.
    phone = phone_page
    phone.goto(community_pay_url(community).replace("http://127.0.0.1:8000", live_server.url))
    with phone.expect_navigation():
        phone.select_option("#pick-building", label="2栋")
    with phone.expect_navigation():
        phone.select_option("#pick-room", label="201")
    assert phone.locator("#chosen-room").inner_text() == "2栋-1单元-201"
    phone.fill("#id_answer", "5678")
    phone.click("#pay-identify")
    phone.wait_for_url("**/m/pay/")
    assert phone.locator("input[name=lines]:checked").count() == 1
    assert phone.locator("#pay-total").inner_text() == "300.00"
    assert "物业费" in phone.locator("#pay-form").inner_text()
    phone.check("input[name=method][value=wechat]")
    phone.click("#pay-submit")
    phone.wait_for_url(re.compile(r".*/m/pay/attempts/\d+/$"))
    status_url = phone.url
    phone.click("#open-code-url")
    phone.wait_for_url(f"{paysim.base_url}/phone/**")
    phone.click("button.pay")
    phone.wait_for_selector(".result.paid")
    phone.goto(status_url)
    phone.wait_for_selector("#pay-receipt", timeout=20000)
    assert phone.locator("#receipt-amount").inner_text() == "¥300.00"
    screenshot(phone, "opening-arrear-paid-phone")

    line = BillLine.objects.get(household=owner)
    assert (line.amount_fen, line.paid_fen) == (30000, 30000)
    assert Receipt.objects.get().amount_fen == 30000
    assert prepayment_balance_fen(household=place.households["102"]) == 50000
    assert ledger_check(community=community) == []

    # Paid: the import can no longer be reversed, and the page says why.
    page.reload()
    assert page.locator("#reverse-button").count() == 0
    assert "2栋-1单元-201" in page.locator("#reverse-refused").inner_text()
