"""The Excel file format of rooms and households: reading, checking and writing ``.xlsx`` workbooks.

One sheet, one row per room. The column headers and the 用途/状态 labels are the file format, so they
are literal Chinese constants, never translated: a file exported by a console in English must import
in a console in Chinese and back. Everything said *about* a file (the problems) is translated.

Reading only parses and checks what a file can tell by itself (types, required cells, duplicates);
whether a building exists or a room is new is decided by ``wuye.households.domain.imports``.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

import openpyxl
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from openpyxl.styles import Font

from wuye.core.excel import sheet_append, workbook_bytes, workbook_inspect
from wuye.estate.enums import RoomState, RoomUse
from wuye.estate.models import room_label
from wuye.households.validators import normalise_phone, validate_phone

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The data rows read from one file at most; a larger estate is imported in several files.
MAX_ROWS = 20_000
# Floors above or below ground; anything beyond is a typing slip (and would overflow the column).
MAX_FLOOR = 300

# Column keys and their headers, in file order. The headers are the file format: do not translate.
BUILDING = "building"
UNIT = "unit"
NUMBER = "number"
FLOOR = "floor"
BUILT_AREA = "built_area"
INNER_AREA = "inner_area"
USE = "use"
STATE = "state"
HOUSEHOLD_NAME = "household_name"
OWNER_NAME = "owner_name"
OWNER_PHONE = "owner_phone"
NOTES = "notes"

HEADERS: dict[str, str] = {
    BUILDING: "楼栋",
    UNIT: "单元",
    NUMBER: "房号",
    FLOOR: "楼层",
    BUILT_AREA: "建筑面积(㎡)",
    INNER_AREA: "套内面积(㎡)",
    USE: "用途",
    STATE: "状态",
    HOUSEHOLD_NAME: "户名",
    OWNER_NAME: "业主姓名",
    OWNER_PHONE: "业主电话",
    NOTES: "备注",
}
REQUIRED_COLUMNS = (BUILDING, UNIT, NUMBER, FLOOR, BUILT_AREA)

# 用途 and 状态 cells hold these Chinese labels (English values and labels are accepted too).
USE_LABELS: dict[str, str] = {
    RoomUse.RESIDENTIAL: "住宅",
    RoomUse.SHOP: "商铺",
    RoomUse.PARKING: "车位",
    RoomUse.STORAGE: "储藏室",
}
STATE_LABELS: dict[str, str] = {
    RoomState.VACANT: "空置",
    RoomState.SELF_OCCUPIED: "自住",
    RoomState.RENTED: "出租",
    RoomState.DECORATING: "装修",
}

# Longest text each column may hold (the model fields' max_length).
MAX_LENGTHS = {BUILDING: 40, UNIT: 40, NUMBER: 20, HOUSEHOLD_NAME: 60, OWNER_NAME: 40, OWNER_PHONE: 20}

# What the second sheet of the template says about each column. The template is a file for Chinese
# property offices, like the headers, so this text is part of the file format and stays Chinese.
COLUMN_NOTES: dict[str, str] = {
    BUILDING: "必填。楼栋须已在系统中建好，名称与系统一致，如“1栋”。",
    UNIT: "必填。单元名称，如“1单元”；系统中没有的单元会在导入时新建。",
    NUMBER: "必填。房号，如“1203”。楼栋+单元+房号在文件中不得重复。",
    FLOOR: "新房屋必填，整数；地下层用负数。已有房屋留空则不修改。",
    BUILT_AREA: "新房屋必填，数字，最多两位小数，不得为负。",
    INNER_AREA: "数字，最多两位小数，不得大于建筑面积；新房屋留空按 0 计。",
    USE: "住宅 / 商铺 / 车位 / 储藏室；新房屋留空为住宅。",
    STATE: "空置 / 自住 / 出租 / 装修；新房屋留空为空置。",
    HOUSEHOLD_NAME: "住户档案名称；留空时用业主姓名。",
    OWNER_NAME: "房屋尚无住户时，填写业主姓名即新建住户档案并绑定房屋；已有住户时更新其业主。",
    OWNER_PHONE: "11 位手机号或固定电话（如 010-12345678）；须同时填写业主姓名。",
    NOTES: "住户档案备注。",
}
TEMPLATE_RULES = (
    "每行一套房屋；第一行为表头，请勿修改表头文字。",
    "户名、业主姓名、业主电话都相同的多行属于同一住户（如一户同时拥有住宅和车位）。",
    "已有房屋只修改与文件不同的内容；留空的单元格不修改原有内容。",
    "导入前先预览：所有问题都列出行号和原因，有任何问题时不会写入任何数据。",
    "导出的文件原样再导入不会产生任何修改。",
)


# Problems. Each is stored in the import report as a code and its parameters and shown translated in
# the reader's language, so a report written in Chinese reads in English after a language switch.
MESSAGES: dict[str, Any] = {
    "file_too_large": _("The file is larger than %(limit)s."),
    "file_empty": _("The file is empty."),
    "file_type": _(
        "This is not an Excel workbook (.xlsx). Save the file in Excel as “Excel Workbook (*.xlsx)” and upload it again."
    ),
    "workbook_too_large": _(
        "Unpacked, the workbook would be larger than %(limit)s, so it was not opened. Keep only the sheet to import, or split it into several files."
    ),
    "sheet_too_large": _(
        "A sheet of the workbook spans %(range)s, %(cells)s cells, more than the %(max)s that can be imported, so it was not opened. Delete the empty rows and columns at its end, or split it into several files."
    ),
    "sheet_empty": _("The first sheet is empty: it has neither column headers nor rows."),
    "missing_columns": _("The first row lacks the required columns: %(columns)s."),
    "duplicate_column": _("Column %(column)s appears more than once in the first row."),
    "no_rows": _("The file has no data rows below the column headers."),
    "too_many_rows": _(
        "The file has more than %(max)s data rows; rows from here on were not read. Split it into several files."
    ),
    "missing_value": _("%(column)s is missing."),
    "too_long": _("%(column)s is longer than %(max)s characters."),
    "not_integer": _("%(column)s must be a whole number, not “%(value)s”."),
    "not_number": _("%(column)s must be a number, not “%(value)s”."),
    "negative": _("%(column)s cannot be negative (%(value)s)."),
    "too_precise": _("%(column)s has more than two decimals (%(value)s)."),
    "too_large": _("%(column)s is too large (%(value)s)."),
    "inner_larger": _("The inner area (%(inner)s) is larger than the built-up area (%(built)s)."),
    "bad_choice": _("%(column)s “%(value)s” is not one of: %(choices)s."),
    "bad_phone": _("%(value)s is not a phone number (11-digit mobile, or landline like 010-12345678)."),
    "needs_owner": _("%(column)s is given without the owner's name (%(owner)s)."),
    "duplicate_room": _("Room %(room)s appears more than once in the file (first on row %(first)s)."),
    "unknown_building": _("Building %(building)s does not exist in this community; create it first."),
    "missing_for_new": _("%(column)s is required for the new room %(room)s."),
    "household_needs_owner": _(
        "Room %(room)s has no household yet: give the owner's name (%(owner)s) to create one."
    ),
    "household_conflict": _(
        "This row gives household %(household)s another %(column)s than row %(first)s (“%(value)s” and “%(other)s”)."
    ),
}


@dataclass(frozen=True)
class Problem:
    """One problem of a file: the Excel row (header = 1; None for the whole file) and why."""

    row: int | None
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return problem_message(self.code, self.params)

    def as_json(self) -> dict[str, Any]:
        return {"row": self.row, "code": self.code, "params": self.params}


# Problems that refuse a file for its size, packed or unpacked: such a file is not kept.
TOO_LARGE = frozenset({"file_too_large", "workbook_too_large", "sheet_too_large"})


def problem_message(code: str, params: dict[str, Any]) -> str:
    if code == "bad_phone":
        # The validator owns the wording of a bad phone number; ask it again in today's language.
        try:
            validate_phone(str(params.get("value", "")))
        except ValidationError as error:
            return error.messages[0]
    template = MESSAGES.get(code)
    if template is None:
        return code
    params = dict(params)
    if code in {"file_too_large", "workbook_too_large"}:
        params["limit"] = filesizeformat(params.get("limit", 0))
    return str(template) % params


@dataclass
class RoomRow:
    """One data row as read from the file. ``None`` means the cell was blank (keep what is there)."""

    row: int
    building: str
    unit: str
    number: str
    floor: int | None = None
    built_area: Decimal | None = None
    inner_area: Decimal | None = None
    use: str | None = None
    state: str | None = None
    household_name: str = ""
    owner_name: str = ""
    owner_phone: str = ""
    notes: str = ""

    @property
    def room_label(self) -> str:
        """The row's room as rooms are named everywhere (1栋-1单元-101)."""
        return room_label(self.building, self.unit, self.number)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.building, self.unit, self.number)


