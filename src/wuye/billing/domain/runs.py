"""Billing runs (出账): preview, issue, void. Set-based: a run is a handful of SQL statements.

A run for a community and a month decides which (fee item, month) pieces are due (``run_pieces``)
and then works through the community's rooms in chunks (ranges of room ids), each in ONE database
transaction: it reads the chunk's occupied rooms and their fee assignments once, computes every
missing line into a temporary table with one INSERT … SELECT per piece (integer arithmetic only,
see ``domain.compute``), sums them per household, creates the missing bills with those totals,
posts one ledger transaction (Dr receivable per household, Cr income per fee item) from the same
computed lines through the ledger's set-based writer (``transactions_post_many``, which proves it
balances), inserts the lines, all of them or the chunk rolls back, and updates the bills that
existed before. Every statement reads only the chunk's rows (through room, meter and household
indexes), so a chunk costs the same however large the community, and no plan depends on statistics
of the tables the run is filling.

Why this is safe to repeat: a chunk either commits whole or not at all, and every statement skips
what already exists, so a run killed at any point and run again ends with exactly the lines of a
clean run, each posted once. Running a month again adds only what is missing (new rooms, new
assignments, late meter readings); missed months can be run at any time.
"""

from __future__ import annotations

import datetime
import queue
import threading
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import F, Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.billing.domain import bill_notices, compute
from wuye.billing.domain.bills import lines_void
from wuye.billing.enums import CYCLE_MONTHS, UNIT_FEN, Method, RoundingMode, RunState, Timing
from wuye.billing.models import Bill, BillingRun, BillLine, FeeItem
from wuye.billing.signals import bills_issued
from wuye.core.audit import log_action, register_actions, register_field_labels
from wuye.core.models import Community
from wuye.estate.models import Building, Room
from wuye.households.sections import TimelineEntry, register_timeline_source
from wuye.ledger.domain.ledger import Draft, Select, transactions_post_many, transactions_reverse
from wuye.ledger.enums import Account, TransactionKind
from wuye.ledger.models import LedgerTransaction

register_field_labels(
    {
        "total_fen": gettext_lazy("total (yuan)"),
        "lines": gettext_lazy("lines"),
        "period": gettext_lazy("month"),
        "bills": gettext_lazy("bills"),
    }
)
register_actions(
    {
        "billing.run.previewed": gettext_lazy("Billing run previewed"),
        "billing.run.issued": gettext_lazy("Bills issued"),
        "billing.run.voided": gettext_lazy("Billing run voided"),
    }
)

TEMP = "wuye_run_lines"
BILLS = "wuye_run_bills"
ROOMS = "wuye_run_rooms"
HOUSEHOLDS = "wuye_run_households"
ASSIGNMENTS = "wuye_run_assignments"
TEMPORARY_TABLES = (TEMP, ROOMS, ASSIGNMENTS, HOUSEHOLDS, BILLS)
DEFAULT_CHUNK_ROOMS = 50_000


class RunError(Exception):
    """A refused billing-run action; the message is translated."""


# --- SQL dialect ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dialect:
    vendor: str

    def whole(self, expression: str) -> str:
        """A two- or four-decimal quantity scaled to a whole number (exact: it is rounded, not truncated)."""
        if self.vendor == "postgresql":
            return f"ROUND({expression})::bigint"
        return f"CAST(ROUND({expression}) AS INTEGER)"

    def greatest(self, a: str, b: str) -> str:
        return f"GREATEST({a}, {b})" if self.vendor == "postgresql" else f"MAX({a}, {b})"

    def least(self, a: str, b: str) -> str:
        return f"LEAST({a}, {b})" if self.vendor == "postgresql" else f"MIN({a}, {b})"

    def date(self, placeholder: str = "%s") -> str:
        return f"{placeholder}::date" if self.vendor == "postgresql" else placeholder

    def day(self, value: datetime.date) -> str:
        """A date literal (from a date object, never from text)."""
        literal = f"'{datetime.date.isoformat(value)}'"
        return f"{literal}::date" if self.vendor == "postgresql" else literal

    @property
    def false(self) -> str:
        return "false" if self.vendor == "postgresql" else "0"

    def days_between(self, later: str, earlier: str) -> str:
        if self.vendor == "postgresql":
            return f"({later} - {earlier})"
        return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"

    def temp_table(self) -> str:
        number = "numeric" if self.vendor == "postgresql" else "NUMERIC"
        return (
            f"CREATE TEMPORARY TABLE {TEMP} (room_id bigint, household_id bigint, building_id bigint, "
            f"fee_item_id bigint, period date, quantity {number}(14, 2), billable_days integer, "
            f"period_days integer, gross_fen bigint, discount_percent {number}(5, 2), "
            f"discount_fixed_fen bigint, discount_fen bigint)"
        )


