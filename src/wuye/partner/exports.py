"""The partner dashboard as an Excel workbook: the tables of the page, one sheet each.

Amounts are numbers in yuan (exact Decimals, two decimals shown), shares are fractions shown as
percentages, so the bank can sum, chart and filter them in Excel. The only texts are community names,
month labels, and the bank's own result codes and messages.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from decimal import Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font

from wuye.core.money import fen_to_decimal
from wuye.debit.enums import MandateState, ReferralState
from wuye.partner.domain.queries import METHODS, CommunityFigures, Dashboard, LineCounts, Share
from wuye.payments.enums import PaymentMethod

MONEY = "#,##0.00"
PERCENT = "0.0%"
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def sheet_append(sheet, values: Iterable) -> None:
    """Append a row, every text written as text and never as a formula.

    A local stand-in for the shared safe writer ``wuye.core.excel.sheet_append`` (on another branch
    when this was written; same name and arguments): switch the import to it once it is merged."""
    row = []
    for value in values:
        if isinstance(value, Promise):
            value = str(value)
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
            if value.startswith(FORMULA_LEADS):
                cell = Cell(sheet, value=value)
                cell.data_type = "s"
                cell.quotePrefix = True
                value = cell
        row.append(value)
    sheet.append(row)


def _sheet(workbook: Workbook, title: str, headers: list[str], *, first: bool = False):
    sheet = workbook.active if first else workbook.create_sheet()
    sheet.title = title[:31]
    sheet_append(sheet, headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    return sheet


def _share(share: Share) -> Decimal | None:
    return None if share.permille is None else Decimal(share.permille) / 1000


def _formats(sheet, *, money: Iterable[int] = (), percent: Iterable[int] = ()) -> None:
    """Number formats by column (1-based) for every row below the header."""
    for column in money:
        for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
            cell.number_format = MONEY
    for column in percent:
        for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
            cell.number_format = PERCENT


def _community_row(name: str, item: CommunityFigures) -> list:
    return [
        name,
        item.households,
        item.mandated,
        _share(item.mandated_share),
        *item.mandate_counts(),
        *item.referral_counts(),
        item.lines.sent,
        item.lines.succeeded,
        _share(item.lines.success),
        fen_to_decimal(item.funds.bank_fen),
        fen_to_decimal(item.funds.total_fen),
        _share(item.funds.bank_share),
    ]


def _lines_row(label: str, lines: LineCounts) -> list:
    return [
        label,
        lines.sent,
        fen_to_decimal(lines.sent_fen),
        lines.succeeded,
        fen_to_decimal(lines.succeeded_fen),
        lines.failed,
        fen_to_decimal(lines.failed_fen),
        lines.unknown,
        fen_to_decimal(lines.unknown_fen),
        lines.returned,
        fen_to_decimal(lines.returned_fen),
        _share(lines.success),
    ]


def dashboard_workbook(*, dashboard: Dashboard) -> bytes:
    workbook = Workbook()
    mandate_states = [str(label) for _value, label in MandateState.choices]
    referral_states = [str(label) for _value, label in ReferralState.choices]
    communities = _sheet(
        workbook,
        _("Communities"),
        [
            _("Community"),
            _("Households"),
            _("With an active mandate"),
            _("Share of households"),
            *[_("Mandates: %(state)s") % {"state": state} for state in mandate_states],
            *[_("Card referrals: %(state)s") % {"state": state} for state in referral_states],
            _("Debit lines sent"),
            _("Debited"),
            _("Success rate"),
            _("Collected by direct debit (yuan)"),
            _("Collected in all (yuan)"),
            _("Direct debit's share"),
        ],
        first=True,
    )
    for item in dashboard.communities:
        sheet_append(communities, _community_row(item.community.name, item))
    sheet_append(communities, _community_row(_("Total"), dashboard.total))
    states = len(mandate_states) + len(referral_states)
    _formats(communities, money=(8 + states, 9 + states), percent=(4, 7 + states, 10 + states))

    lines = _sheet(
        workbook,
        _("Debit lines by month"),
        [
            _("Month"),
            _("Lines sent"),
            _("Sent (yuan)"),
            _("Debited"),
            _("Debited (yuan)"),
            _("Failed"),
            _("Failed (yuan)"),
            _("No answer yet"),
            _("No answer yet (yuan)"),
            _("Returned after success"),
            _("Returned (yuan)"),
            _("Success rate"),
        ],
    )
    for month in dashboard.by_month:
        sheet_append(lines, _lines_row(month.month.strftime("%Y-%m"), month.lines))
    sheet_append(lines, _lines_row(_("Total"), dashboard.total.lines))
    _formats(lines, money=(3, 5, 7, 9, 11), percent=(12,))

    reasons = _sheet(
        workbook,
        _("Failure reasons"),
        [_("Result code"), _("Bank's message"), _("Debit lines"), _("Amount (yuan)")],
    )
    for reason in dashboard.failure_reasons:
        sheet_append(reasons, [reason.code, reason.message, reason.lines, fen_to_decimal(reason.amount_fen)])
    _formats(reasons, money=(4,))

    methods = [str(PaymentMethod(method).label) for method in METHODS]
    funds = _sheet(
        workbook,
        _("Money collected by month"),
        [
            _("Month"),
            *[_("%(method)s (yuan)") % {"method": label} for label in methods],
            _("Total (yuan)"),
            _("Direct debit's share"),
        ],
    )
    for month in dashboard.by_month:
        sheet_append(
            funds,
            [
                month.month.strftime("%Y-%m"),
                *[fen_to_decimal(fen) for fen in month.funds.amounts()],
                fen_to_decimal(month.funds.total_fen),
                _share(month.funds.bank_share),
            ],
        )
    total = dashboard.total.funds
    sheet_append(
        funds,
        [
            _("Total"),
            *[fen_to_decimal(fen) for fen in total.amounts()],
            fen_to_decimal(total.total_fen),
            _share(total.bank_share),
        ],
    )
    _formats(funds, money=range(2, len(METHODS) + 3), percent=(len(METHODS) + 3,))

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
