"""Reading a file of opening balances with the Excel kit: messy cells read, bad cells refused with row and column."""

import datetime
import io

import openpyxl

from tests.opening.factories import ROWS, workbook
from wuye.opening.interfaces.excel import read_opening, template_workbook


def problems(content):
    return [(p.row, p.code, p.column) for p in read_opening(content).problems]


def test_rows_are_read_under_title_rows_from_the_visible_sheet_with_messy_cells():
    rows = [
        ["１栋-１单元-１０１", " 欠费 ", "物业费", "2026年3月", "１,２５６.８０ 元", None, "2026年3月31日"],
        ["1-1-102", "预存款", None, None, 500, "  原系统余额 "],
        ["1栋1单元101", "押金", "", "", "2000", "装修押金"],
        [
            "2-1-201",
            "欠费",
            "水费",
            datetime.datetime(2026, 4, 1),
            35.2,
            None,
            datetime.datetime(2026, 4, 20),
        ],
    ]
    content = workbook(rows, title_rows=["幸福小区期初余额", "截至2026年11月30日"], hidden_first=[ROWS[0]])

    sheet = read_opening(content)

    assert sheet.problems == []
    assert sheet.data_rows == 4
    assert [
        (r.row, r.kind, r.room, r.fee_item, r.period, r.amount_fen, r.note, r.due_on) for r in sheet.rows
    ] == [
        (
            4,
            "arrears",
            "1栋-1单元-101",
            "物业费",
            datetime.date(2026, 3, 1),
            125680,
            "",
            datetime.date(2026, 3, 31),
        ),
        (5, "prepayment", "1-1-102", "", None, 50000, "原系统余额", None),
        (6, "deposit", "1栋1单元101", "", None, 200000, "装修押金", None),
        (7, "arrears", "2-1-201", "水费", datetime.date(2026, 4, 1), 3520, "", datetime.date(2026, 4, 20)),
    ]


def test_bad_cells_are_refused_with_row_and_column():
    rows = [
        ["1-1-101", "欠费", "物业费", "2026-03", -5, ""],
        ["1-1-101", "欠费", "物业费", "2026-04", 0, ""],
        ["1-1-101", "欠费", "物业费", "2026-05", 1.234, ""],
        ["1-1-101", "欠费", None, "三月", 10, ""],
        ["1-1-101", "预支", None, None, 10, ""],
        ["1-1-101", "预存", "物业费", None, 10, ""],
        ["", "押金", None, None, "abc", ""],
        ["1-1-101", "欠费", "物业费", "2026-06", 10, "", "2026-02-30"],
        ["1-1-101", "押金", None, None, 10, "", "2026-02-01"],
    ]

    assert problems(workbook(rows)) == [
        (2, "negative", "金额（元）"),
        (3, "opening_not_positive", "金额（元）"),
        (4, "too_precise", "金额（元）"),
        (5, "missing_value", "收费项目"),
        (5, "bad_month", "所属月份"),
        (6, "bad_choice", "类型"),
        (7, "opening_only_arrears", "收费项目"),
        (8, "missing_value", "房号"),
        (8, "not_number", "金额（元）"),
        (9, "opening_bad_day", "应缴日期"),
        (10, "opening_only_arrears", "应缴日期"),
    ]


def test_a_file_without_the_columns_or_not_a_workbook_is_refused_whole():
    assert problems(workbook([["1-1-101", 10]], headers=["房号", "金额"])) == [(1, "missing_columns", "")]
    assert problems(b"room,kind\n") == [(None, "file_type", "")]


def test_the_template_has_the_columns_the_instructions_and_examples_that_are_not_imported():
    content = template_workbook()
    book = openpyxl.load_workbook(io.BytesIO(content))

    assert book.sheetnames == ["期初余额", "填写说明"]
    assert [cell.value for cell in book["期初余额"][1]] == [
        "房号",
        "类型",
        "收费项目",
        "所属月份",
        "金额（元）",
        "备注",
        "应缴日期",
    ]
    examples = [
        row for row in book["填写说明"].iter_rows(values_only=True) if row[1] in ("欠费", "预存", "押金")
    ]
    assert len(examples) == 4
    # Sent back as it is, the template brings in nothing: its examples stand on the instruction sheet.
    assert problems(content) == [(2, "no_rows", "")]
    # Filled in, it reads.
    sheet = book["期初余额"]
    sheet.append(["1栋-1单元-101", "欠费", "物业费", "2026-03", 256.8, None])
    buffer = io.BytesIO()
    book.save(buffer)
    assert [(r.room, r.amount_fen) for r in read_opening(buffer.getvalue()).rows] == [
        ("1栋-1单元-101", 25680)
    ]