def dialect() -> Dialect:
    if connection.vendor not in ("postgresql", "sqlite"):
        raise RunError(f"unsupported database {connection.vendor}")
    return Dialect(connection.vendor)


# Ends a correlated subquery that must be answered row by row through an index (a line or a bill
# already there): PostgreSQL does not turn a subquery with an OFFSET into a join, which with the
# statistics of a table that a run is filling could read the whole table once per chunk.
PROBE = "LIMIT 1 OFFSET 0"


def rounded(numerator: str, denominator: int, *, unit: str, mode: str) -> str:
    """SQL for compute.round_fraction: the same integer formula, with the constants folded in."""
    fen = UNIT_FEN[unit]
    step = fen * denominator
    if mode == RoundingMode.HALF_UP:
        return f"((2 * ({numerator}) + {step}) / {2 * step}) * {fen}"
    if mode == RoundingMode.UP:
        return f"((({numerator}) + {step - 1}) / {step}) * {fen}"
    return f"(({numerator}) / {step}) * {fen}"


# --- What a run bills --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Piece:
    """One fee item for one month: one INSERT … SELECT."""

    item: FeeItem
    month: datetime.date
    first: datetime.date  # first and last day billable in the month (month ∩ item validity)
    last: datetime.date

    @property
    def period_days(self) -> int:
        return compute.month_end(self.month).day


SOURCE_TABLES = (
    "billing_feeassignment",
    "billing_meter",
    "billing_meterreading",
    "billing_sharedusage",
    "estate_room",
    "estate_building",
    "households_householdroom",
    "billing_bill",
    "billing_billline",
)


