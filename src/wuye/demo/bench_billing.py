"""`wuye bench billing`: a synthetic community of N rooms, one billing run, and a raw bulk-load baseline.

The data set is generated in SQL (set-based, not timed). The run is timed from claim to last commit;
the jobs it queues (owners' bill notices) are waited for and timed apart, before the baseline.
The baseline loads the same number of rows into a table of the same shape (PostgreSQL: COPY into a
``LIKE billing_billline INCLUDING ALL`` table; SQLite: executemany in one transaction); the rows are
formatted in batches outside the timer, so only the load itself is timed. Memory stays flat: nothing
holds all rows at once.
"""

from __future__ import annotations

import datetime
import json
import resource
import time
from decimal import Decimal

from django.db import connection, transaction

from wuye.billing.domain import compute, runs
from wuye.billing.models import Bill, BillingRun, BillLine, FeeItem
from wuye.core import jobs
from wuye.core.models import Community, Company

ROOMS_PER_BUILDING = 1000
PERIOD = datetime.date(2026, 11, 1)
ITEM_PLAN = [
    {"name": "物业费", "category": "property", "method": "built_area", "price": Decimal("2.35")},
    {"name": "卫生费", "category": "sanitation", "method": "fixed", "price": Decimal("12")},
    {
        "name": "水费",
        "category": "water",
        "method": "metered",
        "price": Decimal("3.2"),
        "meter_kind": "water",
        "timing": "postpaid",
        "tiers": [{"up_to": "20", "price": "3.2"}, {"up_to": None, "price": "4.8"}],
    },
    {
        "name": "电费",
        "category": "electricity",
        "method": "metered",
        "price": Decimal("0.56"),
        "meter_kind": "electricity",
        "timing": "postpaid",
    },
    {"name": "停车费", "category": "parking", "method": "fixed", "price": Decimal("150")},
    {
        "name": "燃气费",
        "category": "gas",
        "method": "metered",
        "price": Decimal("2.9"),
        "meter_kind": "gas",
        "timing": "postpaid",
    },
]


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _sequence(cursor, n: int) -> None:
    cursor.execute("DROP TABLE IF EXISTS bench_seq")
    cursor.execute("CREATE TEMPORARY TABLE bench_seq (n bigint PRIMARY KEY)")
    if connection.vendor == "postgresql":
        cursor.execute("INSERT INTO bench_seq SELECT generate_series(1, %s)", [n])
    else:
        cursor.execute(
            "INSERT INTO bench_seq WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < %s) "
            "SELECT n FROM s",
            [n],
        )


