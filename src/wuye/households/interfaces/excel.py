"""The Excel file format of rooms and households: reading, checking and writing ``.xlsx`` workbooks.

One workbook, one sheet per kind of thing, so that a household carries as many people, vehicles,
emergency contacts and fee items as it has, and an office fills it in by hand:

- 房屋住户: one row per room (building, unit, number, areas, use, state) with its household (户名,
  the first owner's name and phone, notes, tags). Rows with the same 户名, owner and phone are one
  household (a flat and its parking space).
- 人员, 车辆, 紧急联系人: one row per person, vehicle or contact, naming the household by any of its
  rooms in the 房屋 column (1栋-1单元-101, or a short form like 1-1-101).
- 收费项目: one row per fee item assigned to a room, with its start (and end) date.

Only the 房屋住户 sheet's columns are looked for by name on every visible sheet; every other sheet is
optional. The column headers, sheet titles and the 用途/状态/身份 labels are the file format, so they
are literal Chinese constants, never translated: a file exported by a console in English must import
in a console in Chinese and back. Everything said *about* a file (the problems) is translated.

The file is read by the Excel kit (``wuye.core.excel``): which sheet, which row holds the headers, how
cells are normalised and how problems are worded. Reading only parses and checks what a file can tell by itself (types, required cells, duplicates);
whether a building exists or a room is new is decided by ``wuye.households.domain.imports``.
"""

from __future__ import annotations

import datetime
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cache

import openpyxl
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from wuye.core.excel import (
    AREA_UNITS,
    Problem,
    RowReader,
    choice_key,
    clean_text,
    register_messages,
    sheet_append,
    sheet_rows,
    workbook_bytes,
)
from wuye.core.excel import problem_message as problem_message  # reports of this import are worded by it
from wuye.core.excel import template_workbook as excel_template
from wuye.estate.domain.queries import room_label_parts
from wuye.estate.enums import RoomState, RoomUse
from wuye.estate.models import room_label
from wuye.households.enums import PersonKind
from wuye.households.validators import normalise_plate, validate_id_number, validate_phone, validate_plate

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
TAGS = "tags"

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
    TAGS: "标签",
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
MAX_TAG_LENGTH = 30
# Tags in one cell are separated by any of these.
TAG_SEPARATORS = re.compile(r"[、,，;；\n]+")

# What the second sheet of the template says about each column. The template is a file for Chinese
# property offices, like the headers, so this text is part of the file format and stays Chinese.
COLUMN_NOTES: dict[str, str] = {
    BUILDING: "必填。楼栋名称，如“1栋”；“1”“1号楼”“1栋”视为同一楼栋。系统中没有的楼栋会新建，预览中逐一列出。",
    UNIT: "必填。单元名称，如“1单元”；“1”与“1单元”视为同一单元。系统中没有的单元会新建，预览中逐一列出。",
    NUMBER: "必填。房号，如“1203”；全角数字按半角读。楼栋+单元+房号在文件中不得重复。",
    FLOOR: "新房屋必填，整数；地下层用负数。已有房屋留空则不修改。",
    BUILT_AREA: "新房屋必填，数字，最多两位小数，不得为负。",
    INNER_AREA: "数字，最多两位小数，不得大于建筑面积；新房屋留空按 0 计。",
    USE: "住宅 / 商铺 / 车位 / 储藏室；新房屋留空为住宅。",
    STATE: "空置 / 自住 / 出租 / 装修；新房屋留空为空置。",
    HOUSEHOLD_NAME: "住户档案名称；留空时用业主姓名。",
    OWNER_NAME: "房屋尚无住户时，填写业主姓名即新建住户档案并绑定房屋；已有住户时更新其业主。",
    OWNER_PHONE: "11 位手机号或固定电话（如 010-12345678）；须同时填写业主姓名。",
    NOTES: "住户档案备注。",
    TAGS: "住户标签，多个用顿号“、”或逗号分隔，如“党员、独居老人”；系统中没有的标签会新建（预览中列出）；规则标签（如欠费、空置）由系统计算，不能导入。导入只添加标签，不删除原有标签。",
}
TEMPLATE_RULES = (
    "“房屋住户”表每行一套房屋；各表第一行为表头，请勿修改表头文字（表头上方可以有标题行）。",
    "户名、业主姓名、业主电话都相同的多行属于同一住户（如一户同时拥有住宅和车位）。",
    "“人员”“车辆”“紧急联系人”表每行一人、一辆车或一位联系人，用“房屋”列（如“1栋-1单元-101”或“1-1-101”）指明住户：填该住户的任一房屋。一户可以有多行。",
    "“收费项目”表每行为一套房屋的一个收费项目，收费项目须已在系统中建好。",
    "不需要的表可以删除；只填“人员”等表时，“房屋住户”表可以没有。",
    "已有房屋、人员、车辆、联系人只修改与文件不同的内容；留空的单元格不修改原有内容；导入从不删除任何数据。",
    "同一住户中的人员按姓名对应，紧急联系人按联系人姓名对应，车辆按车牌对应。",
    "楼栋、单元、房号按规范写法比对（全角数字、“1”与“1单元”、“1栋”与“1号楼”视为相同）；要新建的楼栋、单元、房屋和标签在预览中全部列出，确认导入时只新建这些。",
    "导入前先预览：所有问题都列出表名、行号、列和原因，有任何问题时不会写入任何数据。",
    "导出的文件原样再导入不会产生任何修改。",
)

