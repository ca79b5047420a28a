"""Writing Excel workbooks: the one writer every export and template uses, so that no text is a formula.

openpyxl stores a string that starts with ``=`` as a formula, and a spreadsheet program evaluates a
cell typed in starting with ``=``, ``+``, ``-`` or ``@`` (and, after a tab or carriage return, what
follows): a household named ``=HYPERLINK(...)`` or ``-2+3`` would run as a formula on the office's
computer (OWASP, "CSV injection"). Every text value is therefore written here as a text cell, and a
text that starts with one of those characters also gets Excel's "quote prefix" style, so it stays
text when someone edits the cell. The value itself is never changed (no added apostrophe): our own
importers read back exactly what was exported.

Reading: ``workbook_inspect`` refuses an uploaded workbook by what its zip declares (parts, unpacked
size, each sheet's range) before openpyxl opens it; every Excel import calls it first.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.utils import column_index_from_string

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
