"""The partner bank logs in, lands on its dashboard, sees the figures and the two charts drawn by the
bundled Chart.js (Chinese labels), filters one community and downloads the Excel export."""

import io
import pathlib

import openpyxl
import pytest

from tests.browser.conftest import screenshot
from tests.factories import UserFactory
from tests.partner.factories import partner_data
from wuye.core.enums import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_bank_reads_its_dashboard_with_charts(page, live_server):
    data = partner_data()
    bank = UserFactory(
        username="yinhang", first_name="刘洋", roles=[(data.a, Role.BANK), (data.b, Role.BANK)]
    )

    page.goto("/console/login/")
    page.fill("#id_username", bank.username)
    page.fill("#id_password", "pw-123456")
    page.click("button[type=submit].primary")
    page.wait_for_url("**/partner/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("h1").inner_text() == "合作银行看板"

    page.fill("#f-to", "2026-04")
    page.fill("#f-months", "4")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/partner/?*months=4*")
    page.wait_for_function(
        "() => window.Chart && Chart.getChart('partner-lines-chart') && Chart.getChart('partner-funds-chart')"
    )
    lines_chart = page.evaluate(
        "() => { const c = Chart.getChart('partner-lines-chart');"
        " return {labels: c.data.labels, sets: c.data.datasets.map(d => [d.label, d.data])}; }"
    )
    assert lines_chart["labels"] == ["2026-01", "2026-02", "2026-03", "2026-04"]
    assert lines_chart["sets"][0] == ["扣款成功", [0, 2, 2, 0]]
    assert lines_chart["sets"][-1] == ["成功率", [None, 33.3, 66.7, None]]
    funds = page.evaluate(
        "() => Chart.getChart('partner-funds-chart').data.datasets.map(d => [d.label, d.data])"
    )
    assert funds[0] == ["银行代扣", [0, 300, 110, 0]]  # yuan: the bank's debits of A and B
    drawn = page.evaluate(
        "() => { const c = document.getElementById('partner-lines-chart');"
        " const p = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " let ink = 0; for (let i = 3; i < p.length; i += 4) if (p[i]) ink++; return ink; }"
    )
    assert drawn > 1000  # the canvas has pixels painted, not just an empty box
    table = page.locator("#partner-communities").inner_text()
    assert data.a.name in table and data.b.name in table and "合计" in table
    screenshot(page, "partner-dashboard")

    page.select_option("#id_community", str(data.b.pk))
    page.click("form.filters button[type=submit]")
    page.wait_for_url(f"**community={data.b.pk}*")
    assert data.a.name not in page.locator("#partner-communities").inner_text()

    with page.expect_download() as download_info:
        page.click("#partner-export")
    download = download_info.value
    assert download.suggested_filename == "partner-2026-01-2026-04.xlsx"
    # the saved download has no extension, which openpyxl reads as "not a workbook": hand it the bytes
    workbook = openpyxl.load_workbook(io.BytesIO(pathlib.Path(download.path()).read_bytes()))
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert [row[0] for row in rows[1:]] == [data.b.name, "合计"]