# The other sheets: titles, column keys and headers (the file format, never translated).
ROOMS_SHEET = "房屋住户"
PEOPLE_SHEET = "人员"
VEHICLES_SHEET = "车辆"
CONTACTS_SHEET = "紧急联系人"
FEES_SHEET = "收费项目"

ROOM = "room"
NAME = "name"
KIND = "kind"
RELATION = "relation"
PHONE = "phone"
ID_NUMBER = "id_number"
MOVED_IN = "moved_in_on"
MOVED_OUT = "moved_out_on"
PLATE = "plate"
MODEL = "model"
FEE_ITEM = "fee_item"
STARTS_ON = "starts_on"
ENDS_ON = "ends_on"

PEOPLE_HEADERS: dict[str, str] = {
    ROOM: "房屋",
    NAME: "姓名",
    KIND: "身份",
    RELATION: "与业主关系",
    PHONE: "电话",
    ID_NUMBER: "身份证号",
    MOVED_IN: "入住日期",
    MOVED_OUT: "迁出日期",
}
PEOPLE_REQUIRED = (ROOM, NAME, KIND)
VEHICLE_HEADERS: dict[str, str] = {ROOM: "房屋", PLATE: "车牌", MODEL: "车型"}
VEHICLE_REQUIRED = (ROOM, PLATE)
CONTACT_HEADERS: dict[str, str] = {ROOM: "房屋", NAME: "联系人", PHONE: "联系电话", RELATION: "关系"}
CONTACT_REQUIRED = (ROOM, NAME, PHONE)
FEE_HEADERS: dict[str, str] = {ROOM: "房屋", FEE_ITEM: "收费项目", STARTS_ON: "开始日期", ENDS_ON: "结束日期"}
FEE_REQUIRED = (ROOM, FEE_ITEM, STARTS_ON)
# The columns a sheet is recognised by (its other required cells are checked row by row, so that a sheet
# lacking one of those columns says so on its rows instead of being taken for no sheet at all).
PEOPLE_FOUND_BY = (ROOM, NAME)
VEHICLE_FOUND_BY = (ROOM, PLATE)
CONTACT_FOUND_BY = (ROOM, NAME)
FEE_FOUND_BY = (ROOM, FEE_ITEM)

