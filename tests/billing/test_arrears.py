"""Arrears with aging, the 欠费 tag, dunning notices (and their Excel export), the collection rate."""

import datetime
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from tests.billing.test_bills import household_with_room, issue_bill, pay, property_fee, sanitation_fee
from tests.factories import BuildingFactory, PersonFactory, staff
from wuye.billing.domain.arrears import (
    Rate,
    arrears_by_building,
    arrears_by_household,
    arrears_totals,
    bucket_of,
    collection_rates,
    dunning_notices,
    household_overdue_lines,
)
from wuye.billing.domain.bills import line_adjust, line_waive
from wuye.billing.enums import BillState, LateFeeMethod
from wuye.billing.interfaces.dunning import dunning_workbook
from wuye.billing.models import Bill, BillLine
from wuye.core.enums import Role
from wuye.core.models import AuditLog
from wuye.households.domain.tagrules import tags_refresh
from wuye.households.models import HouseholdTag, Tag

AS_OF = datetime.date(2024, 12, 31)
MARCH, APRIL = datetime.date(2024, 3, 1), datetime.date(2024, 4, 1)


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (0, "days_0_30"),
        (1, "days_0_30"),
        (30, "days_0_30"),
        (31, "days_31_90"),
        (90, "days_31_90"),
        (91, "days_91_180"),
        (180, "days_91_180"),
        (181, "days_over_180"),
        (1000, "days_over_180"),
    ],
)
def test_bucket_of_boundaries(days, bucket):
    assert bucket_of(days) == bucket


@pytest.mark.parametrize(
    ("days", "buckets"),
    [
        (1, [22375, 0, 0, 0]),
        (30, [22375, 0, 0, 0]),
        (31, [0, 22375, 0, 0]),
        (90, [0, 22375, 0, 0]),
        (91, [0, 0, 22375, 0]),
        (180, [0, 0, 22375, 0]),
        (181, [0, 0, 0, 22375]),
    ],
)
def test_arrears_aging_at_the_boundaries(community, days, buckets):
    household = household_with_room(community)
    issue_bill(household, items=[property_fee(community)], due_on=AS_OF - datetime.timedelta(days=days))
    totals = arrears_totals(community=community, as_of=AS_OF)
    assert totals.buckets == buckets
    assert (totals.total_fen, totals.households, totals.lines) == (22375, 1, 1)
    (row,) = household_overdue_lines(household=household, as_of=AS_OF)
    assert (row.days_past_due, row.bucket, row.outstanding_fen) == (days, bucket_of(days), 22375)


def test_arrears_not_overdue_on_the_due_date(community):
    household = household_with_room(community)
    issue_bill(household, items=[property_fee(community)], due_on=AS_OF)
    assert arrears_totals(community=community, as_of=AS_OF).total_fen == 0
    assert arrears_totals(community=community, as_of=AS_OF + datetime.timedelta(days=1)).total_fen == 22375


@pytest.fixture
def two_buildings(community):
    """Building A: 甲 owes March and April; building B: 乙 owes part of March (paid 100.00 yuan)."""
    supervisor = staff(community, Role.SUPERVISOR)
    building_a = BuildingFactory(community=community, name="A栋")
    building_b = BuildingFactory(community=community, name="B栋")
    late = {"late_fee_method": LateFeeMethod.DAILY_RATE, "late_fee_rate": Decimal("0.0005")}
    area = property_fee(community, **late)
    fixed = sanitation_fee(community)
    first = household_with_room(community, unit__building=building_a)
    first.name = "甲"
    first.save()
    PersonFactory(household=first, name="甲先生", phone="13800000001")
    second = household_with_room(community, unit__building=building_b)
    second.name = "乙"
    second.save()
    march_a = issue_bill(first, items=[area, fixed], period=MARCH, due_on=datetime.date(2024, 3, 15))
    april_a = issue_bill(first, items=[area, fixed], period=APRIL, due_on=datetime.date(2024, 4, 15))
    march_b = issue_bill(second, items=[area, fixed], period=MARCH, due_on=datetime.date(2024, 3, 15))
    area_b, fixed_b = march_b.lines.order_by("fee_item_id")
    pay(area_b, 10000)
    line_adjust(line=fixed_b, amount_fen=-500, reason="调整", approver=supervisor, actor=supervisor)
    line_waive(line=area_b, amount_fen=375, reason="抹零", approver=supervisor, actor=supervisor)
    return {
        "a": building_a,
        "b": building_b,
        "first": first,
        "second": second,
        "march_a": march_a,
        "april_a": april_a,
        "march_b": march_b,
        "supervisor": supervisor,
    }


