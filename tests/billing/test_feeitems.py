"""Fee items, their assignment to rooms, discounts and exemptions."""

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from tests.billing.factories import FeeAssignmentFactory, FeeItemFactory
from tests.factories import (
    BuildingFactory,
    HouseholdFactory,
    HouseholdRoomFactory,
    HouseholdTagFactory,
    RoomFactory,
    TagFactory,
    UnitFactory,
    staff,
)
from wuye.billing.domain import compute, runs
from wuye.billing.domain.feeitems import (
    TariffError,
    assignment_end,
    assignment_set_discount,
    assignments_create,
    feeitem_create,
    feeitem_deactivate,
    feeitem_reactivate,
    feeitem_update,
    tiers_normalised,
)
from wuye.billing.domain.queries_tariffs import (
    assignments_for_household,
    fee_items_for_list,
    rooms_by_labels,
    rooms_in_building,
    rooms_of_tag,
    rooms_of_use,
)
from wuye.billing.enums import LateFeeMethod, Method, Timing
from wuye.billing.models import BillLine, FeeAssignment, FeeItem
from wuye.core.enums import Role
from wuye.core.models import AuditLog
from wuye.estate.enums import RoomUse
from wuye.estate.models import Room

D = Decimal
JAN = datetime.date(2024, 1, 1)


@pytest.fixture(autouse=True)
def _english():
    """Messages are checked in English (the msgids), whatever the catalog says."""
    with translation.override("en"):
        yield


def values(**overrides):
    base = {
        "name": "物业费",
        "category": "property",
        "method": Method.BUILT_AREA,
        "price": D("2.35"),
        "valid_from": JAN,
    }
    return {**base, **overrides}


def metered(**overrides):
    return values(
        name="水费",
        category="water",
        method=Method.METERED,
        meter_kind="water",
        timing=Timing.POSTPAID,
        **overrides,
    )


# Fee items -----------------------------------------------------------------------------------------


def test_feeitem_create_stores_defaults_and_logs(community, admin_user):
    item = feeitem_create(community=community, actor=admin_user, **values(name=" 物业费 "))
    item.refresh_from_db()
    assert (item.name, item.price, item.cycle, item.timing, item.due_day) == (
        "物业费",
        D("2.3500"),
        "monthly",
        "prepaid",
        15,
    )
    assert (item.rounding_unit, item.rounding_mode, item.late_fee_method) == ("fen", "half_up", "")
    entry = AuditLog.objects.get(action="billing.feeitem.created")
    assert entry.object_pk == item.pk and entry.community_id == community.pk
    assert entry.changes["name"] == "物业费" and entry.changes["price"] == "2.3500"
    assert entry.changes["charge_method"] == "built_area"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": "  "}, "name"),
        ({"price": D("1.23456")}, "four decimals"),
        ({"price": D("-1")}, ""),
        ({"valid_to": datetime.date(2023, 12, 31)}, "ends before it starts"),
        ({"method": Method.METERED, "timing": Timing.POSTPAID}, "kind of meter"),
        ({"method": Method.METERED, "meter_kind": "water"}, "postpaid"),
        ({"tiers": [{"up_to": "10", "price": "1"}]}, "Only metered"),
        ({"late_fee_method": LateFeeMethod.DAILY_RATE, "late_fee_rate": D(0)}, "rate"),
        ({"late_fee_method": LateFeeMethod.FIXED, "late_fee_fixed_fen": 0}, "amount above zero"),
        ({"late_fee_method": LateFeeMethod.FIXED, "late_fee_fixed_fen": 500, "late_fee_cap_fen": -1}, "cap"),
        ({"due_day": 29}, ""),
        ({"cycle": "weekly"}, ""),
    ],
)
def test_feeitem_create_refuses_inconsistent_values_and_writes_nothing(
    community, admin_user, overrides, message
):
    with pytest.raises(TariffError, match=message):
        feeitem_create(community=community, actor=admin_user, **values(**overrides))
    assert FeeItem.objects.count() == 0
    assert AuditLog.objects.count() == 0


