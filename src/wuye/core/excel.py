"""Writing Excel workbooks: the one writer every export and template uses, so that no text is a formula.

openpyxl stores a string that starts with ``=`` as a formula, and a spreadsheet program evaluates a
cell typed in starting with ``=``, ``+``, ``-`` or ``@`` (and, after a tab or carriage return, what
follows): a household named ``=HYPERLINK(...)`` or ``-2+3`` would run as a formula on the office's
computer (OWASP, "CSV injection"). Every text value is therefore written here as a text cell, and a
text that starts with one of those characters also gets Excel's "quote prefix" style, so it stays
text when someone edits the cell. The value itself is never changed (no added apostrophe): our own
importers read back exactly what was exported.

Reading: the one kit every Excel import uses. ``workbook_inspect`` refuses an uploaded workbook by
what its zip declares (parts, unpacked size, each sheet's range) before openpyxl opens it;
``sheet_rows`` opens it read-only, picks the visible sheet that carries the import's columns, finds
the header row under any title rows and yields each data row's cells; ``RowReader`` turns cells into
values, normalising what has one meaning (full-width digits, stray spaces, 101.0 for 101, "120.5㎡",
"+86 138-0013-8000") and collecting every problem of a row as a ``Problem`` (row, column, reason).
``template_workbook`` writes an import's template with its instruction sheet (填写说明).
"""

from __future__ import annotations

import datetime
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import openpyxl
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font
from openpyxl.utils import column_index_from_string, get_column_letter

# What a spreadsheet program may read as the start of a formula (OWASP's list).
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def cell_value(sheet, value):
    """``value`` as it is written: text as a text cell (never a formula), anything else unchanged."""
    if isinstance(value, Promise):
        value = str(value)
    if not isinstance(value, str):
        return value
    # Control characters cannot be stored in a workbook; openpyxl refuses the whole file for one.
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if not value.startswith(FORMULA_LEADS):
        return value
    cell = Cell(sheet, row=1, column=1, value=value)  # append() gives it its place
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def sheet_append(sheet, values: Iterable) -> None:
    """Append one row to ``sheet`` (normal or write-only), every text written as text."""
    row = [cell_value(sheet, value) for value in values]
    if any(isinstance(value, Cell) for value in row):
        # A write-only sheet writes the values after a Cell through that same Cell object, which
        # would give them its style: in such a row every value is a Cell of its own.
        row = [
            value if isinstance(value, Cell) else Cell(sheet, row=1, column=1, value=value) for value in row
        ]
    sheet.append(row)


def workbook_bytes(workbook) -> bytes:
    """The .xlsx file of ``workbook``."""
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# Reading -------------------------------------------------------------------------------------------

# A workbook is a zip of XML parts; each worksheet part says its used range in <dimension ref="A1:L20">.
# Every XML part is looked at, not only xl/worksheets/: the workbook's relations may put a sheet anywhere.
_XML_PART = re.compile(r"\.xml$", re.IGNORECASE)
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([A-Z]{1,3})(\d{1,7})(?::([A-Z]{1,3})(\d{1,7}))?\"")
# The <dimension> comes before the rows; only this much of a sheet is unpacked to find it.
_HEAD_BYTES = 16 * 1024
# Excel writes about a dozen parts, more with many sheets; thousands are no workbook anyone typed.
MAX_PARTS = 1000


@dataclass(frozen=True)
class WorkbookProblem:
    """Why an uploaded workbook is refused before it is opened: a code and its parameters."""

    code: str  # "file_type", "workbook_too_large" or "sheet_too_large"
    params: dict[str, Any] = field(default_factory=dict)


