"""The Excel file of opening balances (期初): the template, and reading an uploaded file into rows.

One sheet, one row per balance: 房号 (the room, as the system prints it, 1栋-1单元-101, or 1-1-101,
1栋1单元101), 类型 (欠费 / 预存 / 押金), 收费项目 and 所属月份 (an arrear's fee item and month), 金额（元）
and 备注. The headers and the words of 类型 are the file format, literal Chinese, never translated;
everything said about a file is translated. The file is read by the Excel kit (``wuye.core.excel``),
as the household and meter-reading imports are: the same limits, sheet and header finding (title rows
above the header, hidden sheets never read), cell normalisation and messages. The rows are then
checked against the community by ``wuye.opening.domain.imports``.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal

import openpyxl
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from wuye.billing.interfaces.readings_excel import parse_month
from wuye.core.excel import (
    Problem,
    RowReader,
    choice_key,
    clean_text,
    register_messages,
    sheet_append,
    sheet_rows,
    workbook_bytes,
)
from wuye.core.excel import template_workbook as excel_template
from wuye.core.money import decimal_to_fen
from wuye.opening.domain.imports import OpeningRow
from wuye.opening.enums import AMOUNT, DUE, FEE_ITEM, HEADERS, KIND, NOTE, PERIOD, ROOM, BalanceKind

MAX_ROWS = 20_000
MAX_AMOUNT = Decimal("10000000")  # yuan, per row: far above any household's balance
REQUIRED_COLUMNS = (ROOM, KIND, AMOUNT)
# 元 or ¥ written with the amount.
YUAN_SIGNS = re.compile(r"\s*元$")

ARREARS, PREPAYMENT, DEPOSIT = "欠费", "预存", "押金"
KIND_WORDS: dict[str, str] = {
    ARREARS: BalanceKind.ARREARS,
    "欠款": BalanceKind.ARREARS,
    "应收": BalanceKind.ARREARS,
    PREPAYMENT: BalanceKind.PREPAYMENT,
    "预存款": BalanceKind.PREPAYMENT,
    "预收": BalanceKind.PREPAYMENT,
    "预交": BalanceKind.PREPAYMENT,
    DEPOSIT: BalanceKind.DEPOSIT,
    **{value: value for value in BalanceKind.values},  # arrears, prepayment, deposit
}

COLUMN_NOTES: dict[str, str] = {
    ROOM: "必填。房号，按系统显示的写法，如 1栋-1单元-101；也可写 1-1-101 或 1栋1单元101。房屋须已有住户档案。",
    KIND: "必填。欠费 / 预存 / 押金。",
    FEE_ITEM: "欠费必填：收费项目名称，须与系统中的收费项目一致（如 物业费）。预存、押金不填。",
    PERIOD: "欠费必填：所属月份，如 2026-03 或 2026年3月；不能晚于本月。预存、押金不填。",
    AMOUNT: "必填。金额（元），大于 0，最多两位小数。",
    NOTE: "可选。如 装修押金、门禁卡押金；同一房屋的多笔押金用备注区分。",
    DUE: "欠费可选：应缴日期，如 2026-03-15；留空为所属月份中收费项目的缴费日。逾期天数和滞纳金（如收费项目设有滞纳金）从此日起算。",
}
TEMPLATE_RULES = (
    "每行一笔余额：一户一个收费项目一个月的欠费、一户的预存余额、或一笔押金。",
    "同一房屋、收费项目、月份的欠费只能出现一次；同一房屋的预存请合并为一行。",
    "导入前先预览：按收费项目和楼栋列出合计，请与原系统的合计核对；有任何问题时不会写入任何数据，问题列出行号、列和原因。",
    "欠费成为所属月份的账单，可扫码、柜台或代扣缴纳；预存计入住户预存款；押金计入押金，在住户档案中显示。",
    "导入后，在第一笔缴费之前可整批撤销。同一文件不会重复导入。",
    "下面是几行示例，请在“期初余额”表中填写，不要在本说明表中填写：",
)
EXAMPLES = (
    ("1栋-1单元-101", ARREARS, "物业费", "2026-03", 256.8, "", ""),
    ("1栋-1单元-101", ARREARS, "物业费", "2026-04", 256.8, "", "2026-04-30"),
    ("1栋-1单元-101", PREPAYMENT, "", "", 500, "", ""),
    ("1-1-102", DEPOSIT, "", "", 2000, "装修押金", ""),
)

register_messages(
    {
        "opening_not_positive": _("%(column)s must be more than zero (%(value)s)."),
        "opening_only_arrears": _("%(column)s is only for rows of 欠费; leave it empty for %(kind)s."),
        "opening_bad_day": _("%(column)s must be a date like 2026-03-15, not “%(value)s”."),
    }
)


@dataclass
class OpeningSheet:
    rows: list[OpeningRow] = field(default_factory=list)  # the rows without problems of their own
    problems: list[Problem] = field(default_factory=list)
    data_rows: int = 0
    sha256: str = ""


def _day_of(match: re.Match | None) -> datetime.date | None:
    if match is None:
        return None
    try:
        return datetime.date(*(int(part) for part in match.groups()))
    except ValueError:  # 2026-02-30
        return None


class _RowReader(RowReader):
    def kind(self) -> str | None:
        return self.choice(
            KIND,
            {**KIND_WORDS, **{choice_key(word): value for word, value in KIND_WORDS.items()}},
            choices=f"{ARREARS} / {PREPAYMENT} / {DEPOSIT}",
        )

    def amount_fen(self) -> int | None:
        amount = self.decimal(AMOUNT, below=MAX_AMOUNT, required=True, units=YUAN_SIGNS)
        if amount is None:
            return None
        if amount == 0:
            self.problem(
                "opening_not_positive", column=HEADERS[AMOUNT], value=clean_text(self.cells.get(AMOUNT))
            )
            return None
        return decimal_to_fen(amount)

    def month(self):
        if self.blank(PERIOD):
            self.problem("missing_value", column=HEADERS[PERIOD])
            return None
        period = parse_month(self.cells.get(PERIOD))
        if period is None:
            self.problem("bad_month", column=HEADERS[PERIOD], value=clean_text(self.cells.get(PERIOD)))
        return period

    def day(self, key: str) -> datetime.date | None:
        """A date cell, or a date written as 2026-03-15, 2026/3/15, 2026.3.15 or 2026年3月15日."""
        value = self.cells.get(key)
        if self.blank(key):
            return None
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        text = clean_text(value)
        day = _day_of(re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?", text))
        if day is None:
            self.problem("opening_bad_day", column=HEADERS[key], value=text)
        return day

    def read(self) -> OpeningRow | None:
        room = self.text(ROOM, required=True, max_length=60)
        if clean_text(self.cells.get(KIND)) == "":
            self.problem("missing_value", column=HEADERS[KIND])
        kind = self.kind()
        amount = self.amount_fen()
        note = self.free_text(NOTE, max_length=200)
        fee_item, period, due_on = "", None, None
        if kind == BalanceKind.ARREARS:
            fee_item = self.text(FEE_ITEM, required=True, max_length=40)
            period = self.month()
            due_on = self.day(DUE)
        elif kind is not None:
            for key in (FEE_ITEM, PERIOD, DUE):
                if not self.blank(key):
                    self.problem(
                        "opening_only_arrears", column=HEADERS[key], kind=clean_text(self.cells.get(KIND))
                    )
        if self.problems or kind is None or amount is None:
            return None
        return OpeningRow(
            row=self.row,
            kind=kind,
            room=room,
            amount_fen=amount,
            fee_item=fee_item,
            period=period,
            note=note,
            due_on=due_on,
        )


def read_opening(
    content: bytes, *, max_bytes: int | None = None, max_rows: int | None = None
) -> OpeningSheet:
    """Read and check the cells of an uploaded workbook. Never raises on a bad file: it says why."""
    result = OpeningSheet(sha256=hashlib.sha256(content).hexdigest())
    rows = sheet_rows(
        content,
        headers=HEADERS,
        required=REQUIRED_COLUMNS,
        problems=result.problems,
        max_bytes=settings.IMPORT_MAX_BYTES if max_bytes is None else max_bytes,
        max_rows=MAX_ROWS if max_rows is None else max_rows,
        max_unpacked_bytes=settings.IMPORT_MAX_UNPACKED_BYTES,
        max_cells=settings.IMPORT_MAX_CELLS,
    )
    for number, cells in rows:
        result.data_rows += 1
        reader = _RowReader(number, cells, HEADERS)
        row = reader.read()
        result.problems += reader.problems
        if row is not None:
            result.rows.append(row)
    return result


def template_workbook() -> bytes:
    """An empty opening-balances file: the headers, and the instruction sheet (填写说明) with example rows.

    The examples stand on the instruction sheet, not on the sheet imported: a file sent back with an
    example left in it would bring in a balance no one owes."""
    content = excel_template(
        title="期初余额",
        headers=HEADERS,
        required=REQUIRED_COLUMNS,
        example=[],
        widths=(18, 8, 14, 12, 12, 20, 12),
        notes=COLUMN_NOTES,
        rules=TEMPLATE_RULES,
        notes_width=14,
        text_columns=(PERIOD, DUE),  # Excel must not turn 2026-03 into a date
    )
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    help_sheet = workbook["填写说明"]
    sheet_append(help_sheet, [])
    sheet_append(help_sheet, list(HEADERS.values()))
    for example in EXAMPLES:
        sheet_append(help_sheet, list(example))
    return workbook_bytes(workbook)
