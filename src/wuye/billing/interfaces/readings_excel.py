"""The Excel file of meter readings: the template, reading and checking a file, preview and apply.

One sheet, one row per meter and month: 表号, 月份 (YYYY-MM), 读数, 换表 (是/否), and optionally 起始读数
(the start value of a replaced or new meter). The headers and 是/否 are the file format, so they are
literal Chinese constants, never translated; everything said *about* a file is translated.

``readings_preview`` reads a file and checks every row (by itself, then against the meters and the
readings stored) without writing; ``readings_import`` does the same and writes every row or none
through ``wuye.billing.domain.meters.readings_apply``. The file is read by the Excel kit
(``wuye.core.excel``), like the rooms import: the same limits, sheet and header finding, cell
normalisation and messages.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from wuye.billing.domain.meters import (
    ReadingInput,
    ReadingsRefusedError,
    ReadingsResult,
    readings_apply,
    readings_check,
)
from wuye.billing.models import Meter
from wuye.core.excel import Problem, RowReader, clean_text, register_messages, sheet_rows
from wuye.core.excel import template_workbook as excel_template
from wuye.core.models import Community

# The data rows read from one file at most.
MAX_ROWS = 20_000
# A reading is below this (the column's digits).
MAX_VALUE = Decimal("1000000000000")

NUMBER = "number"
MONTH = "month"
VALUE = "value"
REPLACED = "replaced"
START = "start"

HEADERS: dict[str, str] = {NUMBER: "表号", MONTH: "月份", VALUE: "读数", REPLACED: "换表", START: "起始读数"}
REQUIRED_COLUMNS = (NUMBER, MONTH, VALUE)
YES, NO = "是", "否"
_YES = {"是", "y", "yes", "true", "1", "换表", "x", "√"}
_NO = {"", "否", "n", "no", "false", "0"}

COLUMN_NOTES: dict[str, str] = {
    NUMBER: "必填。表具编号，须已在系统中登记（楼栋 → 表具）。",
    MONTH: "必填。抄表月份，格式 YYYY-MM，如 2024-05；读数为该月月底的表数。",
    VALUE: "必填。表读数，数字，最多两位小数；不得小于上月读数（换表除外）。",
    REPLACED: "是 / 否；留空为否。换表时用量 = 读数 − 起始读数。",
    START: "可选。换表时新表的起始读数（留空按 0 计）；或新表首次抄表时的起始读数（留空则首月用量为 0）。",
}
TEMPLATE_RULES = (
    "每行一块表一个月；第一行为表头，请勿修改表头文字。",
    "导入前先预览：所有问题都列出行号和原因，有任何问题时不会写入任何数据。",
    "同一块表同一月份已有相同读数时不作修改，同一文件重复导入不会产生任何修改。",
    "已出账的月份读数不能修改。",
)

# This import's own problems (the kit words the rest); see ``wuye.core.excel.register_messages``.
register_messages(
    {
        "bad_month": _("%(column)s must be a month like 2024-05, not “%(value)s”."),
        "duplicate_reading": _(
            "Meter %(meter)s, %(month)s appears more than once in the file (first on row %(first)s)."
        ),
        "unknown_meter": _("Meter %(meter)s does not exist in this community."),
    }
)


@dataclass
class ReadingRow:
    row: int
    number: str
    period: datetime.date
    value: Decimal
    replaced: bool = False
    start: Decimal | None = None


@dataclass
class ReadingSheet:
    rows: list[ReadingRow] = field(default_factory=list)  # the rows without problems of their own
    problems: list[Problem] = field(default_factory=list)
    data_rows: int = 0


def parse_month(value: Any) -> datetime.date | None:
    """2024-05, 2024/5, 2024.05, 202405, 2024年5月, or a date cell (Excel turns 2024-05 into a date)."""
    if isinstance(value, datetime.datetime):
        return value.date().replace(day=1)
    if isinstance(value, datetime.date):
        return value.replace(day=1)
    text = clean_text(value)
    match = re.fullmatch(r"(\d{4})\s*(?:[-/.年]\s*(\d{1,2})\s*月?|(\d{2}))(?:[-/.]\d{1,2}日?)?", text)
    if not match:
        return None
    month = int(match.group(2) or match.group(3))
    if not 1 <= month <= 12 or int(match.group(1)) < 1900:
        return None
    return datetime.date(int(match.group(1)), month, 1)


class _RowReader(RowReader):
    def month(self) -> datetime.date | None:
        if self.blank(MONTH):
            self.problem("missing_value", column=HEADERS[MONTH])
            return None
        period = parse_month(self.cells.get(MONTH))
        if period is None:
            self.problem("bad_month", column=HEADERS[MONTH], value=clean_text(self.cells.get(MONTH)))
        return period

    def replaced(self) -> bool:
        value = self.cells.get(REPLACED)
        if isinstance(value, bool):
            return value
        text = clean_text(value).lower()
        if text in _YES:
            return True
        if text not in _NO:
            self.problem(
                "bad_choice", column=HEADERS[REPLACED], value=clean_text(value), choices=f"{YES} / {NO}"
            )
        return False

    def read(self) -> ReadingRow | None:
        number = self.text(NUMBER, required=True, max_length=40)
        period = self.month()
        value = self.decimal(VALUE, below=MAX_VALUE, required=True)
        replaced = self.replaced()
        start = self.decimal(START, below=MAX_VALUE)
        if self.problems or period is None or value is None:
            return None
        return ReadingRow(self.row, number, period, value, replaced, start)


def read_readings(
    content: bytes, *, max_bytes: int | None = None, max_rows: int | None = None
) -> ReadingSheet:
    """Read and check the readings of an uploaded workbook. Never raises on a bad file: it says why."""
    result = ReadingSheet()
    seen: dict[tuple[str, datetime.date], int] = {}
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
        if row is None:
            continue
        first = seen.setdefault((row.number, row.period), number)
        if first != number:
            result.problems.append(
                Problem(
                    number,
                    "duplicate_reading",
                    {"meter": row.number, "month": f"{row.period:%Y-%m}", "first": first},
                )
            )
            continue
        result.rows.append(row)
    return result


# Preview and apply ---------------------------------------------------------------------------------


@dataclass
class ReadingsPreview:
    """What importing a file would do: its problems (nothing is written if any), and the counts."""

    rows: list[ReadingRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    data_rows: int = 0
    created: int = 0
    changed: int = 0
    unchanged: int = 0


def _inputs(community: Community, rows: list[ReadingRow]) -> tuple[list[ReadingInput], list[Problem]]:
    numbers = {row.number for row in rows}
    meters = {m.number: m for m in Meter.objects.filter(community=community, number__in=numbers)}
    problems = [
        Problem(row.row, "unknown_meter", {"meter": row.number}) for row in rows if row.number not in meters
    ]
    inputs = [
        ReadingInput(meters[row.number], row.period, row.value, row.replaced, row.start)
        for row in rows
        if row.number in meters
    ]
    return inputs, problems


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.row is not None, p.row or 0))


def readings_preview(*, community: Community, content: bytes) -> ReadingsPreview:
    """Check a file completely (its cells, its meters, the readings stored) and write nothing."""
    sheet = read_readings(content)
    preview = ReadingsPreview(rows=sheet.rows, problems=list(sheet.problems), data_rows=sheet.data_rows)
    if any(problem.row is None for problem in sheet.problems):
        return preview  # the file itself is unreadable
    inputs, unknown = _inputs(community, sheet.rows)
    preview.problems += unknown
    unknown_rows = {problem.row for problem in unknown}
    rows_of_inputs = [row for row in sheet.rows if row.row not in unknown_rows]
    plan = readings_check(community=community, inputs=inputs)
    preview.problems += [Problem(rows_of_inputs[p.index].row, "", text=p.message) for p in plan.problems]
    preview.problems = _sorted(preview.problems)
    preview.created, preview.changed, preview.unchanged = plan.created, plan.changed, len(plan.unchanged)
    return preview


def readings_import(
    *, community: Community, rows: list[ReadingRow], actor
) -> tuple[ReadingsResult | None, list[Problem]]:
    """Write the rows of a previewed file, all or none, checked again against the readings as they are now."""
    inputs, unknown = _inputs(community, rows)
    if unknown:
        return None, _sorted(unknown)
    try:
        result = readings_apply(community=community, inputs=inputs, actor=actor)
    except ReadingsRefusedError as error:
        return None, _sorted([Problem(rows[p.index].row, "", text=p.message) for p in error.problems])
    return result, []


# Writing -------------------------------------------------------------------------------------------


def template_workbook() -> bytes:
    """An empty readings file: the headers, one example row, and a sheet explaining each column."""
    return excel_template(
        title="抄表",
        headers=HEADERS,
        required=REQUIRED_COLUMNS,
        example=["W1-1-101", "2024-05", 1234.5, NO, None],
        widths=(16, 10, 12, 8, 10),
        notes=COLUMN_NOTES,
        rules=TEMPLATE_RULES,
        notes_width=12,
        text_columns=(MONTH,),  # Excel must not turn 2024-05 into a date
    )


def rows_as_json(rows: list[ReadingRow]) -> list[list]:
    """The rows of a preview in a form that survives a round trip through a signed form field."""
    return [
        [
            row.row,
            row.number,
            f"{row.period:%Y-%m}",
            str(row.value),
            row.replaced,
            None if row.start is None else str(row.start),
        ]
        for row in rows
    ]


def rows_from_json(data: list[list]) -> list[ReadingRow]:
    rows = []
    for row, number, month, value, replaced, start in data:
        year, month_number = (int(part) for part in month.split("-"))
        rows.append(
            ReadingRow(
                int(row),
                str(number),
                datetime.date(year, month_number, 1),
                Decimal(value),
                bool(replaced),
                None if start is None else Decimal(start),
            )
        )
    return rows
