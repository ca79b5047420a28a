"""Writing Excel workbooks: the one writer every export and template uses, so that no text is a formula.

openpyxl stores a string that starts with ``=`` as a formula, and a spreadsheet program evaluates a
cell typed in starting with ``=``, ``+``, ``-`` or ``@`` (and, after a tab or carriage return, what
follows): a household named ``=HYPERLINK(...)`` or ``-2+3`` would run as a formula on the office's
computer (OWASP, "CSV injection"). Every text value is therefore written here as a text cell, and a
text that starts with one of those characters also gets Excel's "quote prefix" style, so it stays
text when someone edits the cell. The value itself is never changed (no added apostrophe): our own
importers read back exactly what was exported.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from django.utils.functional import Promise
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell

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