@dataclass
class Sheet:
    rows: list[RoomRow] = field(default_factory=list)  # the rows without problems
    problems: list[Problem] = field(default_factory=list)
    rejected: list[RoomRow] = field(default_factory=list)  # rows with problems, for further checks
    data_rows: int = 0  # every data row read, with or without problems


class ImportUploadForm(forms.Form):
    # An empty file is let through: the importer says what is wrong with it, like any other bad file.
    file = forms.FileField(label=_("Excel file (.xlsx)"), allow_empty_file=True)


# Reading ------------------------------------------------------------------------------------------


def _header_key(text: Any) -> str:
    """'建筑面积（㎡）', '建筑面积(m2)' and ' 建筑面积 ' are all the column 建筑面积."""
    text = re.sub(r"\s+", "", str(text or ""))
    return re.sub(r"[(（].*?[)）]$", "", text)


_HEADER_KEYS = {_header_key(header): key for key, header in HEADERS.items()}


def _text(value: Any) -> str:
    """A cell as text. Whole numbers typed into a text column (房号 1203) lose Excel's '.0'."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def two_decimals(value, *, column: str, below: Decimal, problem) -> Decimal | None:
    """A non-empty cell as a non-negative number with at most two decimals, below ``below``.

    Excel stores 89.5 as a binary float; two decimals is all an area or a meter shows. A bad cell
    is reported through ``problem(code, column=…, value=…)`` and gives None.
    """
    text = _text(value)
    if isinstance(value, bool):
        problem("not_number", column=column, value=text)
        return None
    if isinstance(value, float):
        rounded = round(value, 2)
        number = Decimal(repr(rounded)) if abs(value - rounded) < 1e-9 else Decimal(repr(value))
    else:
        try:
            number = Decimal(text.replace(",", ""))
        except InvalidOperation:
            problem("not_number", column=column, value=text)
            return None
    if not number.is_finite():
        problem("not_number", column=column, value=text)
        return None
    if number < 0:
        problem("negative", column=column, value=text)
        return None
    if number != number.quantize(Decimal("0.01")):
        problem("too_precise", column=column, value=text)
        return None
    if number >= below:
        problem("too_large", column=column, value=text)
        return None
    return number.quantize(Decimal("0.01"))


def _choice_key(text: str) -> str:
    return re.sub(r"[\s_-]+", "", text).lower()


@cache
def _choice_lookups() -> dict[str, dict[str, str]]:
    """{column: {accepted spelling: value}}: the Chinese labels, and the English values and labels."""
    lookups = {}
    with translation.override("en"):
        for key, labels, choices in (
            (USE, USE_LABELS, RoomUse.choices),
            (STATE, STATE_LABELS, RoomState.choices),
        ):
            lookup = {label: value for value, label in labels.items()}
            for value, label in choices:
                lookup[_choice_key(value)] = value
                lookup[_choice_key(str(label))] = value
            lookups[key] = lookup
    return lookups


class _RowReader:
    """Turns one row's cells into a RoomRow, collecting every problem of the row (not just the first)."""

    def __init__(self, row: int, cells: dict[str, Any]):
        self.row = row
        self.cells = cells
        self.problems: list[Problem] = []

    def problem(self, code: str, **params) -> None:
        self.problems.append(Problem(self.row, code, params))

    def text(self, key: str, *, required: bool = False) -> str:
        value = _text(self.cells.get(key))
        if not value and required:
            self.problem("missing_value", column=HEADERS[key])
        elif key in MAX_LENGTHS and len(value) > MAX_LENGTHS[key]:
            self.problem("too_long", column=HEADERS[key], max=MAX_LENGTHS[key])
        return value

    def integer(self, key: str) -> int | None:
        value = self.cells.get(key)
        if value is None or _text(value) == "":
            return None
        if isinstance(value, bool):
            self.problem("not_integer", column=HEADERS[key], value=str(value))
            return None
        text = _text(value)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) and re.fullmatch(r"[+-]?\d+", text):
            value = int(text)
        if not isinstance(value, int):
            self.problem("not_integer", column=HEADERS[key], value=text)
            return None
        if abs(value) > MAX_FLOOR:
            self.problem("too_large", column=HEADERS[key], value=text)
            return None
        return value

    def area(self, key: str) -> Decimal | None:
        value = self.cells.get(key)
        if value is None or _text(value) == "":
            return None
        return two_decimals(value, column=HEADERS[key], below=Decimal("10000000"), problem=self.problem)

    def choice(self, key: str, labels: dict[str, str]) -> str | None:
        text = _text(self.cells.get(key))
        if not text:
            return None
        lookup = _choice_lookups()[key]
        value = lookup.get(text) or lookup.get(_choice_key(text))
        if value is None:
            self.problem("bad_choice", column=HEADERS[key], value=text, choices=" / ".join(labels.values()))
        return value

    def phone(self) -> str:
        text = normalise_phone(_text(self.cells.get(OWNER_PHONE)))
        if not text:
            return ""
        try:
            validate_phone(text)
        except ValidationError:
            self.problem("bad_phone", value=text)
            return ""
        return text

    def read(self) -> RoomRow:
        building = self.text(BUILDING, required=True)
        unit = self.text(UNIT, required=True)
        number = self.text(NUMBER, required=True)
        room = RoomRow(
            row=self.row,
            building=building,
            unit=unit,
            number=number,
            floor=self.integer(FLOOR),
            built_area=self.area(BUILT_AREA),
            inner_area=self.area(INNER_AREA),
            use=self.choice(USE, USE_LABELS),
            state=self.choice(STATE, STATE_LABELS),
            household_name=self.text(HOUSEHOLD_NAME),
            owner_name=self.text(OWNER_NAME),
            owner_phone=self.phone(),
            # Notes are free text: kept exactly as typed (but a blank cell is no note).
            notes=str(self.cells[NOTES]) if _text(self.cells.get(NOTES)) else "",
        )
        if room.built_area is not None and room.inner_area is not None and room.inner_area > room.built_area:
            self.problem("inner_larger", inner=str(room.inner_area), built=str(room.built_area))
        if _text(self.cells.get(OWNER_PHONE)) and not room.owner_name:
            self.problem("needs_owner", column=HEADERS[OWNER_PHONE], owner=HEADERS[OWNER_NAME])
        return room


