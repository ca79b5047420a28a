"""Moving money onto bill lines and off them: the one writer of ``paid_fen`` and of allocations."""

from __future__ import annotations

from wuye.billing.domain.bills import bill_refresh_state
from wuye.billing.models import Bill, BillLine
from wuye.core import sql
from wuye.households.models import Household
from wuye.ledger.models import LedgerTransaction
from wuye.payments.models import Allocation


def allocations_write(
    *, record: LedgerTransaction, household: Household, plan: list[tuple[BillLine, int]]
) -> None:
    """For each (line, fen) of ``plan``: raise the line's paid amount by fen (negative: a refund takes it
    back and the line opens again), record the allocation of ``record``, then refresh the bills' states.

    The caller holds the lines' locks and posts ``record``, whose credit to receivable equals Σ fen."""
    for line, amount in plan:  # plain SQL (wuye.core.sql): every payment writes here
        sql.execute("UPDATE billing_billline SET paid_fen = paid_fen + %s WHERE id = %s", [amount, line.pk])
    sql.insert(
        [
            Allocation(
                community_id=household.community_id,
                transaction=record,
                line_id=line.pk,
                household_id=household.pk,
                amount_fen=amount,
            )
            for line, amount in plan
        ]
    )
    for bill_pk in sorted({line.bill_id for line, _amount in plan}):
        bill_refresh_state(bill=Bill(pk=bill_pk))  # it locks and reads the bill itself