def test_arrears_by_household_building_and_community(community, two_buildings):
    as_of = datetime.date(2024, 5, 1)  # March 47 days past due, April 16
    first, second = two_buildings["first"], two_buildings["second"]
    # 甲: March 22375 + 2000, April 22375 + 2000. 乙: area 22375 − 10000 − 375 = 12000, fixed 1500.
    rows = arrears_by_household(community=community, as_of=as_of)
    assert [(r.household, r.aging.total_fen, r.aging.buckets) for r in rows] == [
        (first, 48750, [24375, 24375, 0, 0]),
        (second, 13500, [0, 13500, 0, 0]),
    ]
    # Late fees on the area lines only (0.05 % a day, no grace): 甲 March 22375 × 47 days = 525.8125 → 526,
    # April 22375 × 16 days = 179; 乙 12000 × 47 days = 282.
    assert [r.aging.late_fee_fen for r in rows] == [526 + 179, 282]
    assert rows[0].oldest_due_on == datetime.date(2024, 3, 15)
    by_building = arrears_by_building(community=community, as_of=as_of)
    assert [
        (b.building.name, b.households, b.aging.total_fen, b.aging.late_fee_fen) for b in by_building
    ] == [
        ("A栋", 1, 48750, 705),
        ("B栋", 1, 13500, 282),
    ]
    totals = arrears_totals(community=community, as_of=as_of)
    assert (totals.total_fen, totals.households, totals.lines, totals.late_fee_fen) == (62250, 2, 6, 987)
    assert totals.buckets == [24375, 37875, 0, 0]
    only_b = arrears_totals(community=community, as_of=as_of, building_id=two_buildings["b"].pk)
    assert (only_b.total_fen, only_b.households) == (13500, 1)
    assert [
        r.household
        for r in arrears_by_household(community=community, as_of=as_of, building_id=two_buildings["a"].pk)
    ] == [first]


def test_arrears_leave_out_paid_waived_and_void(community, two_buildings):
    supervisor = two_buildings["supervisor"]
    line_waive(
        line=two_buildings["march_b"].lines.order_by("pk")[1],
        reason="x",
        approver=supervisor,
        actor=supervisor,
    )
    area_b = two_buildings["march_b"].lines.order_by("pk")[0]
    pay(area_b, area_b.outstanding_fen)
    april = two_buildings["april_a"]
    Bill.objects.filter(pk=april.pk).update(state=BillState.VOID)
    BillLine.objects.filter(bill=april).update(is_void=True)
    totals = arrears_totals(community=community, as_of=datetime.date(2024, 5, 1))
    assert (totals.total_fen, totals.households) == (24375, 1)


def test_arrears_tag_set_and_cleared_by_rule(community, two_buildings, django_capture_on_commit_callbacks):
    first, second = two_buildings["first"], two_buildings["second"]
    future = household_with_room(community)
    issue_bill(
        future,
        items=[sanitation_fee(community, name="车位管理费")],
        due_on=timezone.localdate() + datetime.timedelta(days=10),
    )
    due_today = household_with_room(community)
    issue_bill(due_today, items=[sanitation_fee(community, name="装修押金")], due_on=timezone.localdate())
    assert tags_refresh(community=community, keys=["arrears"]) == {"arrears": (2, 0)}
    tag = Tag.objects.get(community=community, rule="arrears")
    assert tag.is_system and tag.colour == "red"
    assert set(HouseholdTag.objects.filter(tag=tag).values_list("household_id", flat=True)) == {
        first.pk,
        second.pk,
    }
    # 乙 settles: the waiver refreshes the tag when it commits.
    supervisor = two_buildings["supervisor"]
    with django_capture_on_commit_callbacks(execute=True):
        line_waive(
            line=two_buildings["march_b"].lines.order_by("pk")[1],
            reason="x",
            approver=supervisor,
            actor=supervisor,
        )
    assert HouseholdTag.objects.filter(tag=tag, household=second).count() == 1  # the area line still owes
    area_b = two_buildings["march_b"].lines.order_by("pk")[0]
    with django_capture_on_commit_callbacks(execute=True):
        line_waive(line=area_b, reason="x", approver=supervisor, actor=supervisor)
    assert set(HouseholdTag.objects.filter(tag=tag).values_list("household_id", flat=True)) == {first.pk}
    actions = list(
        AuditLog.objects.filter(household_id=second.pk, object_type="households.tag")
        .values_list("action", flat=True)
        .order_by("pk")
    )
    assert actions == ["households.tag.rule_applied", "households.tag.rule_removed"]
    assert tags_refresh(community=community, keys=["arrears"]) == {"arrears": (0, 0)}