def test_feeitem_create_refuses_a_duplicate_name(community, admin_user):
    feeitem_create(community=community, actor=admin_user, **values())
    with pytest.raises(TariffError, match="already exists"):
        feeitem_create(community=community, actor=admin_user, **values(price=D(3)))
    assert FeeItem.objects.count() == 1


def test_feeitem_same_name_in_another_community_is_fine(community, admin_user):
    other = FeeItemFactory(name="物业费")
    item = feeitem_create(community=community, actor=admin_user, **values())
    assert item.pk != other.pk


def test_feeitem_metered_with_tiers_normalises_them(community, admin_user):
    item = feeitem_create(
        community=community,
        actor=admin_user,
        **metered(price=D("3.2"), tiers=[{"up_to": "10", "price": "3.2"}, {"up_to": "", "price": 4.8}]),
    )
    item.refresh_from_db()
    assert item.tiers == [{"up_to": "10.00", "price": "3.2000"}, {"up_to": None, "price": "4.8000"}]


@pytest.mark.parametrize(
    ("usage", "fen"),
    [
        # 10 × 3.20 = 32.00; above: × 4.80
        (D("0"), 0),
        (D("9.99"), 3197),  # 9.99 × 3.2 = 31.968 → 31.97
        (D("10"), 3200),
        (D("10.01"), 3205),  # 32.00 + 0.01 × 4.8 = 32.048 → 32.05
        (D("25.5"), 10640),  # 32.00 + 15.5 × 4.8 = 106.40
    ],
)
def test_feeitem_stored_tiers_compute_exact_amounts(community, admin_user, usage, fen):
    item = feeitem_create(
        community=community,
        actor=admin_user,
        **metered(price=D("3.2"), tiers=[{"up_to": "10", "price": "3.2"}, {"up_to": None, "price": "4.8"}]),
    )
    amount = compute.gross_fen(
        method=item.method,
        quantity=usage,
        price=item.price,
        tiers=item.tiers,
        billable_days=30,
        period_days=30,
        unit=item.rounding_unit,
        mode=item.rounding_mode,
    )
    assert amount == fen


@pytest.mark.parametrize(
    ("tiers", "message"),
    [
        ([{"up_to": "20", "price": "1"}, {"up_to": "10", "price": "2"}], "rise"),
        ([{"up_to": "10", "price": "1"}, {"up_to": "10", "price": "2"}], "rise"),
        ([{"up_to": None, "price": "1"}, {"up_to": "10", "price": "2"}], "rise"),
        ([{"up_to": "10.001", "price": "1"}], "two decimals"),
        ([{"up_to": "10", "price": "1.00001"}], "four decimals"),
        ([{"up_to": "abc", "price": "1"}], "not a number"),
        ([{"up_to": "10", "price": "-1"}], "zero or more"),
        ([{"up_to": "0", "price": "1"}], "above zero"),
    ],
)
def test_tiers_refused_with_reason(tiers, message):
    with pytest.raises(TariffError, match=message):
        tiers_normalised(tiers, D(1))


def test_tiers_with_a_closed_last_tier_bill_above_it_at_its_price():
    tiers = tiers_normalised([{"up_to": "10", "price": "1"}, {"up_to": "20", "price": "2"}], D(1))
    assert tiers[-1] == {"up_to": "20.00", "price": "2.0000"}
    assert compute.charge_fraction(
        method=Method.METERED, quantity=D(25), price=D(1), tiers=tiers, billable_days=1, period_days=1
    ) == (10 * 100 * 10000 + 15 * 100 * 20000, 10000)


