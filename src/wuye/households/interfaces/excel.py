"""The Excel file format of rooms and households: reading, checking and writing ``.xlsx`` workbooks.

One sheet, one row per room. The column headers and the 用途/状态 labels are the file format, so they
are literal Chinese constants, never translated: a file exported by a console in English must import
in a console in Chinese and back. Everything said *about* a file (the problems) is translated.

The file is read by the Excel kit (``wuye.core.excel``): which sheet, which row holds the headers, how
cells are normalised and how problems are worded. Reading only parses and checks what a file can tell by itself (types, required cells, duplicates);
whether a building exists or a room is new is decided by ``wuye.households.domain.imports``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache

import openpyxl
from django import forms
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from wuye.core.excel import (
    AREA_UNITS,
    Problem,
    RowReader,
    choice_key,
    register_messages,
    sheet_append,
    sheet_rows,
    workbook_bytes,
)
from wuye.core.excel import problem_message as problem_message  # reports of this import are worded by it
from wuye.core.excel import template_workbook as excel_template
from wuye.estate.enums import RoomState, RoomUse
from wuye.estate.models import room_label
from wuye.households.validators import validate_phone

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


# This import's own problems (the kit words the rest); see ``wuye.core.excel.register_messages``.
register_messages(
    {
        "inner_larger": _("The inner area (%(inner)s) is larger than the built-up area (%(built)s)."),
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
)


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
                lookup[choice_key(value)] = value
                lookup[choice_key(str(label))] = value
            lookups[key] = lookup
    return lookups


class _RowReader(RowReader):
    """Turns one row's cells into a RoomRow, collecting every problem of the row (not just the first)."""

    def area(self, key: str) -> Decimal | None:
        return self.decimal(key, below=Decimal("10000000"), units=AREA_UNITS)

    def choice_of(self, key: str, labels: dict[str, str]) -> str | None:
        return self.choice(key, _choice_lookups()[key], choices=" / ".join(labels.values()))

    def read(self) -> RoomRow:
        room = RoomRow(
            row=self.row,
            building=self.text(BUILDING, required=True, max_length=MAX_LENGTHS[BUILDING]),
            unit=self.text(UNIT, required=True, max_length=MAX_LENGTHS[UNIT]),
            number=self.text(NUMBER, required=True, max_length=MAX_LENGTHS[NUMBER]),
            floor=self.integer(FLOOR, limit=MAX_FLOOR),
            built_area=self.area(BUILT_AREA),
            inner_area=self.area(INNER_AREA),
            use=self.choice_of(USE, USE_LABELS),
            state=self.choice_of(STATE, STATE_LABELS),
            household_name=self.free_text(HOUSEHOLD_NAME, max_length=MAX_LENGTHS[HOUSEHOLD_NAME]),
            owner_name=self.free_text(OWNER_NAME, max_length=MAX_LENGTHS[OWNER_NAME]),
            owner_phone=self.phone(OWNER_PHONE, validate=validate_phone),
            # Notes are free text: kept exactly as typed (but a blank cell is no note).
            notes="" if self.blank(NOTES) else str(self.cells[NOTES]),
        )
        if room.built_area is not None and room.inner_area is not None and room.inner_area > room.built_area:
            self.problem("inner_larger", inner=str(room.inner_area), built=str(room.built_area))
        if not self.blank(OWNER_PHONE) and not room.owner_name:
            self.problem("needs_owner", column=HEADERS[OWNER_PHONE], owner=HEADERS[OWNER_NAME])
        return room


def read_rooms(content: bytes, *, max_bytes: int | None = None, max_rows: int | None = None) -> Sheet:
    """Read and check the rooms of an uploaded workbook. Never raises on a bad file: it says why."""
    result = Sheet()
    seen: dict[tuple[str, str, str], int] = {}
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
    return result


# Writing ------------------------------------------------------------------------------------------


def template_workbook() -> bytes:
    """An empty import file: the headers, one example row, and a sheet explaining each column."""
    return excel_template(
        title="房屋住户",
        headers=HEADERS,
        required=REQUIRED_COLUMNS,
        example=["1栋", "1单元", "101", 1, 89.5, 72.3, "住宅", "自住", "王小明", "王小明", "13912345678", ""],
        widths=(8, 8, 8, 6, 13, 13, 8, 8, 12, 10, 14, 20),
        notes=COLUMN_NOTES,
        rules=TEMPLATE_RULES,
        notes_width=16,
    )


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
