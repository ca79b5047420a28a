"""The dunning list (催缴单) as an Excel workbook: a summary per household and every overdue line.

Amounts are written as numbers in yuan (fen / 100, exact Decimals) formatted with two decimals, so
offices can sum and filter them in Excel; the notices themselves come from
``wuye.billing.domain.arrears.dunning_notices``.
"""

from __future__ import annotations

import datetime

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from wuye.billing.domain.arrears import DunningNotice
from wuye.core.excel import sheet_append, workbook_bytes
from wuye.core.money import fen_to_decimal

MONEY = "0.00"


def _rooms(notice: DunningNotice) -> str:
    return "、".join(str(room) for room in notice.rooms)


def _sheet(workbook: Workbook, title: str, headers: list[str], *, first: bool = False):
    sheet = workbook.active if first else workbook.create_sheet()
    sheet.title = title[:31]
    sheet_append(sheet, headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    return sheet


def dunning_workbook(*, notices: list[DunningNotice], as_of: datetime.date) -> bytes:
    workbook = Workbook()
    summary = _sheet(
        workbook,
        _("Dunning list"),
        [
            _("Household"),
            _("Rooms"),
            _("Owner"),
            _("Phone"),
            _("Overdue (yuan)"),
            _("Late fee (yuan)"),
            _("Total (yuan)"),
            _("Oldest due date"),
            _("As of"),
        ],
        first=True,
    )
    for notice in notices:
        sheet_append(
            summary,
            [
                notice.household.name,
                _rooms(notice),
                "、".join(person.name for person in notice.owners),
                "、".join(person.phone for person in notice.owners if person.phone),
                fen_to_decimal(notice.total_fen),
                fen_to_decimal(notice.late_fee_fen),
                fen_to_decimal(notice.grand_total_fen),
                min(o.line.bill.due_on for o in notice.lines),
                as_of,
            ],
        )
    lines = _sheet(
        workbook,
        _("Overdue lines"),
        [
            _("Household"),
            _("Room"),
            _("Fee item"),
            _("Month"),
            _("Due on"),
            _("Days past due"),
            _("Outstanding (yuan)"),
            _("Late fee (yuan)"),
        ],
    )
    for notice in notices:
        for overdue in notice.lines:
            sheet_append(
                lines,
                [
                    notice.household.name,
                    str(overdue.line.room),
                    overdue.line.fee_item.name,
                    overdue.line.period.strftime("%Y-%m"),
                    overdue.line.bill.due_on,
                    overdue.days_past_due,
                    fen_to_decimal(overdue.outstanding_fen),
                    fen_to_decimal(overdue.late_fee_fen),
                ],
            )
    for sheet, money_columns, date_columns in ((summary, "EFG", "HI"), (lines, "GH", "E")):
        for column in money_columns:
            for cell in sheet[column][1:]:
                cell.number_format = MONEY
        for column in date_columns:
            for cell in sheet[column][1:]:
                cell.number_format = "yyyy-mm-dd"
        for column in "ABCD":
            sheet.column_dimensions[column].width = 18
    return workbook_bytes(workbook)