def _fresh_statistics() -> None:
    """PostgreSQL: analyse the tables a run reads before planning it.

    Rooms, assignments and readings are often loaded in bulk just before a run (an import, the
    demo, a benchmark); autovacuum has not seen them yet, and a plan made for empty tables reads
    every row once per row. Sampling costs well under a second even for a million rooms.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {', '.join(SOURCE_TABLES)}")


def run_pieces(*, community: Community, period: datetime.date) -> list[Piece]:
    """Which (fee item, month) pairs a run for ``period`` bills, from each item's cycle and timing.

    A cycle of k months bills in the months 1, 1+k, … of the year: prepaid items the k months that
    start then, postpaid items the k months before. One-off items bill in the month they start.
    """
    period = compute.month_start(period)
    pieces = []
    for item in FeeItem.objects.filter(community=community, is_active=True).order_by("pk"):
        if item.method == Method.ONE_OFF:
            months = [period]
        else:
            cycle = CYCLE_MONTHS[item.cycle]
            if (period.month - 1) % cycle:
                continue
            offset = 0 if item.timing == Timing.PREPAID else -cycle
            months = [compute.add_months(period, offset + i) for i in range(cycle)]
        for month in months:
            first = max(month, item.valid_from)
            last = min(d for d in (compute.month_end(month), item.valid_to) if d is not None)
            if first <= last:
                pieces.append(Piece(item=item, month=month, first=first, last=last))
    return pieces


def _piece_sql(
    piece: Piece, sql: Dialect, rooms: tuple[int, int], meter_ids: dict[str, tuple[int, int]]
) -> tuple[str, list]:
    """INSERT the missing lines of one piece into the temporary table (rooms of the chunk only).

    The chunk is a range of room ids: its occupied rooms (``ROOMS``) and their fee assignments
    (``ASSIGNMENTS``) are read once per chunk, and the rooms' meters through the room index for that
    range only, so a chunk costs the same however large the community. Dates and integers are written into the
    SQL as literals (they come from our own date objects and integers, never from text); the two
    strings are parameters.
    """
    item, day = piece.item, sql.day
    low, high = int(rooms[0]), int(rooms[1])

    def chunk(column: str) -> str:
        return f"{column} BETWEEN {low} AND {high}"

    price_e4 = compute.to_e4(item.price)
    params: list = []
    usage_join = ""
    window = f"a.starts_on <= {day(piece.last)} AND (a.ends_on IS NULL OR a.ends_on >= {day(piece.first)})"
    prorated_days = (
        sql.days_between(
            sql.least(f"COALESCE(a.ends_on, {day(piece.last)})", day(piece.last)),
            sql.greatest("a.starts_on", day(piece.first)),
        )
        + " + 1"
    )
    unit, mode = item.rounding_unit, item.rounding_mode
    if item.method in (Method.BUILT_AREA, Method.INNER_AREA):
        quantity, days = f"a.{item.method}", prorated_days
        numerator = f"{sql.whole(quantity + ' * 100')} * {price_e4} * ({days})"
        gross = rounded(numerator, 10000 * piece.period_days, unit=unit, mode=mode)
    elif item.method == Method.FIXED:
        quantity, days = "1", prorated_days
        gross = rounded(f"{price_e4} * ({days})", 100 * piece.period_days, unit=unit, mode=mode)
    elif item.method == Method.ONE_OFF:
        quantity, days = "1", str(piece.period_days)
        gross = rounded(str(price_e4), 100, unit=unit, mode=mode)
        window = f"a.starts_on >= {day(piece.month)} AND a.starts_on <= {day(compute.month_end(piece.month))}"
    else:  # metered: the month's usage of the room's meters of that kind plus its shares of shared meters
        quantity, days = "u.usage", str(piece.period_days)
        usage_centi = sql.whole("u.usage * 100")
        segments, lower = [], 0
        for tier in compute.tiers_from(item.tiers, item.price):
            upper = usage_centi if tier.up_to_centi is None else sql.least(usage_centi, str(tier.up_to_centi))
            segments.append(f"{sql.greatest(f'{upper} - {lower}', '0')} * {tier.price_e4}")
            lower = tier.up_to_centi or 0
        gross = rounded(" + ".join(segments), 10000, unit=unit, mode=mode)
        # The chunk's meters (room index) and the readings in the range of their ids (meter index):
        # each chunk reads its own meters' readings, not the whole month's.
        first_meter, last_meter = (int(pk) for pk in meter_ids.get(item.meter_kind, (0, -1)))
        usage_join = (
            "JOIN (SELECT room_id, SUM(usage) AS usage FROM ("
            " SELECT m.room_id AS room_id, mr.usage AS usage FROM billing_meter m"
            f" JOIN billing_meterreading mr ON mr.meter_id = m.id AND mr.period = {day(piece.month)}"
            f" AND mr.meter_id BETWEEN {first_meter} AND {last_meter}"
            f" WHERE {chunk('m.room_id')} AND m.kind = %s"
            " UNION ALL"
            " SELECT su.room_id, su.usage FROM billing_sharedusage su"
            f" WHERE {chunk('su.room_id')} AND su.kind = %s AND su.period = {day(piece.month)}"
            ") AS usage_rows GROUP BY room_id) AS u ON u.room_id = a.room_id"
        )
        params += [item.meter_kind, item.meter_kind]
    discount = sql.least("gross", "(2 * gross * bp + 10000) / 20000 + discount_fen")
    # A room has one line per item and month: when two assignments of the item touch the month (one
    # ends on the 10th, the next starts on the 21st), the later one bills it: the last of its room
    # in (room, start) order (an item's assignments of a room never start on the same day).
    # The preview lists the month as a problem so that staff can check it.
    statement = f"""
        INSERT INTO {TEMP} (room_id, household_id, building_id, fee_item_id, period, quantity, billable_days,
                            period_days, gross_fen, discount_percent, discount_fixed_fen, discount_fen)
        SELECT room_id, household_id, building_id, fee_item_id, {day(piece.month)}, quantity, days,
               {piece.period_days}, gross, discount_percent, discount_fen, {discount}
        FROM (
            SELECT a.room_id AS room_id, a.household_id AS household_id, a.building_id AS building_id,
                   a.fee_item_id AS fee_item_id, {quantity} AS quantity, {days} AS days, {gross} AS gross,
                   a.discount_percent AS discount_percent, a.discount_fen AS discount_fen,
                   {sql.whole("a.discount_percent * 100")} AS bp
            FROM (SELECT a.*, LEAD(a.room_id) OVER (ORDER BY a.room_id, a.starts_on) AS next_room
                  FROM {ASSIGNMENTS} a WHERE a.fee_item_id = {int(item.pk)} AND {window}) AS a
            {usage_join}
            WHERE (a.next_room IS NULL OR a.next_room <> a.room_id)
              AND NOT EXISTS (SELECT 1 FROM billing_billline l WHERE l.room_id = a.room_id
                              AND l.fee_item_id = {int(item.pk)} AND l.period = {day(piece.month)}
                              AND NOT l.is_void {PROBE})
        ) AS computed
    """
    return statement, params


def _working_memory() -> None:
    """PostgreSQL, for this transaction only: room for the chunk's sorts and hashes in memory, no JIT
    compilation (it costs more than it saves on these plans, whose estimates look large), and no
    sequential scan of a table that has an index for the chunk's rows. Every statement of a chunk
    reads its rows through an index; but the bill and line tables fill while the run goes, and a
    plan made from statistics taken when they were near empty (an ANALYZE at the start, autovacuum
    meanwhile) scanned the whole bill table once per household (measured: a 50,000-room chunk at
    the 20th of a million-room run never finished). Temporary tables have no index and are
    scanned as before."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL enable_seqscan = off")