def test_feeitem_update_logs_only_what_changed(community, admin_user):
    item = feeitem_create(community=community, actor=admin_user, **values())
    feeitem_update(fee_item=item, actor=admin_user, price=D("2.5"), due_day=10)
    entry = AuditLog.objects.get(action="billing.feeitem.changed")
    assert entry.changes == {"price": ["2.3500", "2.5000"], "due_day": [15, 10]}
    feeitem_update(fee_item=item, actor=admin_user, price=D("2.5"))
    assert AuditLog.objects.filter(action="billing.feeitem.changed").count() == 1


def test_feeitem_update_refused_changes_nothing(community, admin_user):
    item = feeitem_create(community=community, actor=admin_user, **values())
    with pytest.raises(TariffError):
        feeitem_update(fee_item=item, actor=admin_user, method=Method.METERED, meter_kind="water")
    item.refresh_from_db()
    assert item.method == Method.BUILT_AREA
    assert AuditLog.objects.filter(action="billing.feeitem.changed").count() == 0


def test_feeitem_update_to_no_late_fee_clears_its_settings(community, admin_user):
    item = feeitem_create(
        community=community,
        actor=admin_user,
        **values(
            late_fee_method="daily_rate",
            late_fee_rate=D("0.0005"),
            late_fee_grace_days=10,
            late_fee_cap_fen=5000,
        ),
    )
    feeitem_update(fee_item=item, actor=admin_user, late_fee_method="")
    item.refresh_from_db()
    assert (item.late_fee_rate, item.late_fee_grace_days, item.late_fee_cap_fen) == (D(0), 0, None)


def test_feeitem_deactivate_and_reactivate(community, admin_user):
    item = feeitem_create(community=community, actor=admin_user, **values())
    feeitem_deactivate(fee_item=item, actor=admin_user)
    feeitem_deactivate(fee_item=item, actor=admin_user)
    item.refresh_from_db()
    assert not item.is_active
    assert AuditLog.objects.filter(action="billing.feeitem.deactivated").count() == 1
    feeitem_reactivate(fee_item=item, actor=admin_user)
    item.refresh_from_db()
    assert item.is_active
    assert AuditLog.objects.filter(action="billing.feeitem.reactivated").count() == 1


def test_fee_items_for_list_counts_current_assignments(community):
    item = FeeItemFactory(community=community)
    FeeAssignmentFactory(fee_item=item)
    FeeAssignmentFactory(fee_item=item, ends_on=datetime.date(2024, 6, 30))
    listed = fee_items_for_list(community=community).get()
    assert (listed.rooms_current, listed.rooms_total) == (1, 2)


# Assignments ---------------------------------------------------------------------------------------


@pytest.fixture
def estate(community):
    """Building A: 3 rooms (2 residential, 1 shop); building B: 2 rooms; two households, one tagged."""
    unit_a = UnitFactory(building=BuildingFactory(community=community, name="A栋"), name="1单元")
    unit_b = UnitFactory(building=BuildingFactory(community=community, name="B栋"), name="1单元")
    a1 = RoomFactory(unit=unit_a, number="101")
    a2 = RoomFactory(unit=unit_a, number="102")
    shop = RoomFactory(unit=unit_a, number="103", use=RoomUse.SHOP)
    b1 = RoomFactory(unit=unit_b, number="101")
    b2 = RoomFactory(unit=unit_b, number="102")
    first = HouseholdFactory(community=community)
    second = HouseholdFactory(community=community)
    for household, room in ((first, a1), (first, b1), (second, a2)):
        HouseholdRoomFactory(household=household, room=room)
    tag = TagFactory(community=community, name="低保户")
    HouseholdTagFactory(household=first, tag=tag)
    return {
        "a": unit_a.building,
        "b": unit_b.building,
        "rooms": [a1, a2, shop, b1, b2],
        "tag": tag,
        "first": first,
    }


