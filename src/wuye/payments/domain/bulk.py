"""Many payment attempts settled at once: the set-based twin of ``payment_apply`` (a bank's result file
settles a hundred thousand debits, which must not be a hundred thousand runs of the one-by-one path).

``payments_apply_many`` writes exactly what ``payment_apply`` writes for each success, in the same
order of locks (the attempts, the households, the lines, the bills, then the receipt counter): the
same allocations (each order's lines oldest month first, each up to what the order asked and what it
still owes, any excess kept as prepayment), the same ledger transaction (same kind, key, reference and
postings), the same bill states, a receipt with the next number of its community (a block of numbers
taken at once, in the order given), the same audit entries, the 欠费 tag and receipt notices after
commit. ``tests/debit/test_settlement_property.py`` proves both paths leave identical books.

``attempts_finish_many`` moves many attempts to failed or unknown, as ``attempt_transition`` would.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from wuye.billing.domain.bills import bills_refresh_state
from wuye.billing.domain.latefees import late_fees_still_due
from wuye.billing.models import line_outstanding_sql
from wuye.billing.tagrules import ARREARS_RULE, arrears_tag_refresh_on_commit
from wuye.core import sql
from wuye.core.audit import AuditEntry, log_bulk
from wuye.core.money import fen_to_yuan
from wuye.estate.models import room_label
from wuye.households.domain.tagrules import carries_rule_tag_sql
from wuye.ledger.domain.ledger import Draft, Entry, LedgerError, transactions_post_many
from wuye.ledger.enums import Account, TransactionKind
from wuye.notifications.domain.queries import anyone_bound_sql
from wuye.payments.domain.allocations import allocation_split
from wuye.payments.domain.receipt_notices import receipt_notify_on_commit
from wuye.payments.enums import ATTEMPT_TRANSITIONS, METHOD_ACCOUNT, AttemptState, OrderState, ReceiptKind
from wuye.payments.lock_objects import row_lock
from wuye.payments.models import Receipt, ReceiptCounter, new_token


@dataclass(frozen=True)
class Success:
    attempt_pk: int
    amount_fen: int  # fen the channel says it collected; must equal the attempt's amount
    channel_trade_no: str = ""


def _ids(values) -> str:
    return ", ".join(str(int(value)) for value in values)


def _locked_attempts(pks: list[int]) -> dict[int, tuple]:
    found = {}
    for part in sql.chunks(sorted(pks)):
        for values in sql.rows(
            "SELECT id, community_id, household_id, order_id, method, out_trade_no, amount_fen, state,"
            f" transaction_id FROM payments_paymentattempt WHERE id IN ({_ids(part)}) ORDER BY id"
            + sql.for_update()
        ):
            found[values[0]] = values
    return found


def _locked_households(pks: list[int]) -> dict[int, tuple]:
    """(name, bound, tagged) per household, locked in pk order like ``household_lock``."""
    found = {}
    for part in sql.chunks(sorted(pks)):
        for pk, name, bound, tagged in sql.rows(
            f"SELECT h.id, h.name, {anyone_bound_sql('h.id')}, {carries_rule_tag_sql('h.id')}"
            f" FROM households_household h WHERE h.id IN ({_ids(part)}) ORDER BY h.id" + row_lock(of="h"),
            [ARREARS_RULE],
        ):
            found[pk] = (name, bool(bound), bool(tagged))
    return found


def _locked_lines(order_pks: list[int], as_of: datetime.date) -> dict[int, list[list]]:
    """Per order: its open lines [line_pk, bill_pk, period, asked, outstanding, late fee asked, late fee
    still due on ``as_of``], locked in pk order."""
    by_order: dict[int, list[list]] = defaultdict(list)
    rows = []
    for part in sql.chunks(sorted(order_pks)):
        rows += sql.rows(
            f"SELECT l.id, l.bill_id, b.period, o.amount_fen, {line_outstanding_sql('l')}, o.order_id,"
            " o.late_fee_fen, l.fee_item_id, b.due_on, l.late_fee_waived_at IS NOT NULL, l.late_fee_paid_fen"
            " FROM billing_billline l JOIN billing_bill b ON b.id = l.bill_id"
            " JOIN payments_orderline o ON o.line_id = l.id"
            f" WHERE o.order_id IN ({_ids(part)}) AND NOT l.is_void AND {line_outstanding_sql('l')} > 0"
            " ORDER BY l.id" + row_lock(of="l")
        )
    due = late_fees_still_due(
        (
            (row[0], row[7], row[8], row[4], bool(row[9]), row[10])
            for row in rows
            if row[6]  # only lines whose order asked a late fee
        ),
        as_of=as_of,
    )
    for line_pk, bill_pk, period, asked, outstanding, order_pk, late_asked, *_rest in rows:
        by_order[order_pk].append(
            [line_pk, bill_pk, str(period), asked, outstanding, late_asked, due.get(line_pk, 0)]
        )
    return by_order


def _rooms_labels(household_pks: list[int]) -> dict[int, str]:
    """``receipts.rooms_label`` of many households in one read per chunk."""
    rooms: dict[int, list[str]] = defaultdict(list)
    for part in sql.chunks(sorted(household_pks)):
        for household_pk, building, unit, number in sql.rows(
            "SELECT hr.household_id, b.name, u.name, r.number FROM households_householdroom hr"
            " JOIN estate_room r ON r.id = hr.room_id JOIN estate_building b ON b.id = r.building_id"
            f" JOIN estate_unit u ON u.id = r.unit_id WHERE hr.household_id IN ({_ids(part)})"
            " ORDER BY hr.household_id, r.id"
        ):
            rooms[household_pk].append(room_label(building, unit, number))
    return {pk: "、".join(labels)[:200] for pk, labels in rooms.items()}


def _receipt_numbers(community_pk: int, count: int) -> range:
    """Raise the community's receipt counter by ``count`` in one statement; the block of numbers."""
    statement = (
        "UPDATE payments_receiptcounter SET last_number = last_number + %s WHERE community_id = %s"
        " RETURNING last_number"
    )
    found = sql.row(statement, [count, community_pk])
    if found is None:
        ReceiptCounter.objects.get_or_create(community_id=community_pk)
        found = sql.row(statement, [count, community_pk])
    return range(found[0] - count + 1, found[0] + 1)


