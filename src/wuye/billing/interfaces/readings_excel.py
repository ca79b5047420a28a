"""The Excel file of meter readings: the template, reading and checking a file, preview and apply.

One sheet, one row per meter and month: 表号, 月份 (YYYY-MM), 读数, 换表 (是/否), and optionally 起始读数
(the start value of a replaced or new meter). The headers and 是/否 are the file format, so they are
literal Chinese constants, never translated; everything said *about* a file is translated.

``readings_preview`` reads a file and checks every row (by itself, then against the meters and the
readings stored) without writing; ``readings_import`` does the same and writes every row or none
through ``wuye.billing.domain.meters.readings_apply``. The file reading reuses the helpers of the
rooms import (``wuye.households.interfaces.excel``): the same limits, type sniffing and messages.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import openpyxl
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from openpyxl.styles import Font

from wuye.billing.domain.meters import (
    ReadingInput,
    ReadingsRefusedError,
    ReadingsResult,
    readings_apply,
    readings_check,
)
from wuye.billing.models import Meter
from wuye.core.excel import sheet_append, workbook_bytes
from wuye.core.models import Community
from wuye.households.interfaces.excel import (
    Problem as FileProblem,
)
from wuye.households.interfaces.excel import (
    _DamagedFileError,
    _header_key,
    _open_sheet,
    _stream,
    _text,
    problem_message,
    two_decimals,
)

# The data rows read from one file at most.
MAX_ROWS = 20_000

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

MESSAGES: dict[str, Any] = {
    "missing_value": _("%(column)s is missing."),
    "too_long": _("%(column)s is longer than %(max)s characters."),
    "not_number": _("%(column)s must be a number, not “%(value)s”."),
    "negative": _("%(column)s cannot be negative (%(value)s)."),
    "too_precise": _("%(column)s has more than two decimals (%(value)s)."),
    "too_large": _("%(column)s is too large (%(value)s)."),
    "bad_month": _("%(column)s must be a month like 2024-05, not “%(value)s”."),
    "bad_choice": _("%(column)s “%(value)s” is not one of: %(choices)s."),
    "duplicate_reading": _(
        "Meter %(meter)s, %(month)s appears more than once in the file (first on row %(first)s)."
    ),
    "unknown_meter": _("Meter %(meter)s does not exist in this community."),
}


@dataclass(frozen=True)
class Problem:
    """One problem of a file: the Excel row (header = 1; None for the whole file) and why."""

    row: int | None
    code: str
    params: dict[str, Any] = field(default_factory=dict)
    text: str = ""  # a message already in words (from the domain's checks)

    @property
    def message(self) -> str:
        if self.text:
            return self.text
        template = MESSAGES.get(self.code)
        if template is None:  # a file-level problem: worded by the rooms import
            return problem_message(self.code, self.params)
        return str(template) % self.params


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


def _header_keys() -> dict[str, str]:
    return {_header_key(header): key for key, header in HEADERS.items()}


def parse_month(value: Any) -> datetime.date | None:
    """2024-05, 2024/5, 2024.05, 202405, 2024年5月, or a date cell (Excel turns 2024-05 into a date)."""
    if isinstance(value, datetime.datetime):
        return value.date().replace(day=1)
    if isinstance(value, datetime.date):
        return value.replace(day=1)
    text = _text(value)
    match = re.fullmatch(r"(\d{4})\s*(?:[-/.年]\s*(\d{1,2})\s*月?|(\d{2}))(?:[-/.]\d{1,2}日?)?", text)
    if not match:
        return None
    month = int(match.group(2) or match.group(3))
    if not 1 <= month <= 12 or int(match.group(1)) < 1900:
        return None
    return datetime.date(int(match.group(1)), month, 1)


class _RowReader:
    def __init__(self, row: int, cells: dict[str, Any]):
        self.row = row
        self.cells = cells
        self.problems: list[Problem] = []

    def problem(self, code: str, **params) -> None:
        self.problems.append(Problem(self.row, code, params))

    def number(self) -> str:
        text = _text(self.cells.get(NUMBER))
        if not text:
            self.problem("missing_value", column=HEADERS[NUMBER])
        elif len(text) > 40:
            self.problem("too_long", column=HEADERS[NUMBER], max=40)
        return text

    def month(self) -> datetime.date | None:
        value = self.cells.get(MONTH)
        if value is None or _text(value) == "":
            self.problem("missing_value", column=HEADERS[MONTH])
            return None
        period = parse_month(value)
        if period is None:
            self.problem("bad_month", column=HEADERS[MONTH], value=_text(value))
        return period

    def decimal(self, key: str, *, required: bool) -> Decimal | None:
        value = self.cells.get(key)
        if value is None or _text(value) == "":
            if required:
                self.problem("missing_value", column=HEADERS[key])
            return None
        return two_decimals(value, column=HEADERS[key], below=Decimal("1000000000000"), problem=self.problem)

    def replaced(self) -> bool:
        value = self.cells.get(REPLACED)
        if isinstance(value, bool):
            return value
        text = _text(value).lower()
        if text in _YES:
            return True
        if text not in _NO:
            self.problem("bad_choice", column=HEADERS[REPLACED], value=_text(value), choices=f"{YES} / {NO}")
        return False

    def read(self) -> ReadingRow | None:
        number = self.number()
        period = self.month()
        value = self.decimal(VALUE, required=True)
        replaced = self.replaced()
        start = self.decimal(START, required=False)
        if self.problems or period is None or value is None:
            return None
        return ReadingRow(self.row, number, period, value, replaced, start)


def read_readings(
    content: bytes, *, max_bytes: int | None = None, max_rows: int | None = None
) -> ReadingSheet:
    """Read and check the readings of an uploaded workbook. Never raises on a bad file: it says why."""
    result = ReadingSheet()
    max_bytes = settings.IMPORT_MAX_BYTES if max_bytes is None else max_bytes
    max_rows = MAX_ROWS if max_rows is None else max_rows
    if len(content) > max_bytes:
        result.problems.append(Problem(None, "file_too_large", {"limit": max_bytes}))
        return result
    file_problems: list[FileProblem] = []
    sheet = _open_sheet(content, file_problems)
    if sheet is None:
        result.problems += [Problem(p.row, p.code, p.params) for p in file_problems]
        return result
    header_keys = _header_keys()
    columns: dict[str, int] = {}
    header_row = 0
    seen: dict[tuple[str, datetime.date], int] = {}
    try:
        for number, values in enumerate(_stream(sheet.iter_rows(values_only=True)), start=1):
            if not header_row:
                if not any(_text(v) for v in values):
                    continue
                header_row = number
                columns = _read_header(values, number, header_keys, result.problems)
                if result.problems:
                    return result
                continue
            if not any(_text(values[i]) for i in columns.values() if i < len(values)):
                continue  # a blank row, or one with something only in columns we do not read
            if result.data_rows >= max_rows:
                result.problems.append(Problem(number, "too_many_rows", {"max": max_rows}))
                break
            result.data_rows += 1
            cells = {key: values[index] if index < len(values) else None for key, index in columns.items()}
            reader = _RowReader(number, cells)
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
    except _DamagedFileError:
        result.problems.append(Problem(None, "file_type"))
        return result
    finally:
        sheet.parent.close()
    if not header_row:
        result.problems.append(Problem(None, "sheet_empty"))
    elif not result.data_rows:
        result.problems.append(Problem(header_row + 1, "no_rows"))
    return result


def _read_header(
    values: tuple, row: int, header_keys: dict[str, str], problems: list[Problem]
) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, value in enumerate(values):
        key = header_keys.get(_header_key(value))
        if key is None:
            continue  # extra columns (a room label, a note) are ignored
        if key in columns:
            problems.append(Problem(row, "duplicate_column", {"column": HEADERS[key]}))
            continue
        columns[key] = index
    missing = [HEADERS[key] for key in REQUIRED_COLUMNS if key not in columns]
    if missing:
        problems.append(Problem(row, "missing_columns", {"columns": "、".join(missing)}))
    return columns


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
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "抄表"
    sheet_append(sheet, HEADERS.values())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet_append(sheet, ["W1-1-101", "2024-05", 1234.5, NO, None])
    for letter, width in zip("ABCDE", (16, 10, 12, 8, 10), strict=True):
        sheet.column_dimensions[letter].width = width
    for cell in sheet["B"]:
        cell.number_format = "@"  # text: Excel must not turn 2024-05 into a date
    sheet.freeze_panes = "A2"
    help_sheet = workbook.create_sheet("填写说明")
    sheet_append(help_sheet, ["列", "说明"])
    for cell in help_sheet[1]:
        cell.font = Font(bold=True)
    for key, header in HEADERS.items():
        sheet_append(help_sheet, [header + (" *" if key in REQUIRED_COLUMNS else ""), COLUMN_NOTES[key]])
    sheet_append(help_sheet, [])
    for rule in TEMPLATE_RULES:
        sheet_append(help_sheet, ["", rule])
    help_sheet.column_dimensions["A"].width = 12
    help_sheet.column_dimensions["B"].width = 80
    return workbook_bytes(workbook)


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
