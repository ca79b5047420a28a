"""The one Excel writer (wuye.core.excel): text is written as text, never as a formula."""

import io

import openpyxl
import pytest
from django.utils import translation
from django.utils.translation import gettext_lazy

from wuye.core.excel import FORMULA_LEADS, sheet_append, workbook_bytes

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
