"""The whole archive through Excel: people, vehicles, contacts, tags and fee items on their sheets,
labels matched after normalising, everything the import creates listed first, and a full round trip."""

import datetime
import io

import openpyxl
import pytest

from tests.billing.factories import FeeAssignmentFactory, FeeItemFactory
from tests.factories import (
    BuildingFactory,
    CommunityFactory,
    HouseholdFactory,
    HouseholdRoomFactory,
    HouseholdTagFactory,
    PersonFactory,
    RoomFactory,
    TagFactory,
    UnitFactory,
    staff,
)
from tests.households.test_excel import HEADER_ROW, row
from wuye.billing.models import FeeAssignment
from wuye.core.models import AuditLog
from wuye.estate.enums import RoomState, RoomUse
from wuye.estate.models import Building, Room, Unit
from wuye.households.domain.imports import (
    ImportRefusedError,
    archive_for_export,
    import_apply,
    import_preview,
)
from wuye.households.domain.queries import HouseholdFilter
from wuye.households.enums import ImportState, PersonKind, TagKind
from wuye.households.interfaces.excel import (
    CONTACT_HEADERS,
    FEE_HEADERS,
    PEOPLE_HEADERS,
    VEHICLE_HEADERS,
    write_rooms,
)
from wuye.households.models import EmergencyContact, Household, HouseholdTag, Person, Tag, Vehicle
from wuye.households.validators import id_check_character

D = datetime.date


def id_number(first17: str) -> str:
    return first17 + id_check_character(first17)


WANG_ID = id_number("11010519900101123")
LI_ID = id_number("44030519880202456")
CHEN_ID = id_number("44030519750315001")
BAD_ID = WANG_ID[:17] + ("1" if WANG_ID[17] != "1" else "2")  # right shape, wrong check character