def _declared_cells(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> tuple[int, str]:
    """The number of cells a worksheet part declares, and its range (0 and "" without a <dimension>)."""
    with archive.open(entry) as part:
        head = part.read(_HEAD_BYTES)
    found = _DIMENSION.search(head)
    if found is None:
        return 0, ""
    first_column, first_row, last_column, last_row = found.groups()
    last_column, last_row = last_column or first_column, last_row or first_row
    columns = abs(
        column_index_from_string(last_column.decode()) - column_index_from_string(first_column.decode())
    )
    rows = abs(int(last_row) - int(first_row))
    return (rows + 1) * (columns + 1), found.group(0).split(b'"')[1].decode()


def workbook_inspect(content: bytes, *, max_unpacked_bytes: int, max_cells: int) -> WorkbookProblem | None:
    """Refuse a workbook by what its zip declares, before openpyxl unpacks anything into memory.

    A small file can unpack to a huge one (a zip bomb: a sheet of millions of repeated cells, a
    shared-strings part of megabytes of one letter) and openpyxl reads some parts whole. So, from the
    zip's directory and the first bytes of each sheet: at most ``MAX_PARTS`` parts, at most
    ``max_unpacked_bytes`` unpacked in all (a zip entry never unpacks to more than it declares:
    Python's zipfile stops there and fails the checksum), and no sheet declaring more than
    ``max_cells`` cells. Every Excel import calls this first; None means the file may be opened.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            entries = archive.infolist()
            unpacked = sum(entry.file_size for entry in entries)
            if len(entries) > MAX_PARTS or unpacked > max_unpacked_bytes:
                return WorkbookProblem("workbook_too_large", {"limit": max_unpacked_bytes})
            for entry in entries:
                if not _XML_PART.search(entry.filename):
                    continue
                cells, declared = _declared_cells(archive, entry)
                if cells > max_cells:
                    return WorkbookProblem(
                        "sheet_too_large", {"range": declared, "cells": cells, "max": max_cells}
                    )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError, ValueError):
        # Not a zip, a damaged one, an encrypted part, an unknown compression: not a workbook we read.
        return WorkbookProblem("file_type")
    return None


# The import kit ------------------------------------------------------------------------------------

# Title rows ("2024 年 1 栋房屋信息表") may stand above the column headers: this many non-blank rows
# are looked at for the header row.
HEADER_SCAN_ROWS = 10

# Problems of a file. Each is stored as a code and its parameters and worded in the reader's language
# when shown, so a report written in Chinese reads in English after a language switch. An import adds
# its own codes with ``register_messages``.
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
    "header_missing_columns": _("The row of column headers lacks the required columns: %(columns)s."),
    "header_duplicate_column": _("Column %(column)s appears more than once in the row of column headers."),
    "ambiguous_sheets": _(
        "The visible sheets %(sheets)s all carry the columns to import; keep only one of them, or hide the others."
    ),
    "repeated_header": _(
        "This row repeats the column headers of row %(first)s; delete it, or split the file into several."
    ),
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
    "bad_choice": _("%(column)s “%(value)s” is not one of: %(choices)s."),
    "bad_phone": _(
        "%(column)s “%(value)s” is not a phone number (11-digit mobile, or landline like 010-12345678)."
    ),
    "not_date": _("%(column)s must be a date like 2024-05-01, not “%(value)s”."),
}
_MESSAGES: dict[str, Any] = dict(MESSAGES)

# Problems that refuse a file for its size, packed or unpacked: such a file is not kept.
TOO_LARGE = frozenset({"file_too_large", "workbook_too_large", "sheet_too_large"})


def register_messages(messages: Mapping[str, Any]) -> None:
    """Add an import's own problem codes; a code means one thing in every import."""
    for code, message in messages.items():
        if _MESSAGES.setdefault(code, message) != message:
            raise ValueError(f"Excel problem code {code!r} is registered twice")


class _Params(dict):
    def __missing__(self, key):  # a report stored before a message gained a parameter
        return "—"


def problem_message(code: str, params: Mapping[str, Any]) -> str:
    """The problem ``code`` in words, in the current language (the code itself if unknown)."""
    template = _MESSAGES.get(code)
    if template is None:
        return code
    params = _Params(params)
    if code in {"file_too_large", "workbook_too_large"}:
        params["limit"] = filesizeformat(params.get("limit", 0))
    return str(template) % params


@dataclass(frozen=True)
class Problem:
    """One problem of a file: the Excel row as the sheet numbers it (None for the whole file), the
    code and its parameters (a cell's problem names its column header), or a message already worded."""

    row: int | None
    code: str
    params: dict[str, Any] = field(default_factory=dict)
    text: str = ""  # a message already in words (from a domain's checks)
    sheet: str = ""  # the sheet's title, for an import that reads several sheets of one workbook

    @property
    def column(self) -> str:
        return str(self.params.get("column", ""))

    @property
    def message(self) -> str:
        return self.text or problem_message(self.code, self.params)

    def as_json(self) -> dict[str, Any]:
        data = {"row": self.row, "code": self.code, "params": self.params}
        if self.sheet:
            data["sheet"] = self.sheet
        return data


# Cells ---------------------------------------------------------------------------------------------


def cell_text(value: Any) -> str:
    """A cell as text, as typed but for the spaces around it. Excel stores a number typed into a text
    column (房号 101) as 101.0: it reads "101"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def clean_text(value: Any) -> str:
    """A cell that has one meaning (a room number, a number, a month) in its one spelling: full-width
    digits, letters and spaces as ASCII (NFKC, as ``wuye.estate`` reads room labels), no spaces around
    it, runs of spaces as one."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", cell_text(value))).strip()