def _open_sheet(content: bytes, problems: list[Problem]):
    """The first worksheet, or None with the reason in ``problems``. The type is decided by content."""
    if not content:
        problems.append(Problem(None, "file_empty"))
        return None
    # An .xlsx is a zip archive; an old .xls, a CSV or a renamed picture is not. Never trust the name.
    if not zipfile.is_zipfile(io.BytesIO(content)):
        problems.append(Problem(None, "file_type"))
        return None
    # Refused by what the zip declares before openpyxl unpacks anything (a zip bomb stays packed).
    refused = workbook_inspect(
        content, max_unpacked_bytes=settings.IMPORT_MAX_UNPACKED_BYTES, max_cells=settings.IMPORT_MAX_CELLS
    )
    if refused is not None:
        problems.append(Problem(None, refused.code, refused.params))
        return None
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
    except Exception:  # a zip that is not a workbook fails in many ways inside openpyxl
        problems.append(Problem(None, "file_type"))
        return None
    # Some programs write a wrong <dimension>; read-only mode would then cut rows short.
    sheet.reset_dimensions()
    return sheet


class _DamagedFileError(Exception):
    pass


def _stream(rows):
    """A damaged sheet fails while streaming, not while opening: turn any such failure into one error."""
    while True:
        try:
            values = next(rows)
        except StopIteration:
            return
        except Exception as error:  # openpyxl and zipfile raise many kinds on a damaged file
            raise _DamagedFileError from error
        yield values


