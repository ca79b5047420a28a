"""Excel import and export of rooms and households: reading, preview, apply, round trip."""

import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from tests.factories import (
    BuildingFactory,
    CommunityFactory,
    HouseholdFactory,
    HouseholdRoomFactory,
    PersonFactory,
    RoomFactory,
    UnitFactory,
    staff,
)
from wuye.core.models import AuditLog
from wuye.estate.enums import RoomState, RoomUse
from wuye.estate.models import Building, Room, Unit
from wuye.households.domain import imports
from wuye.households.domain.imports import ImportRefusedError, import_apply, import_preview, rooms_for_export
from wuye.households.domain.queries import HouseholdFilter, household_timeline
from wuye.households.enums import ImportState, PersonKind
from wuye.households.interfaces.excel import (
    HEADERS,
    PEOPLE_HEADERS,
    read_archive,
    read_rooms,
    template_workbook,
    write_rooms,
)
from wuye.households.models import Household, HouseholdRoom, ImportBatch, Person

HEADER_ROW = list(HEADERS.values())
D = Decimal


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


def row(
    number="101",
    *,
    building="1栋",
    unit="1单元",
    floor=1,
    built=89.5,
    inner=72.3,
    use="住宅",
    state="自住",
    household="",
    owner="",
    phone="",
    notes="",
    tags="",
):
    return [building, unit, number, floor, built, inner, use, state, household, owner, phone, notes, tags]


def counts() -> dict[str, int]:
    return {
        "rooms": Room.objects.count(),
        "units": Unit.objects.count(),
        "households": Household.objects.count(),
        "links": HouseholdRoom.objects.count(),
        "people": Person.objects.count(),
        "audit": AuditLog.objects.count(),
    }


def problems(batch) -> list[tuple[int | None, str]]:
    return [(p["row"], p["code"]) for p in batch.report["problems"]]


@pytest.fixture
def building(community):
    building = BuildingFactory(community=community, name="1栋")
    UnitFactory(building=building, name="1单元")
    return building


@pytest.fixture
def actor(community):
    return staff(community)


# Reading: what the file alone can tell ---------------------------------------------------------------


def test_read_rooms_good_file_parses_every_column():
    sheet = read_rooms(xlsx([row(household="王家", owner="王小明", phone="139 1234 5678", notes="养狗")]))
    assert sheet.problems == []
    [room] = sheet.rows
    assert (room.row, room.building, room.unit, room.number, room.floor) == (2, "1栋", "1单元", "101", 1)
    assert (room.built_area, room.inner_area) == (Decimal("89.50"), Decimal("72.30"))
    assert (room.use, room.state) == (RoomUse.RESIDENTIAL, RoomState.SELF_OCCUPIED)
    assert (room.household_name, room.owner_name, room.owner_phone, room.notes) == (
        "王家",
        "王小明",
        "13912345678",
        "养狗",
    )


def test_read_rooms_accepts_english_values_and_header_variants():
    headers = ["楼栋", "单元", "房号", "楼层", "建筑面积（㎡）", "套内面积", "用途", "状态"]
    sheet = read_rooms(xlsx([["1栋", "1单元", 1203, "12", "89.50", "", "shop", "Self-occupied"]], headers))
    assert sheet.problems == []
    [room] = sheet.rows
    assert (room.number, room.floor, room.built_area, room.inner_area) == ("1203", 12, Decimal("89.50"), None)
    assert (room.use, room.state) == (RoomUse.SHOP, RoomState.SELF_OCCUPIED)


