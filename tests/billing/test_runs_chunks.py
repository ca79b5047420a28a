"""Billing runs chunk by chunk (ranges of room ids): killed at any write, resumed to exactly a clean run."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum

from tests.billing.test_runs import NOV, amounts, assign, item
from tests.factories import (
    BuildingFactory,
    CommunityFactory,
    HouseholdFactory,
    HouseholdRoomFactory,
    RoomFactory,
    UnitFactory,
)
from wuye.billing.domain import runs
from wuye.billing.models import Bill, BillingRun, BillLine, Meter, MeterReading
from wuye.ledger.models import Posting

D = Decimal
OCT = datetime.date(2026, 10, 1)


def build(community):
    """Four rooms in two chunks of two; one household has a room in each chunk (its bill exists when
    the second chunk runs); an area item and a metered (postpaid) item on every room."""
    fee = item(community, name="物业费", price=D("2.35"))
    water = item(
        community,
        name="水费",
        method="metered",
        category="water",
        price=D("3.2"),
        meter_kind="water",
        timing="postpaid",
        tiers=[{"up_to": "10", "price": "3.2"}, {"up_to": None, "price": "4.8"}],
    )
    unit = UnitFactory(building=BuildingFactory(community=community, name="1栋"), name="1单元")
    shared = HouseholdFactory(community=community)
    for n in range(4):
        room = RoomFactory(unit=unit, number=f"{n + 1}01", built_area=D(f"{80 + n}.15"))
        household = shared if n in (0, 2) else HouseholdFactory(community=community)
        HouseholdRoomFactory(household=household, room=room)
        assign(fee, room)
        assign(water, room)
        meter = Meter.objects.create(community=community, kind="water", number=f"W{n}", room=room)
        MeterReading.objects.create(
            community=community, meter=meter, period=OCT, value=D(f"{100 + n}.5"), usage=D(f"{9 + n}.5")
        )


def consistent(community) -> None:
    """What committed chunks leave: bills equal to their lines, a receivable per household equal to
    its lines, a ledger that balances."""
    for bill in Bill.objects.filter(community=community):
        assert bill.total_fen == bill.lines.filter(is_void=False).aggregate(t=Sum("amount_fen"))["t"]
    postings = Posting.objects.filter(community=community)
    assert (postings.aggregate(t=Sum("amount_fen"))["t"] or 0) == 0
    for household_id in BillLine.objects.filter(community=community).values_list("household_id", flat=True):
        lines = BillLine.objects.filter(household_id=household_id).aggregate(t=Sum("amount_fen"))["t"]
        receivable = postings.filter(account="receivable", household_id=household_id)
        assert receivable.aggregate(t=Sum("amount_fen"))["t"] == lines


def chunk_writes(attempt: int, writes: dict):
    """An execute wrapper that counts the chunks' writes (not the run's own row, its audit entry or
    jobs) and kills the run at the ``attempt``-th (never if 0)."""

    def wrapper(execute, sql, params, many, context):
        text = sql.lstrip()
        chunk_table = any(table in text for table in ("wuye_run", "billing_bill", "ledger_"))
        if text.startswith(("INSERT", "UPDATE")) and chunk_table and "billing_billingrun" not in text:
            writes["n"] += 1
            if writes["n"] == attempt:
                raise RuntimeError("killed")
        return execute(sql, params, many, context)

    return wrapper


def test_run_killed_at_every_write_of_every_chunk_resumes_to_a_clean_run(admin_user):
    clean = CommunityFactory()
    build(clean)
    run = runs.run_preview(community=clean, period=NOV, actor=admin_user)
    clean_writes = {"n": 0}
    with connection.execute_wrapper(chunk_writes(0, clean_writes)):
        runs.run_issue(run=run, actor=admin_user, chunk_rooms=2)
    expected = [(room.split("-", 1)[1], *rest) for room, *rest in amounts(clean)]
    assert len(expected) == 8

    for attempt in range(1, clean_writes["n"] + 1):
        community = CommunityFactory()
        build(community)
        run = runs.run_preview(community=community, period=NOV, actor=admin_user)
        writes = {"n": 0}
        with connection.execute_wrapper(chunk_writes(attempt, writes)), pytest.raises(RuntimeError):
            runs.run_issue(run=run, actor=admin_user, chunk_rooms=2)
        assert writes["n"] == attempt
        assert BillingRun.objects.get(pk=run.pk).state == "issuing"
        consistent(community)
        assert BillLine.objects.filter(community=community).count() in (0, 4)  # whole chunks only
        runs.run_issue(run=run, actor=admin_user, chunk_rooms=2)
        consistent(community)
        assert [(room.split("-", 1)[1], *rest) for room, *rest in amounts(community)] == expected
        assert BillingRun.objects.get(pk=run.pk).total_fen == sum(row[-1] for row in expected)


def test_chunks_are_ranges_of_room_ids_and_skip_other_communities_rooms(community, admin_user):
    other = CommunityFactory()
    fees = {c.pk: item(c, name="卫生费", method="fixed", price=D("12")) for c in (community, other)}
    units = {c.pk: UnitFactory(building__community=c) for c in (community, other)}
    for n in range(6):  # ids interleave: ours, theirs, ours, …
        for c in (community, other):
            room = RoomFactory(unit=units[c.pk], number=f"{n + 1}01")
            HouseholdRoomFactory(household=HouseholdFactory(community=c), room=room)
            assign(fees[c.pk], room)

    chunks = runs._chunks(community=community, chunk_rooms=4)
    assert [size for _rooms, size in chunks] == [4, 2]
    run = runs.run_preview(community=community, period=NOV, actor=admin_user)
    run = runs.run_issue(run=run, actor=admin_user, chunk_rooms=4)

    assert (run.lines_issued, run.total_fen) == (6, 6 * 1200)
    assert BillLine.objects.filter(community=community).count() == 6
    assert BillLine.objects.filter(community=other).count() == 0
    assert Bill.objects.filter(community=community).count() == 6
    consistent(community)