def read_rooms(content: bytes, *, max_bytes: int | None = None, max_rows: int | None = None) -> Sheet:
    """Read and check the rooms of an uploaded workbook. Never raises on a bad file: it says why."""
    result = Sheet()
    max_bytes = settings.IMPORT_MAX_BYTES if max_bytes is None else max_bytes
    max_rows = MAX_ROWS if max_rows is None else max_rows
    if len(content) > max_bytes:
        result.problems.append(Problem(None, "file_too_large", {"limit": max_bytes}))
        return result
    sheet = _open_sheet(content, result.problems)
    if sheet is None:
        return result
    rows = _stream(sheet.iter_rows(values_only=True))
    columns: dict[str, int] = {}
    header_row = 0
    seen: dict[tuple[str, str, str], int] = {}
    data_rows = 0
    try:
        for number, values in enumerate(rows, start=1):
            if not header_row and not any(_text(v) for v in values):
                continue
            if header_row and not any(_text(values[i]) for i in columns.values() if i < len(values)):
                continue  # a blank row, or one with something only in columns we do not read
            if not header_row:
                header_row = number
                columns = _read_header(values, number, result.problems)
                if result.problems:
                    return result
                continue
            if data_rows >= max_rows:
                result.problems.append(Problem(number, "too_many_rows", {"max": max_rows}))
                break
            data_rows += 1
            result.data_rows = data_rows
            cells = {key: values[index] if index < len(values) else None for key, index in columns.items()}
            reader = _RowReader(number, cells)
            room = reader.read()
            result.problems.extend(reader.problems)
            if room.building and room.unit and room.number:
                first = seen.setdefault(room.key, number)
                if first != number:
                    result.problems.append(
                        Problem(number, "duplicate_room", {"room": room.room_label, "first": first})
                    )
                    continue
            (result.rejected if reader.problems else result.rows).append(room)
    except _DamagedFileError:
        result.problems.append(Problem(None, "file_type"))
        return result
    finally:
        sheet.parent.close()
    if not header_row:
        result.problems.append(Problem(None, "sheet_empty"))
    elif not data_rows:
        result.problems.append(Problem(header_row + 1, "no_rows"))
    return result