@pytest.mark.parametrize(
    ("cells", "code"),
    [
        ({"number": ""}, "missing_value"),
        ({"built": "大约九十"}, "not_number"),
        ({"inner": "abc"}, "not_number"),
        ({"built": -5}, "negative"),
        ({"built": 89.123}, "too_precise"),
        ({"built": 80, "inner": 90}, "inner_larger"),
        ({"floor": "一楼"}, "not_integer"),
        ({"floor": 1.5}, "not_integer"),
        ({"use": "别墅"}, "bad_choice"),
        ({"state": "卖了"}, "bad_choice"),
        ({"owner": "王小明", "phone": "12345"}, "bad_phone"),
        ({"phone": "13912345678"}, "needs_owner"),
    ],
)
def test_read_rooms_bad_cell_names_its_row(cells, code):
    sheet = read_rooms(xlsx([row("101"), row("102"), row(**{"number": "103", **cells})]))
    assert [(p.row, p.code) for p in sheet.problems] == [(4, code)]
    assert [r.row for r in sheet.rows] == [2, 3]
    assert sheet.problems[0].message  # translated text, not the code


def test_read_rooms_reports_every_problem_of_a_row():
    sheet = read_rooms(xlsx([row("", floor="x", built="y", use="z")]))
    assert sorted(p.code for p in sheet.problems) == [
        "bad_choice",
        "missing_value",
        "not_integer",
        "not_number",
    ]
    assert {p.row for p in sheet.problems} == {2}


def test_read_rooms_duplicate_room_names_both_rows():
    sheet = read_rooms(xlsx([row("101"), row("102"), row("101")]))
    [problem] = sheet.problems
    assert (problem.row, problem.code, problem.params["first"]) == (4, "duplicate_room", 2)
    assert "1栋-1单元-101" in problem.message


def test_read_rooms_missing_header_columns():
    sheet = read_rooms(xlsx([["1栋", "101", 1, 89.5]], ["楼栋", "房号", "楼层", "建筑面积(㎡)"]))
    [problem] = sheet.problems
    assert (problem.row, problem.code) == (1, "missing_columns")
    assert "单元" in problem.message
    assert sheet.rows == []


@pytest.mark.parametrize(
    "content",
    [
        b"\x89PNG\r\n\x1a\n" + b"0" * 100,  # a picture renamed to .xlsx
        "楼栋,单元,房号\n1栋,1单元,101\n".encode(),  # a CSV
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"0" * 100,  # an old .xls
    ],
)
def test_read_rooms_not_an_xlsx(content):
    sheet = read_rooms(content)
    assert [(p.row, p.code) for p in sheet.problems] == [(None, "file_type")]


def test_read_rooms_zip_that_is_not_a_workbook():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    assert [p.code for p in read_rooms(buffer.getvalue()).problems] == ["file_type"]


def test_read_rooms_empty_file_and_empty_sheet():
    assert [p.code for p in read_rooms(b"").problems] == ["file_empty"]
    assert [p.code for p in read_rooms(xlsx([], headers=None)).problems] == ["sheet_empty"]


def test_read_rooms_headers_without_rows():
    sheet = read_rooms(xlsx([[None] * 12, []]))
    assert [(p.row, p.code) for p in sheet.problems] == [(2, "no_rows")]


def test_read_rooms_over_size(settings):
    content = xlsx([row()])
    settings.IMPORT_MAX_BYTES = len(content) - 1
    sheet = read_rooms(content)
    assert [(p.row, p.code) for p in sheet.problems] == [(None, "file_too_large")]
    assert sheet.problems[0].message


def test_read_rooms_stops_after_max_rows():
    sheet = read_rooms(xlsx([row(str(n)) for n in range(101, 106)]), max_rows=3)
    assert [(p.row, p.code) for p in sheet.problems] == [(5, "too_many_rows")]
    assert len(sheet.rows) == 3


def test_read_rooms_skips_blank_rows_but_keeps_excel_row_numbers():
    sheet = read_rooms(xlsx([row("101"), [], row("", building="")]))
    assert [(p.row, p.code) for p in sheet.problems] == [(4, "missing_value"), (4, "missing_value")]


