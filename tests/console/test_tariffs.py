"""Console pages of fee items, assignments, meters, the reading grid and the readings import."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.billing.factories import (
    FeeAssignmentFactory,
    FeeItemFactory,
    MeterFactory,
    MeterReadingFactory,
    SharedMeterFactory,
)
from tests.factories import (
    BuildingFactory,
    HouseholdRoomFactory,
    HouseholdTagFactory,
    RoomFactory,
    TagFactory,
    UnitFactory,
    staff,
)
from wuye.billing.domain.meters import readings_enter
from wuye.billing.models import FeeAssignment, FeeItem, Meter, MeterReading
from wuye.core.enums import Role
from wuye.core.models import AuditLog

D = Decimal
JAN, FEB = datetime.date(2024, 1, 1), datetime.date(2024, 2, 1)


@pytest.fixture
def english(client):
    """Pages in English, so that the checks read the msgids whatever the catalog says."""
    client.cookies["django_language"] = "en"


def feeitem_post(**overrides):
    data = {
        "name": "物业费",
        "category": "property",
        "method": "built_area",
        "price": "2.35",
        "meter_kind": "",
        "cycle": "monthly",
        "timing": "prepaid",
        "due_day": "15",
        "valid_from": "2024-01-01",
        "valid_to": "",
        "rounding_unit": "fen",
        "rounding_mode": "half_up",
        "late_fee_method": "daily_rate",
        "late_fee_grace_days": "30",
        "late_fee_rate_percent": "0.05",
        "late_fee_fixed_yuan": "",
        "late_fee_cap_yuan": "100",
        "tiers-TOTAL_FORMS": "3",
        "tiers-INITIAL_FORMS": "0",
        "tiers-MIN_NUM_FORMS": "0",
        "tiers-MAX_NUM_FORMS": "12",
    }
    for index in range(3):
        data[f"tiers-{index}-up_to"] = ""
        data[f"tiers-{index}-price"] = ""
    data.update(overrides)
    return data


# Fee items -----------------------------------------------------------------------------------------


def test_fee_item_pages_render(admin_client, community):
    item = FeeItemFactory(community=community, name="卫生费")
    FeeAssignmentFactory(fee_item=item, discount_percent=D(100), discount_reason="低保")
    for url in (
        reverse("console:feeitems"),
        reverse("console:feeitem_new"),
        reverse("console:feeitem", kwargs={"feeitem_pk": item.pk}),
        reverse("console:feeitem_edit", kwargs={"feeitem_pk": item.pk}),
        reverse("console:feeitem_assign", kwargs={"feeitem_pk": item.pk}),
        reverse("console:assignment_discount", kwargs={"feeassignment_pk": item.assignments.get().pk}),
    ):
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert "卫生费" in response.content.decode() or url.endswith("/new/"), url


def test_fee_item_create_from_the_form(admin_client, community):
    response = admin_client.post(reverse("console:feeitem_new"), feeitem_post())
    item = FeeItem.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("console:feeitem", kwargs={"feeitem_pk": item.pk})
    assert (
        item.community,
        item.price,
        item.late_fee_rate,
        item.late_fee_cap_fen,
        item.late_fee_grace_days,
    ) == (
        community,
        D("2.3500"),
        D("0.000500"),
        10000,
        30,
    )
    assert AuditLog.objects.filter(action="billing.feeitem.created", object_pk=item.pk).count() == 1


def test_fee_item_create_metered_with_tiers(admin_client, community):
    response = admin_client.post(
        reverse("console:feeitem_new"),
        feeitem_post(
            name="水费",
            category="water",
            method="metered",
            meter_kind="water",
            timing="postpaid",
            price="3.2",
            **{"tiers-0-up_to": "10", "tiers-0-price": "3.2", "tiers-1-price": "4.8"},
        ),
    )
    assert response.status_code == 302
    assert FeeItem.objects.get().tiers == [
        {"up_to": "10.00", "price": "3.2000"},
        {"up_to": None, "price": "4.8000"},
    ]


def test_fee_item_bad_tiers_show_the_reason_and_save_nothing(admin_client, community, english):
    response = admin_client.post(
        reverse("console:feeitem_new"),
        feeitem_post(
            method="metered",
            meter_kind="water",
            timing="postpaid",
            **{"tiers-0-up_to": "20", "tiers-0-price": "1", "tiers-1-up_to": "10", "tiers-1-price": "2"},
        ),
    )
    assert response.status_code == 200
    assert "must rise" in response.content.decode()
    assert FeeItem.objects.count() == 0


def test_fee_item_metered_prepaid_is_refused(admin_client, community, english):
    response = admin_client.post(
        reverse("console:feeitem_new"), feeitem_post(method="metered", meter_kind="water", timing="prepaid")
    )
    assert response.status_code == 200
    assert "postpaid" in response.content.decode()
    assert FeeItem.objects.count() == 0


def test_fee_item_edit_and_deactivate(admin_client, community):
    item = FeeItemFactory(community=community, name="物业费")
    response = admin_client.post(
        reverse("console:feeitem_edit", kwargs={"feeitem_pk": item.pk}), feeitem_post(price="2.8")
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.price == D("2.8000")
    admin_client.post(
        reverse("console:feeitem_active", kwargs={"feeitem_pk": item.pk}), {"operation": "deactivate"}
    )
    item.refresh_from_db()
    assert not item.is_active
    admin_client.post(
        reverse("console:feeitem_active", kwargs={"feeitem_pk": item.pk}), {"operation": "reactivate"}
    )
    item.refresh_from_db()
    assert item.is_active


def test_fee_item_edit_form_shows_stored_values(admin_client, community):
    item = FeeItemFactory(
        community=community,
        method="metered",
        price=D("3.2"),
        tiers=[{"up_to": "10.00", "price": "3.2000"}, {"up_to": None, "price": "4.8000"}],
        late_fee_method="fixed",
        late_fee_fixed_fen=500,
    )
    body = admin_client.get(reverse("console:feeitem_edit", kwargs={"feeitem_pk": item.pk})).content.decode()
    assert 'name="price" value="3.2"' in body
    assert 'name="tiers-0-up_to" value="10.00"' in body
    assert 'name="late_fee_fixed_yuan" value="5.00"' in body


# Assignments ---------------------------------------------------------------------------------------


def assign_post(**overrides):
    data = {
        "target": "building",
        "building": "",
        "use": "",
        "tag": "",
        "rooms": "",
        "starts_on": "2024-01-01",
        "ends_on": "",
        "discount": "none",
        "discount_percent": "",
        "discount_yuan": "",
        "discount_reason": "",
        "discount_approved_by": "",
    }
    return {**data, **overrides}


def test_assign_by_building_from_the_page(admin_client, community):
    item = FeeItemFactory(community=community)
    building = BuildingFactory(community=community)
    unit = UnitFactory(building=building)
    rooms = [RoomFactory(unit=unit) for _ in range(3)]
    RoomFactory(unit__building__community=community, community=community)
    response = admin_client.post(
        reverse("console:feeitem_assign", kwargs={"feeitem_pk": item.pk}), assign_post(building=building.pk)
    )
    assert response.status_code == 302
    assert set(FeeAssignment.objects.values_list("room_id", flat=True)) == {r.pk for r in rooms}


def test_assign_by_tag_with_exemption(admin_client, admin_user, community):
    item = FeeItemFactory(community=community)
    tag = TagFactory(community=community)
    link = HouseholdRoomFactory(household__community=community)
    HouseholdTagFactory(household=link.household, tag=tag)
    HouseholdRoomFactory(household__community=community)
    response = admin_client.post(
        reverse("console:feeitem_assign", kwargs={"feeitem_pk": item.pk}),
        assign_post(
            target="tag",
            tag=tag.pk,
            discount="exempt",
            discount_reason="低保户",
            discount_approved_by=admin_user.pk,
        ),
    )
    assert response.status_code == 302
    assignment = FeeAssignment.objects.get()
    assert (assignment.room_id, assignment.discount_percent, assignment.discount_approved_by) == (
        link.room_id,
        D(100),
        admin_user,
    )


def test_assign_one_by_one_names_unknown_rooms(admin_client, community, english):
    item = FeeItemFactory(community=community)
    room = RoomFactory(unit__building__community=community, community=community)
    response = admin_client.post(
        reverse("console:feeitem_assign", kwargs={"feeitem_pk": item.pk}),
        assign_post(target="rooms", rooms=f"{room}\n9栋-9单元-999"),
    )
    assert response.status_code == 200
    assert "9栋-9单元-999" in response.content.decode()
    assert FeeAssignment.objects.count() == 0
    response = admin_client.post(
        reverse("console:feeitem_assign", kwargs={"feeitem_pk": item.pk}),
        assign_post(target="rooms", rooms=f"{room}\n"),
    )
    assert response.status_code == 302
    assert FeeAssignment.objects.get().room == room


def test_assign_discount_approver_must_manage_billing(admin_client, community):
    item = FeeItemFactory(community=community)
    cashier = staff(community, Role.CASHIER)
    building = RoomFactory(unit__building__community=community, community=community).building
    response = admin_client.post(
        reverse("console:feeitem_assign", kwargs={"feeitem_pk": item.pk}),
        assign_post(
            building=building.pk,
            discount="percent",
            discount_percent="20",
            discount_reason="x",
            discount_approved_by=cashier.pk,
        ),
    )
    assert response.status_code == 200  # the cashier is not even offered as an approver
    assert FeeAssignment.objects.count() == 0


def test_assignment_end_and_discount_from_the_page(admin_client, admin_user, community):
    assignment = FeeAssignmentFactory(fee_item__community=community)
    response = admin_client.post(
        reverse("console:assignment_end", kwargs={"feeassignment_pk": assignment.pk}),
        {"ends_on": "2024-06-30"},
    )
    assert response.status_code == 302
    response = admin_client.post(
        reverse("console:assignment_discount", kwargs={"feeassignment_pk": assignment.pk}),
        {
            "discount": "fixed",
            "discount_yuan": "12.5",
            "discount_reason": "老人",
            "discount_approved_by": admin_user.pk,
        },
    )
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert (assignment.ends_on, assignment.discount_fen, assignment.discount_reason) == (
        datetime.date(2024, 6, 30),
        1250,
        "老人",
    )


def test_household_page_lists_the_rooms_fee_items(admin_client, household):
    FeeAssignmentFactory(
        fee_item__community=household.community,
        fee_item__name="电梯费",
        room=household.rooms.get(),
        discount_fen=300,
        discount_reason="一楼住户",
    )
    body = admin_client.get(reverse("console:household", args=[household.pk])).content.decode()
    assert 'id="fee-assignments"' in body
    assert "电梯费" in body and "一楼住户" in body and "3.00" in body


def test_household_page_hides_fee_items_without_billing_view(client, household):
    client.force_login(staff(household.community, Role.TECHNICIAN))
    FeeAssignmentFactory(
        fee_item__community=household.community, fee_item__name="电梯费", room=household.rooms.get()
    )
    body = client.get(reverse("console:household", args=[household.pk])).content.decode()
    assert "电梯费" not in body


# Permissions ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.CASHIER, Role.FRONT_DESK])
def test_billing_viewers_read_but_cannot_change(client, community, role):
    client.force_login(staff(community, role))
    item = FeeItemFactory(community=community, name="物业费")
    assignment = FeeAssignmentFactory(fee_item=item)
    meter = MeterFactory(community=community, room=assignment.room)
    building = assignment.room.building
    for url in (
        reverse("console:feeitems"),
        reverse("console:feeitem", kwargs={"feeitem_pk": item.pk}),
        reverse("console:meters"),
        reverse("console:building_meters", kwargs={"building_pk": building.pk}),
        reverse("console:meter", kwargs={"meter_pk": meter.pk}),
        reverse("console:readings_grid", kwargs={"building_pk": building.pk}),
    ):
        assert client.get(url).status_code == 200, url
    before = (
        FeeItem.objects.count(),
        FeeAssignment.objects.count(),
        Meter.objects.count(),
        AuditLog.objects.count(),
    )
    refused = [
        ("post", reverse("console:feeitem_new"), feeitem_post(name="新项目")),
        ("post", reverse("console:feeitem_edit", kwargs={"feeitem_pk": item.pk}), feeitem_post(price="9")),
        ("post", reverse("console:feeitem_active", kwargs={"feeitem_pk": item.pk}), {}),
        (
            "post",
            reverse("console:feeitem_assign", kwargs={"feeitem_pk": item.pk}),
            assign_post(building=building.pk),
        ),
        (
            "post",
            reverse("console:assignment_end", kwargs={"feeassignment_pk": assignment.pk}),
            {"ends_on": "2024-02-01"},
        ),
        (
            "post",
            reverse("console:meter_new", kwargs={"building_pk": building.pk}),
            {"kind": "gas", "number": "G1"},
        ),
        ("post", reverse("console:meter_active", kwargs={"meter_pk": meter.pk}), {}),
        (
            "post",
            reverse("console:readings_grid", kwargs={"building_pk": building.pk}),
            {"month": "2024-01", f"value_{meter.pk}": "5"},
        ),
        ("get", reverse("console:readings_import"), {}),
        ("get", reverse("console:readings_template"), {}),
    ]
    for method, url, data in refused:
        assert getattr(client, method)(url, data).status_code == 404, url
    item.refresh_from_db()
    assignment.refresh_from_db()
    meter.refresh_from_db()
    assert (item.price, item.is_active, assignment.ends_on, meter.is_active) == (
        D("2.5000"),
        True,
        None,
        True,
    )
    assert (
        FeeItem.objects.count(),
        FeeAssignment.objects.count(),
        Meter.objects.count(),
        AuditLog.objects.count(),
    ) == before
    assert MeterReading.objects.count() == 0


def test_technician_sees_no_billing_pages(client, community):
    client.force_login(staff(community, Role.TECHNICIAN))
    assert client.get(reverse("console:feeitems")).status_code == 404
    assert client.get(reverse("console:meters")).status_code == 404


def test_sidebar_shows_the_billing_entries(admin_client, community):
    body = admin_client.get(reverse("console:home")).content.decode()
    assert reverse("console:feeitems") in body and reverse("console:meters") in body


# Meters and the reading grid -----------------------------------------------------------------------


def test_meter_add_for_a_room_and_shared(admin_client, community):
    building = BuildingFactory(community=community, name="5栋")
    room = RoomFactory(unit=UnitFactory(building=building, name="1单元"), number="101")
    url = reverse("console:meter_new", kwargs={"building_pk": building.pk})
    assert (
        admin_client.post(url, {"kind": "water", "number": "W-501", "room": "5栋-1单元-101"}).status_code
        == 302
    )
    assert admin_client.post(url, {"kind": "electricity", "number": "E-5", "room": ""}).status_code == 302
    assert set(Meter.objects.values_list("number", "room_id", "building_id")) == {
        ("W-501", room.pk, building.pk),
        ("E-5", None, building.pk),
    }
    body = admin_client.get(
        reverse("console:building_meters", kwargs={"building_pk": building.pk})
    ).content.decode()
    assert "W-501" in body and "E-5" in body


def test_meter_add_in_another_building_is_refused(admin_client, community):
    building = BuildingFactory(community=community, name="5栋")
    RoomFactory(
        unit=UnitFactory(building=BuildingFactory(community=community, name="6栋"), name="1单元"),
        number="101",
    )
    url = reverse("console:meter_new", kwargs={"building_pk": building.pk})
    assert (
        admin_client.post(url, {"kind": "water", "number": "W1", "room": "6栋-1单元-101"}).status_code == 302
    )
    assert Meter.objects.count() == 0


def test_meter_deactivate_from_the_page(admin_client, community):
    meter = MeterFactory(community=community)
    admin_client.post(
        reverse("console:meter_active", kwargs={"meter_pk": meter.pk}), {"operation": "deactivate"}
    )
    meter.refresh_from_db()
    assert not meter.is_active
    body = admin_client.get(reverse("console:meter", kwargs={"meter_pk": meter.pk})).content.decode()
    assert meter.number in body


@pytest.fixture
def grid_building(community, admin_user):
    building = BuildingFactory(community=community)
    unit = UnitFactory(building=building)
    first = MeterFactory(community=community, room=RoomFactory(unit=unit), number="W-1")
    second = MeterFactory(community=community, room=RoomFactory(unit=unit), number="W-2")
    readings_enter(
        community=community,
        period=JAN,
        rows=[(first, D(100), False), (second, D(50), False)],
        actor=admin_user,
    )
    return building, first, second


def test_reading_grid_saves_all_rows(admin_client, community, grid_building):
    building, first, second = grid_building
    url = reverse("console:readings_grid", kwargs={"building_pk": building.pk})
    page = admin_client.get(url, {"month": "2024-02"})
    assert page.status_code == 200
    assert "W-1" in page.content.decode() and "100.00" in page.content.decode()
    response = admin_client.post(
        url, {"month": "2024-02", f"value_{first.pk}": "112.5", f"value_{second.pk}": "61"}
    )
    assert response.status_code == 302
    assert response.url == f"{url}?month=2024-02"
    assert {(r.meter_id, r.usage) for r in MeterReading.objects.filter(period=FEB)} == {
        (first.pk, D("12.50")),
        (second.pk, D("11.00")),
    }


def test_reading_grid_with_a_bad_row_saves_nothing_and_names_it(
    admin_client, community, grid_building, english
):
    building, first, second = grid_building
    url = reverse("console:readings_grid", kwargs={"building_pk": building.pk})
    before = (MeterReading.objects.count(), AuditLog.objects.count())
    response = admin_client.post(
        url, {"month": "2024-02", f"value_{first.pk}": "112.5", f"value_{second.pk}": "40"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "below the previous one (50.00 in 2024-01)" in body
    assert 'class="row-error" data-meter="W-2"' in body
    assert 'value="112.5"' in body  # what was typed stays in the grid
    assert (MeterReading.objects.count(), AuditLog.objects.count()) == before
    response = admin_client.post(
        url,
        {
            "month": "2024-02",
            f"value_{first.pk}": "112.5",
            f"value_{second.pk}": "40",
            f"replaced_{second.pk}": "on",
        },
    )
    assert response.status_code == 302
    assert MeterReading.objects.get(meter=second, period=FEB).usage == D(40)


def test_reading_grid_shared_meter_row(admin_client, community):
    building = BuildingFactory(community=community)
    RoomFactory(unit=UnitFactory(building=building), built_area=D(50))
    shared = SharedMeterFactory(community=community, building=building, number="E-公共")
    MeterReadingFactory(meter=shared, period=JAN, value=D(10))
    url = reverse("console:readings_grid", kwargs={"building_pk": building.pk})
    assert "E-公共" in admin_client.get(url, {"month": "2024-02"}).content.decode()
    assert admin_client.post(url, {"month": "2024-02", f"value_{shared.pk}": "30"}).status_code == 302
    assert MeterReading.objects.get(meter=shared, period=FEB).shares.get().usage == D(20)


# Readings import -----------------------------------------------------------------------------------


def workbook(rows) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["表号", "月份", "读数", "换表"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(client, content: bytes, name="抄表.xlsx"):
    return client.post(reverse("console:readings_import"), {"file": SimpleUploadedFile(name, content)})


def test_readings_template_downloads(admin_client, community):
    response = admin_client.get(reverse("console:readings_template"))
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert [cell.value for cell in sheet[1]][:4] == ["表号", "月份", "读数", "换表"]


def test_readings_import_preview_then_apply(admin_client, community, grid_building):
    _building, first, second = grid_building
    content = workbook([["W-1", "2024-02", 110, "否"], ["W-2", "2024-02", 55.5, ""]])
    before = MeterReading.objects.count()
    preview = upload(admin_client, content)
    assert preview.status_code == 200
    assert preview.context["preview"].created == 2
    assert MeterReading.objects.count() == before  # a preview writes nothing
    payload = preview.context["apply_form"]["payload"].value()
    response = admin_client.post(reverse("console:readings_import_apply"), {"payload": payload})
    assert response.status_code == 302
    assert {(r.meter_id, r.usage) for r in MeterReading.objects.filter(period=FEB)} == {
        (first.pk, D(10)),
        (second.pk, D("5.50")),
    }
    # The same file again: nothing to apply, and applying the old preview again changes nothing.
    again = upload(admin_client, content)
    assert (again.context["preview"].created, again.context["preview"].unchanged) == (0, 2)
    logs = AuditLog.objects.count()
    assert (
        admin_client.post(reverse("console:readings_import_apply"), {"payload": payload}).status_code == 302
    )
    assert (MeterReading.objects.count(), AuditLog.objects.count()) == (before + 2, logs)


def test_readings_import_bad_rows_listed_nothing_written(admin_client, community, grid_building, english):
    content = workbook(
        [
            ["W-1", "2024-02", 90, "否"],  # below 100
            ["W-404", "2024-02", 1, "否"],  # unknown meter
            ["W-2", "2024-13", 1, "否"],  # bad month
        ]
    )
    before = (MeterReading.objects.count(), AuditLog.objects.count())
    response = upload(admin_client, content)
    problems = [(p.row, p.message) for p in response.context["preview"].problems]
    assert [row for row, _message in problems] == [2, 3, 4]
    assert response.context["apply_form"] is None
    body = response.content.decode()
    assert "W-404 does not exist" in body and "below the previous one" in body and "2024-13" in body
    assert (MeterReading.objects.count(), AuditLog.objects.count()) == before


def test_readings_import_apply_refuses_a_tampered_payload(admin_client, community):
    response = admin_client.post(reverse("console:readings_import_apply"), {"payload": "forged"})
    assert response.status_code == 302
    assert MeterReading.objects.count() == 0


def test_readings_import_apply_rechecks_against_current_readings(
    admin_client, admin_user, community, grid_building
):
    _building, first, _second = grid_building
    preview = upload(admin_client, workbook([["W-1", "2024-02", 110, "否"]]))
    payload = preview.context["apply_form"]["payload"].value()
    # Meanwhile someone enters March for W-1: February can no longer be entered.
    readings_enter(
        community=community, period=datetime.date(2024, 3, 1), rows=[(first, D(120), False)], actor=admin_user
    )
    response = admin_client.post(reverse("console:readings_import_apply"), {"payload": payload})
    assert response.status_code == 200
    assert [p.row for p in response.context["preview"].problems] == [2]
    assert not MeterReading.objects.filter(period=FEB).exists()


def test_readings_import_preview_of_another_community_is_refused(
    admin_client, admin_user, community, grid_building
):
    preview = upload(admin_client, workbook([["W-1", "2024-02", 110, "否"]]))
    payload = preview.context["apply_form"]["payload"].value()
    other = BuildingFactory().community
    staff_role = admin_user.staff_roles.create(community=other, role=Role.ADMINISTRATOR)
    session = admin_client.session
    session["wuye_community"] = other.pk
    session.save()
    response = admin_client.post(reverse("console:readings_import_apply"), {"payload": payload})
    assert response.status_code == 302
    assert not MeterReading.objects.filter(period=FEB).exists()
    assert staff_role.pk


# Query counts ---------------------------------------------------------------------------------------


def _queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params or {}).status_code == 200
    return len(queries)


def test_hot_pages_take_the_same_queries_for_many_rows(admin_client, admin_user, community):
    building = BuildingFactory(community=community)
    unit = UnitFactory(building=building)
    item = FeeItemFactory(community=community)
    SharedMeterFactory(community=community, building=building)

    def add(count):
        for _ in range(count):
            room = RoomFactory(unit=unit)
            meter = MeterFactory(community=community, room=room)
            MeterReadingFactory(meter=meter, period=JAN)
            FeeAssignmentFactory(
                fee_item=item,
                room=room,
                discount_fen=100,
                discount_reason="x",
                discount_approved_by=admin_user,
            )

    pages = [
        (reverse("console:readings_grid", kwargs={"building_pk": building.pk}), {"month": "2024-02"}),
        (reverse("console:building_meters", kwargs={"building_pk": building.pk}), {}),
        (reverse("console:feeitem", kwargs={"feeitem_pk": item.pk}), {}),
        (reverse("console:feeitems"), {}),
        (reverse("console:meters"), {}),
    ]
    add(2)
    few = [_queries(admin_client, url, params) for url, params in pages]
    add(20)
    many = [_queries(admin_client, url, params) for url, params in pages]
    assert many == few
