"""The takings report pages (finance.view): the month report, its Excel export with the same totals, the
empty state, permissions; the payments and receipts lists filtered by Beijing days, channel and cashier."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.factories import staff
from tests.recon.reports_fixture import build_takings
from wuye.core.enums import Role

REPORT = reverse("console:takings_report")
EXPORT = reverse("console:takings_report_export")


@pytest.fixture
def takings(community):
    return build_takings(community)


@pytest.fixture
def accountant(client, community):
    client.force_login(staff(community, Role.ACCOUNTANT))
    return client


def test_the_month_report_shows_the_month_takings_with_totals(accountant, takings):
    answer = accountant.get(REPORT, {"period": "month", "day": "2026-03-15"})

    assert answer.status_code == 200
    report = answer.context["report"]
    assert (report.takings_fen, report.reversal_fen, report.net_fen) == (45000, 2000, 43000)
    page = answer.content.decode()
    assert 'id="takings-total">450.00<' in page
    assert 'id="net-total">430.00<' in page
    assert 'id="takings-chart"' in page and 'id="rate-chart"' in page
    assert "vendor/chartjs/chart.umd.js" in page and "console/reports.js" in page
    assert "收费报表" in page and "月报" in page and "95.2%" in page
    chart = answer.context["chart"]
    assert chart["labels"][-1] == "2026-03"
    assert {series["label"]: series["values"][-1] for series in chart["series"]} == {
        "现金": 130.0,
        "银行卡（POS）": 50.0,
        "微信支付": 200.0,
        "支付宝": 70.0,
    }


def test_the_export_has_the_page_tables_and_the_same_totals(accountant, takings):
    answer = accountant.get(EXPORT, {"period": "day", "day": "2026-03-09"})

    assert answer.status_code == 200
    assert answer["Content-Disposition"] == 'attachment; filename="takings-day-2026-03-09.xlsx"'
    book = load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames == ["按期间收款", "按渠道", "按收费员", "按收费项目", "按楼栋", "收缴率", "挂账"]
    periods = list(book["按期间收款"].values)
    assert periods[0] == (
        "期间",
        "现金",
        "银行卡（POS）",
        "微信支付",
        "支付宝",
        "收款（元）",
        "退款及作废（笔）",
        "退款及作废（元）",
        "净收款（元）",
    )
    assert len(periods) == 1 + 31 + 1
    assert [float(value) for value in periods[-1][1:6]] == [130.0, 50.0, 200.0, 70.0, 450.0]
    assert periods[-1][6] == 1 and float(periods[-1][8]) == 430.0
    assert periods[9][0] == "03-09" and float(periods[9][5]) == 280.0
    for name in ("按渠道", "按收费员", "按收费项目", "按楼栋"):
        rows = list(book[name].values)
        assert rows[-1][0] == "合计" and float(rows[-1][1]) == 280.0
        assert sum(float(row[1]) for row in rows[1:-1]) == 280.0
    assert {row[0]: float(row[1]) for row in list(book["按收费员"].values)[1:]} == {
        "甲": 30.0,
        "乙": 50.0,
        "线上自助": 200.0,
        "合计": 280.0,
    }
    assert book["按收费员"]["B2"].number_format == "0.00"


def test_a_community_without_takings_shows_the_empty_state(accountant, community):
    page = accountant.get(REPORT, {"period": "week", "day": "2026-03-09"}).content.decode()

    assert 'id="no-takings"' in page and 'id="no-breakdown"' in page and 'id="no-bills"' in page
    assert 'id="takings-chart"' not in page


def test_a_bad_period_or_day_falls_back_to_the_day_report(accountant, takings):
    answer = accountant.get(REPORT, {"period": "year", "day": "soon"})

    assert answer.status_code == 200
    assert answer.context["kind"] == "day"


@pytest.mark.parametrize("role", [Role.CASHIER, Role.FRONT_DESK, Role.TECHNICIAN])
def test_roles_without_finance_view_get_404(client, community, role):
    client.force_login(staff(community, role))

    assert client.get(REPORT).status_code == 404
    assert client.get(EXPORT).status_code == 404


@pytest.mark.parametrize("role", [Role.ACCOUNTANT, Role.SUPERVISOR, Role.ADMINISTRATOR])
def test_finance_roles_see_the_report_in_the_sidebar(client, community, role):
    client.force_login(staff(community, role))

    page = client.get(REPORT).content.decode()
    assert f'href="{REPORT}" class="active"' in page


# The payments and receipts lists -----------------------------------------------------------------


def _payments(client, **query) -> set[str]:
    answer = client.get(reverse("console:payments"), query)
    assert answer.status_code == 200
    return {attempt.out_trade_no for attempt in answer.context["page"].object_list}


def _receipts(client, **query) -> set[int]:
    answer = client.get(reverse("console:receipts"), query)
    assert answer.status_code == 200
    return {receipt.pk for receipt in answer.context["page"].object_list}


def test_the_payments_list_filters_by_beijing_days_channel_and_cashier(accountant, takings):
    p1, p2, p3, p5, p6 = (attempt.out_trade_no for attempt in takings.payments)
    cashier_a, cashier_b = takings.cashiers

    assert _payments(accountant) == {p1, p2, p3, p5, p6}
    assert _payments(accountant, first="2026-03-09", last="2026-03-09") == {p2, p3}
    assert _payments(accountant, last="2026-03-08") == {p1}
    assert _payments(accountant, first="2026-04-01") == {p6}
    assert _payments(accountant, method="cash") == {p1, p6}
    assert _payments(accountant, cashier=str(cashier_b.pk)) == {p3, p6}
    assert _payments(accountant, cashier="online") == {p2, p5}
    assert _payments(accountant, cashier=str(cashier_a.pk), method="cash", state="succeeded") == {p1}
    assert _payments(accountant, method="alipay", first="2026-04-01") == set()


def test_the_payments_list_keeps_the_filter_in_its_page_links(accountant, takings):
    answer = accountant.get(
        reverse("console:payments"), {"state": "succeeded", "method": "cash", "first": "2026-03-01"}
    )

    assert answer.context["query"] == "state=succeeded&first=2026-03-01&method=cash"


def test_a_first_day_after_the_last_is_refused_and_filters_nothing(accountant, takings):
    answer = accountant.get(reverse("console:payments"), {"first": "2026-03-10", "last": "2026-03-01"})

    assert len(answer.context["page"].object_list) == 5
    assert 'id="filter-errors"' in answer.content.decode()


def test_the_receipts_list_filters_by_beijing_days_channel_and_cashier(accountant, takings):
    p1, p2, p3, p5, p6 = (attempt.receipt_id for attempt in takings.payments)
    prepayment = takings.prepayment.pk
    cashier_a, cashier_b = takings.cashiers

    assert _receipts(accountant) == {p1, p2, p3, p5, p6, prepayment}
    assert _receipts(accountant, first="2026-03-09", last="2026-03-09") == {p2, p3, prepayment}
    assert _receipts(accountant, first="2026-03-31", last="2026-03-31") == {p5}
    assert _receipts(accountant, method="cash") == {p1, p6, prepayment}
    assert _receipts(accountant, cashier=str(cashier_a.pk)) == {p1, prepayment}
    assert _receipts(accountant, cashier="online") == {p2, p5}
    answer = accountant.get(reverse("console:receipts"), {"cashier": str(cashier_b.pk), "number": "x"})
    assert answer.context["query"] == f"cashier={cashier_b.pk}"


def test_the_export_writes_a_fee_item_named_like_a_formula_as_text(accountant, takings):
    item = takings.fee_items["Y"]
    item.name = "=HYPERLINK(1)"
    item.save(update_fields=["name"])

    answer = accountant.get(EXPORT, {"period": "day", "day": "2026-03-09"})

    sheet = load_workbook(io.BytesIO(answer.content))["按收费项目"]
    cell = next(cell for (cell,) in sheet.iter_rows(min_col=1, max_col=1) if cell.value == "=HYPERLINK(1)")
    assert (cell.data_type, cell.quotePrefix) == ("s", True)