def header_key(text: Any) -> str:
    """'建筑面积（㎡）', '建筑面积(m2)' and ' 建筑面积 ' are all the column 建筑面积."""
    text = re.sub(r"\s+", "", clean_text(text))
    return re.sub(r"\(.*?\)$", "", text)


def choice_key(text: str) -> str:
    """How a label is compared: 'Self occupied', 'self-occupied' and 'SELF_OCCUPIED' are one."""
    return re.sub(r"[\s_-]+", "", clean_text(text)).lower()


# Unit signs written after an area (㎡ and m² are m2 after NFKC).
AREA_UNITS = re.compile(r"\s*(?:m2|平方米|平米|平方|平)$", re.IGNORECASE)
_PHONE_SEPARATORS = re.compile(r"[\s.()\-]")
_MOBILE = re.compile(r"1[3-9]\d{9}")


def phone_text(value: Any) -> str:
    """A phone cell: a mobile written with dashes, spaces, dots, parentheses or a +86 / 0086 / 86 prefix
    as its 11 digits; anything else (a landline like 010-12345678, or no phone) without spaces, for
    the import's validator to judge."""
    text = clean_text(value)
    digits = _PHONE_SEPARATORS.sub("", text)
    for prefix in ("+86", "0086", "86", ""):
        if digits.startswith(prefix) and _MOBILE.fullmatch(digits[len(prefix) :]):
            return digits[len(prefix) :]
    return re.sub(r"\s", "", text)


# Dates as offices type them: 2024-05-01, 2024/5/1, 2024.5.1, 2024年5月1日 (full-width digits are ASCII
# after ``clean_text``); a date cell reads as itself.
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+0{1,2}:00(?::00)?)?")


def date_value(value: Any) -> datetime.date | None:
    """A cell as a date, or None if it is not one (a blank cell is not one either)."""
    if isinstance(value, datetime.datetime):
        return value.date() if value.time() == datetime.time() else None
    if isinstance(value, datetime.date):
        return value
    found = _DATE.fullmatch(clean_text(value))
    if found is None:
        return None
    try:
        return datetime.date(*(int(part) for part in found.groups()))
    except ValueError:  # 2024-02-30
        return None


def two_decimals(
    value: Any, *, column: str, below: Decimal, problem, units: re.Pattern | None = None
) -> Decimal | None:
    """A non-empty cell as a non-negative number with at most two decimals, below ``below``.

    Excel stores 89.5 as a binary float; two decimals is all an area or a meter shows. A number
    stored as text reads too (" １２０.５ ", "1,200"), and a unit sign after it if ``units`` says which.
    A bad cell is reported through ``problem(code, column=…, value=…)`` and gives None.
    """
    text = clean_text(value)
    if isinstance(value, bool):
        problem("not_number", column=column, value=text)
        return None
    if isinstance(value, float):
        rounded = round(value, 2)
        number = Decimal(repr(rounded)) if abs(value - rounded) < 1e-9 else Decimal(repr(value))
    else:
        plain = units.sub("", text) if units is not None else text
        try:
            number = Decimal(plain.replace(",", "").replace(" ", ""))
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