def test_assignments_create_by_building(community, admin_user, estate):
    item = FeeItemFactory(community=community)
    count = assignments_create(
        fee_item=item,
        rooms_queryset=rooms_in_building(community=community, building=estate["a"]),
        starts_on=JAN,
        assigned_to="A栋",
        actor=admin_user,
    )
    assert count == 3
    assert set(FeeAssignment.objects.values_list("room_id", flat=True)) == {r.pk for r in estate["rooms"][:3]}
    summary = AuditLog.objects.get(action="billing.assignments.created")
    assert summary.changes["rooms_assigned"] == 3 and summary.changes["assigned_to"] == "A栋"
    # One timeline entry per household with a room in A栋 (the shop has no household).
    per_household = AuditLog.objects.filter(action="billing.assignment.created")
    assert sorted(per_household.values_list("household_id", flat=True)) == sorted(
        [estate["first"].pk, estate["rooms"][1].household_links.get().household_id]
    )


def test_assignments_create_by_use_tag_and_labels(community, admin_user, estate):
    shops, residential, tagged, labelled = (FeeItemFactory(community=community) for _ in range(4))
    assert (
        assignments_create(
            fee_item=shops,
            rooms_queryset=rooms_of_use(community=community, use="shop"),
            starts_on=JAN,
            actor=admin_user,
        )
        == 1
    )
    assert (
        assignments_create(
            fee_item=residential,
            rooms_queryset=rooms_of_use(community=community, use="residential"),
            starts_on=JAN,
            actor=admin_user,
        )
        == 4
    )
    assert (
        assignments_create(
            fee_item=tagged,
            rooms_queryset=rooms_of_tag(community=community, tag=estate["tag"]),
            starts_on=JAN,
            actor=admin_user,
        )
        == 2
    )
    rooms, unknown = rooms_by_labels(
        community=community, labels=["A栋-1单元-101", "B栋 1单元 102", "C栋-1-1", ""]
    )
    assert unknown == ["C栋-1-1"]
    assert assignments_create(fee_item=labelled, rooms_queryset=rooms, starts_on=JAN, actor=admin_user) == 2
    assert set(FeeAssignment.objects.filter(fee_item=labelled).values_list("room_id", flat=True)) == {
        estate["rooms"][0].pk,
        estate["rooms"][4].pk,
    }
    assert set(FeeAssignment.objects.filter(fee_item=tagged).values_list("room_id", flat=True)) == {
        estate["rooms"][0].pk,
        estate["rooms"][3].pk,
    }


def test_assignments_create_again_adds_nothing_and_skips_overlaps(community, admin_user, estate):
    item = FeeItemFactory(community=community)
    building = rooms_in_building(community=community, building=estate["a"])
    assert assignments_create(fee_item=item, rooms_queryset=building, starts_on=JAN, actor=admin_user) == 3
    logs = AuditLog.objects.count()
    assert assignments_create(fee_item=item, rooms_queryset=building, starts_on=JAN, actor=admin_user) == 0
    # An open-ended assignment from January overlaps one from June: nothing new.
    assert (
        assignments_create(
            fee_item=item, rooms_queryset=building, starts_on=datetime.date(2024, 6, 1), actor=admin_user
        )
        == 0
    )
    assert FeeAssignment.objects.count() == 3
    assert AuditLog.objects.count() == logs


def test_assignments_create_after_an_ended_one(community, admin_user, estate):
    item = FeeItemFactory(community=community)
    room = estate["rooms"][0]
    FeeAssignmentFactory(fee_item=item, room=room, ends_on=datetime.date(2024, 3, 31))
    rooms = rooms_in_building(community=community, building=estate["a"]).filter(pk=room.pk)
    assert (
        assignments_create(
            fee_item=item, rooms_queryset=rooms, starts_on=datetime.date(2024, 3, 31), actor=admin_user
        )
        == 0
    )
    assert (
        assignments_create(
            fee_item=item, rooms_queryset=rooms, starts_on=datetime.date(2024, 4, 1), actor=admin_user
        )
        == 1
    )


