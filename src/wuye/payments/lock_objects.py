"""Row locks of payments. Lock only inside a transaction.

Order, when one transaction takes several: the household, the community's receipt counter, the
household's bill lines (by pk), their bills (by pk, in ``bill_refresh_state``). Billing locks lines
before bills too. Whoever issues a receipt locks the household first, so the counter is only ever
taken by a transaction that no other holder of that household's lines can be waiting on: two
transactions never wait for each other in a circle.
"""

from __future__ import annotations

from functools import cache

from wuye.billing.models import BillLine, line_outstanding_sql
from wuye.billing.tagrules import ARREARS_RULE
from wuye.core import sql
from wuye.households.domain.tagrules import carries_rule_tag_sql
from wuye.households.models import Household
from wuye.notifications.domain.queries import anyone_bound_sql
from wuye.payments.models import ReceiptCounter

# For the concurrency control tests only: with False, households and lines are read without their row
# locks, and the races the locks prevent show (as refusals by the database's constraints).
ROW_LOCKS = True


def row_lock(of: str = "") -> str:
    """`` FOR UPDATE [OF …]`` of the locks above (nothing when a control test turned them off)."""
    return sql.for_update(of=of) if ROW_LOCKS else ""


# Plain SQL (wuye.core.sql): these locks are taken by every payment.
_HOUSEHOLD = f"SELECT {sql.columns(Household)} FROM households_household WHERE id = %s"
_OPEN_LINES = (
    f"SELECT {sql.columns(BillLine, 'l')}, b.period{{asked}} FROM billing_billline l"
    " JOIN billing_bill b ON b.id = l.bill_id{join}"
    " WHERE l.household_id = %s AND NOT l.is_void"
    f" AND {line_outstanding_sql('l')} > 0 ORDER BY l.id"
)
_COUNTER_NEXT = (
    "UPDATE payments_receiptcounter SET last_number = last_number + 1 WHERE community_id = %s"
    " RETURNING last_number"
)


@cache
def _household_with_news() -> str:
    return (
        f"SELECT {sql.columns(Household, 'h')}, {anyone_bound_sql('h.id')}, {carries_rule_tag_sql('h.id')}"
        " FROM households_household h WHERE h.id = %s"
    )


def household_lock(pk: int, *, news: bool = False) -> Household:
    """Serialises everything that spends a household's prepayment balance: the balance read after
    this lock cannot be spent by another transaction before this one ends. Returns the household.

    ``news``: the same statement also tells whether anyone is bound to the household
    (``household.anyone_bound``) and whether it carries the 欠费 tag (``household.arrears_tagged``),
    so that a payment queues no receipt notice and refreshes no tag, without a query of its own,
    when neither can change anything (as for most households)."""
    if news:
        household = sql.instance(Household, _household_with_news() + row_lock(of="h"), [ARREARS_RULE, pk])
    else:
        household = sql.instance(Household, _HOUSEHOLD + row_lock(), [pk])
    if household is None:
        raise Household.DoesNotExist(pk)
    if news:
        household.anyone_bound, household.arrears_tagged = (bool(flag) for flag in household.extra)
    return household


def open_lines_lock(household_pk: int, *, order_id: int | None = None) -> list[BillLine]:
    """The household's lines that still owe something, locked in pk order (one order for every
    writer of lines), each with its bill's month as ``line.bill_period``. Only the lines are locked,
    not the bills joined for their month. With ``order_id``: only the order's lines, each with the
    amount the order asked for it as ``line.asked_fen``, the late fee it asked as ``line.late_fee_asked_fen``
    and the bill's due date as ``line.bill_due_on``."""
    if order_id is None:
        query, params = _OPEN_LINES.format(asked="", join=""), [household_pk]
    else:
        query = _OPEN_LINES.format(
            asked=", o.amount_fen, o.late_fee_fen, b.due_on",
            join=" JOIN payments_orderline o ON o.line_id = l.id AND o.order_id = %s",
        )
        params = [order_id, household_pk]
    lines = sql.instances(BillLine, query + row_lock(of="l"), params)
    for line in lines:
        line.bill_period = line.extra[0]
        if order_id is not None:
            line.asked_fen, line.late_fee_asked_fen, line.bill_due_on = line.extra[1:4]
    return lines


def receipt_counter_next(community_id: int) -> int:
    """Raise the community's receipt counter and return the new number, in one statement (created on
    first use). The row stays locked until the transaction ends: a second cashier's raise waits here
    instead of taking the same number, and a rollback returns the number with everything else."""
    found = sql.row(_COUNTER_NEXT, [community_id])
    if found is None:
        ReceiptCounter.objects.get_or_create(community_id=community_id)
        found = sql.row(_COUNTER_NEXT, [community_id])
    return found[0]
