"""A takings report (``wuye.recon.domain.reports.takings_report``) as an Excel workbook: one sheet per
table of the page, each with its totals row, written through the one writer ``wuye.core.excel`` (no
text is ever a formula). Amounts are numbers in yuan (exact Decimals of fen / 100) with two decimals,
so offices can sum them in Excel."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.styles import Font

from wuye.core.excel import sheet_append, workbook_bytes
from wuye.core.money import fen_to_decimal
from wuye.recon.domain.reports import Breakdown, TakingsReport, period_label

MONEY = "0.00"


def _sheet(workbook: Workbook, title: str, headers: list[str], *, first: bool = False):
    sheet = workbook.active if first else workbook.create_sheet()
    sheet.title = title[:31]
    sheet_append(sheet, headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    sheet.column_dimensions["A"].width = 22
    return sheet


def _money(sheet, first_column: int) -> None:
    for row in sheet.iter_rows(min_row=2, min_col=first_column):
        for cell in row:
            if not isinstance(cell.value, int | str):
                cell.number_format = MONEY


def _total_row(sheet) -> None:
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)


def _breakdown(workbook: Workbook, title: str, heading: str, breakdown: Breakdown) -> None:
    sheet = _sheet(workbook, title, [heading, _("Amount (yuan)")])
    for row in breakdown.rows:
        sheet_append(sheet, [row.label, fen_to_decimal(row.total_fen)])
    sheet_append(sheet, [_("Total"), fen_to_decimal(breakdown.total_fen)])
    _total_row(sheet)
    _money(sheet, 2)


def takings_workbook(*, report: TakingsReport) -> bytes:
    workbook = Workbook()
    methods = [str(label) for _value, label in report.methods]
    sheet = _sheet(
        workbook,
        _("Takings by period"),
        [
            pgettext("report", "Period"),
            *methods,
            _("Takings (yuan)"),
            _("Refunds and voids (count)"),
            _("Refunds and voids (yuan)"),
            _("Net (yuan)"),
        ],
        first=True,
    )
    for period, cells in report.period_rows():
        sheet_append(
            sheet,
            [
                period_label(report.kind, period.window),
                *(fen_to_decimal(fen) for fen in cells),
                fen_to_decimal(period.takings_fen),
                period.reversal_count,
                fen_to_decimal(period.reversal_fen),
                fen_to_decimal(period.net_fen),
            ],
        )
    sheet_append(
        sheet,
        [
            _("Total"),
            *(fen_to_decimal(fen) for fen in report.total_method_cells()),
            fen_to_decimal(report.takings_fen),
            report.reversal_count,
            fen_to_decimal(report.reversal_fen),
            fen_to_decimal(report.net_fen),
        ],
    )
    _total_row(sheet)
    _money(sheet, 2)
    _breakdown(workbook, _("By channel"), _("Channel"), report.by_channel)
    _breakdown(workbook, _("By cashier"), _("Cashier"), report.by_cashier)
    _breakdown(workbook, _("By fee item"), _("Fee item"), report.by_fee_item)
    _breakdown(workbook, _("By building"), _("Building"), report.by_building)
    rates = _sheet(
        workbook,
        _("Collection rate"),
        [_("Month"), _("Billed (yuan)"), _("Collected (yuan)"), _("Collection rate")],
    )
    for month, rate in report.collection.month_rows():
        sheet_append(
            rates,
            [
                month.strftime("%Y-%m"),
                fen_to_decimal(rate.billed_fen),
                fen_to_decimal(rate.collected_fen),
                rate.percent,
            ],
        )
    total = report.collection.total
    sheet_append(
        rates,
        [_("Total"), fen_to_decimal(total.billed_fen), fen_to_decimal(total.collected_fen), total.percent],
    )
    _total_row(rates)
    _money(rates, 2)
    summary = _sheet(workbook, pgettext("report sheet", "Suspense"), [_("Suspense balance (yuan)")])
    sheet_append(summary, [fen_to_decimal(report.suspense_fen)])
    _money(summary, 1)
    return workbook_bytes(workbook)
