"""Billing runs: exact lines from SQL (equal to the Python reference), idempotent, crash-safe, voidable."""

import datetime
from decimal import Decimal

import pytest
from django.db.models import Sum

from tests.factories import BuildingFactory, HouseholdFactory, HouseholdRoomFactory, RoomFactory, UnitFactory
from wuye.billing.domain import compute, runs
from wuye.billing.models import Bill, BillingRun, BillLine, FeeAssignment, FeeItem, Meter, MeterReading
from wuye.ledger.models import LedgerTransaction, Posting

NOV = datetime.date(2026, 11, 1)
D = Decimal


def item(community, **kwargs):
    defaults = {
        "name": f"item{FeeItem.objects.count()}",
        "category": "property",
        "method": "built_area",
        "price": D("2.5"),
        "valid_from": datetime.date(2020, 1, 1),
    }
    return FeeItem.objects.create(community=community, **{**defaults, **kwargs})


def assign(fee_item, room, starts_on=datetime.date(2020, 1, 1), **kwargs):
    return FeeAssignment.objects.create(
        community=fee_item.community, fee_item=fee_item, room=room, starts_on=starts_on, **kwargs
    )


def occupied_room(community, unit=None, **room):
    unit = unit or UnitFactory(building__community=community)
    link = HouseholdRoomFactory(
        household=HouseholdFactory(community=community), room=RoomFactory(unit=unit, **room)
    )
    return link.room


def issue(community, admin_user, period=NOV, **kwargs):
    run = runs.run_preview(community=community, period=period, actor=admin_user)
    return runs.run_issue(run=run, actor=admin_user, **kwargs)


def amounts(community):
    return sorted(
        (str(line.room), line.fee_item.name, line.period.isoformat(), line.amount_fen)
        for line in BillLine.objects.filter(community=community, is_void=False).select_related(
            "room__building", "room__unit", "fee_item"
        )
    )


def test_each_method_gives_the_reference_amount(community, admin_user):
    room = occupied_room(community, built_area=D("89.55"), inner_area=D("70.33"))
    built = item(community, name="物业费", price=D("2.3456"))
    inner = item(community, name="套内", method="inner_area", price=D("1.1111"), rounding_unit="jiao")
    fixed = item(community, name="卫生费", method="fixed", price=D("15"), category="sanitation")
    one_off = item(community, name="装修押金", method="one_off", price=D("500"), category="other")
    water = item(
        community,
        name="水费",
        method="metered",
        price=D("3.2"),
        meter_kind="water",
        timing="postpaid",
        category="water",
        tiers=[{"up_to": "10", "price": "3.2"}, {"up_to": None, "price": "4.8"}],
    )
    for fee in (built, inner, fixed):
        assign(fee, room)
    assign(one_off, room, starts_on=datetime.date(2026, 11, 20))
    assign(water, room)
    meter = Meter.objects.create(community=community, kind="water", number="W1", room=room)
    MeterReading.objects.create(
        community=community,
        meter=meter,
        period=datetime.date(2026, 10, 1),
        value=D("1012.25"),
        usage=D("12.25"),
    )

    run = issue(community, admin_user)

    lines = {line.fee_item.name: line for line in BillLine.objects.filter(community=community)}
    assert (
        lines["物业费"].amount_fen
        == compute.gross_fen(
            method="built_area",
            quantity=D("89.55"),
            price=D("2.3456"),
            billable_days=30,
            period_days=30,
            unit="fen",
            mode="half_up",
        )
        == 21005
    )  # 89.55 × 2.3456 = 210.04848
    assert lines["套内"].amount_fen == 7810  # 70.33 × 1.1111 = 78.1436… → 78.1 (to the jiao)
    assert lines["卫生费"].amount_fen == 1500
    assert lines["装修押金"].amount_fen == 50000
    assert lines["水费"].period == datetime.date(2026, 10, 1)  # postpaid: October's usage
    assert lines["水费"].amount_fen == 10 * 320 + 1080  # 10 × 3.2 + 2.25 × 4.8
    assert lines["水费"].quantity == D("12.25")
    bill = Bill.objects.get(community=community)
    assert bill.total_fen == sum(line.amount_fen for line in lines.values()) == run.total_fen
    assert run.lines_issued == 5


def test_proration_and_discount_in_sql(community, admin_user):
    room = occupied_room(community, built_area=D("100"))
    fee = item(community, price=D("1.8"))
    assign(
        fee,
        room,
        starts_on=datetime.date(2026, 11, 21),
        discount_percent=D("12.5"),
        discount_fen=100,
        discount_reason="老人优惠",
    )
    issue(community, admin_user)
    line = BillLine.objects.get()
    assert (line.billable_days, line.period_days) == (10, 30)
    assert line.gross_fen == 6000
    assert line.discount_fen == 750 + 100
    assert line.amount_fen == 5150