@transaction.atomic
def build(*, households: int, fee_items: int, log) -> Community:
    """The synthetic community: buildings of 1000 rooms, one household per room, every item on every room."""
    company, _ = Company.objects.get_or_create(name="基准测试物业")
    community = Community.objects.create(
        company=company, name=f"基准小区 {time.strftime('%Y%m%d-%H%M%S')}-{households}"
    )
    c = community.pk
    buildings = -(-households // ROOMS_PER_BUILDING)
    previous = compute.add_months(PERIOD, -1)
    with connection.cursor() as cursor:
        _sequence(cursor, max(households, buildings))
        cursor.execute(
            "INSERT INTO estate_building (community_id, name, floors, note) "
            "SELECT %s, 'B' || n, 20, '' FROM bench_seq WHERE n <= %s",
            [c, buildings],
        )
        cursor.execute(
            "INSERT INTO estate_unit (community_id, building_id, name) "
            "SELECT %s, id, '1单元' FROM estate_building WHERE community_id = %s",
            [c, c],
        )
        cursor.execute(
            "INSERT INTO estate_room (community_id, building_id, unit_id, number, floor, built_area, inner_area, use, state) "
            "SELECT %s, b.id, u.id, '' || s.n, 1 + (s.n %% 20), (6000 + s.n %% 9000) / 100.0, (5000 + s.n %% 7000) / 100.0, "
            "'residential', 'self_occupied' "
            "FROM bench_seq s JOIN estate_building b ON b.community_id = %s AND b.name = 'B' || (1 + (s.n - 1) / 1000) "
            "JOIN estate_unit u ON u.building_id = b.id WHERE s.n <= %s",
            [c, c, households],
        )
        cursor.execute(
            "INSERT INTO households_household (community_id, name, notes, created_at, updated_at) "
            "SELECT %s, 'H' || n, '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM bench_seq WHERE n <= %s",
            [c, households],
        )
        # Pair the n-th household with the n-th room through two keyed tables (a join on row numbers
        # computed in subqueries would compare every pair on SQLite).
        for name, table in (("bench_h", "households_household"), ("bench_r", "estate_room")):
            cursor.execute(f"DROP TABLE IF EXISTS {name}")
            cursor.execute(f"CREATE TEMPORARY TABLE {name} (rn bigint PRIMARY KEY, id bigint)")
            cursor.execute(
                f"INSERT INTO {name} SELECT ROW_NUMBER() OVER (ORDER BY id), id FROM {table} "  # noqa: S608
                "WHERE community_id = %s",
                [c],
            )
        cursor.execute(
            "INSERT INTO households_householdroom (community_id, household_id, room_id) "
            "SELECT %s, h.id, r.id FROM bench_h h JOIN bench_r r ON r.rn = h.rn",
            [c],
        )
        for name in ("bench_seq", "bench_h", "bench_r"):
            cursor.execute(f"DROP TABLE IF EXISTS {name}")
    log(f"  {buildings} buildings, {households} rooms and households")
    plan = (ITEM_PLAN * (fee_items // len(ITEM_PLAN) + 1))[:fee_items]
    for index, spec in enumerate(plan):
        name = spec["name"] if index < len(ITEM_PLAN) else f"{spec['name']}{index}"
        item = FeeItem.objects.create(
            community=community, valid_from=datetime.date(2020, 1, 1), **{**spec, "name": name}
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO billing_feeassignment (community_id, fee_item_id, room_id, starts_on, discount_percent, "
                "discount_fen, discount_reason, created_at) "
                "SELECT %s, %s, id, %s, 0, 0, '', CURRENT_TIMESTAMP FROM estate_room WHERE community_id = %s",
                [c, item.pk, datetime.date(2020, 1, 1), c],
            )
            if item.method == "metered":
                cursor.execute(
                    "INSERT INTO billing_meter (community_id, kind, number, room_id, is_active) "
                    "SELECT %s, %s, %s || id, id, %s FROM estate_room WHERE community_id = %s",
                    [c, item.meter_kind, f"{item.meter_kind[0].upper()}{item.pk}-", True, c],
                )
                cursor.execute(
                    "INSERT INTO billing_meterreading (community_id, meter_id, period, value, usage, replaced, created_at) "
                    "SELECT %s, id, %s, 1000 + id %% 37, (id %% 37) + 0.5, %s, CURRENT_TIMESTAMP FROM billing_meter "
                    "WHERE community_id = %s AND kind = %s",
                    [c, previous, False, c, item.meter_kind],
                )
        log(f"  fee item {item.name}: {households} assignments")
    return community


COPY_COLUMNS = [
    "community_id",
    "bill_id",
    "household_id",
    "room_id",
    "fee_item_id",
    "period",
    "method",
    "quantity",
    "price",
    "tiers",
    "billable_days",
    "period_days",
    "rounding_unit",
    "rounding_mode",
    "gross_fen",
    "discount_percent",
    "discount_fixed_fen",
    "discount_fen",
    "amount_fen",
    "adjusted_fen",
    "waived_fen",
    "paid_fen",
    "is_void",
    "late_fee_waiver_reason",
    "transaction_id",
]


def _baseline_rows(community: Community, template: BillLine, batch: int):
    """Batches of rows shaped like the run's lines: every (room, fee item) of the community, streamed."""
    from wuye.estate.models import Room

    fee_items = list(FeeItem.objects.filter(community=community).values_list("pk", flat=True))
    rows = []
    for fee_item_id in fee_items:
        for room_id in (
            Room.objects.filter(community=community)
            .order_by("pk")
            .values_list("pk", flat=True)
            .iterator(chunk_size=batch)
        ):
            rows.append(
                (
                    community.pk,
                    template.bill_id,
                    template.household_id,
                    room_id,
                    fee_item_id,
                    "2026-11-01",
                    "built_area",
                    "89.55",
                    "2.3500",
                    "[]",
                    30,
                    30,
                    "fen",
                    "half_up",
                    21044,
                    "0",
                    0,
                    0,
                    21044,
                    0,
                    0,
                    0,
                    False,
                    "",
                    template.transaction_id,
                )
            )
            if len(rows) == batch:
                yield rows
                rows = []
    if rows:
        yield rows


def _clone_table_sqlite(cursor) -> None:
    """bench_copy with the columns, constraints and every index of billing_billline."""
    cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'billing_billline'")
    cursor.execute(cursor.fetchone()[0].replace('"billing_billline"', '"bench_copy"', 1))
    cursor.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'billing_billline' "
        "AND sql IS NOT NULL"
    )
    for name, sql in cursor.fetchall():
        cursor.execute(
            sql.replace(f'"{name}"', f'"bench_{name}"', 1).replace('"billing_billline"', '"bench_copy"')
        )


def _copy_baseline(*, community: Community, template: BillLine, log) -> tuple[int, float]:
    """Load rows shaped like the run's lines into a table of the same shape; (rows, seconds loading).

    Rows are formatted in batches outside the timer: only the load itself is timed.
    """
    batch, loaded, seconds = 50_000, 0, 0.0
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy")
        if connection.vendor == "postgresql":
            cursor.execute("CREATE TABLE bench_copy (LIKE billing_billline INCLUDING ALL)")
            raw = connection.connection
            raw.commit()
            for rows in _baseline_rows(community, template, batch):
                data = "".join(
                    "\t".join("t" if v is True else "f" if v is False else str(v) for v in row) + "\n"
                    for row in rows
                ).encode()
                began = time.perf_counter()
                with raw.cursor().copy(f"COPY bench_copy ({', '.join(COPY_COLUMNS)}) FROM STDIN") as copy:
                    copy.write(data)
                seconds += time.perf_counter() - began
                loaded += len(rows)
            began = time.perf_counter()
            raw.commit()
            seconds += time.perf_counter() - began
        else:
            _clone_table_sqlite(cursor)
            placeholders = ", ".join(["%s"] * len(COPY_COLUMNS))
            statement = f"INSERT INTO bench_copy ({', '.join(COPY_COLUMNS)}) VALUES ({placeholders})"  # noqa: S608
            with transaction.atomic():
                for rows in _baseline_rows(community, template, batch):
                    began = time.perf_counter()
                    cursor.executemany(statement, rows)
                    seconds += time.perf_counter() - began
                    loaded += len(rows)
        cursor.execute("DROP TABLE bench_copy")
    log(f"  bulk load of {loaded} rows: {seconds:.2f} s")
    return loaded, seconds


def bench_billing(
    *,
    households: int,
    fee_items: int = 4,
    chunk_rooms: int = runs.DEFAULT_CHUNK_ROOMS,
    keep: bool = False,
    log=print,
) -> dict:
    log(
        f"Building a synthetic community of {households} rooms with {fee_items} fee items on {connection.vendor} …"
    )
    began = time.perf_counter()
    community = build(households=households, fee_items=fee_items, log=log)
    log(f"  built in {time.perf_counter() - began:.1f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    run = BillingRun.objects.create(community=community, period=PERIOD)
    log("Billing run …")
    began = time.perf_counter()
    run = runs.run_issue(
        run=run,
        actor=None,
        chunk_rooms=chunk_rooms,
        progress=lambda done, total: log(f"  {done}/{total} rooms"),
    )
    seconds = time.perf_counter() - began
    lines = run.lines_issued
    log(f"  {lines} lines, {run.total_fen} fen in {seconds:.2f} s")
    # Jobs the run queued after its commits (owners' bill notices) run in this process's worker
    # threads: let them finish, timed apart, so that they do not share the machine with the baseline.
    began = time.perf_counter()
    jobs.wait_idle()
    jobs_seconds = time.perf_counter() - began
    log(f"  jobs queued by the run: {jobs_seconds:.2f} s more")
    copy_rows, copy_seconds = _copy_baseline(
        community=community,
        template=BillLine.objects.filter(
            bill=Bill.objects.filter(community=community).order_by("pk").first()
        ).first(),
        log=log,
    )
    result = {
        "database": connection.vendor,
        "households": households,
        "fee_items": fee_items,
        "lines": lines,
        "total_fen": run.total_fen,
        "seconds": round(seconds, 3),
        "copy_rows": copy_rows,
        "copy_seconds": round(copy_seconds, 3),
        "lines_per_second": round(lines / seconds) if seconds else None,
        "ratio_to_copy": round(copy_seconds / seconds, 3) if seconds else None,
        "jobs_seconds": round(jobs_seconds, 3),
        "peak_rss_mb": _peak_rss_mb(),
    }
    if not keep:
        log("(the synthetic community stays in the database; use a throwaway database for benchmarks)")
    return result


def print_result(result: dict, write=print) -> None:
    write(json.dumps(result, ensure_ascii=False))