def test_assignments_create_ignores_rooms_of_another_community(community, admin_user, estate):
    item = FeeItemFactory(community=community)
    foreign = RoomFactory()
    count = assignments_create(
        fee_item=item,
        rooms_queryset=Room.objects.filter(pk__in=[foreign.pk, estate["rooms"][0].pk]),
        starts_on=JAN,
        actor=admin_user,
    )
    assert count == 1
    assert not FeeAssignment.objects.filter(room=foreign).exists()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"ends_on": datetime.date(2023, 12, 31)}, "ends before it starts"),
        ({"discount_percent": D("101")}, "between 0 and 100"),
        ({"discount_percent": D("12.345"), "discount_reason": "x"}, "two decimals"),
        ({"discount_fen": -5}, "negative"),
        ({"discount_percent": D(50)}, "reason"),
        ({"discount_percent": D(50), "discount_reason": "孤寡老人"}, "approved"),
    ],
)
def test_assignments_create_refused_writes_nothing(community, admin_user, estate, kwargs, message):
    item = FeeItemFactory(community=community)
    with pytest.raises(TariffError, match=message):
        assignments_create(
            fee_item=item,
            rooms_queryset=rooms_in_building(community=community, building=estate["a"]),
            starts_on=JAN,
            actor=admin_user,
            **kwargs,
        )
    assert FeeAssignment.objects.count() == 0
    assert AuditLog.objects.count() == 0


@pytest.mark.parametrize("role", [Role.CASHIER, Role.FRONT_DESK])
def test_discount_approver_needs_billing_manage_in_the_community(community, admin_user, estate, role):
    item = FeeItemFactory(community=community)
    with pytest.raises(TariffError, match="may not approve"):
        assignments_create(
            fee_item=item,
            rooms_queryset=rooms_in_building(community=community, building=estate["a"]),
            starts_on=JAN,
            discount_percent=D(50),
            discount_reason="困难户",
            discount_approved_by=staff(community, role),
            actor=admin_user,
        )
    assert FeeAssignment.objects.count() == 0


def test_discount_approver_of_another_community_is_refused(community, admin_user, estate):
    item = FeeItemFactory(community=community)
    outsider = staff(BuildingFactory().community, Role.ADMINISTRATOR)
    with pytest.raises(TariffError, match="may not approve"):
        assignments_create(
            fee_item=item,
            rooms_queryset=rooms_in_building(community=community, building=estate["a"]),
            starts_on=JAN,
            discount_fen=1000,
            discount_reason="困难户",
            discount_approved_by=outsider,
            actor=admin_user,
        )
    assert FeeAssignment.objects.count() == 0


def test_assignments_with_discount_and_exemption(community, admin_user, estate):
    supervisor = staff(community, Role.SUPERVISOR)
    item = FeeItemFactory(community=community)
    count = assignments_create(
        fee_item=item,
        rooms_queryset=rooms_in_building(community=community, building=estate["b"]),
        starts_on=JAN,
        discount_percent=D("12.5"),
        discount_fen=300,
        discount_reason=" 老旧小区补贴 ",
        discount_approved_by=supervisor,
        actor=admin_user,
    )
    assert count == 2
    assert set(
        FeeAssignment.objects.values_list(
            "discount_percent", "discount_fen", "discount_reason", "discount_approved_by"
        )
    ) == {(D("12.50"), 300, "老旧小区补贴", supervisor.pk)}
    assignment = FeeAssignment.objects.filter(room=estate["rooms"][3]).get()
    assignment_set_discount(
        assignment=assignment,
        discount_percent=D(100),
        discount_fen=0,
        discount_reason="低保户免收",
        discount_approved_by=admin_user,
        actor=admin_user,
    )
    assignment.refresh_from_db()
    assert (assignment.discount_percent, assignment.discount_fen) == (D(100), 0)
    entry = AuditLog.objects.get(action="billing.assignment.discount_changed")
    assert entry.household_id == estate["first"].pk
    assert entry.changes["discount_percent"] == ["12.50", "100"]
    assert entry.changes["discount_reason"] == ["老旧小区补贴", "低保户免收"]