def test_rerun_adds_only_what_is_missing(community, admin_user):
    unit = UnitFactory(building__community=community)
    rooms = [occupied_room(community, unit) for _ in range(3)]
    fee = item(community)
    for room in rooms:
        assign(fee, room)
    issue(community, admin_user)
    assert BillLine.objects.count() == 3
    again = issue(community, admin_user)
    assert again.lines_issued == 0
    assert BillLine.objects.count() == 3
    late = occupied_room(community, unit)
    assign(fee, late)
    third = issue(community, admin_user)
    assert third.lines_issued == 1
    assert BillLine.objects.count() == 4
    assert Bill.objects.count() == 4
    assert LedgerTransaction.objects.filter(kind="billing").count() == 2  # the empty re-run posted nothing


def test_quarterly_prepaid_bills_three_months_in_its_first_month(community, admin_user):
    room = occupied_room(community)
    fee = item(community, cycle="quarterly", method="fixed", price=D("10"))
    assign(fee, room)
    assert issue(community, admin_user, period=datetime.date(2026, 11, 1)).lines_issued == 0
    run = issue(community, admin_user, period=datetime.date(2026, 10, 1))
    assert run.lines_issued == 3
    assert sorted(BillLine.objects.values_list("period", flat=True)) == [
        datetime.date(2026, 10, 1),
        datetime.date(2026, 11, 1),
        datetime.date(2026, 12, 1),
    ]
    assert Bill.objects.get().total_fen == 3000


def test_rooms_without_household_are_problems_not_lines(community, admin_user):
    unit = UnitFactory(building__community=community)
    fee = item(community, name="物业费")
    assign(fee, occupied_room(community, unit))
    assign(fee, RoomFactory(unit=unit, number="999"))
    run = runs.run_preview(community=community, period=NOV, actor=admin_user)
    assert run.preview["lines"] == 1
    problem = run.preview["problems"]["items"][0]
    assert (problem["code"], problem["count"]) == ("no_household", 1)
    assert problem["rooms"] == [f"{unit.building.name}-{unit.name}-999"]
    assert BillLine.objects.count() == 0  # a preview writes no line


def test_ledger_of_a_run_balances_and_matches_lines(community, admin_user):
    unit = UnitFactory(building__community=community)
    fees = [item(community, name="物业费"), item(community, name="卫生费", method="fixed", price=D("12.34"))]
    rooms = [occupied_room(community, unit, built_area=D(f"{60 + i}.{i}5")) for i in range(5)]
    for fee in fees:
        for room in rooms:
            assign(fee, room)
    issue(community, admin_user)
    assert Posting.objects.aggregate(total=Sum("amount_fen"))["total"] == 0
    for room in rooms:
        household_id = room.household_links.get().household_id
        receivable = Posting.objects.filter(account="receivable", household_id=household_id).aggregate(
            total=Sum("amount_fen")
        )["total"]
        lines = BillLine.objects.filter(household_id=household_id).aggregate(total=Sum("amount_fen"))["total"]
        assert receivable == lines
    for fee in fees:
        income = Posting.objects.filter(account="income", fee_item_id=fee.pk).aggregate(t=Sum("amount_fen"))[
            "t"
        ]
        assert -income == BillLine.objects.filter(fee_item=fee).aggregate(t=Sum("amount_fen"))["t"]