def _compute_lines(*, community_id: int, pieces: list[Piece], rooms: tuple[int, int]) -> int:
    """Fill the temporary table with the missing lines of the community's rooms whose ids are in
    ``rooms`` (low, high). Returns how many lines."""
    sql = dialect()
    low, high = int(rooms[0]), int(rooms[1])
    with connection.cursor() as cursor:
        for name in TEMPORARY_TABLES:
            cursor.execute(f"DROP TABLE IF EXISTS {name}")
        cursor.execute(sql.temp_table())
        # The chunk's rooms that have a household (a room without one is a preview problem, not a line).
        cursor.execute(
            f"CREATE TEMPORARY TABLE {ROOMS} (room_id bigint PRIMARY KEY, household_id bigint, "
            "building_id bigint, built_area numeric(10, 2), inner_area numeric(10, 2))"
        )
        cursor.execute(
            f"""INSERT INTO {ROOMS} (room_id, household_id, building_id, built_area, inner_area)
                SELECT r.id, hr.household_id, r.building_id, r.built_area, r.inner_area
                FROM estate_room r JOIN households_householdroom hr ON hr.room_id = r.id
                WHERE r.community_id = %s AND r.id BETWEEN {low} AND {high}
                  AND hr.room_id BETWEEN {low} AND {high}""",
            [community_id],
        )
        # Their fee assignments with what a line needs of the room, read through the room index (a
        # condition on the fee item could lead the planner to read all of an item's assignments).
        cursor.execute(
            f"CREATE TEMPORARY TABLE {ASSIGNMENTS} (room_id bigint, household_id bigint, building_id bigint, "
            "built_area numeric(10, 2), inner_area numeric(10, 2), fee_item_id bigint, starts_on date, "
            "ends_on date, discount_percent numeric(5, 2), discount_fen bigint)"
        )
        cursor.execute(
            f"""INSERT INTO {ASSIGNMENTS} (room_id, household_id, building_id, built_area, inner_area, fee_item_id,
                                          starts_on, ends_on, discount_percent, discount_fen)
                SELECT a.room_id, r.household_id, r.building_id, r.built_area, r.inner_area, a.fee_item_id,
                       a.starts_on, a.ends_on, a.discount_percent, a.discount_fen
                FROM billing_feeassignment a JOIN {ROOMS} r ON r.room_id = a.room_id
                WHERE a.room_id BETWEEN {low} AND {high}"""
        )
        # The range of ids of the chunk's meters of each kind (GROUP BY: read from the room index).
        cursor.execute(
            f"SELECT kind, MIN(id), MAX(id) FROM billing_meter WHERE room_id BETWEEN {low} AND {high} GROUP BY kind"
        )
        meter_ids = {kind: (first, last) for kind, first, last in cursor.fetchall()}
        computed = 0
        for piece in pieces:
            statement, params = _piece_sql(piece, sql, rooms, meter_ids)
            cursor.execute(statement, params)
            computed += cursor.rowcount
        return computed


def _drop_temp() -> None:
    with connection.cursor() as cursor:
        for name in TEMPORARY_TABLES:
            cursor.execute(f"DROP TABLE IF EXISTS {name}")


def _all_rooms(community: Community) -> tuple[int, int]:
    """The community's whole range of room ids, as one chunk."""
    bounds = Room.objects.filter(community=community).aggregate(low=Min("pk"), high=Max("pk"))
    return (bounds["low"] or 0, bounds["high"] if bounds["high"] is not None else -1)