class RowReader:
    """Turns one row's cells into values, collecting every problem of the row (not just the first).

    ``cells`` maps column keys to the raw cell values, ``headers`` the keys to their header texts
    (which name the column in a problem). An import subclasses it and adds its ``read()``.
    """

    def __init__(self, row: int, cells: Mapping[str, Any], headers: Mapping[str, str]):
        self.row = row
        self.cells = cells
        self.headers = headers
        self.problems: list[Problem] = []

    def problem(self, code: str, **params) -> None:
        self.problems.append(Problem(self.row, code, params))

    def blank(self, key: str) -> bool:
        return cell_text(self.cells.get(key)) == ""

    def _checked(self, key: str, value: str, required: bool, max_length: int | None) -> str:
        if not value and required:
            self.problem("missing_value", column=self.headers[key])
        elif max_length is not None and len(value) > max_length:
            self.problem("too_long", column=self.headers[key], max=max_length)
        return value

    def text(self, key: str, *, required: bool = False, max_length: int | None = None) -> str:
        """A cell with one meaning (a room number, a meter number): see ``clean_text``."""
        return self._checked(key, clean_text(self.cells.get(key)), required, max_length)

    def free_text(self, key: str, *, required: bool = False, max_length: int | None = None) -> str:
        """A name: as typed but for the spaces around it (an exported name imports unchanged)."""
        return self._checked(key, cell_text(self.cells.get(key)), required, max_length)

    def integer(self, key: str, *, limit: int) -> int | None:
        value = self.cells.get(key)
        if self.blank(key):
            return None
        text = clean_text(value)
        if isinstance(value, bool):
            self.problem("not_integer", column=self.headers[key], value=str(value))
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) and re.fullmatch(r"[+-]?\d+", text):
            value = int(text)
        if not isinstance(value, int):
            self.problem("not_integer", column=self.headers[key], value=text)
            return None
        if abs(value) > limit:
            self.problem("too_large", column=self.headers[key], value=text)
            return None
        return value

    def decimal(
        self, key: str, *, below: Decimal, required: bool = False, units: re.Pattern | None = None
    ) -> Decimal | None:
        if self.blank(key):
            if required:
                self.problem("missing_value", column=self.headers[key])
            return None
        return two_decimals(
            self.cells.get(key), column=self.headers[key], below=below, problem=self.problem, units=units
        )

    def date(self, key: str, *, required: bool = False) -> datetime.date | None:
        """A date cell, or a date typed as text (see ``date_value``)."""
        if self.blank(key):
            if required:
                self.problem("missing_value", column=self.headers[key])
            return None
        value = date_value(self.cells.get(key))
        if value is None:
            self.problem("not_date", column=self.headers[key], value=clean_text(self.cells.get(key)))
        return value

    def choice(self, key: str, lookup: Mapping[str, str], *, choices: str) -> str | None:
        """The value a label stands for (``lookup`` maps labels and their ``choice_key`` to values)."""
        text = clean_text(self.cells.get(key))
        if not text:
            return None
        value = lookup.get(text) or lookup.get(choice_key(text))
        if value is None:
            self.problem("bad_choice", column=self.headers[key], value=text, choices=choices)
        return value

    def phone(self, key: str, *, validate: Callable[[str], None]) -> str:
        """A phone number (see ``phone_text``), "" and a problem if ``validate`` refuses it."""
        text = phone_text(self.cells.get(key))
        if not text:
            return ""
        try:
            validate(text)
        except ValidationError:
            self.problem("bad_phone", column=self.headers[key], value=text)
            return ""
        return text


# Sheets --------------------------------------------------------------------------------------------


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