def test_interrupted_run_completes_to_exactly_a_clean_run(community, admin_user, monkeypatch):
    """Kill the run between any two statements of any chunk: re-running ends as a clean run."""
    from tests.factories import CommunityFactory

    def build(target):
        fee = item(target, name="物业费")
        fixed = item(target, name="卫生费", method="fixed", price=D("9.99"))
        for b in range(3):
            unit = UnitFactory(building=BuildingFactory(community=target, name=f"{b + 1}栋"), name="1单元")
            for n in range(4):
                room = RoomFactory(unit=unit, number=f"{n + 1}01", built_area=D(f"{70 + n}.25"))
                HouseholdRoomFactory(household=HouseholdFactory(community=target), room=room)
                assign(fee, room)
                assign(fixed, room)

    clean = CommunityFactory()
    build(clean)
    issue(clean, admin_user, chunk_rooms=4)
    expected = [(room.split("-", 1)[1], *rest) for room, *rest in amounts(clean)]

    build(community)
    original = runs._issue_chunk
    calls = {"n": 0}

    def crashing(**kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("killed")
        return original(**kwargs)

    monkeypatch.setattr(runs, "_issue_chunk", crashing)
    run = runs.run_preview(community=community, period=NOV, actor=admin_user)
    with pytest.raises(RuntimeError):
        runs.run_issue(run=run, actor=admin_user, chunk_rooms=4)
    assert BillingRun.objects.get(pk=run.pk).state == "issuing"
    assert BillLine.objects.filter(community=community).count() == 8  # the first chunk only
    monkeypatch.setattr(runs, "_issue_chunk", original)
    runs.run_issue(run=run, actor=admin_user, chunk_rooms=4)
    assert [(room.split("-", 1)[1], *rest) for room, *rest in amounts(community)] == expected
    assert Posting.objects.filter(community=community).aggregate(t=Sum("amount_fen"))["t"] == 0


@pytest.mark.parametrize("statement", range(1, 8))
def test_crash_inside_a_chunk_leaves_nothing_half_written(community, admin_user, statement, monkeypatch):
    """Fail at each SQL statement of the chunk: nothing of the chunk remains, and a re-run is clean."""
    from django.db import connection

    fee = item(community)
    unit = UnitFactory(building__community=community)
    for _ in range(3):
        assign(fee, occupied_room(community, unit))
    run = runs.run_preview(community=community, period=NOV, actor=admin_user)
    counter = {"n": 0}

    def failing(execute, sql, params, many, context):
        writes = sql.lstrip().startswith(("INSERT", "UPDATE"))
        chunk_table = any(
            table in sql for table in ("wuye_run", "billing_bill ", "billing_billline", "ledger_")
        )
        if writes and chunk_table and "billing_billingrun" not in sql:
            counter["n"] += 1  # the chunk's writes, in order: chunk table, lines, transaction, bills, …
            if counter["n"] == statement:
                raise RuntimeError("killed")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(failing), pytest.raises(RuntimeError):
        runs.run_issue(run=run, actor=admin_user)
    assert counter["n"] == statement
    assert (Bill.objects.count(), BillLine.objects.count(), Posting.objects.count()) == (0, 0, 0)
    runs.run_issue(run=run, actor=admin_user)
    assert BillLine.objects.count() == 3
    assert Posting.objects.aggregate(t=Sum("amount_fen"))["t"] == 0


def test_void_reverses_and_allows_reissue(community, admin_user):
    fee = item(community)
    room = occupied_room(community)
    assign(fee, room)
    run = issue(community, admin_user)
    household_id = room.household_links.get().household_id
    runs.run_void(run=run, reason="单价录错", actor=admin_user)
    assert Bill.objects.get().state == "void"
    assert BillLine.objects.get().is_void
    assert (
        Posting.objects.filter(account="receivable", household_id=household_id).aggregate(
            t=Sum("amount_fen")
        )["t"]
        == 0
    )
    assert Posting.objects.aggregate(t=Sum("amount_fen"))["t"] == 0
    with pytest.raises(runs.RunError):
        runs.run_void(run=run, reason="again", actor=admin_user)
    again = issue(community, admin_user)
    assert again.lines_issued == 1
    assert Bill.objects.filter(state="open").count() == 1


def test_void_refused_once_a_line_is_paid(community, admin_user):
    fee = item(community)
    assign(fee, occupied_room(community))
    run = issue(community, admin_user)
    BillLine.objects.update(paid_fen=100)  # as a payment would
    postings = Posting.objects.count()
    with pytest.raises(runs.RunError):
        runs.run_void(run=run, reason="x", actor=admin_user)
    assert Posting.objects.count() == postings
    assert BillingRun.objects.get(pk=run.pk).state == "issued"


def test_two_assignments_in_one_month_bill_the_later_and_are_listed(community, admin_user):
    room = occupied_room(community, built_area=D("100"))
    fee = item(community, price=D("3"))
    assign(fee, room, starts_on=datetime.date(2026, 1, 1), ends_on=datetime.date(2026, 11, 10))
    assign(fee, room, starts_on=datetime.date(2026, 11, 21), discount_percent=D("50"), discount_reason="x")
    preview = runs.run_preview(community=community, period=NOV, actor=admin_user)
    codes = [problem["code"] for problem in preview.preview["problems"]["items"]]
    assert codes == ["two_assignments"]
    run = runs.run_issue(run=preview, actor=admin_user)
    line = BillLine.objects.get()
    assert (line.billable_days, line.gross_fen, line.discount_fen, line.amount_fen) == (10, 10000, 5000, 5000)
    assert run.lines_issued == 1