def _chunks(*, community: Community, chunk_rooms: int) -> list[tuple[tuple[int, int], int]]:
    """The community's rooms in ranges of ids of ``chunk_rooms`` rooms each: [((low, high), rooms)].

    Numbered in one query (a window over the room index), so only the few ranges reach Python.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT MIN(id), MAX(id), COUNT(*) FROM ("
            " SELECT id, (ROW_NUMBER() OVER (ORDER BY id) - 1) / %s AS chunk FROM estate_room"
            " WHERE community_id = %s) AS numbered GROUP BY chunk ORDER BY chunk",
            [int(chunk_rooms), community.pk],
        )
        return [((low, high), size) for low, high, size in cursor.fetchall()]


# --- Preview -------------------------------------------------------------------------------------------


def _problems(*, community: Community, pieces: list[Piece]) -> dict:
    """Rooms that an item applies to but that cannot be billed: no household, or no meter reading."""
    sql = dialect()
    d = sql.date
    problems: dict[str, dict] = {}
    with connection.cursor() as cursor:
        for piece in pieces:
            base = (
                "FROM billing_feeassignment a JOIN estate_room r ON r.id = a.room_id "
                "JOIN estate_building b ON b.id = r.building_id JOIN estate_unit un ON un.id = r.unit_id "
                f"WHERE a.fee_item_id = %s AND a.starts_on <= {d()} AND (a.ends_on IS NULL OR a.ends_on >= {d()})"
            )
            params = [piece.item.pk, piece.last, piece.first]
            checks = [
                (
                    "no_household",
                    "AND NOT EXISTS (SELECT 1 FROM households_householdroom hr WHERE hr.room_id = r.id)",
                    [],
                ),
                (
                    "two_assignments",
                    "AND EXISTS (SELECT 1 FROM billing_feeassignment a2 WHERE a2.fee_item_id = a.fee_item_id"
                    f" AND a2.room_id = a.room_id AND a2.id > a.id AND a2.starts_on <= {d()}"
                    f" AND (a2.ends_on IS NULL OR a2.ends_on >= {d()}))",
                    [piece.last, piece.first],
                ),
            ]
            if piece.item.method == Method.METERED:
                checks.append(
                    (
                        "no_reading",
                        "AND NOT EXISTS (SELECT 1 FROM billing_meterreading mr JOIN billing_meter m ON m.id = mr.meter_id "
                        f"WHERE m.room_id = r.id AND m.kind = %s AND mr.period = {d()}) "
                        "AND NOT EXISTS (SELECT 1 FROM billing_sharedusage su WHERE su.room_id = r.id "
                        f"AND su.kind = %s AND su.period = {d()})",
                        [piece.item.meter_kind, piece.month, piece.item.meter_kind, piece.month],
                    )
                )
            for code, condition, extra in checks:
                cursor.execute(f"SELECT COUNT(*) {base} {condition}", params + extra)
                count = cursor.fetchone()[0]
                if not count:
                    continue
                cursor.execute(
                    f"SELECT b.name, un.name, r.number {base} {condition} ORDER BY b.name, un.name, r.number LIMIT 20",
                    params + extra,
                )
                key = f"{code}:{piece.item.pk}:{piece.month:%Y-%m}"
                problems[key] = {
                    "code": code,
                    "fee_item": piece.item.name,
                    "month": f"{piece.month:%Y-%m}",
                    "count": count,
                    "rooms": ["-".join(row) for row in cursor.fetchall()],
                }
    return {"items": list(problems.values())}


@transaction.atomic
def run_preview(*, community: Community, period: datetime.date, actor) -> BillingRun:
    """Compute what a run would issue, without issuing: totals per fee item and building, and problems."""
    period = compute.month_start(period)
    _fresh_statistics()
    pieces = run_pieces(community=community, period=period)
    _working_memory()
    lines = _compute_lines(community_id=community.pk, pieces=pieces, rooms=_all_rooms(community))
    names = dict(Building.objects.filter(community=community).values_list("pk", "name"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT fee_item_id, COUNT(*), SUM(gross_fen), SUM(discount_fen) FROM {TEMP} GROUP BY fee_item_id"
        )
        by_item = {row[0]: row[1:] for row in cursor.fetchall()}
        cursor.execute(
            f"SELECT building_id, COUNT(*), SUM(gross_fen - discount_fen) FROM {TEMP} GROUP BY building_id"
        )
        by_building = cursor.fetchall()
        cursor.execute(
            f"SELECT COUNT(DISTINCT household_id), COALESCE(SUM(gross_fen - discount_fen), 0) FROM {TEMP}"
        )
        households, total = cursor.fetchone()
    _drop_temp()
    items = {item.pk: item.name for item in (piece.item for piece in pieces)}
    preview = {
        "pieces": [{"fee_item": p.item.name, "month": f"{p.month:%Y-%m}"} for p in pieces],
        "lines": lines,
        "households": households,
        "total_fen": int(total),
        "by_item": [
            {
                "fee_item": items[pk],
                "lines": n,
                "gross_fen": int(g),
                "discount_fen": int(dc),
                "amount_fen": int(g - dc),
            }
            for pk, (n, g, dc) in sorted(by_item.items())
        ],
        "by_building": [
            {"building": names.get(pk, str(pk)), "lines": n, "amount_fen": int(a)}
            for pk, n, a in sorted(by_building, key=lambda row: names.get(row[0], ""))
        ],
        "problems": _problems(community=community, pieces=pieces),
    }
    run = BillingRun.objects.create(
        community=community,
        period=period,
        preview=preview,
        created_by=actor,
        progress_total=Room.objects.filter(community=community).count(),
    )
    log_action(
        "billing.run.previewed",
        actor=actor,
        obj=run,
        community_id=community.pk,
        changes={"period": f"{period:%Y-%m}", "lines": lines, "total_fen": int(total)},
    )
    return run


# --- Issue ------------------------------------------------------------------------------------------------


def _due_on(pieces: list[Piece], period: datetime.date) -> datetime.date:
    day = min((piece.item.due_day for piece in pieces), default=15)
    return period.replace(day=day)


def _community_lock(community_id: int, *, shared: bool) -> None:
    """Lock the community for this chunk's transaction: alone (FOR UPDATE), or, for the chunks of one
    run issued side by side on PostgreSQL, together (FOR SHARE): still exclusive of one-off charges,
    of chunks issued alone and of every other writer that locks the community for update."""
    if shared:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT 1 FROM {Community._meta.db_table} WHERE id = %s FOR SHARE", [community_id]
            )
    else:
        Community.objects.select_for_update().filter(pk=community_id).exists()


def _issue_chunk(
    *, run: BillingRun, pieces: list[Piece], rooms: tuple[int, int], actor, shared: bool = False
) -> tuple[int, int, list]:
    """One chunk in one database transaction. Returns (lines inserted, total fen, household pks).

    The computed lines are summed once per household (``HOUSEHOLDS``): new bills are inserted with
    those totals, and the receivable postings are those totals. Only bills that existed before (a
    household with rooms in an earlier chunk, or a re-run adding lines) are updated. The ledger
    transaction is written before the lines, which name it.

    ``shared``: this chunk runs beside other chunks of the same run (``run_issue``). Their room
    ranges do not overlap, so their lines never collide; a household with rooms in two chunks at
    once makes the second one's bill insert fail on the one-bill-per-month index (or deadlock), the
    chunk rolls back whole and is issued again alone afterwards.
    """
    sql = dialect()
    community_id = run.community_id
    with transaction.atomic():
        # Chunks issued alone write a community one at a time (two runs of the same community queue
        # here), so the lines computed below are still missing when they are inserted: the unique
        # index needs no ON CONFLICT clause, and a violation is an error that rolls the chunk back.
        _community_lock(community_id, shared=shared)
        _working_memory()
        computed = _compute_lines(community_id=community_id, pieces=pieces, rooms=rooms)
        if not computed:
            _drop_temp()
            return 0, 0, []
        period, due_on = sql.day(run.period), sql.day(_due_on(pieces, run.period))
        this_month = f"b.period = {period} AND NOT (b.state = 'void')"
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMPORARY TABLE {HOUSEHOLDS} (household_id bigint, total_fen bigint)")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {BILLS} (household_id bigint, bill_id bigint, is_new integer)"
            )
            cursor.execute(
                f"""INSERT INTO {HOUSEHOLDS} (household_id, total_fen)
                    SELECT household_id, SUM(gross_fen - discount_fen) FROM {TEMP}
                    GROUP BY household_id ORDER BY household_id"""  # (the bills follow this order)
            )
            # The bills this month of the chunk's households that exist already (a household with
            # rooms in an earlier chunk, a re-run): read before any bill is inserted, as a statement
            # that both reads and fills the bill table could scan it once per household.
            cursor.execute(
                f"""INSERT INTO {BILLS} (household_id, bill_id, is_new)
                    SELECT household_id, bill_id, 0 FROM (
                        SELECT t.household_id AS household_id,
                               (SELECT b.id FROM billing_bill b WHERE b.household_id = t.household_id
                                AND {this_month}) AS bill_id
                        FROM {HOUSEHOLDS} t
                    ) AS earlier WHERE bill_id IS NOT NULL"""
            )
            earlier = cursor.rowcount
            insert_bills = f"""INSERT INTO billing_bill (community_id, household_id, period, run_id, state,
                                                  total_fen, due_on, created_at)
                SELECT %s, t.household_id, {period}, %s, 'open', t.total_fen, {due_on}, %s
                FROM {HOUSEHOLDS} t WHERE t.household_id NOT IN (SELECT household_id FROM {BILLS})"""
            if connection.vendor == "postgresql":
                # The new bills' ids straight from the insert: reading them back from the bill table,
                # which the statistics do not know to hold them yet, was planned as one scan of the
                # chunk's households per bill (15 s for one chunk of 20,000 households).
                cursor.execute(
                    f"""WITH made AS ({insert_bills} RETURNING household_id, id)
                        INSERT INTO {BILLS} (household_id, bill_id, is_new) SELECT household_id, id, 1 FROM made""",
                    [community_id, run.pk, timezone.now()],
                )
            else:
                # Bills created below have ids above this mark (ids only grow), name this run and are
                # of the chunk's households without an earlier bill (a chunk issued beside this one
                # commits bills of this run too, of other households).
                cursor.execute("SELECT COALESCE(MAX(id), 0) FROM billing_bill")
                mark = cursor.fetchone()[0]
                cursor.execute(insert_bills, [community_id, run.pk, timezone.now()])
                cursor.execute(
                    f"""INSERT INTO {BILLS} (household_id, bill_id, is_new)
                        SELECT household_id, id, 1 FROM billing_bill WHERE id > %s AND run_id = %s
                        AND household_id IN (SELECT household_id FROM {HOUSEHOLDS})
                        AND household_id NOT IN (SELECT household_id FROM {BILLS})""",
                    [mark, run.pk],
                )
        # The chunk's ledger transaction, from the computed lines (the same rows the lines are below):
        # Dr receivable per household, Cr income per fee item, written and proven balanced by the ledger.
        record_id = transactions_post_many(
            community_id=community_id,
            kind=TransactionKind.BILLING,
            transactions=[Draft(reference=f"billing.run:{run.pk}", memo=f"{run.period:%Y-%m}")],
            postings=Select(
                f"""SELECT 0, %s, household_id, NULL, total_fen FROM {HOUSEHOLDS}
                    UNION ALL
                    SELECT 0, %s, NULL, fee_item_id, -SUM(gross_fen - discount_fen) FROM {TEMP} GROUP BY fee_item_id""",
                [Account.RECEIVABLE, Account.INCOME],
            ),
            actor=actor,
        )[0]
        with connection.cursor() as cursor:
            cursor.execute(
                f"""INSERT INTO billing_billline (community_id, bill_id, household_id, room_id, fee_item_id, period,
                        method, quantity, price, tiers, billable_days, period_days, rounding_unit, rounding_mode,
                        gross_fen, discount_percent, discount_fixed_fen, discount_fen, amount_fen, adjusted_fen,
                        waived_fen, paid_fen, is_void, late_fee_waiver_reason, transaction_id)
                    SELECT %s, b.bill_id, t.household_id, t.room_id, t.fee_item_id, t.period, f.method, t.quantity,
                           f.price, f.tiers, t.billable_days, t.period_days, f.rounding_unit, f.rounding_mode,
                           t.gross_fen, t.discount_percent, t.discount_fixed_fen, t.discount_fen,
                           t.gross_fen - t.discount_fen, 0, 0, 0, {sql.false}, '', %s
                    FROM {TEMP} t
                    JOIN {BILLS} b ON b.household_id = t.household_id
                    JOIN billing_feeitem f ON f.id = t.fee_item_id""",
                [community_id, record_id],
            )
            inserted = cursor.rowcount
            if inserted != computed:
                # Every computed line has its household's bill and its fee item; bills and postings
                # were made from the computed lines. Not reached: the chunk rolls back whole.
                raise RunError(f"{inserted} of {computed} computed lines were inserted")
            if earlier:
                # Totals and states of the bills that existed before this chunk.
                cursor.execute(
                    f"""UPDATE billing_bill SET
                           total_fen = (SELECT COALESCE(SUM(l.amount_fen), 0) FROM billing_billline l
                                        WHERE l.bill_id = billing_bill.id AND NOT l.is_void),
                           state = CASE WHEN (SELECT COALESCE(SUM(l.paid_fen), 0) FROM billing_billline l
                                              WHERE l.bill_id = billing_bill.id AND NOT l.is_void) > 0
                                        THEN 'partial' ELSE 'open' END
                       WHERE id IN (SELECT bill_id FROM {BILLS} WHERE is_new = 0)"""
                )
            cursor.execute(f"SELECT COALESCE(SUM(total_fen), 0) FROM {HOUSEHOLDS}")
            total = cursor.fetchone()[0]
            cursor.execute(f"SELECT household_id FROM {HOUSEHOLDS}")
            households = [row[0] for row in cursor.fetchall()]
        _drop_temp()
        BillingRun.objects.filter(pk=run.pk).update(
            lines_issued=F("lines_issued") + inserted, total_fen=F("total_fen") + int(total)
        )
        transaction.on_commit(
            lambda: bills_issued.send(
                sender=BillingRun, community_id=community_id, run_id=run.pk, household_ids=households
            )
        )
    return inserted, int(total), households


def _side_by_side(chunks: int) -> int:
    """How many chunks to issue at once: on PostgreSQL ``WUYE_RUN_WORKERS`` connections (the server
    works on each in its own process); one at a time on SQLite (one writer) and inside a caller's
    transaction (other connections would not see its rows)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return 1
    return max(1, min(settings.WUYE_RUN_WORKERS, chunks))


