"""The meter readings Excel file: reading, every bad row with its number and reason, all or nothing."""

import datetime
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.utils import translation

from tests.billing.factories import MeterFactory, SharedMeterFactory
from tests.factories import BuildingFactory, RoomFactory, UnitFactory
from wuye.billing.domain.meters import readings_enter
from wuye.billing.interfaces.readings_excel import (
    HEADERS,
    parse_month,
    read_readings,
    readings_import,
    readings_preview,
    rows_as_json,
    rows_from_json,
    template_workbook,
)
from wuye.billing.models import MeterReading, SharedUsage
from wuye.core.models import AuditLog

D = Decimal
JAN, FEB, MAR = (datetime.date(2024, month, 1) for month in (1, 2, 3))
HEADER_ROW = ["表号", "月份", "读数", "换表"]


@pytest.fixture(autouse=True)
def _english():
    """Messages are checked in English (the msgids), whatever the catalog says."""
    with translation.override("en"):
        yield


def xlsx(rows, headers=HEADER_ROW) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    if headers is not None:
        sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def problems(result):
    return [(p.row, p.message) for p in result.problems]


def counts():
    return (MeterReading.objects.count(), SharedUsage.objects.count(), AuditLog.objects.count())


@pytest.fixture
def meters(community, admin_user):
    """W-1 read 100 in January, W-2 never read."""
    first = MeterFactory(community=community, number="W-1")
    second = MeterFactory(community=community, number="W-2")
    readings_enter(community=community, period=JAN, rows=[(first, D(100), False)], actor=admin_user)
    return first, second


def preview_and_import(community, admin_user, content):
    preview = readings_preview(community=community, content=content)
    assert problems(preview) == []
    return readings_import(community=community, rows=preview.rows, actor=admin_user)


# Reading the file ----------------------------------------------------------------------------------


def test_read_readings_parses_every_column():
    content = xlsx(
        [
            ["W-1", "2024-02", 110.5, "否"],
            ["W-2", datetime.datetime(2024, 3, 1), "1,234.50", "是"],
            [1203, "2024/4", 7, None],
        ],
        headers=[*HEADER_ROW, "起始读数", "备注"],
    )
    sheet = read_readings(content)
    assert sheet.problems == []
    assert [(r.row, r.number, r.period, r.value, r.replaced, r.start) for r in sheet.rows] == [
        (2, "W-1", FEB, D("110.50"), False, None),
        (3, "W-2", MAR, D("1234.50"), True, None),
        (4, "1203", datetime.date(2024, 4, 1), D("7.00"), False, None),
    ]


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("2024-05", datetime.date(2024, 5, 1)),
        ("2024-5", datetime.date(2024, 5, 1)),
        ("2024/05", datetime.date(2024, 5, 1)),
        ("2024.05", datetime.date(2024, 5, 1)),
        ("202405", datetime.date(2024, 5, 1)),
        ("2024年5月", datetime.date(2024, 5, 1)),
        ("2024-05-31", datetime.date(2024, 5, 1)),
        (datetime.date(2024, 5, 17), datetime.date(2024, 5, 1)),
        ("2024-13", None),
        ("2024-00", None),
        ("May 2024", None),
        ("24-05", None),
        ("", None),
    ],
)
def test_parse_month(text, month):
    assert parse_month(text) == month


def test_a_start_value_column_is_read():
    sheet = read_readings(xlsx([["W-1", "2024-02", 30, "是", 5]], headers=[*HEADER_ROW, "起始读数"]))
    assert [(r.replaced, r.start) for r in sheet.rows] == [(True, D("5.00"))]


def test_bad_cells_are_reported_with_their_row_numbers():
    content = xlsx(
        [
            ["W-1", "2024-02", "十二", "否"],  # 2: not a number
            ["W-2", "2024-13", 5, "否"],  # 3: bad month
            ["W-3", "2024-02", -5, "否"],  # 4: negative
            ["W-4", "2024-02", 1.234, "否"],  # 5: three decimals
            ["W-5", "2024-02", 5, "也许"],  # 6: not 是/否
            ["", "2024-02", 5, "否"],  # 7: no meter number
            ["W-7", "", 5, "否"],  # 8: no month
            ["W-8", "2024-02", None, "否"],  # 9: no reading
            ["W-9", "2024-02", 5, "否"],  # 10: fine
            ["W-9", "2024-02", 6, "否"],  # 11: the same meter and month again
        ]
    )
    sheet = read_readings(content)
    assert problems(sheet) == [
        (2, "读数 must be a number, not “十二”."),
        (3, "月份 must be a month like 2024-05, not “2024-13”."),
        (4, "读数 cannot be negative (-5)."),
        (5, "读数 has more than two decimals (1.234)."),
        (6, "换表 “也许” is not one of: 是 / 否."),
        (7, "表号 is missing."),
        (8, "月份 is missing."),
        (9, "读数 is missing."),
        (11, "Meter W-9, 2024-02 appears more than once in the file (first on row 10)."),
    ]
    assert [r.row for r in sheet.rows] == [10]


