"""Moving money onto bill lines and off them: the one writer of ``paid_fen`` and of allocations."""

from __future__ import annotations

from django.db.models import F

from wuye.billing.domain.bills import bill_refresh_state
from wuye.billing.models import Bill, BillLine
from wuye.households.models import Household
from wuye.ledger.models import LedgerTransaction
from wuye.payments.models import Allocation


def allocations_write(
    *, record: LedgerTransaction, household: Household, plan: list[tuple[BillLine, int]]
) -> None:
    """For each (line, fen) of ``plan``: raise the line's paid amount by fen (negative: a refund takes it
    back and the line opens again), record the allocation of ``record``, then refresh the bills' states.

    The caller holds the lines' locks and posts ``record``, whose credit to receivable equals Σ fen."""
    for line, amount in plan:
        BillLine.objects.filter(pk=line.pk).update(paid_fen=F("paid_fen") + amount)
    Allocation.objects.bulk_create(
        [
            Allocation(
                community_id=household.community_id,
                transaction=record,
                line=line,
                household_id=household.pk,
                amount_fen=amount,
            )
            for line, amount in plan
        ]
    )
    for bill_pk in sorted({line.bill_id for line, _amount in plan}):
        bill_refresh_state(bill=Bill(pk=bill_pk))  # it locks and reads the bill itself