def _issue_side_by_side(*, run, pieces, chunks, actor, workers: int, chunk_done) -> list:
    """Issue the chunks on ``workers`` threads, each with its own database connection; return the
    chunks that rolled back on meeting another one (a household in both), to be issued alone."""
    pending = queue.SimpleQueue()
    for chunk in chunks:
        pending.put(chunk)
    again: list = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def work() -> None:
        try:
            while not failures:
                try:
                    rooms, size = pending.get_nowait()
                except queue.Empty:
                    return
                try:
                    _issue_chunk(run=run, pieces=pieces, rooms=rooms, actor=actor, shared=True)
                except (IntegrityError, OperationalError):
                    with lock:
                        again.append((rooms, size))
                    continue
                with lock:
                    chunk_done(size)
        except BaseException as error:  # re-raised in the caller's thread below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, name=f"wuye-run-{run.pk}-{n}") for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return sorted(again)


def run_issue(*, run: BillingRun, actor, chunk_rooms: int = DEFAULT_CHUNK_ROOMS, progress=None) -> BillingRun:
    """Issue the bills of a previewed (or interrupted) run, chunk by chunk, each chunk committed whole.

    ``progress(done_rooms, total_rooms)`` is called after each chunk (the console polls the run row).
    """
    claimed = BillingRun.objects.filter(pk=run.pk, state__in=[RunState.PREVIEWED, RunState.ISSUING]).update(
        state=RunState.ISSUING, progress_done=0
    )
    if not claimed:
        raise RunError(_("Only a previewed or interrupted run can be issued."))
    community = run.community
    _fresh_statistics()
    pieces = run_pieces(community=community, period=run.period)
    chunks = _chunks(community=community, chunk_rooms=chunk_rooms)
    total_rooms = sum(size for _pks, size in chunks)
    BillingRun.objects.filter(pk=run.pk).update(progress_total=total_rooms)
    done = 0

    def chunk_done(size: int) -> None:
        nonlocal done
        done += size
        BillingRun.objects.filter(pk=run.pk).update(progress_done=done)
        if progress is not None:
            progress(done, total_rooms)

    alone = chunks
    workers = _side_by_side(len(chunks))
    if workers > 1:
        alone = _issue_side_by_side(
            run=run, pieces=pieces, chunks=chunks, actor=actor, workers=workers, chunk_done=chunk_done
        )
    for rooms, size in alone:
        _issue_chunk(run=run, pieces=pieces, rooms=rooms, actor=actor)
        chunk_done(size)
    BillingRun.objects.filter(pk=run.pk).update(state=RunState.ISSUED, issued_at=timezone.now())
    run.refresh_from_db()
    log_action(
        "billing.run.issued",
        actor=actor,
        obj=run,
        community_id=community.pk,
        changes={"period": f"{run.period:%Y-%m}", "lines": run.lines_issued, "total_fen": run.total_fen},
    )
    bill_notices.run_owners_notify_later(run=run)
    return run