def test_blank_rows_are_skipped_and_rows_keep_their_excel_numbers():
    sheet = read_readings(
        xlsx([["W-1", "2024-02", 1, "否"], [None, None, None, None], ["W-2", "2024-02", "x", "否"]])
    )
    assert problems(sheet) == [(4, "读数 must be a number, not “x”.")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (
            b"\xef\xbb\xbf\xe8\xa1\xa8\xe5\x8f\xb7,\xe6\x9c\x88\xe4\xbb\xbd\nW-1,2024-02\n",
            "not an Excel workbook",
        ),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "not an Excel workbook"),
        (b"PK\x03\x04broken", "not an Excel workbook"),
    ],
)
def test_wrong_files_are_refused(content, message):
    sheet = read_readings(content)
    assert len(sheet.problems) == 1
    assert sheet.problems[0].row is None and message in sheet.problems[0].message
    assert sheet.rows == []


def test_a_zip_that_is_not_a_workbook_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    sheet = read_readings(buffer.getvalue())
    assert [p.code for p in sheet.problems] == ["file_type"]


def test_an_oversize_file_is_refused_unread(settings):
    settings.IMPORT_MAX_BYTES = 1000
    content = xlsx([["W-1", "2024-02", 1, "否"]])
    sheet = read_readings(content)
    assert [(p.row, p.code) for p in sheet.problems] == [(None, "file_too_large")]
    assert "larger than" in sheet.problems[0].message


def test_missing_columns_empty_sheet_and_no_rows():
    assert problems(read_readings(xlsx([["W-1", 1]], headers=["表号", "读数"]))) == [
        (1, "The first row lacks the required columns: 月份.")
    ]
    assert [p.code for p in read_readings(xlsx([], headers=None)).problems] == ["sheet_empty"]
    assert problems(read_readings(xlsx([]))) == [(2, "The file has no data rows below the column headers.")]


def test_too_many_rows_are_refused():
    sheet = read_readings(xlsx([[f"W-{n}", "2024-02", n, "否"] for n in range(5)]), max_rows=3)
    assert [(p.row, p.code) for p in sheet.problems] == [(5, "too_many_rows")]


def test_read_readings_under_a_title_row_with_full_width_digits():
    content = xlsx(
        [
            ["２０２４年２月抄表"],
            HEADER_ROW,
            ["Ｗ－１", "２０２４-０２", "１２３４.５", "否"],
            [" W-2 ", "2024/2", " 120.50 ", "是"],
        ],
        headers=None,
    )
    sheet = read_readings(content)
    assert problems(sheet) == []
    assert [(r.row, r.number, r.period, r.value, r.replaced) for r in sheet.rows] == [
        (3, "W-1", FEB, D("1234.50"), False),
        (4, "W-2", FEB, D("120.50"), True),
    ]


def test_template_has_the_chinese_headers_and_reads_back():
    workbook = openpyxl.load_workbook(io.BytesIO(template_workbook()))
    assert [cell.value for cell in workbook.worksheets[0][1]] == list(HEADERS.values())
    assert list(HEADERS.values())[:4] == HEADER_ROW
    sheet = read_readings(template_workbook())
    assert sheet.problems == []
    assert [(r.number, r.period, r.value, r.replaced) for r in sheet.rows] == [
        ("W1-1-101", datetime.date(2024, 5, 1), D("1234.50"), False)
    ]


def test_rows_survive_the_json_round_trip():
    rows = read_readings(xlsx([["W-1", "2024-02", 110.5, "是"]], headers=HEADER_ROW)).rows
    assert rows_from_json(rows_as_json(rows)) == rows


# Preview and import --------------------------------------------------------------------------------