@transaction.atomic
def payments_apply_many(
    *, successes: list[Success], actor=None, paid_at: datetime.datetime | None = None
) -> int:
    """Apply many successes at once, each exactly as ``payment_apply`` would; attempts applied before
    are skipped (a redelivered file). Returns how many were applied now. Receipts are numbered in the
    order of ``successes``. Raises LedgerError (nothing written) if an amount differs from its attempt."""
    now = timezone.now()
    paid_at = paid_at or now
    actor_pk = actor.pk if getattr(actor, "is_authenticated", False) else None
    attempts = _locked_attempts([success.attempt_pk for success in successes])
    todo = []
    for success in successes:
        _pk, community_pk, household_pk, order_pk, method, out_trade_no, amount, state, applied = attempts[
            success.attempt_pk
        ]
        if applied is not None:
            continue
        if success.amount_fen != amount:
            raise LedgerError(
                f"attempt {out_trade_no}: {success.amount_fen} fen collected, {amount} fen asked"
            )
        if state != AttemptState.SUCCEEDED and AttemptState.SUCCEEDED not in ATTEMPT_TRANSITIONS[state]:
            raise LedgerError(f"attempt {out_trade_no} is {state} and cannot succeed")
        todo.append((success, community_pk, household_pk, order_pk, method, out_trade_no, amount))
    if not todo:
        return 0
    households = _locked_households([row[2] for row in todo])
    lines = _locked_lines([row[3] for row in todo], timezone.localdate())
    labels = _rooms_labels(list(households))
    # First the money: each success's split over its order's lines (as ``_allocate``), then one
    # ledger transaction per success, written per community by the ledger's set-based writer.
    plans: list[
        tuple[list[tuple[int, int, int, int]], int, int]
    ] = []  # ([(line, bill, share, late)], excess, late)
    drafts: dict[int, list[Draft]] = defaultdict(list)
    # What each line still owes (principal, late fee) as the successes before it in this call pay it
    # (two orders of one household may share a line: the second finds it paid, as it would one by one).
    owed: dict[int, int] = {}
    late_owed: dict[int, int] = {}
    lines_outstanding = {line[0]: line[4] for order_lines in lines.values() for line in order_lines}
    lines_late_due = {line[0]: line[6] for order_lines in lines.values() for line in order_lines}
    for success, community_pk, household_pk, order_pk, method, out_trade_no, amount in todo:
        split, remaining = allocation_split(
            amount_fen=amount,
            lines=(
                (
                    (line_pk, bill_pk),
                    asked,
                    owed.get(line_pk, outstanding),
                    late_asked,
                    late_owed.get(line_pk, late_due),
                )
                for line_pk, bill_pk, _period, asked, outstanding, late_asked, late_due in sorted(
                    lines.get(order_pk, ()), key=lambda line: (line[2], line[0])
                )
            ),
        )
        plan = [(line_pk, bill_pk, share, late) for (line_pk, bill_pk), share, late in split]
        for line_pk, _bill, share, late in plan:
            owed[line_pk] = owed.get(line_pk, lines_outstanding[line_pk]) - share
            late_owed[line_pk] = late_owed.get(line_pk, lines_late_due[line_pk]) - late
        allocated = sum(share for _l, _b, share, _late in plan)
        late_fee = sum(late for _l, _b, _share, late in plan)
        plans.append((plan, remaining, late_fee))
        drafts[community_pk].append(
            Draft(
                entries=(
                    Entry(account=METHOD_ACCOUNT[method], amount_fen=amount),
                    Entry(account=Account.RECEIVABLE, amount_fen=-allocated, household_id=household_pk),
                    *(
                        [
                            Entry(
                                account=Account.LATE_FEE_INCOME,
                                amount_fen=-late_fee,
                                household_id=household_pk,
                            )
                        ]
                        if late_fee
                        else []
                    ),
                    Entry(account=Account.PREPAYMENT, amount_fen=-remaining, household_id=household_pk),
                ),
                reference=f"payments.attempt:{success.attempt_pk}",
                key=f"payment:{out_trade_no}",
                memo=success.channel_trade_no,
                tag=success.attempt_pk,
            )
        )
    transaction_of: dict[int, int] = {}
    for community_pk, community_drafts in sorted(drafts.items()):
        transaction_of.update(
            transactions_post_many(
                community_id=community_pk,
                kind=TransactionKind.PAYMENT,
                transactions=community_drafts,
                actor=actor,
                key_seen="raise",  # the attempts' locks make a second posting impossible
            )
        )
    receipt_pks = sql.reserve_ids(Receipt, len(todo))
    per_community: dict[int, int] = defaultdict(int)
    for row in todo:
        per_community[row[1]] += 1
    numbers = {
        community_pk: iter(_receipt_numbers(community_pk, count))
        for community_pk, count in sorted(per_community.items())
    }
    allocation_rows, paid_rows, receipt_rows, attempt_rows, audit = [], [], [], [], []
    bills: set[int] = set()
    tagged: dict[int, list[int]] = defaultdict(list)
    notices: list[Receipt] = []
    for (success, community_pk, household_pk, _order, method, out_trade_no, amount), (
        plan,
        excess,
        late_fee,
    ), receipt_pk in zip(todo, plans, receipt_pks, strict=True):
        transaction_pk = transaction_of[success.attempt_pk]
        for line_pk, bill_pk, share, late in plan:
            allocation_rows.append((community_pk, transaction_pk, line_pk, household_pk, share, late, now))
            paid_rows.append((line_pk, share, late))
            bills.add(bill_pk)
        name, bound, is_tagged = households[household_pk]
        number = next(numbers[community_pk])
        receipt_rows.append(
            (
                receipt_pk,
                community_pk,
                number,
                household_pk,
                ReceiptKind.PAYMENT.value,
                method,
                amount,
                transaction_pk,
                name[:60],
                labels.get(household_pk, ""),
                out_trade_no[:200],
                actor_pk,
                now,
                new_token(),
            )
        )
        attempt_rows.append(
            (
                success.attempt_pk,
                AttemptState.SUCCEEDED.value,
                transaction_pk,
                receipt_pk,
                excess,
                success.channel_trade_no[:64],
                paid_at,
                now,
            )
        )
        audit.append(
            AuditEntry(
                community_id=community_pk,
                actor_id=actor_pk,
                action="payments.payment.received",
                object_type="payments.paymentattempt",
                object_pk=success.attempt_pk,
                object_repr=out_trade_no,
                household_id=household_pk,
                changes={
                    "amount_yuan": fen_to_yuan(amount),
                    "payment_method": method,
                    "receipt_number": f"{number:08d}",
                    "out_trade_no": out_trade_no,
                    "excess_yuan": fen_to_yuan(excess),
                    **({"late_fee_yuan": fen_to_yuan(late_fee)} if late_fee else {}),
                },
            )
        )
        if is_tagged:
            tagged[community_pk].append(household_pk)
        if bound:
            notices.append(Receipt(pk=receipt_pk))
    sql.copy_rows(
        "payments_allocation",
        (
            "community_id",
            "transaction_id",
            "line_id",
            "household_id",
            "amount_fen",
            "late_fee_fen",
            "created_at",
        ),
        allocation_rows,
    )
    _add_paid(paid_rows)
    bills_refresh_state(bill_pks=sorted(bills))
    for part in sql.chunks(sorted({row[3] for row in todo})):
        sql.execute(
            f"UPDATE payments_paymentorder SET state = %s WHERE id IN ({_ids(part)})", [OrderState.PAID]
        )
    # The receipts come last, as in payment_apply: the counters were raised above in this transaction.
    sql.copy_rows(
        "payments_receipt",
        (
            "id",
            "community_id",
            "number",
            "household_id",
            "kind",
            "method",
            "amount_fen",
            "transaction_id",
            "payer_name",
            "rooms_label",
            "note",
            "issued_by_id",
            "issued_at",
            "token",
        ),
        receipt_rows,
    )
    sql.update_many(
        "payments_paymentattempt",
        [
            ("state", "text"),
            ("transaction_id", "bigint"),
            ("receipt_id", "bigint"),
            ("excess_fen", "bigint"),
            ("channel_trade_no", "text"),
            ("paid_at", "timestamptz"),
            ("updated_at", "timestamptz"),
        ],
        attempt_rows,
    )
    log_bulk(audit)
    for community_pk, household_pks in tagged.items():
        arrears_tag_refresh_on_commit(community_id=community_pk, household_ids=household_pks, paid=True)
    for receipt in notices:
        receipt_notify_on_commit(receipt=receipt)
    return len(todo)