def _read_header(values: tuple, row: int, problems: list[Problem]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, value in enumerate(values):
        key = _HEADER_KEYS.get(_header_key(value))
        if key is None:
            continue  # extra columns (a staff member's own notes) are ignored
        if key in columns:
            problems.append(Problem(row, "duplicate_column", {"column": HEADERS[key]}))
            continue
        columns[key] = index
    missing = [HEADERS[key] for key in REQUIRED_COLUMNS if key not in columns]
    if missing:
        problems.append(Problem(row, "missing_columns", {"columns": "、".join(missing)}))
    return columns


# Writing ------------------------------------------------------------------------------------------


def template_workbook() -> bytes:
    """An empty import file: the headers, one example row, and a sheet explaining each column."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "房屋住户"
    sheet_append(sheet, HEADERS.values())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet_append(
        sheet, ["1栋", "1单元", "101", 1, 89.5, 72.3, "住宅", "自住", "王小明", "王小明", "13912345678", ""]
    )
    for letter, width in zip("ABCDEFGHIJKL", (8, 8, 8, 6, 13, 13, 8, 8, 12, 10, 14, 20), strict=True):
        sheet.column_dimensions[letter].width = width
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
    help_sheet.column_dimensions["A"].width = 16
    help_sheet.column_dimensions["B"].width = 80
    return workbook_bytes(workbook)


@dataclass(frozen=True)
class ExportRow:
    building: str
    unit: str
    number: str
    floor: int
    built_area: Decimal
    inner_area: Decimal
    use: str
    state: str
    household_name: str = ""
    owner_name: str = ""
    owner_phone: str = ""
    notes: str = ""


def write_rooms(rows: Iterable[ExportRow]) -> bytes:
    """Write rooms in the import format, streaming (write-only), so that the file imports unchanged.

    Text is written as text (``wuye.core.excel``): a name typed as ``=…`` or ``-…`` is no formula here,
    and it reads back as typed.
    """
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("房屋住户")
    sheet_append(sheet, HEADERS.values())
    for row in rows:
        sheet_append(
            sheet,
            [
                row.building,
                row.unit,
                row.number,  # text: keeps 0101 as 0101
                row.floor,
                row.built_area,
                row.inner_area,
                USE_LABELS.get(row.use, row.use),
                STATE_LABELS.get(row.state, row.state),
                row.household_name,
                row.owner_name,
                row.owner_phone,
                row.notes,
            ],
        )
    return workbook_bytes(workbook)
