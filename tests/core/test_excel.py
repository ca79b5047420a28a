"""The one Excel writer (wuye.core.excel): text is written as text, never as a formula."""

import io
import re
import zipfile

import openpyxl
import pytest
from django.utils import translation
from django.utils.translation import gettext_lazy

from wuye.core.excel import (
    FORMULA_LEADS,
    MAX_PARTS,
    WorkbookProblem,
    sheet_append,
    workbook_bytes,
    workbook_inspect,
)

# OWASP's formula leads, each as a value an office worker or an owner could type into a name.
FORMULAS = [
    "=1+2",
    '=HYPERLINK("http://evil.example","点我")',
    "+86 139",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
]


def formula_cells(content: bytes) -> list[str]:
    """Every cell of every sheet that a spreadsheet program would evaluate."""
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    return [
        f"{sheet.title}!{cell.coordinate}"
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]


def unguarded_cells(content: bytes) -> list[str]:
    """Text cells that start like a formula but lack the quote prefix (Excel makes them formulas on edit)."""
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    return [
        f"{sheet.title}!{cell.coordinate}"
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and cell.value.startswith(FORMULA_LEADS) and not cell.quotePrefix
    ]


@pytest.mark.parametrize("write_only", [False, True], ids=["normal", "write-only"])
def test_text_that_starts_like_a_formula_is_written_as_text_and_reads_back_unchanged(write_only):
    workbook = openpyxl.Workbook(write_only=write_only)
    sheet = workbook.create_sheet("x") if write_only else workbook.active
    with translation.override("en"):
        sheet_append(sheet, [*FORMULAS, "plain", 3, None, gettext_lazy("Phone")])

    content = workbook_bytes(workbook)

    assert formula_cells(content) == []
    assert unguarded_cells(content) == []
    read = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0]
    # XML reads a carriage return as a line feed; nothing else changes.
    expected = [value.replace("\r", "\n") for value in FORMULAS]
    assert list(read.iter_rows(values_only=True)) == [(*expected, "plain", 3, None, "Phone")]


def test_plain_values_keep_their_type_and_style_after_a_formula_cell_in_a_write_only_row():
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("x")
    sheet_append(sheet, ["=x", 12, "plain"])
    cells = openpyxl.load_workbook(io.BytesIO(workbook_bytes(workbook))).worksheets[0][1]
    assert [(c.value, c.data_type, c.quotePrefix) for c in cells] == [
        ("=x", "s", True),
        (12, "n", False),
        ("plain", "s", False),
    ]


def test_control_characters_are_dropped_instead_of_failing_the_export():
    workbook = openpyxl.Workbook()
    sheet_append(workbook.active, ["王\x01家", "\x07=1+1"])
    cells = openpyxl.load_workbook(io.BytesIO(workbook_bytes(workbook))).worksheets[0][1]
    assert [(c.value, c.data_type) for c in cells] == [("王家", "s"), ("=1+1", "s")]


# Reading: a workbook is refused by what its zip declares, before it is opened -----------------------

SHEET = "xl/worksheets/sheet1.xml"


def rewritten(
    content: bytes, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None
) -> bytes:
    """``content`` (a workbook) with some parts replaced or added, every part deflated."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out,
    ):
        for entry in source.infolist():
            out.writestr(entry.filename, (replace or {}).get(entry.filename, source.read(entry)))
        for name, data in (add or {}).items():
            out.writestr(name, data)
    return buffer.getvalue()


def small_workbook(rows=(("表号", "月份", "读数"), ("W-1", "2024-02", 110))) -> bytes:
    workbook = openpyxl.Workbook()
    for values in rows:
        sheet_append(workbook.active, values)
    return workbook_bytes(workbook)


def huge_declared_range(content: bytes, ref: bytes = b"A1:XFD1048576") -> bytes:
    """The same workbook, its sheet claiming the whole grid: 17 billion cells in a file of 5 KB."""
    with zipfile.ZipFile(io.BytesIO(content)) as source:
        sheet = source.read(SHEET)
    return rewritten(
        content, replace={SHEET: re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="' + ref + b'"', sheet)}
    )


def compressible_sheet(content: bytes, rows: int) -> bytes:
    """The same workbook, its sheet padded with ``rows`` identical rows: megabytes that pack into kilobytes."""
    with zipfile.ZipFile(io.BytesIO(content)) as source:
        sheet = source.read(SHEET)
    padding = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>' * rows
    return rewritten(content, replace={SHEET: sheet.replace(b"</sheetData>", padding + b"</sheetData>")})


def test_a_plain_workbook_passes_the_inspection():
    assert workbook_inspect(small_workbook(), max_unpacked_bytes=1_000_000, max_cells=100) is None


def test_a_sheet_declaring_more_cells_than_allowed_is_refused():
    refused = workbook_inspect(
        huge_declared_range(small_workbook()), max_unpacked_bytes=10**6, max_cells=10**6
    )
    assert refused == WorkbookProblem(
        "sheet_too_large", {"range": "A1:XFD1048576", "cells": 16384 * 1048576, "max": 10**6}
    )


def test_a_workbook_that_unpacks_past_the_limit_is_refused_while_still_packed():
    bomb = compressible_sheet(small_workbook(), rows=50_000)
    with zipfile.ZipFile(io.BytesIO(bomb)) as archive:
        unpacked = sum(entry.file_size for entry in archive.infolist())
    assert len(bomb) * 20 < unpacked  # small packed, large unpacked
    refused = workbook_inspect(bomb, max_unpacked_bytes=unpacked - 1, max_cells=10**9)
    assert refused == WorkbookProblem("workbook_too_large", {"limit": unpacked - 1})
    assert workbook_inspect(bomb, max_unpacked_bytes=unpacked, max_cells=10**9) is None


def test_a_workbook_of_too_many_parts_is_refused():
    parts = {f"xl/media/{n}.bin": b"" for n in range(MAX_PARTS)}
    refused = workbook_inspect(
        rewritten(small_workbook(), add=parts), max_unpacked_bytes=10**9, max_cells=10**9
    )
    assert refused is not None and refused.code == "workbook_too_large"


@pytest.mark.parametrize("content", [b"PK\x03\x04 not really a zip", b"\x89PNG\r\n\x1a\n"])
def test_something_that_is_no_zip_is_no_workbook(content):
    assert workbook_inspect(content, max_unpacked_bytes=10**6, max_cells=10**6) == WorkbookProblem(
        "file_type"
    )
