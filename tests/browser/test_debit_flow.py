"""A cashier builds a debit batch, checks the preview, downloads the file and marks it sent; the bank
(paysim's e-banking page, another party, driven in its own page) answers with a result file; the
cashier imports it, and the household's bill shows paid.

The cards' last digits script the simulated bank: 3 debited, 7 insufficient funds."""

import datetime
import re

import pytest
from django.utils import timezone

from tests.browser.conftest import ARTIFACTS, screenshot
from tests.debit.factories import community_with_debit, mandated_household
from tests.factories import UserFactory
from tests.paysim.fixtures import _paysim_server, paysim  # noqa: F401
from wuye.billing.models import Bill, BillLine
from wuye.core.enums import Role
from wuye.debit.enums import BatchState
from wuye.debit.models import DebitBatch, DebitLine
from wuye.payments.models import Receipt

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_build_send_import_the_banks_result_and_see_the_bill_paid(
    page,
    browser,
    live_server,
    paysim,  # noqa: F811
    settings,
):
    settings.WUYE_PAYSIM_URL = paysim.base_url
    settings.DEMO = True  # the demo's setting: the batch page links to the simulated bank
    community = community_with_debit()
    paying, _bills, _m = mandated_household(community, (21480, 1500), card="6222020000000000013")
    short, _bills, _m = mandated_household(community, (9000,), card="6222020000000000027")
    cashier = UserFactory(username="shouyin", first_name="周静", roles=[(community, Role.CASHIER)])

    page.goto("/console/login/")
    page.fill("#id_username", cashier.username)
    page.fill("#id_password", "pw-123456")
    page.click("button[type=submit].primary")
    page.wait_for_url("**/console/")

    page.click(".sidebar a[href='/console/debit/batches/']")
    page.wait_for_url("**/console/debit/batches/")
    assert "还没有代扣批次" in page.locator("#no-batches").inner_text()
    page.click("#batch-new")
    page.wait_for_url("**/console/debit/batches/new/")
    today = timezone.localdate()
    assert page.input_value("#id_cutoff_on") == today.isoformat()
    assert page.input_value("#id_collection_on") == (today + datetime.timedelta(days=3)).isoformat()
    assert page.locator("#build-form input[name=communities]:checked").count() == 1
    screenshot(page, "debit-batch-build")
    page.click("#build")
    page.wait_for_url(re.compile(r".*/console/debit/batches/\d+/$"))

    batch = DebitBatch.objects.get()
    assert (batch.line_count, batch.total_fen) == (2, 31980)
    assert page.locator("#total-lines").inner_text() == "2"
    assert page.locator("#total-yuan").inner_text() == "319.80"
    lines = page.locator("#lines tbody tr")
    assert lines.count() == 2
    assert "****0013" in lines.nth(0).inner_text() and "229.80" in lines.nth(0).inner_text()
    assert "6222020000000000013" not in page.content()
    screenshot(page, "debit-batch-preview")

    with page.expect_download() as download_info:
        page.click("#download")
    download = download_info.value
    assert download.suggested_filename == f"{batch.number}.txt"
    debit_file = ARTIFACTS / download.suggested_filename
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    download.save_as(debit_file)

    page.once("dialog", lambda dialog: dialog.accept())  # "Has the bank received these files?"
    page.click("#send")
    page.wait_for_selector(".messages .msg-success")
    assert "已标记为已送盘" in page.locator(".messages").inner_text()
    batch.refresh_from_db()
    assert batch.state == BatchState.SENT
    assert page.locator("#result-form").count() == 1
    bank_link = page.locator("#bank-simulator a")
    assert bank_link.get_attribute("href") == f"{paysim.base_url}/bank/"

    # The bank: its e-banking page takes the debit file and gives the result file back.
    bank = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900}).new_page()
    bank.goto(f"{paysim.base_url}/bank/")
    assert "批量代扣" in bank.locator("h1").inner_text()
    bank.select_option("form[action='/bank/debit'] select[name=format]", "generic_cn")
    bank.set_input_files("form[action='/bank/debit'] input[name=file]", str(debit_file))
    screenshot(bank, "debit-bank-simulator")
    with bank.expect_download() as answer_info:
        bank.click("form[action='/bank/debit'] button[type=submit]")
    answer = answer_info.value
    assert answer.suggested_filename == f"{batch.number}_RET.txt"
    result_file = ARTIFACTS / answer.suggested_filename
    answer.save_as(result_file)
    bank.context.close()

    page.set_input_files("#result-file", str(result_file))
    page.click("#import-result")
    page.wait_for_selector(".messages .msg-success")
    message = page.locator(".messages").inner_text()
    assert f"回盘文件 {batch.number}_RET.txt 已导入：1 笔扣款成功，1 笔失败，0 笔结果未知" in message
    rows = page.locator("#lines tbody tr")
    cells = [[cell.inner_text() for cell in rows.nth(index).locator("td").all()] for index in range(2)]
    assert [row[5:] for row in cells] == [["扣款成功", "0000", "交易成功"], ["失败", "51", "余额不足"]]
    assert "已回盘" in page.locator("#batch-state").inner_text()
    screenshot(page, "debit-batch-settled")
    batch.refresh_from_db()
    assert batch.state == BatchState.SETTLED
    assert dict(DebitLine.objects.values_list("household_id", "state")) == {
        paying.pk: "succeeded",
        short.pk: "failed",
    }
    assert sorted(BillLine.objects.filter(household=paying).values_list("paid_fen", flat=True)) == [
        1500,
        21480,
    ]
    assert Receipt.objects.get().amount_fen == 22980

    page.goto(f"/console/households/{paying.pk}/")
    bill_row = page.locator("#bills tr.bill-row")
    assert "已缴" in bill_row.inner_text()
    assert Bill.objects.get(household=paying).state == "paid"
    page.locator("#bills").scroll_into_view_if_needed()
    screenshot(page, "debit-household-bill-paid")