def test_assignment_discount_removed_clears_reason_and_approver(community, admin_user):
    assignment = FeeAssignmentFactory(
        fee_item__community=community, discount_fen=500, discount_reason="x", discount_approved_by=admin_user
    )
    assignment_set_discount(
        assignment=assignment,
        discount_percent=D(0),
        discount_fen=0,
        discount_reason="ignored",
        discount_approved_by=None,
        actor=admin_user,
    )
    assignment.refresh_from_db()
    assert (assignment.discount_fen, assignment.discount_reason, assignment.discount_approved_by) == (
        0,
        "",
        None,
    )


def test_assignment_end_logs_on_the_household(community, admin_user, household):
    room = household.rooms.get()
    assignment = FeeAssignmentFactory(fee_item__community=community, room=room)
    assignment_end(assignment=assignment, ends_on=datetime.date(2024, 5, 31), actor=admin_user)
    assignment.refresh_from_db()
    assert assignment.ends_on == datetime.date(2024, 5, 31)
    entry = AuditLog.objects.get(action="billing.assignment.ended")
    assert entry.household_id == household.pk
    assert entry.changes["ends_on"] == [None, "2024-05-31"]


def test_assignment_end_before_start_is_refused(community, admin_user):
    assignment = FeeAssignmentFactory(fee_item__community=community, starts_on=datetime.date(2024, 3, 1))
    with pytest.raises(TariffError, match="before it starts"):
        assignment_end(assignment=assignment, ends_on=datetime.date(2024, 2, 29), actor=admin_user)
    assignment.refresh_from_db()
    assert assignment.ends_on is None


def test_assignment_end_inside_a_billed_month_is_refused(community, admin_user, household):
    room = household.rooms.get()
    item = FeeItemFactory(community=community, price=D("2"))
    assignment = FeeAssignmentFactory(fee_item=item, room=room)
    run = runs.run_preview(community=community, period=datetime.date(2024, 3, 1), actor=admin_user)
    runs.run_issue(run=run, actor=admin_user)
    assert BillLine.objects.filter(room=room, fee_item=item).count() == 1
    logs = AuditLog.objects.count()
    with pytest.raises(TariffError, match="already billed"):
        assignment_end(assignment=assignment, ends_on=datetime.date(2024, 3, 15), actor=admin_user)
    assignment.refresh_from_db()
    assert assignment.ends_on is None
    assert AuditLog.objects.count() == logs
    assignment_end(assignment=assignment, ends_on=datetime.date(2024, 3, 31), actor=admin_user)
    assignment.refresh_from_db()
    assert assignment.ends_on == datetime.date(2024, 3, 31)


def test_assignments_of_an_inactive_item_are_refused(community, admin_user, estate):
    item = FeeItemFactory(community=community, is_active=False)
    with pytest.raises(TariffError, match="inactive"):
        assignments_create(
            fee_item=item,
            rooms_queryset=rooms_in_building(community=community, building=estate["a"]),
            starts_on=JAN,
            actor=admin_user,
        )


def test_assignments_for_household_lists_its_rooms_only(community, estate):
    item = FeeItemFactory(community=community)
    for room in estate["rooms"]:
        FeeAssignmentFactory(fee_item=item, room=room)
    listed = assignments_for_household(household=estate["first"])
    assert {a.room_id for a in listed} == {estate["rooms"][0].pk, estate["rooms"][3].pk}


def test_assignment_end_moved_past_a_later_assignment_is_refused(community, admin_user):
    first = FeeAssignmentFactory(fee_item__community=community, ends_on=datetime.date(2024, 3, 31))
    FeeAssignmentFactory(fee_item=first.fee_item, room=first.room, starts_on=datetime.date(2024, 4, 1))
    with pytest.raises(TariffError, match="starts before that day"):
        assignment_end(assignment=first, ends_on=datetime.date(2024, 4, 30), actor=admin_user)
    first.refresh_from_db()
    assert first.ends_on == datetime.date(2024, 3, 31)
    assert AuditLog.objects.count() == 0