def test_dunning_notices_one_per_household(community, two_buildings):
    as_of = datetime.date(2024, 5, 1)
    notices = dunning_notices(community=community, as_of=as_of)
    assert [n.household.name for n in notices] == ["甲", "乙"]
    first = notices[0]
    assert [
        (o.line.period, o.line.fee_item.name, o.days_past_due, o.outstanding_fen, o.late_fee_fen)
        for o in first.lines
    ] == [
        (MARCH, "物业费", 47, 22375, 526),
        (MARCH, "卫生费", 47, 2000, 0),
        (APRIL, "物业费", 16, 22375, 179),
        (APRIL, "卫生费", 16, 2000, 0),
    ]
    assert (first.total_fen, first.late_fee_fen, first.grand_total_fen) == (48750, 705, 49455)
    assert [p.name for p in first.owners] == ["甲先生"]
    # Only what is at least 30 days past due; only building B.
    assert [len(n.lines) for n in dunning_notices(community=community, as_of=as_of, min_days=30)] == [2, 2]
    only_b = dunning_notices(community=community, as_of=as_of, building_id=two_buildings["b"].pk)
    assert [(n.household.name, n.total_fen) for n in only_b] == [("乙", 13500)]


def test_dunning_workbook_lists_households_and_lines(community, two_buildings):
    as_of = datetime.date(2024, 5, 1)
    content = dunning_workbook(notices=dunning_notices(community=community, as_of=as_of), as_of=as_of)
    workbook = load_workbook(io.BytesIO(content))
    summary, lines = workbook.worksheets
    rows = list(summary.iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[3], r[4], r[5], r[6]) for r in rows] == [
        ("甲", "13800000001", 487.5, 7.05, 494.55),
        ("乙", None, 135, 2.82, 137.82),
    ]
    assert summary["E2"].number_format == "0.00"
    assert lines.max_row == 1 + 6
    assert lines["C2"].value == "物业费"
    assert lines["D2"].value == "2024-03"


def test_collection_rate_by_month_and_building_exact(community, two_buildings):
    may = datetime.date(2024, 5, 1)
    table = collection_rates(community=community, months=[MARCH, APRIL, may])
    # March: A billed 24375 paid 0; B billed 22375 − 375 + 2000 − 500 = 23500, paid 10000.
    assert (table.by_month[MARCH].collected_fen, table.by_month[MARCH].billed_fen) == (10000, 47875)
    assert table.by_month[MARCH].percent == "20.9%"  # 208.88… ‰
    assert (table.by_month[APRIL].collected_fen, table.by_month[APRIL].billed_fen) == (0, 24375)
    assert table.by_month[APRIL].percent == "0.0%"
    assert table.by_month[may].percent == "—"
    a, b = two_buildings["a"], two_buildings["b"]
    assert [building.name for building in table.buildings] == ["A栋", "B栋"]
    assert table.by_building[a.pk].percent == "0.0%"
    assert (table.by_building[b.pk].collected_fen, table.by_building[b.pk].billed_fen) == (10000, 23500)
    assert table.by_building[b.pk].percent == "42.6%"  # 425.53… ‰
    assert table.cells[(b.pk, MARCH)].percent == "42.6%"
    assert (b.pk, APRIL) not in table.cells
    assert (table.total.collected_fen, table.total.billed_fen, table.total.percent) == (10000, 72250, "13.8%")
    area_a = two_buildings["march_a"].lines.order_by("pk")[0]
    pay(area_a, 22375)
    table = collection_rates(community=community, months=[MARCH])
    assert table.by_month[MARCH].percent == "67.6%"  # 32375 / 47875 = 676.24… ‰


@pytest.mark.parametrize(
    ("collected", "billed", "percent"),
    [
        (1, 2000, "0.1%"),
        (1, 2001, "0.0%"),
        (2000, 2000, "100.0%"),
        (0, 0, "—"),
        (1, 3, "33.3%"),
        (2, 3, "66.7%"),
    ],
)
def test_rate_percent_rounds_half_up_once(collected, billed, percent):
    assert Rate(collected, billed).percent == percent
