"""Moving money onto bill lines and off them: the one writer of ``paid_fen``, ``late_fee_paid_fen`` and
of allocations; and the one split of a payment over its order's lines (``allocation_split``), used by
``payment_apply`` and by its set-based twin ``payments_apply_many`` alike."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from wuye.billing.domain.bills import bill_refresh_state
from wuye.billing.models import Bill, BillLine
from wuye.core import sql
from wuye.households.models import Household
from wuye.ledger.models import LedgerTransaction
from wuye.payments.models import Allocation

Item = TypeVar("Item")


def allocation_split(
    *, amount_fen: int, lines: Iterable[tuple[Item, int, int, int, int]]
) -> tuple[list[tuple[Item, int, int]], int]:
    """Split ``amount_fen`` over an order's lines, given oldest first as (item, asked, outstanding,
    late fee asked, late fee still due): each line takes its principal up to min(what the order asked
    for it, what it owes now), then, only when it took some principal, its late fee up to min(what the
    order asked, what is still due of it now). A line paid meanwhile takes nothing, so its late fee is
    never charged twice. Returns ([(item, principal, late fee)], the excess)."""
    remaining, plan = amount_fen, []
    for item, asked, outstanding, late_asked, late_due in lines:
        if remaining <= 0:
            break
        share = min(remaining, asked, outstanding)
        if share > 0:
            remaining -= share
            late = max(min(remaining, late_asked, late_due), 0)
            remaining -= late
            plan.append((item, share, late))
    return plan, remaining


def allocations_write(
    *,
    record: LedgerTransaction,
    household: Household,
    plan: list[tuple[BillLine, int]],
    late_fees: dict[int, int] | None = None,
) -> None:
    """For each (line, fen) of ``plan``: raise the line's paid amount by fen (negative: a refund takes it
    back and the line opens again), and its late fee paid by ``late_fees[line.pk]`` (a payment's late fee
    collected with it), record the allocation of ``record``, then refresh the bills' states.

    The caller holds the lines' locks and posts ``record``, whose credit to receivable equals Σ fen and
    whose credit to late-fee income equals Σ late fees."""
    late_fees = late_fees or {}
    for line, amount in plan:  # plain SQL (wuye.core.sql): every payment writes here
        late = late_fees.get(line.pk, 0)
        if late:
            sql.execute(
                "UPDATE billing_billline SET paid_fen = paid_fen + %s, late_fee_paid_fen = late_fee_paid_fen + %s"
                " WHERE id = %s",
                [amount, late, line.pk],
            )
        else:
            sql.execute(
                "UPDATE billing_billline SET paid_fen = paid_fen + %s WHERE id = %s", [amount, line.pk]
            )
    sql.insert(
        [
            Allocation(
                community_id=household.community_id,
                transaction=record,
                line_id=line.pk,
                household_id=household.pk,
                amount_fen=amount,
                late_fee_fen=late_fees.get(line.pk, 0),
            )
            for line, amount in plan
        ]
    )
    for bill_pk in sorted({line.bill_id for line, _amount in plan}):
        bill_refresh_state(bill=Bill(pk=bill_pk))  # it locks and reads the bill itself