def test_import_writes_the_readings(community, admin_user, meters):
    first, second = meters
    result, refused = preview_and_import(
        community, admin_user, xlsx([["W-1", "2024-02", 112.25, "否"], ["W-2", "2024-02", 40, "否"]])
    )
    assert refused == []
    assert (result.created, result.changed, result.unchanged) == (2, 0, 0)
    assert {(r.meter_id, r.value, r.usage) for r in MeterReading.objects.filter(period=FEB)} == {
        (first.pk, D("112.25"), D("12.25")),
        (second.pk, D("40.00"), D("0.00")),  # a first reading is the baseline
    }


def test_reimporting_the_same_file_changes_nothing(community, admin_user, meters):
    content = xlsx(
        [["W-1", "2024-02", 112.25, "否"], ["W-1", "2024-03", 130, "否"], ["W-2", "2024-02", 40, ""]]
    )
    preview_and_import(community, admin_user, content)
    before = counts()
    preview = readings_preview(community=community, content=content)
    assert (preview.created, preview.changed, preview.unchanged, preview.problems) == (0, 0, 3, [])
    result, refused = readings_import(community=community, rows=preview.rows, actor=admin_user)
    assert (result.created, result.changed, result.unchanged, refused) == (0, 0, 3, [])
    assert counts() == before


def test_preview_lists_domain_problems_with_row_numbers_and_writes_nothing(community, admin_user, meters):
    content = xlsx(
        [
            ["W-1", "2024-02", 150, "否"],  # 2: fine
            ["W-404", "2024-02", 5, "否"],  # 3: unknown meter
            ["W-1", "2024-03", 120, "否"],  # 4: below February's 150
            ["W-2", "2024-02", 5, "否"],  # 5: fine
            ["W-2", "2999-01", 6, "否"],  # 6: a month to come
        ]
    )
    before = counts()
    preview = readings_preview(community=community, content=content)
    assert [row for row, _message in problems(preview)] == [3, 4, 6]
    messages = dict(problems(preview))
    assert messages[3] == "Meter W-404 does not exist in this community."
    assert "below the previous one (150.00 in 2024-02)" in messages[4]
    assert "still to come" in messages[6]
    result, refused = readings_import(community=community, rows=preview.rows, actor=admin_user)
    assert result is None and [p.row for p in refused] == [3]
    assert counts() == before


def test_import_refuses_all_rows_when_one_is_bad(community, admin_user, meters):
    sheet = read_readings(xlsx([["W-2", "2024-02", 40, "否"], ["W-1", "2024-02", 99, "否"]]))
    before = counts()
    result, refused = readings_import(community=community, rows=sheet.rows, actor=admin_user)
    assert result is None
    assert [(p.row, "below the previous one" in p.message) for p in refused] == [(3, True)]
    assert counts() == before


def test_import_replaced_meter(community, admin_user, meters):
    result, _refused = preview_and_import(
        community,
        admin_user,
        xlsx([["W-1", "2024-02", 8, "是", 2]], headers=[*HEADER_ROW, "起始读数"]),
    )
    assert result.created == 1
    reading = MeterReading.objects.get(period=FEB)
    assert (reading.value, reading.usage, reading.replaced) == (D("8.00"), D("6.00"), True)


def test_import_meter_of_another_community_is_unknown(community, admin_user, meters):
    MeterFactory(number="W-X")  # in another community
    preview = readings_preview(community=community, content=xlsx([["W-X", "2024-02", 1, "否"]]))
    assert problems(preview) == [(2, "Meter W-X does not exist in this community.")]


def test_import_shared_meter_apportions_exactly(community, admin_user):
    building = BuildingFactory(community=community)
    unit = UnitFactory(building=building)
    rooms = [RoomFactory(unit=unit, built_area=area) for area in (D("33.33"), D("33.33"), D("33.34"))]
    SharedMeterFactory(community=community, building=building, number="E-公共")
    preview_and_import(
        community, admin_user, xlsx([["E-公共", "2024-01", 0, "否"], ["E-公共", "2024-02", 1, "否"]])
    )
    february = MeterReading.objects.get(period=FEB)
    shares = dict(february.shares.values_list("room_id", "usage"))
    assert shares == {rooms[0].pk: D("0.33"), rooms[1].pk: D("0.33"), rooms[2].pk: D("0.34")}
    assert sum(shares.values()) == february.usage == D(1)