# --- Void --------------------------------------------------------------------------------------------------


@transaction.atomic
def run_void(*, run: BillingRun, reason: str, actor) -> BillingRun:
    """Void an issued run before any of its lines is paid, adjusted or waived: reversing entries, audited."""
    run = BillingRun.objects.select_for_update().get(pk=run.pk)
    if run.state != RunState.ISSUED:
        raise RunError(_("Only an issued run can be voided."))
    if not reason.strip():
        raise RunError(_("Give a reason for voiding the run."))
    transactions = LedgerTransaction.objects.filter(
        community_id=run.community_id, reference=f"billing.run:{run.pk}", kind=TransactionKind.BILLING
    )
    lines = BillLine.objects.filter(transaction__in=transactions, is_void=False)
    if lines.exclude(paid_fen=0, waived_fen=0, adjusted_fen=0).exists():
        raise RunError(
            _("Bills of this run have payments, adjustments or waivers; it can no longer be voided.")
        )
    transactions_reverse(
        community_id=run.community_id,
        reference=f"billing.run:{run.pk}",
        kind=TransactionKind.BILLING,
        reversal_kind=TransactionKind.VOID,
        memo=reason.strip()[:200],
        actor=actor,
    )
    bill_pks = lines_void(lines=lines)
    run.state, run.voided_at, run.voided_by, run.void_reason = (
        RunState.VOID,
        timezone.now(),
        actor,
        reason.strip(),
    )
    run.save(update_fields=["state", "voided_at", "voided_by", "void_reason"])
    log_action(
        "billing.run.voided",
        actor=actor,
        obj=run,
        community_id=run.community_id,
        changes={"period": f"{run.period:%Y-%m}", "reason": run.void_reason, "bills": len(bill_pks)},
    )
    return run


# --- The household timeline ------------------------------------------------------------------------------


def _bills_on_timeline(household, limit: int) -> list:
    """Bills issued by runs are written set-based, without an audit row per household: show them here."""
    bills = (
        Bill.objects.filter(household=household)
        .select_related("run__created_by")
        .order_by("-created_at")[:limit]
    )
    return [
        TimelineEntry(
            created_at=bill.created_at,
            label=_("Bill issued"),
            object_repr=f"{bill.period:%Y-%m}",
            changes={"total_fen": bill.total_fen, "state": bill.get_state_display()},
            actor=bill.run.created_by if bill.run else None,
        )
        for bill in bills
    ]


register_timeline_source("billing.bills", _bills_on_timeline)