def workbook(sheets) -> bytes:
    """[(title, hidden, rows)] as an .xlsx file."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, hidden, rows in sheets:
        sheet = book.create_sheet(title)
        if hidden:
            sheet.sheet_state = "hidden"
        for values in rows:
            sheet.append(values)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def estate_labels(community) -> dict[str, set[str]]:
    return {
        "buildings": set(Building.objects.filter(community=community).values_list("name", flat=True)),
        "units": {str(u) for u in Unit.objects.filter(community=community).select_related("building")},
        "rooms": {
            str(r) for r in Room.objects.filter(community=community).select_related("building", "unit")
        },
        "tags": set(
            Tag.objects.filter(community=community, kind=TagKind.MANUAL).values_list("name", flat=True)
        ),
    }


def snapshot(community) -> dict:
    """The archive of a community by labels (no primary keys), to compare two communities."""
    rooms = sorted(
        (str(r), r.floor, r.built_area, r.inner_area, r.use, r.state)
        for r in Room.objects.filter(community=community).select_related("building", "unit")
    )
    households = []
    for household in Household.objects.filter(community=community).prefetch_related(
        "room_links__room__building", "room_links__room__unit", "people", "vehicles", "emergency_contacts"
    ):
        owners = [p.name for p in household.people.all() if p.kind == PersonKind.OWNER]
        households.append(
            (
                household.name,
                household.notes.replace("\r\n", "\n"),
                tuple(sorted(str(link.room) for link in household.room_links.all())),
                owners[0] if owners else "",
                tuple(
                    sorted(
                        (p.kind, p.name, p.phone, p.id_number, p.relation, p.moved_in_on, p.moved_out_on)
                        for p in household.people.all()
                    )
                ),
                tuple(sorted((v.plate, v.model) for v in household.vehicles.all())),
                tuple(sorted((c.name, c.phone, c.relation) for c in household.emergency_contacts.all())),
                tuple(
                    sorted(
                        HouseholdTag.objects.filter(
                            household=household, tag__kind=TagKind.MANUAL
                        ).values_list("tag__name", flat=True)
                    )
                ),
            )
        )
    fees = sorted(
        (str(a.room), a.fee_item.name, a.starts_on, a.ends_on)
        for a in FeeAssignment.objects.filter(community=community).select_related(
            "room__building", "room__unit", "fee_item"
        )
    )
    return {"rooms": rooms, "households": sorted(households), "fees": fees, **estate_labels(community)}


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Building, Unit, Room, Household, Person, Vehicle, EmergencyContact, HouseholdTag, Tag)
    } | {"FeeAssignment": FeeAssignment.objects.count(), "AuditLog": AuditLog.objects.count()}


def export(community, *, id_numbers=True) -> bytes:
    archive = archive_for_export(community=community, filter=HouseholdFilter(), id_numbers=id_numbers)
    return write_rooms(
        archive.rooms,
        people=archive.people,
        vehicles=archive.vehicles,
        contacts=archive.contacts,
        fees=archive.fees,
    )


def problems(batch) -> list[tuple[str, int | None, str]]:
    return [(p.get("sheet", ""), p["row"], p["code"]) for p in batch.report["problems"]]


@pytest.fixture
def actor(community):
    return staff(community)


# A full archive ------------------------------------------------------------------------------------


def fee_items(community):
    return {
        "物业费": FeeItemFactory(community=community, name="物业费"),
        "车位管理费": FeeItemFactory(community=community, name="车位管理费"),
    }


@pytest.fixture
def full(community):
    """Every kind of thing the archive holds, in two buildings (one whose name holds a dash)."""
    one = BuildingFactory(community=community, name="1栋", floors=18)
    unit = UnitFactory(building=one, name="1单元")
    unit2 = UnitFactory(building=one, name="2单元")
    dashed = UnitFactory(building=BuildingFactory(community=community, name="A-1座"), name="1单元")
    items = fee_items(community)
    party = TagFactory(community=community, name="党员")
    alone = TagFactory(community=community, name="独居老人")
    TagFactory(community=community, name="无人使用")  # a tag no household carries

    wang = HouseholdFactory(community=community, name="王家", notes="养狗\r\n周末在家")
    flat = HouseholdRoomFactory(
        household=wang, room=RoomFactory(unit=unit, number="101", state="self_occupied")
    )
    parking = RoomFactory(
        unit=unit, number="P01", floor=-1, use=RoomUse.PARKING, inner_area=12, built_area=12
    )
    HouseholdRoomFactory(household=wang, room=parking)
    PersonFactory(
        household=wang,
        name="王小明",
        kind=PersonKind.OWNER,
        phone="13912345678",
        id_number=WANG_ID,
        moved_in_on=D(2020, 5, 1),
    )
    PersonFactory(
        household=wang,
        name="李丽",
        kind=PersonKind.FAMILY,
        relation="配偶",
        phone="13800138000",
        id_number=LI_ID,
    )
    PersonFactory(
        household=wang,
        name="王小小",
        kind=PersonKind.FAMILY,
        relation="儿子",
        phone="",
        moved_in_on=D(2021, 1, 1),
    )
    PersonFactory(
        household=wang,
        name="张租",
        kind=PersonKind.TENANT,
        phone="021-87654321",
        moved_in_on=D(2022, 3, 1),
        moved_out_on=D(2023, 2, 28),
    )
    Vehicle.objects.create(community=community, household=wang, plate="粤B12345", model="白色大众")
    Vehicle.objects.create(community=community, household=wang, plate="粤BD12345", model="")
    EmergencyContact.objects.create(
        community=community, household=wang, name="王大明", phone="13700000000", relation="父亲"
    )
    EmergencyContact.objects.create(community=community, household=wang, name="赵姨", phone="010-12345678")
    HouseholdTagFactory(household=wang, tag=party)
    HouseholdTagFactory(household=wang, tag=alone)
    FeeAssignmentFactory(fee_item=items["物业费"], room=flat.room, starts_on=D(2024, 1, 1))
    FeeAssignmentFactory(
        fee_item=items["车位管理费"], room=parking, starts_on=D(2024, 1, 1), ends_on=D(2024, 12, 31)
    )

    li = HouseholdFactory(community=community, name="李四")
    shop = RoomFactory(unit=unit2, number="201", floor=2, use=RoomUse.SHOP, state=RoomState.RENTED)
    HouseholdRoomFactory(household=li, room=shop)
    PersonFactory(household=li, name="李四", kind=PersonKind.OWNER, phone="010-87654321")

    sun = HouseholdFactory(community=community, name="孙家")
    HouseholdRoomFactory(household=sun, room=RoomFactory(unit=dashed, number="301", floor=3))
    PersonFactory(household=sun, name="孙悟空", kind=PersonKind.OWNER, phone="13611112222", id_number=CHEN_ID)
    PersonFactory(household=sun, name="孙悟饭", kind=PersonKind.OWNER, phone="13611113333")
    Vehicle.objects.create(community=community, household=sun, plate="京A88888", model="黑色")
    HouseholdTagFactory(household=sun, tag=party)
    FeeAssignmentFactory(fee_item=items["物业费"], room=sun.rooms.get(), starts_on=D(2024, 3, 1))

    RoomFactory(unit=dashed, number="302", floor=3, state=RoomState.DECORATING)  # no household
    return community


def test_full_export_writes_every_sheet(full):
    book = openpyxl.load_workbook(io.BytesIO(export(full)), read_only=True)
    sheets = {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}
    assert list(sheets) == ["房屋住户", "人员", "车辆", "紧急联系人", "收费项目"]
    assert list(sheets["房屋住户"][0]) == HEADER_ROW
    assert len(sheets["房屋住户"]) - 1 == 5
    assert [r[12] for r in sheets["房屋住户"][1:] if r[8] == "王家"] == ["党员、独居老人"] * 2
    assert list(sheets["人员"][0]) == list(PEOPLE_HEADERS.values())
    people = {r[1]: r for r in sheets["人员"][1:]}
    assert len(people) == 7
    assert people["王小明"] == (
        "1栋-1单元-P01",  # the household's first room in the file (floor -1 comes first)
        "王小明",
        "业主",
        None,
        "13912345678",
        WANG_ID,
        "2020-05-01",
        None,
    )
    assert people["张租"][2:] == ("租户", None, "021-87654321", None, "2022-03-01", "2023-02-28")
    assert people["孙悟饭"][0] == "A-1座-1单元-301"
    assert list(sheets["车辆"][0]) == list(VEHICLE_HEADERS.values())
    assert sorted(r[1] for r in sheets["车辆"][1:]) == ["京A88888", "粤B12345", "粤BD12345"]
    assert list(sheets["紧急联系人"][0]) == list(CONTACT_HEADERS.values())
    assert len(sheets["紧急联系人"]) - 1 == 2
    assert list(sheets["收费项目"][0]) == list(FEE_HEADERS.values())
    assert sheets["收费项目"][1:] == [
        ("1栋-1单元-P01", "车位管理费", "2024-01-01", "2024-12-31"),  # in the rooms' order
        ("1栋-1单元-101", "物业费", "2024-01-01", None),
        ("A-1座-1单元-301", "物业费", "2024-03-01", None),
    ]


def test_full_export_masks_id_numbers_without_the_right(full, actor):
    content = export(full, id_numbers=False)
    people = list(
        openpyxl.load_workbook(io.BytesIO(content), read_only=True)["人员"].iter_rows(values_only=True)
    )
    ids = {r[1]: r[5] for r in people[1:]}
    assert ids["王小明"] == WANG_ID[:3] + "*" * 11 + WANG_ID[-4:]
    assert ids["王小小"] is None
    # A masked number that matches the archive is no change.
    before = counts()
    batch = import_preview(community=full, file_name="masked.xlsx", content=content, actor=actor)
    assert problems(batch) == []
    assert import_apply(batch=batch, actor=actor)["audit_entries"] == 0
    assert counts() == before


def test_full_export_imports_back_into_the_same_community_unchanged(full, actor):
    before, archive = counts(), snapshot(full)
    batch = import_preview(community=full, file_name="export.xlsx", content=export(full), actor=actor)
    assert problems(batch) == []
    assert (batch.report["new"], batch.report["changed"], batch.report["unchanged"]) == (0, 0, 5)
    assert {key: (s["new"], s["changed"], s["unchanged"]) for key, s in batch.report["sheets"].items()} == {
        "人员": (0, 0, 7),
        "车辆": (0, 0, 3),
        "紧急联系人": (0, 0, 2),
        "收费项目": (0, 0, 3),
    }
    assert batch.report["create"] == {"buildings": [], "units": [], "rooms": [], "tags": []}
    assert batch.report["details"] == []
    result = import_apply(batch=batch, actor=actor)
    assert result["audit_entries"] == 0
    assert counts() == before
    assert snapshot(full) == archive


def test_full_export_imports_into_an_empty_community_as_the_same_archive(full, actor):
    archive = snapshot(full)
    empty = CommunityFactory()
    fee_items(empty)  # fee items are set up first: the file assigns them, it does not define them
    TagFactory(community=empty, name="无人使用")
    other_actor = staff(empty)

    batch = import_preview(community=empty, file_name="export.xlsx", content=export(full), actor=other_actor)

    assert problems(batch) == []
    assert batch.report["create"] == {
        "buildings": ["1栋", "A-1座"],
        "units": ["1栋1单元", "1栋2单元", "A-1座1单元"],
        "rooms": ["1栋-1单元-101", "1栋-1单元-P01", "1栋-2单元-201", "A-1座-1单元-301", "A-1座-1单元-302"],
        "tags": ["党员", "独居老人"],
    }
    assert Room.objects.filter(community=empty).count() == 0  # the preview writes nothing
    result = import_apply(batch=batch, actor=other_actor)
    assert {key: result[key] for key in result if key != "audit_entries"} == {
        "new": 5,
        "changed": 0,
        "unchanged": 0,
        "households_new": 3,
        "buildings_new": 2,
        "units_new": 3,
        "people_new": 7,
        "people_changed": 0,
        "vehicles_new": 3,
        "contacts_new": 2,
        "tags_new": 2,
        "tags_added": 3,
        "assignments_new": 3,
    }
    assert snapshot(empty) == archive
    # ID numbers are stored encrypted, as the console stores them.
    stored = Person.objects.filter(community=empty, name="王小明").values_list("id_number", flat=True)
    assert list(stored) == [WANG_ID]
    # And the new archive exports to the same file.
    assert export(empty) == export(full) or _same_sheets(export(empty), export(full))


def _same_sheets(a: bytes, b: bytes) -> bool:
    def rows(content):
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
        return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}

    assert rows(a) == rows(b)
    return True


# A messy workbook -----------------------------------------------------------------------------------


@pytest.fixture
def messy_estate(community):
    """1栋 with 1单元 and room 101 held by 王家; 5栋 and 5号楼 both exist (so "5" is ambiguous); a plate
    on another household; the fee item 物业费; the manual tag 党员 and the system tag 欠费."""
    one = BuildingFactory(community=community, name="1栋")
    unit = UnitFactory(building=one, name="1单元")
    wang = HouseholdFactory(community=community, name="王家")
    HouseholdRoomFactory(household=wang, room=RoomFactory(unit=unit, number="101", floor=1))
    PersonFactory(household=wang, name="王小明", kind=PersonKind.OWNER, phone="13912345678")
    for name in ("5栋", "5号楼"):
        UnitFactory(building=BuildingFactory(community=community, name=name), name="1单元")
    other = HouseholdRoomFactory(household__community=community, room__unit=unit).household
    Vehicle.objects.create(community=community, household=other, plate="粤B54321")
    FeeItemFactory(community=community, name="物业费")
    TagFactory(community=community, name="党员")
    TagFactory(community=community, name="欠费", kind=TagKind.SYSTEM, rule="arrears")
    return community


def messy_file(*, bad: bool) -> bytes:
    """Title rows, full-width digits, dashed and +86 phones, a hidden first sheet, a duplicate under
    another spelling, labels written short; with ``bad``, also the rows every check must refuse."""
    rooms = [
        ["阳光小区住户信息表"],
        ["制表：物业服务中心", None, "2024年5月"],
        HEADER_ROW,
        row(
            "１０１",
            building="１栋",
            unit="１单元",
            floor=None,
            built=None,
            inner=None,
            use=None,
            state=None,
            owner="王小明",
            phone="139-1234-5678",
            tags="党员",
        ),
        row("102", building="1号楼", unit="1", floor="１", built="８９.５㎡"),
        row(
            "301",
            building="3栋",
            unit="1单元",
            floor=3,
            owner="陈七",
            phone="+86 138 0013 8000",
            tags="党员、新标签",
        ),
    ]
    if bad:
        rooms += [
            row("102", building="1栋", unit="1单元"),  # room 102 again, written the system's way
            row("501", building="5", unit="1单元"),  # 5栋 or 5号楼?
            row("103", owner="赵六", phone="12345"),  # not a phone
            row("104", owner="钱八", tags="欠费"),  # set by its rule
        ]
    people = [
        ["人员名单"],
        list(PEOPLE_HEADERS.values()),
        ["1-1-101", "王小明", "业主", "", "139 1234 5678", WANG_ID, "2020-05-01", ""],
        ["3-1-301", "陈七", "业主", "", "", CHEN_ID, "2024/5/1", ""],
        ["3栋1单元301", "陈小七", "家庭成员", "儿子", "13800138001", "", "２０２４年５月１日", ""],
    ]
    if bad:
        people += [
            ["1-1-101", "李丽", "家庭成员", "配偶", "", BAD_ID, "", ""],
            ["3-1-301", "陈大七", "亲戚", "", "", "", "", ""],
            ["9-1-901", "某人", "租户", "", "", "", "", ""],
            ["1-1-101", "王小明", "家庭成员", "", "", "", "", ""],  # the owner, twice
            ["1-1-102", "孙某", "租户", "", "", "", "", ""],  # 102 gets no household
        ]
    vehicles = [list(VEHICLE_HEADERS.values()), ["1-1-101", "粤B·12345", "白色"]]
    if bad:
        vehicles += [["3-1-301", "粤B54321", ""], ["1-1-101", "粤b 12345", ""], ["1-1-101", "ABC", ""]]
    contacts = [list(CONTACT_HEADERS.values()), ["3-1-301", "陈老七", "137-0000-0000", "父亲"]]
    if bad:
        contacts += [["3-1-301", "陈二七", "", ""]]
    fees = [
        list(FEE_HEADERS.values()),
        ["1-1-101", "物业费", "2024-01-01", ""],
        ["3-1-301", "物业费", "2024-05-01", ""],
    ]
    if bad:
        fees += [
            ["1-1-101", "不存在的费", "2024-01-01", ""],
            ["1-1-101", "物业费", "2024-06-01", ""],  # overlaps the row above
            ["1-1-101", "物业费", "2024-01-01", "2023-12-31"],
        ]
    return workbook(
        [
            ("旧数据", True, [HEADER_ROW, row("999", building="9栋", owner="旧")]),
            ("房屋", False, rooms),
            ("人员", False, people),
            ("车辆", False, vehicles),
            ("紧急联系人", False, contacts),
            ("收费项目", False, fees),
        ]
    )


def test_messy_workbook_refuses_exactly_the_bad_rows(messy_estate, actor):
    before, labels = counts(), estate_labels(messy_estate)
    batch = import_preview(
        community=messy_estate, file_name="messy.xlsx", content=messy_file(bad=True), actor=actor
    )
    assert problems(batch) == [
        ("房屋", 7, "duplicate_room"),
        ("房屋", 8, "ambiguous_label"),
        ("房屋", 9, "bad_phone"),
        ("房屋", 10, "system_tag"),
        ("人员", 6, "bad_id_number"),
        ("人员", 7, "bad_choice"),
        ("人员", 8, "unknown_room"),
        ("人员", 9, "duplicate_person"),
        ("人员", 10, "room_without_household"),
        ("车辆", 3, "plate_taken"),
        ("车辆", 4, "duplicate_plate"),
        ("车辆", 5, "bad_plate"),
        ("紧急联系人", 3, "missing_value"),
        ("收费项目", 4, "unknown_fee_item"),
        ("收费项目", 5, "assignment_overlaps"),
        ("收费项目", 6, "ends_before_start"),
    ]
    by_row = {(p["sheet"], p["row"]): p for p in batch.report["problems"]}
    assert by_row[("房屋", 8)]["params"] == {"column": "楼栋", "value": "5", "matches": "5号楼、5栋"}
    assert by_row[("人员", 6)]["params"]["column"] == "身份证号"
    assert by_row[("车辆", 3)]["params"]["household"] != "王家"
    assert batch.state == ImportState.REFUSED
    with pytest.raises(ImportRefusedError):
        import_apply(batch=batch, actor=actor)
    assert counts() == before
    assert estate_labels(messy_estate) == labels


def test_messy_workbook_without_the_bad_rows_creates_only_what_the_preview_lists(messy_estate, actor):
    labels = estate_labels(messy_estate)
    batch = import_preview(
        community=messy_estate, file_name="messy.xlsx", content=messy_file(bad=False), actor=actor
    )
    assert problems(batch) == []
    # １栋-１单元-１０１ is the existing 1栋-1单元-101; 1号楼-1-102 is a new room of 1栋 / 1单元.
    assert batch.report["create"] == {
        "buildings": ["3栋"],
        "units": ["3栋1单元"],
        "rooms": ["1栋-1单元-102", "3栋-1单元-301"],
        "tags": ["新标签"],
    }
    assert (batch.report["new"], batch.report["changed"], batch.report["unchanged"]) == (2, 1, 0)
    assert {key: (s["new"], s["changed"], s["unchanged"]) for key, s in batch.report["sheets"].items()} == {
        "人员": (2, 1, 0),  # 陈七 is the new household's owner, merged with the 房屋 sheet's
        "车辆": (1, 0, 0),
        "紧急联系人": (1, 0, 0),
        "收费项目": (2, 0, 0),
    }

    import_apply(batch=batch, actor=actor)

    after = estate_labels(messy_estate)
    created = {key: sorted(after[key] - labels[key]) for key in after}
    assert created == batch.report["create"]
    assert labels.keys() == after.keys() and all(labels[key] <= after[key] for key in labels)
    assert Building.objects.get(community=messy_estate, name="3栋").floors == 3
    chen = Household.objects.get(community=messy_estate, name="陈七")
    people = {p.name: p for p in chen.people.all()}
    assert (
        people["陈七"].kind,
        people["陈七"].phone,
        people["陈七"].id_number,
        people["陈七"].moved_in_on,
    ) == (
        PersonKind.OWNER,
        "13800138000",
        CHEN_ID,
        D(2024, 5, 1),
    )
    assert (people["陈小七"].kind, people["陈小七"].relation, people["陈小七"].moved_in_on) == (
        PersonKind.FAMILY,
        "儿子",
        D(2024, 5, 1),
    )
    assert list(chen.emergency_contacts.values_list("name", "phone", "relation")) == [
        ("陈老七", "13700000000", "父亲")
    ]
    assert sorted(HouseholdTag.objects.filter(household=chen).values_list("tag__name", flat=True)) == [
        "党员",
        "新标签",
    ]
    wang = Household.objects.get(community=messy_estate, name="王家")
    assert wang.people.get().id_number == WANG_ID  # the ID number added to the existing owner
    assert list(wang.vehicles.values_list("plate", "model")) == [("粤B12345", "白色")]
    assert list(wang.tag_links.filter(tag__kind=TagKind.MANUAL).values_list("tag__name", flat=True)) == [
        "党员"
    ]
    assert sorted(
        FeeAssignment.objects.filter(community=messy_estate).values_list("room__number", "starts_on")
    ) == [("101", D(2024, 1, 1)), ("301", D(2024, 5, 1))]
    # The audit log never holds an ID number in clear.
    assert not AuditLog.objects.filter(changes__icontains=WANG_ID).exists()
    assert not AuditLog.objects.filter(changes__icontains=CHEN_ID).exists()
    # The same file again changes nothing.
    again = import_preview(
        community=messy_estate, file_name="messy.xlsx", content=messy_file(bad=False), actor=actor
    )
    assert problems(again) == []
    assert again.report["create"] == {"buildings": [], "units": [], "rooms": [], "tags": []}
    assert import_apply(batch=again, actor=actor)["audit_entries"] == 0


# Labels, people and IDs: one refusal or match each ----------------------------------------------------


def test_labels_written_another_way_match_the_existing_room(community, actor):
    unit = UnitFactory(building=BuildingFactory(community=community, name="12栋"), name="3单元")
    room = RoomFactory(unit=unit, number="1201", floor=12)
    before = counts()
    rows = [row("１２０１", building="１２号楼", unit="3", floor=12, built=89.5, inner=72.3, state="空置")]
    batch = import_preview(community=community, file_name="a.xlsx", content=xlsx_rooms(rows), actor=actor)
    assert problems(batch) == []
    assert batch.report["create"] == {"buildings": [], "units": [], "rooms": [], "tags": []}
    assert (batch.report["new"], batch.report["changed"], batch.report["unchanged"]) == (0, 0, 1)
    import_apply(batch=batch, actor=actor)
    assert counts() == before
    assert Room.objects.get(community=community) == room


def test_a_label_matching_two_existing_rooms_is_refused(community, actor):
    for name in ("1栋", "1号楼"):
        RoomFactory(
            unit=UnitFactory(building=BuildingFactory(community=community, name=name), name="1单元"),
            number="101",
        )
    before = counts()
    people = [list(PEOPLE_HEADERS.values()), ["1-1-101", "王五", "业主", "", "", "", "", ""]]
    content = workbook([("人员", False, people)])
    batch = import_preview(community=community, file_name="a.xlsx", content=content, actor=actor)
    assert problems(batch) == [("人员", 2, "ambiguous_label")]
    assert batch.report["problems"][0]["params"] == {
        "column": "房屋",
        "value": "1-1-101",
        "matches": "1号楼、1栋",
    }
    # Written exactly as one of them, it is that one.
    people[1][0] = "1号楼-1单元-101"
    batch = import_preview(
        community=community, file_name="a.xlsx", content=workbook([("人员", False, people)]), actor=actor
    )
    assert problems(batch) == [("人员", 2, "room_without_household")]
    assert counts() == before


@pytest.fixture
def wang(community, household):
    """王小明 (owner, 13912345678) of household 王家 with its room, and 李丽 twice (two namesakes)."""
    household.name = "王家"
    household.save()
    return household


def people_file(household, *rows) -> bytes:
    label = str(household.rooms.get())
    return workbook([("人员", False, [list(PEOPLE_HEADERS.values()), *([label, *r] for r in rows)])])


@pytest.mark.parametrize(
    ("person", "code"),
    [
        (["王小明", "家庭成员", "", "", "", "", ""], None),  # no 房屋住户 sheet names him owner: a change
        (["王小明", "业主", "", "", BAD_ID, "", ""], "bad_id_number"),
        (["王小明", "业主", "", "", "110***********1232", "", ""], "masked_id_number"),
        (["王小明", "业主", "", "", "", "2024-05-01", "2024-04-30"], "moved_out_before_in"),
        (["王小明", "业主", "", "12345", "", "", ""], "bad_phone"),
        (["王小明", "房东", "", "", "", "", ""], "bad_choice"),
        (["王小明", "", "", "", "", "", ""], "missing_value"),
        (["王小明", "业主", "", "", "", "2024-02-30", ""], "not_date"),
    ],
)
def test_a_person_row_is_checked(community, wang, actor, person, code):
    before = counts()
    batch = import_preview(
        community=community, file_name="a.xlsx", content=people_file(wang, person), actor=actor
    )
    if code is None:
        assert problems(batch) == []
        import_apply(batch=batch, actor=actor)
        assert wang.people.get().kind == PersonKind.FAMILY
        return
    assert problems(batch) == [("人员", 2, code)]
    assert counts() == before


def test_the_owner_of_the_rooms_sheet_must_be_an_owner_on_the_people_sheet(community, wang, actor):
    room = wang.rooms.get()
    rooms = [HEADER_ROW, row(room.number, building=room.building.name, unit=room.unit.name, owner="王小明")]
    people = [list(PEOPLE_HEADERS.values()), [str(room), "王小明", "家庭成员", "", "13800000000", "", "", ""]]
    before = counts()
    content = workbook([("房屋住户", False, rooms), ("人员", False, people)])
    batch = import_preview(community=community, file_name="a.xlsx", content=content, actor=actor)
    assert problems(batch) == [("人员", 2, "owner_kind")]
    people[1][2] = "业主"
    rooms[1][10] = "13912345678"
    content = workbook([("房屋住户", False, rooms), ("人员", False, people)])
    batch = import_preview(community=community, file_name="a.xlsx", content=content, actor=actor)
    assert problems(batch) == [("人员", 2, "person_conflict")]
    assert counts() == before


def test_namesakes_in_a_household_are_refused_not_guessed(community, wang, actor):
    PersonFactory(household=wang, name="李丽", kind=PersonKind.FAMILY)
    PersonFactory(household=wang, name="李丽", kind=PersonKind.TENANT)
    before = counts()
    batch = import_preview(
        community=community,
        file_name="a.xlsx",
        content=people_file(wang, ["李丽", "家庭成员", "", "13800000000", "", "", ""]),
        actor=actor,
    )
    assert problems(batch) == [("人员", 2, "ambiguous_person")]
    assert counts() == before


def test_changing_a_person_logs_the_id_number_masked(community, wang, actor):
    batch = import_preview(
        community=community,
        file_name="a.xlsx",
        content=people_file(wang, ["王小明", "业主", "", "", WANG_ID.lower(), "2020-05-01", ""]),
        actor=actor,
    )
    assert problems(batch) == []
    assert [(d["sheet"], d["row"], d["status"], d["columns"]) for d in batch.report["details"]] == [
        ("人员", 2, "changed", ["身份证号", "入住日期"])
    ]
    import_apply(batch=batch, actor=actor)
    owner = wang.people.get()
    assert (owner.id_number, owner.moved_in_on) == (WANG_ID, D(2020, 5, 1))
    entry = AuditLog.objects.get(action="households.person.changed")
    assert entry.household_id == wang.pk
    assert entry.changes == {
        "id_number": ["", WANG_ID[:3] + "*" * 11 + WANG_ID[-4:]],
        "moved_in_on": [None, "2020-05-01"],
    }


def xlsx_rooms(rows) -> bytes:
    return workbook([("房屋住户", False, [HEADER_ROW, *rows])])


def test_preview_and_apply_of_every_sheet_use_a_fixed_number_of_queries(db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def measure(households: int) -> tuple[int, int]:
        community = CommunityFactory()
        fee_items(community)
        UnitFactory(building=BuildingFactory(community=community, name="1栋"), name="1单元")
        actor = staff(community)
        labels = [f"1栋-1单元-{100 + n}" for n in range(households)]
        content = workbook(
            [
                (
                    "房屋住户",
                    False,
                    [
                        HEADER_ROW,
                        *(row(str(100 + n), owner=f"业主{n}", tags="党员") for n in range(households)),
                    ],
                ),
                (
                    "人员",
                    False,
                    [
                        list(PEOPLE_HEADERS.values()),
                        *(
                            [label, f"家人{n}", "家庭成员", "", "", "", "", ""]
                            for n, label in enumerate(labels)
                        ),
                    ],
                ),
                (
                    "车辆",
                    False,
                    [
                        list(VEHICLE_HEADERS.values()),
                        *([label, f"粤B{10000 + n}", ""] for n, label in enumerate(labels)),
                    ],
                ),
                (
                    "紧急联系人",
                    False,
                    [
                        list(CONTACT_HEADERS.values()),
                        *([label, "联系人", f"139{n:08d}", ""] for n, label in enumerate(labels)),
                    ],
                ),
                (
                    "收费项目",
                    False,
                    [list(FEE_HEADERS.values()), *([label, "物业费", "2024-01-01", ""] for label in labels)],
                ),
            ]
        )
        with CaptureQueriesContext(connection) as preview:
            batch = import_preview(community=community, file_name="a.xlsx", content=content, actor=actor)
        assert problems(batch) == []
        with CaptureQueriesContext(connection) as apply:
            result = import_apply(batch=batch, actor=actor)
        assert (result["people_new"], result["vehicles_new"], result["assignments_new"]) == (
            2 * households,
            households,
            households,
        )
        return len(preview), len(apply)

    few, many = measure(3), measure(40)
    assert many[0] == few[0]
    # Applying is a few bulk statements; SQLite's limit on parameters splits a large INSERT in batches.
    assert many[1] - few[1] <= 6


def test_a_sheet_named_as_the_template_names_it_without_its_columns_is_refused(community, wang, actor):
    room = str(wang.rooms.get())
    content = workbook(
        [
            ("人员", False, [["房号", "名字", "身份"], [room, "李丽", "家庭成员"]]),
            ("车辆", False, [["房屋", "车牌", "车型"], [room, "粤B12345", ""]]),
            ("紧急联系人", False, [["房屋", "联系人", "关系"], [room, "王大明", "父亲"]]),
        ]
    )
    before = counts()
    batch = import_preview(community=community, file_name="a.xlsx", content=content, actor=actor)
    assert problems(batch) == [("人员", 1, "missing_columns"), ("紧急联系人", 2, "missing_value")]
    assert batch.report["problems"][0]["params"] == {"columns": "房屋、姓名"}
    assert batch.report["problems"][1]["params"] == {"column": "联系电话"}
    assert counts() == before