def _add_paid(rows: list[tuple[int, int, int]]) -> None:
    """Raise many lines' paid amounts and late fees paid (the lines are locked by the caller)."""
    if connection.vendor == "postgresql":
        for part in sql.chunks(rows, 20000):
            sql.execute(
                "UPDATE billing_billline l SET paid_fen = l.paid_fen + v.amount,"
                " late_fee_paid_fen = l.late_fee_paid_fen + v.late"
                " FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[]) AS v(id, amount, late) WHERE l.id = v.id",
                [
                    sql.int_array(pk for pk, _a, _l in part),
                    sql.int_array(amount for _pk, amount, _l in part),
                    sql.int_array(late for *_r, late in part),
                ],
            )
        return
    with connection.cursor() as cursor:
        cursor.executemany(
            "UPDATE billing_billline SET paid_fen = paid_fen + %s, late_fee_paid_fen = late_fee_paid_fen + %s"
            " WHERE id = %s",
            [(a, late, pk) for pk, a, late in rows],
        )


@transaction.atomic
def attempts_finish_many(*, outcomes: list[tuple[int, str, str]], actor=None) -> int:
    """Move many attempts to failed or unknown (``(attempt_pk, to_state, reason)``), as
    ``attempt_transition`` moves one: along ``ATTEMPT_TRANSITIONS`` only, logged on the household's
    timeline; a failed attempt's order closes, so its lines can be paid another way. Moves that are not
    allowed are skipped. Returns how many attempts moved."""
    now = timezone.now()
    actor_pk = actor.pk if getattr(actor, "is_authenticated", False) else None
    attempts = _locked_attempts([pk for pk, _state, _reason in outcomes])
    rows, audit, closed = [], [], []
    for pk, to_state, reason in outcomes:
        _pk, community_pk, household_pk, order_pk, _method, out_trade_no, _amount, state, _applied = attempts[
            pk
        ]
        if state == to_state or to_state not in ATTEMPT_TRANSITIONS[state]:
            continue
        rows.append((pk, str(to_state), reason[:200], now))
        if to_state == AttemptState.FAILED:
            closed.append(order_pk)
        audit.append(
            AuditEntry(
                community_id=community_pk,
                actor_id=actor_pk,
                action="payments.attempt.changed",
                object_type="payments.paymentattempt",
                object_pk=pk,
                object_repr=out_trade_no,
                household_id=household_pk,
                changes={"out_trade_no": out_trade_no, "attempt_state": [state, to_state]},
            )
        )
    sql.update_many(
        "payments_paymentattempt",
        [("state", "text"), ("failure_reason", "text"), ("updated_at", "timestamptz")],
        rows,
    )
    for part in sql.chunks(sorted(closed)):
        sql.execute(
            f"UPDATE payments_paymentorder SET state = %s WHERE id IN ({_ids(part)})", [OrderState.CLOSED]
        )
    log_bulk(audit)
    return len(rows)