def _open_workbook(content: bytes, problems: list[Problem], *, max_unpacked_bytes: int, max_cells: int):
    """The workbook, read-only, or None with the reason in ``problems``. The type is decided by content."""
    if not content:
        problems.append(Problem(None, "file_empty"))
        return None
    # An .xlsx is a zip archive; an old .xls, a CSV or a renamed picture is not. Never trust the name.
    if not zipfile.is_zipfile(io.BytesIO(content)):
        problems.append(Problem(None, "file_type"))
        return None
    # Refused by what the zip declares before openpyxl unpacks anything (a zip bomb stays packed).
    refused = workbook_inspect(content, max_unpacked_bytes=max_unpacked_bytes, max_cells=max_cells)
    if refused is not None:
        problems.append(Problem(None, refused.code, refused.params))
        return None
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # a zip that is not a workbook fails in many ways inside openpyxl
        problems.append(Problem(None, "file_type"))
        return None
    for sheet in workbook.worksheets:
        # Some programs write a wrong <dimension>; read-only mode would then cut rows short.
        sheet.reset_dimensions()
    return workbook


def _blank(values) -> bool:
    return not any(cell_text(value) for value in values)


def _first_rows(sheet) -> list[tuple[int, tuple]]:
    """The first ``HEADER_SCAN_ROWS`` non-blank rows of a sheet, with their row numbers."""
    rows = []
    for number, values in enumerate(_stream(sheet.iter_rows(values_only=True)), start=1):
        if not _blank(values):
            rows.append((number, values))
            if len(rows) == HEADER_SCAN_ROWS:
                break
    return rows


@dataclass
class _Table:
    sheet: Any
    header_row: int
    columns: dict[str, int]


def _find_table(workbook, headers: Mapping[str, str], required: Iterable[str], problems: list[Problem]):
    """The visible sheet that carries the required columns and its header row, or None with the reason.

    A hidden sheet (a copy someone kept, a lookup list) is never read. Two visible sheets carrying the
    columns are refused: which one to import is not for us to guess. When no sheet carries them, the
    first visible sheet's best row says which columns it lacks.
    """
    keys = {header_key(header): key for key, header in headers.items()}
    required = tuple(required)
    found: list[tuple[Any, int, tuple, bool]] = []
    first_visible = None
    for sheet in workbook.worksheets:
        if sheet.sheet_state != "visible":
            continue
        rows = _first_rows(sheet)
        if first_visible is None:
            first_visible = (sheet, rows)
        for index, (number, values) in enumerate(rows):
            known = {keys.get(header_key(value)) for value in values}
            if all(key in known for key in required):
                found.append((sheet, number, values, index == 0))
                break
    if len(found) > 1:
        names = "、".join(f"“{sheet.title}”" for sheet, *_ in found)
        problems.append(Problem(None, "ambiguous_sheets", {"sheets": names}))
        return None
    if found:
        sheet, number, values, first = found[0]
    else:
        if first_visible is None or not first_visible[1]:
            problems.append(Problem(None, "sheet_empty"))
            return None
        sheet, rows = first_visible
        # The row naming the most of the columns (the first such) is the header that lacks some.
        best = max(rows, key=lambda row: (len({keys.get(header_key(v)) for v in row[1]} - {None}), -row[0]))
        if not {keys.get(header_key(v)) for v in best[1]} - {None}:
            best = rows[0]
        number, values = best
        first = best is rows[0]
    columns: dict[str, int] = {}
    refused = not found
    for index, value in enumerate(values):
        key = keys.get(header_key(value))
        if key is None:
            continue  # extra columns (a staff member's own notes) are ignored
        if key in columns:
            code = "duplicate_column" if first else "header_duplicate_column"
            problems.append(Problem(number, code, {"column": headers[key]}))
            refused = True
            continue
        columns[key] = index
    missing = [headers[key] for key in required if key not in columns]
    if missing:
        code = "missing_columns" if first else "header_missing_columns"
        problems.append(Problem(number, code, {"columns": "、".join(missing)}))
    if refused:
        return None
    return _Table(sheet, number, columns)


_NOT_FOUND = frozenset({"missing_columns", "header_missing_columns", "sheet_empty"})


