"""Row locks of payments. Lock only inside a transaction.

Order, when one transaction takes several: the household, the community's receipt counter, the
household's bill lines (by pk), their bills (by pk, in ``bill_refresh_state``). Billing locks lines
before bills too. Whoever issues a receipt locks the household first, so the counter is only ever
taken by a transaction that no other holder of that household's lines can be waiting on: two
transactions never wait for each other in a circle.
"""

from __future__ import annotations

from django.db.models import F, OuterRef, Subquery

from wuye.billing.models import BillLine
from wuye.households.models import Household
from wuye.payments.models import ReceiptCounter


def household_lock(pk: int) -> None:
    """Serialises everything that spends a household's prepayment balance: the balance read after
    this lock cannot be spent by another transaction before this one ends."""
    Household.objects.select_for_update().filter(pk=pk).values_list("pk", flat=True).get()


def open_lines_lock(household_pk: int, *, line_ids=None, asked=None) -> list[BillLine]:
    """The household's lines that still owe something (of ``line_ids`` only, when given: a list or a
    subquery), locked in pk order (one order for every writer of lines). Only the lines are locked
    (``of``), not the bills joined for their month. ``asked``: order lines (a queryset) whose amount
    for each line comes along as ``line.asked_fen``, in the same query."""
    lines = (
        BillLine.objects.select_for_update(of=("self",))
        .filter(household_id=household_pk, is_void=False)
        .alias(outstanding=F("amount_fen") + F("adjusted_fen") - F("waived_fen") - F("paid_fen"))
        .filter(outstanding__gt=0)
        .select_related("bill")
        .order_by("pk")
    )
    if line_ids is not None:
        lines = lines.filter(pk__in=line_ids if hasattr(line_ids, "query") else list(line_ids))
    if asked is not None:
        lines = lines.annotate(asked_fen=Subquery(asked.filter(line=OuterRef("pk")).values("amount_fen")[:1]))
    return list(lines)


def receipt_counter_lock(community_id: int) -> ReceiptCounter:
    """The community's receipt counter, created on first use, locked until the transaction ends: a
    second cashier waits here instead of reading the same number."""
    counter = ReceiptCounter.objects.select_for_update().filter(community_id=community_id).first()
    if counter is None:
        ReceiptCounter.objects.get_or_create(community_id=community_id)
        counter = ReceiptCounter.objects.select_for_update().get(community_id=community_id)
    return counter