def messy_workbook(sheets) -> bytes:
    """A workbook of several sheets: [(title, hidden, rows)]."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, hidden, rows in sheets:
        sheet = workbook.create_sheet(title)
        if hidden:
            sheet.sheet_state = "hidden"
        for values in rows:
            sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_read_rooms_reads_a_messy_real_file():
    """Title rows above the headers, a hidden sheet with other data, full-width digits, numbers as text
    and text as numbers, unit signs after areas, phones written every way; one phone that is none."""
    content = messy_workbook(
        [
            ("旧数据", True, [HEADER_ROW, row("999", building="1栋", owner="旧", phone="13900000000")]),
            (
                "房屋",
                False,
                [
                    ["阳光小区房屋信息表"],
                    ["制表：物业服务中心", None, None, "2024年5月"],
                    HEADER_ROW,
                    row(
                        "１０２",
                        floor="１",
                        built="１２０.５",
                        inner=" 100.50 ",
                        owner="王小明",
                        phone="138-0013-8000",
                    ),
                    row(101.0, built="120.5㎡", inner="90平方米", owner="李四", phone="+86 138 0013 8001"),
                    row("103", built="120.5 m2", inner="80.5平", owner="张三", phone="(0086)13800138002"),
                    row("104", built="１２０.５０", owner="赵六", phone="12345"),
                ],
            ),
        ]
    )
    sheet = read_rooms(content)
    got = [
        (
            r.row,
            r.building,
            r.unit,
            r.number,
            r.floor,
            r.built_area,
            r.inner_area,
            r.owner_name,
            r.owner_phone,
        )
        for r in sheet.rows
    ]
    assert got == [
        (4, "1栋", "1单元", "102", 1, D("120.50"), D("100.50"), "王小明", "13800138000"),
        (5, "1栋", "1单元", "101", 1, D("120.50"), D("90.00"), "李四", "13800138001"),
        (6, "1栋", "1单元", "103", 1, D("120.50"), D("80.50"), "张三", "13800138002"),
    ]
    [problem] = sheet.problems
    assert (problem.row, problem.code, problem.column, problem.params["value"]) == (
        7,
        "bad_phone",
        "业主电话",
        "12345",
    )
    with translation.override("en"):
        assert problem.message == (
            "业主电话 “12345” is not a phone number (11-digit mobile, or landline like 010-12345678)."
        )
    with translation.override("zh-hans"):
        assert (
            problem.message
            == "业主电话“12345”不是电话号码（应为 11 位手机号，或如 010-12345678 的固定电话）。"
        )
    assert [r.number for r in sheet.rejected] == ["104"]
    assert sheet.data_rows == 4


def test_read_rooms_refuses_two_visible_sheets_with_the_columns():
    content = messy_workbook(
        [("一期", False, [HEADER_ROW, row("101")]), ("二期", False, [HEADER_ROW, row("201")])]
    )
    sheet = read_rooms(content)
    assert [(p.row, p.code, p.params) for p in sheet.problems] == [
        (None, "ambiguous_sheets", {"sheets": "“一期”、“二期”"})
    ]
    assert sheet.rows == []


def test_read_rooms_refuses_a_second_header_row():
    sheet = read_rooms(xlsx([["小区房屋表"], HEADER_ROW, row("101"), HEADER_ROW, row("102")], headers=None))
    assert [(p.row, p.code, p.params) for p in sheet.problems] == [(4, "repeated_header", {"first": 2})]
    assert [r.row for r in sheet.rows] == [3, 5]


def test_read_rooms_header_under_a_title_lacking_a_column():
    sheet = read_rooms(xlsx([["小区房屋表"], ["楼栋", "房号", "楼层", "建筑面积"]], headers=None))
    assert [(p.row, p.code, p.params) for p in sheet.problems] == [
        (2, "header_missing_columns", {"columns": "单元"})
    ]


def test_read_rooms_never_reads_a_hidden_sheet():
    content = messy_workbook([("隐藏", True, [HEADER_ROW, row("101")]), ("房屋", False, [["空表"]])])
    sheet = read_rooms(content)
    assert [(p.row, p.code) for p in sheet.problems] == [(1, "missing_columns")]
    assert sheet.rows == []


def test_template_has_headers_and_an_explanation_sheet():
    workbook = openpyxl.load_workbook(io.BytesIO(template_workbook()))
    assert workbook.sheetnames == ["房屋住户", "人员", "车辆", "紧急联系人", "收费项目", "填写说明"]
    first, people, _vehicles, _contacts, fees, explanation = workbook.worksheets
    assert [c.value for c in first[1]] == HEADER_ROW
    assert [c.value for c in people[1]] == list(PEOPLE_HEADERS.values())
    assert [c.value for c in fees[1]] == ["房屋", "收费项目", "开始日期", "结束日期"]
    explained = {cell.value for cell in explanation["A"]}
    assert {"“人员”表", "“车辆”表", "“紧急联系人”表", "“收费项目”表", "身份 *", "车牌 *"} <= explained
    # the template's own example rows are a valid file
    archive = read_archive(template_workbook())
    assert archive.all_problems == []
    assert (len(archive.rooms.rows), len(archive.people), len(archive.vehicles), len(archive.contacts)) == (
        1,
        1,
        1,
        1,
    )


# Preview and apply ---------------------------------------------------------------------------------


BAD_FILES = [
    pytest.param([row("")], [(2, "missing_value")], id="missing-room-number"),
    pytest.param([row("101", built="九十")], [(2, "not_number")], id="area-not-a-number"),
    pytest.param([row("101", built=-1)], [(2, "negative")], id="area-negative"),
    pytest.param([row("101", built=50, inner=60)], [(2, "inner_larger")], id="inner-larger"),
    pytest.param([row("101"), row("102"), row("101")], [(4, "duplicate_room")], id="duplicate-room"),
    pytest.param(
        [row("101"), row("102", building="9栋"), row("103", building="9号楼")],
        [(4, "label_variants")],
        id="new-building-written-two-ways",
    ),
    pytest.param(
        [row("101", unit="2单元"), row("102", unit="2")],
        [(3, "label_variants")],
        id="new-unit-written-two-ways",
    ),
    pytest.param(
        [row("101"), row("101", unit="1")], [(3, "duplicate_room")], id="duplicate-room-other-spelling"
    ),
    pytest.param([row("101", owner="王", phone="1234")], [(2, "bad_phone")], id="bad-phone"),
    pytest.param([row("101", use="别墅")], [(2, "bad_choice")], id="bad-use"),
    pytest.param([row("101", state="卖了")], [(2, "bad_choice")], id="bad-state"),
    pytest.param([row("101", floor="3楼")], [(2, "not_integer")], id="floor-not-integer"),
    pytest.param([row("101", floor=None)], [(2, "missing_for_new")], id="new-room-without-floor"),
    pytest.param(
        [row("101", household="王家")], [(2, "household_needs_owner")], id="household-without-owner"
    ),
]


@pytest.mark.parametrize(("rows", "expected"), BAD_FILES)
def test_bad_file_is_refused_with_its_row_and_writes_nothing(community, building, actor, rows, expected):
    before = counts()
    batch = import_preview(community=community, file_name="bad.xlsx", content=xlsx(rows), actor=actor)
    assert problems(batch) == expected
    assert batch.state == ImportState.REFUSED
    with pytest.raises(ImportRefusedError):
        import_apply(batch=batch, actor=actor)
    assert counts() == before
    assert ImportBatch.objects.get(pk=batch.pk).state == ImportState.REFUSED


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "file_empty"),
        (b"GIF89a not a workbook", "file_type"),
        (xlsx([]), "no_rows"),
        (xlsx([row()], headers=["楼栋", "房号"]), "missing_columns"),
    ],
)
def test_bad_whole_file_is_refused_and_writes_nothing(community, building, actor, content, code):
    before = counts()
    batch = import_preview(community=community, file_name="bad.xlsx", content=content, actor=actor)
    assert [p["code"] for p in batch.report["problems"]] == [code]
    with pytest.raises(ImportRefusedError):
        import_apply(batch=batch, actor=actor)
    assert counts() == before


def test_over_size_file_is_not_stored(community, building, actor, settings):
    settings.IMPORT_MAX_BYTES = 100
    batch = import_preview(community=community, file_name="big.xlsx", content=xlsx([row()]), actor=actor)
    assert problems(batch) == [(None, "file_too_large")]
    assert bytes(batch.content) == b""


def test_too_many_rows_is_refused(community, building, actor, monkeypatch):
    monkeypatch.setattr("wuye.households.interfaces.excel.MAX_ROWS", 2)
    before = counts()
    batch = import_preview(
        community=community,
        file_name="a.xlsx",
        content=xlsx([row("101"), row("102"), row("103")]),
        actor=actor,
    )
    assert problems(batch) == [(4, "too_many_rows")]
    assert counts() == before


def test_every_problem_is_listed_not_just_the_first(community, building, actor):
    rows = [
        row("101", built="x"),
        row("102"),
        row("", floor="y"),
        row("102"),
        row("104", building="9栋"),
        row("105", building="9号楼", floor="z"),
        row("106", building="9号楼"),
    ]
    batch = import_preview(community=community, file_name="a.xlsx", content=xlsx(rows), actor=actor)
    assert problems(batch) == [
        (2, "not_number"),
        (4, "missing_value"),
        (4, "not_integer"),
        (5, "duplicate_room"),
        (7, "not_integer"),
        (8, "label_variants"),
    ]


GOOD_ROWS = [
    row("101", household="王家", owner="王小明", phone="13912345678", notes="养狗"),
    row("102", state="空置"),
    row(
        "201",
        unit="2单元",
        floor=2,
        built=120,
        inner=100,
        use="商铺",
        state="出租",
        owner="李四",
        phone="010-12345678",
    ),
    row(
        "P01",
        floor=-1,
        built=12.5,
        inner=12.5,
        use="车位",
        household="王家",
        owner="王小明",
        phone="13912345678",
    ),
]


def test_good_file_imports_with_exact_counts(community, building, actor):
    before = counts()
    batch = import_preview(community=community, file_name="good.xlsx", content=xlsx(GOOD_ROWS), actor=actor)
    assert counts() == before  # the preview writes nothing but the batch
    assert problems(batch) == []
    assert (batch.report["new"], batch.report["changed"], batch.report["unchanged"]) == (4, 0, 0)
    assert batch.report["households_new"] == 2

    result = import_apply(batch=batch, actor=actor)

    assert result == {
        "new": 4,
        "changed": 0,
        "unchanged": 0,
        "households_new": 2,
        "buildings_new": 0,
        "units_new": 1,
        "people_new": 2,
        "people_changed": 0,
        "vehicles_new": 0,
        "contacts_new": 0,
        "tags_new": 0,
        "tags_added": 0,
        "assignments_new": 0,
        "audit_entries": 11,
    }
    after = counts()
    assert after["rooms"] == before["rooms"] + 4
    assert after["units"] == before["units"] + 1  # 2单元 is created, 1单元 existed
    assert after["households"] == before["households"] + 2
    assert after["links"] == before["links"] + 3
    assert after["people"] == before["people"] + 2
    # 4 rooms created, 2 households created, 3 rooms bound, 2 owners added, 1 import summary; no
    # household is all vacant, so the vacant rule adds nothing.
    assert after["audit"] == before["audit"] + 12
    wang = Household.objects.get(name="王家")
    assert wang.notes == "养狗"
    assert sorted(wang.rooms.values_list("number", flat=True)) == ["101", "P01"]
    owner = wang.people.get()
    assert (owner.kind, owner.name, owner.phone) == (PersonKind.OWNER, "王小明", "13912345678")
    li = Household.objects.get(name="李四")
    shop = li.rooms.get()
    assert (shop.unit.name, shop.use, shop.state, shop.built_area) == (
        "2单元",
        "shop",
        "rented",
        Decimal("120.00"),
    )
    parking = Room.objects.get(number="P01")
    assert (parking.floor, parking.inner_area, parking.use) == (-1, Decimal("12.50"), RoomUse.PARKING)
    assert Room.objects.get(number="102").households.count() == 0
    # every change is on the household's timeline
    actions = set(household_timeline(household=wang).values_list("action", flat=True))
    assert {
        "households.household.created",
        "households.room.bound",
        "households.person.added",
        "estate.room.created",
    } <= actions
    batch.refresh_from_db()
    assert batch.state == ImportState.APPLIED
    assert batch.applied_at is not None


def test_reimport_of_the_same_file_is_a_no_op(community, building, actor):
    first = import_preview(community=community, file_name="a.xlsx", content=xlsx(GOOD_ROWS), actor=actor)
    import_apply(batch=first, actor=actor)
    before = counts()

    again = import_preview(community=community, file_name="a.xlsx", content=xlsx(GOOD_ROWS), actor=actor)
    assert (again.report["new"], again.report["changed"], again.report["unchanged"]) == (0, 0, 4)
    assert again.report["details"] == []
    result = import_apply(batch=again, actor=actor)

    assert result["audit_entries"] == 0
    assert counts() == before


def test_applying_twice_is_refused(community, building, actor):
    batch = import_preview(community=community, file_name="a.xlsx", content=xlsx(GOOD_ROWS), actor=actor)
    import_apply(batch=batch, actor=actor)
    before = counts()
    with pytest.raises(ImportRefusedError):
        import_apply(batch=batch, actor=actor)
    stale = ImportBatch.objects.get(pk=batch.pk)  # a second click with the page's old copy
    with pytest.raises(ImportRefusedError):
        import_apply(batch=stale, actor=actor)
    assert counts() == before


def test_apply_replans_and_refuses_when_the_estate_changed(community, building, actor):
    empty = BuildingFactory(community=community, name="2栋")
    UnitFactory(building=empty, name="1单元")
    batch = import_preview(
        community=community, file_name="a.xlsx", content=xlsx([row("101", building="2栋")]), actor=actor
    )
    assert problems(batch) == []
    assert batch.report["create"] == {"buildings": [], "units": [], "rooms": ["2栋-1单元-101"], "tags": []}
    empty.units.all().delete()
    empty.delete()
    before = counts()
    with pytest.raises(ImportRefusedError):
        import_apply(batch=batch, actor=actor)
    assert counts() == before
    batch.refresh_from_db()
    assert batch.state == ImportState.REFUSED
    # Now the file would create the building and its unit too, which the preview did not list.
    assert problems(batch) == [(None, "creations_changed")]
    assert batch.report["create"]["buildings"] == ["2栋"]


def test_existing_room_changes_only_where_the_file_differs(community, household, actor):
    room = household.rooms.get()
    owner = household.people.get()
    unchanged = RoomFactory(unit=room.unit)
    rows = [
        row(
            room.number,
            building=room.building.name,
            unit=room.unit.name,
            floor=room.floor,
            built=100,
            inner=float(room.inner_area),
            use="住宅",
            state="出租",
            owner="王小明",
            phone="13800000000",
        ),
        row(
            unchanged.number,
            building=room.building.name,
            unit=room.unit.name,
            floor=None,
            built=None,
            inner=None,
            use=None,
            state=None,
        ),
    ]
    before = counts()
    batch = import_preview(community=community, file_name="a.xlsx", content=xlsx(rows), actor=actor)
    assert problems(batch) == []
    assert (batch.report["new"], batch.report["changed"], batch.report["unchanged"]) == (0, 1, 1)
    [detail] = batch.report["details"]
    assert (detail["row"], detail["status"]) == (2, "changed")
    assert set(detail["columns"]) == {"建筑面积(㎡)", "状态", "业主电话"}

    import_apply(batch=batch, actor=actor)

    room.refresh_from_db()
    owner.refresh_from_db()
    assert (room.built_area, room.state) == (Decimal("100.00"), RoomState.RENTED)
    assert (owner.name, owner.phone) == ("王小明", "13800000000")
    after = counts()
    assert {k: after[k] - before[k] for k in after} == {
        "rooms": 0,
        "units": 0,
        "households": 0,
        "links": 0,
        "people": 0,
        "audit": 3,
    }
    room_entry = AuditLog.objects.get(action="estate.room.changed")
    assert room_entry.household_id == household.pk
    assert room_entry.changes == {"built_area": ["89.50", "100.00"], "state": ["vacant", "rented"]}
    person_entry = AuditLog.objects.get(action="households.person.changed")
    assert person_entry.household_id == household.pk
    assert person_entry.changes == {"phone": ["13912345678", "13800000000"]}


def test_owner_name_on_a_room_of_a_household_without_owner_adds_the_owner(community, actor):
    link = HouseholdRoomFactory(household__community=community, household__name="赵家")
    room = link.room
    content = xlsx([row(room.number, building=room.building.name, unit=room.unit.name, owner="赵六")])
    batch = import_preview(community=community, file_name="a.xlsx", content=content, actor=actor)
    import_apply(batch=batch, actor=actor)
    owner = link.household.people.get()
    assert (owner.name, owner.kind, owner.phone) == ("赵六", PersonKind.OWNER, "")
    assert Household.objects.count() == 1


def test_conflicting_rows_for_one_household_are_a_problem(community, actor):
    household = HouseholdFactory(community=community)
    first = HouseholdRoomFactory(household=household)
    second = HouseholdRoomFactory(household=household, room__unit=first.room.unit)
    place = {"building": first.room.building.name, "unit": first.room.unit.name}
    rows = [row(first.room.number, owner="甲", **place), row(second.room.number, owner="乙", **place)]
    before = counts()
    batch = import_preview(community=community, file_name="a.xlsx", content=xlsx(rows), actor=actor)
    assert problems(batch) == [(3, "household_conflict")]
    assert counts() == before


def test_apply_refreshes_rule_tags_once(community, building, actor, monkeypatch):
    calls = []
    real = imports.tags_refresh
    monkeypatch.setattr(imports, "tags_refresh", lambda **kwargs: calls.append(kwargs) or real(**kwargs))
    rows = [row("101", state="空置", owner="钱七"), row("102", state="空置", owner="孙八")]
    batch = import_preview(community=community, file_name="a.xlsx", content=xlsx(rows), actor=actor)
    import_apply(batch=batch, actor=actor)
    assert calls == [{"community": community}]
    vacant = AuditLog.objects.filter(action="households.tag.rule_applied")
    assert vacant.count() == 2  # both new households hold only vacant rooms


def test_another_communitys_building_is_not_matched(community, actor):
    other = BuildingFactory(name="1栋")  # same name, another community
    UnitFactory(building=other, name="1单元")
    batch = import_preview(community=community, file_name="a.xlsx", content=xlsx([row()]), actor=actor)
    assert batch.report["create"] == {
        "buildings": ["1栋"],
        "units": ["1栋1单元"],
        "rooms": ["1栋-1单元-101"],
        "tags": [],
    }
    import_apply(batch=batch, actor=actor)
    assert not Room.objects.filter(building=other).exists()
    assert Room.objects.get(community=community).building.community == community


# Export and round trip -------------------------------------------------------------------------------


@pytest.fixture
def estate(community, household):
    """A small archive: households with one and two rooms, one without an owner, rooms without household."""
    building = household.rooms.get().building
    unit = household.rooms.get().unit
    two_rooms = HouseholdFactory(community=community, name="孙家", notes="第一行\r\n第二行")
    HouseholdRoomFactory(household=two_rooms, room__unit=unit)
    HouseholdRoomFactory(household=two_rooms, room__unit=unit, room__use=RoomUse.PARKING, room__floor=-1)
    PersonFactory(household=two_rooms, name="孙悟空", phone="021-87654321")
    PersonFactory(household=two_rooms, name="孙二", kind=PersonKind.FAMILY)
    HouseholdRoomFactory(household__community=community, household__name="无业主", room__unit=unit)
    RoomFactory(unit=unit, number="0101", state=RoomState.DECORATING, inner_area=Decimal("0"))
    RoomFactory(unit__building=BuildingFactory(community=community, name="2栋"), number="301", floor=3)
    return building


def export_bytes(community, query=None) -> bytes:
    return write_rooms(rooms_for_export(community=community, filter=query or HouseholdFilter()))


def test_export_writes_one_row_per_room_in_the_import_format(community, estate):
    workbook = openpyxl.load_workbook(io.BytesIO(export_bytes(community)), read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert list(rows[0]) == HEADER_ROW
    assert len(rows) - 1 == Room.objects.filter(community=community).count() == 6
    sun_rows = [r for r in rows if r[8] == "孙家"]
    assert len(sun_rows) == 2
    assert {r[9] for r in sun_rows} == {"孙悟空"}
    assert {r[6] for r in sun_rows} == {"住宅", "车位"}


def test_export_imports_back_unchanged(community, estate, actor):
    before = counts()
    batch = import_preview(
        community=community, file_name="export.xlsx", content=export_bytes(community), actor=actor
    )
    assert problems(batch) == []
    assert (batch.report["new"], batch.report["changed"], batch.report["unchanged"]) == (0, 0, 6)
    result = import_apply(batch=batch, actor=actor)
    assert result["audit_entries"] == 0
    assert counts() == before
    assert not AuditLog.objects.filter(action="households.import.applied").exists()


def test_export_of_an_import_round_trips(community, building, actor):
    batch = import_preview(community=community, file_name="a.xlsx", content=xlsx(GOOD_ROWS), actor=actor)
    import_apply(batch=batch, actor=actor)
    before = counts()
    again = import_preview(
        community=community, file_name="b.xlsx", content=export_bytes(community), actor=actor
    )
    assert (again.report["new"], again.report["changed"], again.report["unchanged"]) == (0, 0, 4)
    import_apply(batch=again, actor=actor)
    assert counts() == before


def test_export_honours_the_building_filter(community, estate):
    other = Building.objects.get(community=community, name="2栋")
    content = export_bytes(community, HouseholdFilter(building=other.pk))
    rows = list(
        openpyxl.load_workbook(io.BytesIO(content), read_only=True).worksheets[0].iter_rows(values_only=True)
    )
    assert [(r[0], r[2]) for r in rows[1:]] == [("2栋", "301")]


def test_export_with_a_household_filter_leaves_out_rooms_without_household(community, estate):
    content = export_bytes(community, HouseholdFilter(text="孙"))
    rows = list(
        openpyxl.load_workbook(io.BytesIO(content), read_only=True).worksheets[0].iter_rows(values_only=True)
    )
    assert [r[8] for r in rows[1:]] == ["孙家", "孙家"]


def test_export_keeps_formulas_out(community, building):
    household = HouseholdFactory(community=community, name='=HYPERLINK("http://x")')
    HouseholdRoomFactory(household=household, room__unit=building.units.get())
    content = export_bytes(community)
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    assert sheet["I2"].data_type == "s"
    assert sheet["I2"].value == household.name


def test_export_uses_a_fixed_number_of_queries(community, estate, django_assert_num_queries):
    with django_assert_num_queries(2):  # the manual tags, the rooms
        export_bytes(community)
    for _n in range(5):
        HouseholdRoomFactory(
            household__community=community, room__unit=Unit.objects.filter(community=community).first()
        )
    with django_assert_num_queries(2):
        export_bytes(community)


def test_preview_and_apply_use_a_fixed_number_of_queries(db):
    def measure(rows: int) -> tuple[int, int]:
        community = CommunityFactory()
        UnitFactory(building=BuildingFactory(community=community, name="1栋"), name="1单元")
        actor = staff(community)
        content = xlsx([row(str(100 + n), owner=f"业主{n}", phone=f"139{n:08d}") for n in range(rows)])
        with CaptureQueriesContext(connection) as preview:
            batch = import_preview(community=community, file_name="a.xlsx", content=content, actor=actor)
        with CaptureQueriesContext(connection) as apply:
            import_apply(batch=batch, actor=actor)
        assert batch.report["new"] == rows
        return len(preview), len(apply)

    few, many = measure(3), measure(60)
    assert many[0] == few[0]
    # Applying is a few bulk statements; SQLite's limit on parameters splits a large INSERT in batches.
    assert many[1] - few[1] <= 3