def sheet_rows(
    content: bytes,
    *,
    headers: Mapping[str, str],
    required: Iterable[str],
    problems: list[Problem],
    max_bytes: int,
    max_rows: int,
    max_unpacked_bytes: int,
    max_cells: int,
    optional: bool = False,
    on_sheet: Callable[[str], None] | None = None,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """The data rows of an uploaded workbook: (row number as the sheet shows it, {column key: cell}).

    Never raises on a bad file: what is wrong with the file lands in ``problems`` (a whole-file problem
    with row None) and no more rows come. Blank rows, and rows with something only in columns the
    import does not read, are skipped; a row repeating the header is a problem, not data.

    An import that reads several sheets of one workbook calls this once per sheet, each with its own
    columns: an ``optional`` sheet that no visible sheet carries, or that has no rows, is no problem.
    ``on_sheet`` is told the title of the sheet found (problems of several sheets name theirs).
    """
    if len(content) > max_bytes:
        problems.append(Problem(None, "file_too_large", {"limit": max_bytes}))
        return
    workbook = _open_workbook(content, problems, max_unpacked_bytes=max_unpacked_bytes, max_cells=max_cells)
    if workbook is None:
        return
    try:
        if optional:
            found: list[Problem] = []
            table = _find_table(workbook, headers, required, found)
            # No sheet carries the columns (the first visible one is said to lack them): nothing to read.
            # Two sheets carrying them, or one carrying a column twice, is still refused.
            if not any(p.code in _NOT_FOUND for p in found):
                problems.extend(found)
        else:
            table = _find_table(workbook, headers, required, problems)
        if table is None:
            return
        if on_sheet is not None:
            on_sheet(table.sheet.title)
        columns = table.columns
        header = {key: header_key(headers[key]) for key in required}
        data_rows = 0
        for number, values in enumerate(_stream(table.sheet.iter_rows(values_only=True)), start=1):
            if number <= table.header_row:
                continue
            cells = {key: values[index] if index < len(values) else None for key, index in columns.items()}
            if _blank(cells.values()):
                continue
            if all(header_key(cells[key]) == text for key, text in header.items()):
                problems.append(Problem(number, "repeated_header", {"first": table.header_row}))
                continue
            if data_rows >= max_rows:
                problems.append(Problem(number, "too_many_rows", {"max": max_rows}))
                return
            data_rows += 1
            yield number, cells
        if not data_rows and not optional:
            problems.append(Problem(table.header_row + 1, "no_rows"))
    except _DamagedFileError:
        problems.append(Problem(None, "file_type"))
    finally:
        workbook.close()


# Templates -----------------------------------------------------------------------------------------


def template_workbook(
    *,
    title: str,
    headers: Mapping[str, str],
    required: Iterable[str],
    example: Iterable,
    widths: Iterable[int],
    notes: Mapping[str, str],
    rules: Iterable[str],
    notes_width: int,
    text_columns: Iterable[str] = (),
) -> bytes:
    """An import's empty file: the headers, one example row, and a sheet (填写说明) explaining each column.

    The headers, notes and rules are the file format, literal Chinese, never translated.
    ``text_columns`` are the keys of columns formatted as text (Excel must not turn 2024-05 into a date).
    """
    required = set(required)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet_append(sheet, headers.values())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet_append(sheet, example)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    for key in text_columns:
        for cell in sheet[get_column_letter(list(headers).index(key) + 1)]:
            cell.number_format = "@"
    sheet.freeze_panes = "A2"
    help_sheet = workbook.create_sheet("填写说明")
    sheet_append(help_sheet, ["列", "说明"])
    for cell in help_sheet[1]:
        cell.font = Font(bold=True)
    for key, header in headers.items():
        sheet_append(help_sheet, [header + (" *" if key in required else ""), notes[key]])
    sheet_append(help_sheet, [])
    for rule in rules:
        sheet_append(help_sheet, ["", rule])
    help_sheet.column_dimensions["A"].width = notes_width
    help_sheet.column_dimensions["B"].width = 80
    return workbook_bytes(workbook)