KIND_LABELS: dict[str, str] = {
    PersonKind.OWNER: "业主",
    PersonKind.FAMILY: "家庭成员",
    PersonKind.TENANT: "租户",
}
ROOM_NOTE = "必填。住户的任一房屋，如“1栋-1单元-101”，也可写“1-1-101”“1栋1单元101”。"
PEOPLE_NOTES: dict[str, str] = {
    ROOM: ROOM_NOTE,
    NAME: "必填。同一住户中按姓名对应已有人员；同一住户不得有两行同名。",
    KIND: "必填。业主 / 家庭成员 / 租户。“房屋住户”表中的业主姓名即此表中身份为业主的同名人员。",
    RELATION: "如“配偶”“儿子”。",
    PHONE: "11 位手机号或固定电话；可带空格、短横线或 +86。",
    ID_NUMBER: "18 位居民身份证号，校验位须正确；请把此列设为文本格式，以免 Excel 截断数字。加密保存，导出时仅有房屋管理权限者可见全号，其他人导出为掩码，掩码原样导入不作修改。",
    MOVED_IN: "日期，如 2024-05-01。",
    MOVED_OUT: "日期，不得早于入住日期。",
}
VEHICLE_NOTES: dict[str, str] = {
    ROOM: ROOM_NOTE,
    PLATE: "必填。车牌号，如“粤B12345”；空格和“·”会被去掉。一个车牌只能属于一户。",
    MODEL: "车型或颜色，如“白色大众”。",
}
CONTACT_NOTES: dict[str, str] = {
    ROOM: ROOM_NOTE,
    NAME: "必填。同一住户中按姓名对应已有联系人。",
    PHONE: "必填。11 位手机号或固定电话。",
    RELATION: "如“女儿”。",
}
FEE_NOTES: dict[str, str] = {
    ROOM: "必填。房屋，如“1栋-1单元-101”。",
    FEE_ITEM: "必填。收费项目名称，须与系统中的收费项目一致且已启用。",
    STARTS_ON: "必填。开始计费日期，如 2024-01-01。同一房屋、同一项目、同一开始日期视为同一条。",
    ENDS_ON: "留空表示一直收取。",
}


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
        "bad_room_label": _(
            "%(column)s “%(value)s” is not a room: write it like 1栋-1单元-101 (or 1-1-101)."
        ),
        "bad_id_number": _(
            "%(column)s “%(value)s” is not an ID number: 18 characters, 17 digits and a digit or X, with a correct check character."
        ),
        "bad_plate": _("%(column)s “%(value)s” is not a licence plate like 京A12345."),
        "moved_out_before_in": _("%(column)s (%(out)s) is before the move-in date (%(in)s)."),
        "ends_before_start": _("%(column)s (%(ends)s) is before the start date (%(starts)s)."),
        "tag_too_long": _("%(column)s: the tag “%(value)s” is longer than %(max)s characters."),
        "label_variants": _(
            "%(column)s “%(value)s” and “%(other)s” (row %(first)s) are the same new %(what)s written two ways; write it one way."
        ),
        "ambiguous_label": _(
            "%(column)s “%(value)s” matches several existing ones (%(matches)s); write it exactly as one of them."
        ),
        "duplicate_person": _(
            "%(name)s appears twice for the household of %(room)s on this sheet (first on row %(first)s)."
        ),
        "duplicate_plate": _("Plate %(plate)s appears more than once (first on row %(first)s)."),
        "duplicate_fee": _(
            "Fee item %(item)s of room %(room)s starting %(starts)s appears more than once (first on row %(first)s)."
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
    tags: tuple[str, ...] = ()

    @property
    def room_label(self) -> str:
        """The row's room as rooms are named everywhere (1栋-1单元-101)."""
        return room_label(self.building, self.unit, self.number)

    @property
    def key(self) -> tuple[str, str, str]:
        """The room as written (full-width digits read as ASCII): a row repeating it is a duplicate.
        Written another way (1 for 1单元), it is matched with the estate by the import's plan."""
        return (self.building, self.unit, self.number)


@dataclass
class Sheet:
    rows: list[RoomRow] = field(default_factory=list)  # the rows without problems
    problems: list[Problem] = field(default_factory=list)
    rejected: list[RoomRow] = field(default_factory=list)  # rows with problems, for further checks
    data_rows: int = 0  # every data row read, with or without problems
    title: str = ""  # the sheet's title in the file ("" if the file has no such sheet)


def room_label_candidates(text: str) -> list[tuple[str, str, str]]:
    """The (building, unit, number) a room label may stand for: as ``room_label_parts`` reads it, and,
    when a name itself holds a dash (a building called A-1), every way to cut the label at its dashes
    into three (the import keeps the one that names a room)."""
    parts = room_label_parts(text)
    found = [parts] if parts else []
    pieces = text.split("-")
    for first in range(1, len(pieces) - 1) if len(pieces) > 3 else ():
        for second in range(first + 1, len(pieces)):
            cut = ("-".join(pieces[:first]), "-".join(pieces[first:second]), "-".join(pieces[second:]))
            if all(cut) and cut not in found:
                found.append(cut)
    return found


@dataclass
class ArchiveRow:
    """A row of the 人员, 车辆, 紧急联系人 or 收费项目 sheet: the room that names the household, and values."""

    row: int
    room: str  # as written
    parts: list[tuple[str, str, str]]  # what ``room`` may stand for (see ``room_label_candidates``)


@dataclass
class PersonRow(ArchiveRow):
    name: str = ""
    kind: str | None = None
    relation: str = ""
    phone: str = ""
    id_number: str = ""  # "" blank; a masked one (110***…123X) keeps the stored number
    moved_in_on: datetime.date | None = None
    moved_out_on: datetime.date | None = None

    @property
    def id_masked(self) -> bool:
        return "*" in self.id_number


@dataclass
class VehicleRow(ArchiveRow):
    plate: str = ""
    model: str = ""


@dataclass
class ContactRow(ArchiveRow):
    name: str = ""
    phone: str = ""
    relation: str = ""


@dataclass
class FeeRow(ArchiveRow):
    fee_item: str = ""
    starts_on: datetime.date | None = None
    ends_on: datetime.date | None = None


@dataclass
class Archive:
    """Every sheet of an uploaded workbook: the rooms, then the rows of the other sheets without problems."""

    rooms: Sheet
    people: list[PersonRow] = field(default_factory=list)
    vehicles: list[VehicleRow] = field(default_factory=list)
    contacts: list[ContactRow] = field(default_factory=list)
    fees: list[FeeRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # of the other sheets
    titles: dict[str, str] = field(default_factory=dict)  # {PEOPLE_SHEET: title in the file, …}
    data_rows: dict[str, int] = field(default_factory=dict)

    @property
    def all_problems(self) -> list[Problem]:
        return [*self.rooms.problems, *self.problems]


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
            (KIND, KIND_LABELS, PersonKind.choices),
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

    def tags(self, key: str) -> tuple[str, ...]:
        names: list[str] = []
        for name in TAG_SEPARATORS.split(clean_text(self.cells.get(key))):
            name = name.strip()
            if len(name) > MAX_TAG_LENGTH:
                self.problem("tag_too_long", column=self.headers[key], value=name, max=MAX_TAG_LENGTH)
            elif name and name not in names:
                names.append(name)
        return tuple(names)

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
            tags=self.tags(TAGS),
        )
        if room.built_area is not None and room.inner_area is not None and room.inner_area > room.built_area:
            self.problem("inner_larger", inner=str(room.inner_area), built=str(room.built_area))
        if not self.blank(OWNER_PHONE) and not room.owner_name:
            self.problem("needs_owner", column=HEADERS[OWNER_PHONE], owner=HEADERS[OWNER_NAME])
        return room


def _titled(problems: list[Problem], title: str) -> list[Problem]:
    """Problems of rows named with their sheet (a problem of the whole file names none)."""
    return [replace(p, sheet=title) if p.row is not None and title else p for p in problems]


def _rows(
    content: bytes, headers, required, problems, *, optional: bool, on_sheet, max_bytes=None, max_rows=None
):
    return sheet_rows(
        content,
        headers=headers,
        required=required,
        problems=problems,
        max_bytes=settings.IMPORT_MAX_BYTES if max_bytes is None else max_bytes,
        max_rows=MAX_ROWS if max_rows is None else max_rows,
        max_unpacked_bytes=settings.IMPORT_MAX_UNPACKED_BYTES,
        max_cells=settings.IMPORT_MAX_CELLS,
        optional=optional,
        on_sheet=on_sheet,
    )


def read_rooms(
    content: bytes, *, max_bytes: int | None = None, max_rows: int | None = None, optional: bool = False
) -> Sheet:
    """Read and check the rooms of an uploaded workbook. Never raises on a bad file: it says why."""
    result = Sheet()
    seen: dict[tuple[str, str, str], int] = {}

    def found(title: str) -> None:
        result.title = title

    rows = _rows(
        content,
        HEADERS,
        REQUIRED_COLUMNS,
        result.problems,
        optional=optional,
        on_sheet=found,
        max_bytes=max_bytes,
        max_rows=max_rows,
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
    result.problems = _titled(result.problems, result.title)
    return result


class _ArchiveRowReader(RowReader):
    def room(self) -> dict:
        text = self.text(ROOM, required=True)
        parts = room_label_candidates(text) if text else []
        if text and not parts:
            self.problem("bad_room_label", column=self.headers[ROOM], value=text)
        return {"row": self.row, "room": text, "parts": parts}

    def person(self) -> PersonRow:
        row = PersonRow(
            **self.room(),
            name=self.free_text(NAME, required=True, max_length=40),
            kind=self._kind(),
            relation=self.free_text(RELATION, max_length=20),
            phone=self.phone(PHONE, validate=validate_phone),
            id_number=self.id_number(ID_NUMBER),
            moved_in_on=self.date(MOVED_IN),
            moved_out_on=self.date(MOVED_OUT),
        )
        if row.moved_in_on and row.moved_out_on and row.moved_out_on < row.moved_in_on:
            self.problem(
                "moved_out_before_in",
                column=self.headers[MOVED_OUT],
                out=str(row.moved_out_on),
                **{"in": str(row.moved_in_on)},
            )
        return row

    def _kind(self) -> str | None:
        if self.blank(KIND):
            self.problem("missing_value", column=self.headers[KIND])
            return None
        return self.choice(KIND, _choice_lookups()[KIND], choices=" / ".join(KIND_LABELS.values()))

    def id_number(self, key: str) -> str:
        text = re.sub(r"\s", "", clean_text(self.cells.get(key))).upper()
        if not text or "*" in text:  # blank, or masked as exported without the right to see it
            return text
        try:
            validate_id_number(text)
        except ValidationError:
            self.problem("bad_id_number", column=self.headers[key], value=text)
            return ""
        return text

    def vehicle(self) -> VehicleRow:
        room = self.room()
        plate = normalise_plate(self.text(PLATE, required=True))
        try:
            validate_plate(plate)
        except ValidationError:
            self.problem("bad_plate", column=self.headers[PLATE], value=plate)
        if len(plate) > 12:
            plate = ""
        return VehicleRow(**room, plate=plate, model=self.free_text(MODEL, max_length=40))

    def contact(self) -> ContactRow:
        room = self.room()
        name = self.free_text(NAME, required=True, max_length=40)
        phone = self.phone(PHONE, validate=validate_phone)
        if not phone and not self.blank(PHONE):
            pass  # bad_phone already said
        elif not phone:
            self.problem("missing_value", column=self.headers[PHONE])
        return ContactRow(**room, name=name, phone=phone, relation=self.free_text(RELATION, max_length=20))

    def fee(self) -> FeeRow:
        row = FeeRow(
            **self.room(),
            fee_item=self.text(FEE_ITEM, required=True, max_length=40),
            starts_on=self.date(STARTS_ON, required=True),
            ends_on=self.date(ENDS_ON),
        )
        if row.starts_on and row.ends_on and row.ends_on < row.starts_on:
            self.problem(
                "ends_before_start",
                column=self.headers[ENDS_ON],
                ends=str(row.ends_on),
                starts=str(row.starts_on),
            )
        return row


# (sheet, headers, required columns, the reader's method, the Archive's list)
_ARCHIVE_SHEETS = (
    (PEOPLE_SHEET, PEOPLE_HEADERS, PEOPLE_FOUND_BY, "person", "people"),
    (VEHICLES_SHEET, VEHICLE_HEADERS, VEHICLE_FOUND_BY, "vehicle", "vehicles"),
    (CONTACTS_SHEET, CONTACT_HEADERS, CONTACT_FOUND_BY, "contact", "contacts"),
    (FEES_SHEET, FEE_HEADERS, FEE_FOUND_BY, "fee", "fees"),
)


def _visible_titles(content: bytes) -> set[str]:
    """The titles of the visible sheets of a workbook already opened once by ``read_rooms``."""
    workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    try:
        return {sheet.title for sheet in workbook.worksheets if sheet.sheet_state == "visible"}
    finally:
        workbook.close()


def read_archive(content: bytes) -> Archive:
    """Read and check every sheet of an uploaded workbook (see the module's docstring).

    The 房屋住户 sheet may be missing when another sheet is there (adding people to existing
    households); a file with none of the sheets says what the 房屋住户 sheet lacks.
    """
    archive = Archive(rooms=read_rooms(content, optional=True))
    if any(p.row is None and p.code != "ambiguous_sheets" for p in archive.rooms.problems):
        return archive  # not a workbook, too large: the other sheets are not looked at
    visible = _visible_titles(content)
    for title, headers, required, method, target in _ARCHIVE_SHEETS:
        found: list[str] = []
        problems: list[Problem] = []
        rows = _rows(content, headers, required, problems, optional=True, on_sheet=found.append)
        count = 0
        for number, cells in rows:
            count += 1
            reader = _ArchiveRowReader(number, cells, headers)
            value = getattr(reader, method)()
            problems.extend(reader.problems)
            if not reader.problems:
                getattr(archive, target).append(value)
        if found:
            archive.titles[title] = found[0]
            archive.data_rows[title] = count
        elif title in visible:
            # A sheet named as the template names it, without its columns: not silently left out.
            missing = "、".join(headers[key] for key in required)
            problems.append(Problem(1, "missing_columns", {"columns": missing}, sheet=title))
        archive.problems += _titled(problems, found[0] if found else "")
    if not archive.rooms.title and not archive.titles:
        archive.rooms = read_rooms(content)  # says which columns the file lacks
    elif not archive.rooms.data_rows and not any(archive.data_rows.values()) and not archive.all_problems:
        if archive.rooms.title:
            archive.rooms = read_rooms(content)  # says the sheet has no rows under its headers
        else:
            archive.problems.append(Problem(None, "no_rows"))
    return archive


# Writing ------------------------------------------------------------------------------------------


# The sheets after the first, in file order: (title, headers, required, notes, example row, widths, text columns)
_EXTRA_SHEETS = (
    (
        PEOPLE_SHEET,
        PEOPLE_HEADERS,
        PEOPLE_REQUIRED,
        PEOPLE_NOTES,
        ["1栋-1单元-101", "王小明", "业主", "", "13912345678", "110105199001011232", "2020-05-01", ""],
        (16, 10, 10, 12, 14, 21, 12, 12),
        (ID_NUMBER, MOVED_IN, MOVED_OUT),
    ),
    (
        VEHICLES_SHEET,
        VEHICLE_HEADERS,
        VEHICLE_REQUIRED,
        VEHICLE_NOTES,
        ["1栋-1单元-101", "粤B12345", "白色大众"],
        (16, 12, 16),
        (),
    ),
    (
        CONTACTS_SHEET,
        CONTACT_HEADERS,
        CONTACT_REQUIRED,
        CONTACT_NOTES,
        ["1栋-1单元-101", "王大明", "13800138000", "父亲"],
        (16, 10, 14, 10),
        (),
    ),
    # No example row: a fee item of the example would not exist in the office's system.
    (FEES_SHEET, FEE_HEADERS, FEE_REQUIRED, FEE_NOTES, None, (16, 16, 12, 12), (STARTS_ON, ENDS_ON)),
)


def _header_row(sheet, headers: dict[str, str]) -> None:
    sheet_append(sheet, headers.values())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"


def template_workbook() -> bytes:
    """An empty import file: every sheet with its headers and an example, and a sheet explaining them."""
    workbook = openpyxl.load_workbook(
        io.BytesIO(
            excel_template(
                title=ROOMS_SHEET,
                headers=HEADERS,
                required=REQUIRED_COLUMNS,
                example=[
                    "1栋",
                    "1单元",
                    "101",
                    1,
                    89.5,
                    72.3,
                    "住宅",
                    "自住",
                    "王小明",
                    "王小明",
                    "13912345678",
                    "",
                    "",
                ],
                widths=(8, 8, 8, 6, 13, 13, 8, 8, 12, 10, 14, 20, 16),
                notes=COLUMN_NOTES,
                rules=TEMPLATE_RULES,
                notes_width=16,
            )
        )
    )
    help_sheet = workbook["填写说明"]
    for title, headers, required, notes, example, widths, text_columns in _EXTRA_SHEETS:
        sheet = workbook.create_sheet(title, index=len(workbook.worksheets) - 1)
        _header_row(sheet, headers)
        if example:
            sheet_append(sheet, example)
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        for key in text_columns:
            letter = get_column_letter(list(headers).index(key) + 1)
            for number in range(
                1, 201
            ):  # Excel must not turn an ID number into a float, a date into a serial
                sheet[f"{letter}{number}"].number_format = "@"
        sheet_append(help_sheet, [])
        sheet_append(help_sheet, [f"“{title}”表", ""])
        help_sheet.cell(row=help_sheet.max_row, column=1).font = Font(bold=True)
        for key, header in headers.items():
            sheet_append(help_sheet, [header + (" *" if key in required else ""), notes[key]])
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
    tags: tuple[str, ...] = ()


def _date(value: datetime.date | None) -> str:
    return value.isoformat() if value else ""


def write_rooms(
    rows: Iterable[ExportRow],
    *,
    people: Iterable[PersonRow] = (),
    vehicles: Iterable[VehicleRow] = (),
    contacts: Iterable[ContactRow] = (),
    fees: Iterable[FeeRow] = (),
) -> bytes:
    """Write rooms and the rest of the archive in the import format, streaming (write-only), so that
    the file imports unchanged. Every sheet is written, with its headers, even when it has no rows.

    Text is written as text (``wuye.core.excel``): a name typed as ``=…`` or ``-…`` is no formula here,
    and it reads back as typed. Dates are written as text (2024-05-01), as the template asks.
    """
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(ROOMS_SHEET)
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
                "、".join(row.tags),
            ],
        )
    sheet = workbook.create_sheet(PEOPLE_SHEET)
    sheet_append(sheet, PEOPLE_HEADERS.values())
    for person in people:
        sheet_append(
            sheet,
            [
                person.room,
                person.name,
                KIND_LABELS.get(person.kind, person.kind),
                person.relation,
                person.phone,
                person.id_number,
                _date(person.moved_in_on),
                _date(person.moved_out_on),
            ],
        )
    sheet = workbook.create_sheet(VEHICLES_SHEET)
    sheet_append(sheet, VEHICLE_HEADERS.values())
    for vehicle in vehicles:
        sheet_append(sheet, [vehicle.room, vehicle.plate, vehicle.model])
    sheet = workbook.create_sheet(CONTACTS_SHEET)
    sheet_append(sheet, CONTACT_HEADERS.values())
    for contact in contacts:
        sheet_append(sheet, [contact.room, contact.name, contact.phone, contact.relation])
    sheet = workbook.create_sheet(FEES_SHEET)
    sheet_append(sheet, FEE_HEADERS.values())
    for fee in fees:
        sheet_append(sheet, [fee.room, fee.fee_item, _date(fee.starts_on), _date(fee.ends_on)])
    return workbook_bytes(workbook)
