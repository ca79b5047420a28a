"""Reads for the counter, the household page, receipts and their verification."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import cache

from django.db.models import Min, Q, QuerySet, Sum
from django.utils.translation import pgettext

from wuye.billing.domain.lines_sql import LINE_MODELS, line_attach, line_columns, line_joins
from wuye.billing.enums import BillState
from wuye.billing.models import LINE_OUTSTANDING, Bill, BillLine
from wuye.core import sql
from wuye.core.crypto import mask_name
from wuye.core.models import Community, Company
from wuye.estate.domain.queries import room_by_label
from wuye.households.domain.queries import HouseholdFilter, households_filtered, households_for_list
from wuye.households.models import Household
from wuye.ledger.enums import Account, TransactionKind
from wuye.ledger.models import Posting
from wuye.payments.enums import ATTEMPT_OPEN_STATES, Channel
from wuye.payments.models import Allocation, OrderLine, PaymentAttempt, PaymentOrder, Receipt


def counter_households(*, community: Community, text: str, limit: int = 50) -> list[Household]:
    """Households matching a room (number or label like 1栋-1单元-101), name or phone, with balances."""
    text = text.strip()[:60]
    if not text:
        return []
    queryset = households_filtered(community=community, filter=HouseholdFilter(text=text))
    room = room_by_label(community=community, label=text)
    if room is not None:
        queryset = Household.objects.filter(
            Q(pk__in=queryset.values("pk")) | Q(room_links__room=room), community=community
        ).distinct()
    households = list(households_for_list(queryset.order_by("pk")[:limit]))
    balances = prepayment_balances(community_id=community.pk, household_ids=[h.pk for h in households])
    for household in households:
        household.prepayment_fen = balances.get(household.pk, 0)
    return households


def prepayment_balances(*, community_id: int, household_ids: list[int]) -> dict[int, int]:
    """{household pk: fen held} for a page of households, in one query."""
    rows = (
        Posting.objects.filter(
            community_id=community_id, account=Account.PREPAYMENT, household_id__in=household_ids
        )
        .values("household_id")
        .annotate(total=Sum("amount_fen"))
    )
    return {row["household_id"]: -row["total"] for row in rows}


def open_lines(*, household: Household, line_ids=None) -> list[BillLine]:
    """The household's lines that still owe something, oldest month first (what a payer may choose)."""
    lines = (
        BillLine.objects.filter(household=household, is_void=False)
        .alias(outstanding=LINE_OUTSTANDING)
        .filter(outstanding__gt=0)
        .select_related("bill", "fee_item", "room__building", "room__unit")
        .order_by("bill__period", "pk")
    )
    if line_ids is not None:
        lines = lines.filter(pk__in=list(line_ids))
    return list(lines)


def debit_locked_line_ids(*, line_ids) -> set[int]:
    """Of ``line_ids``, the lines a bank debit is collecting: in the order of an attempt at the bank
    debit channel that is not final yet (built into a batch, sent, or its result unknown). Such a
    line is paid by the bank's result, not at the counter or by QR."""
    return set(
        OrderLine.objects.filter(
            line_id__in=list(line_ids),
            order__attempts__channel=Channel.BANK_DEBIT,
            order__attempts__state__in=ATTEMPT_OPEN_STATES,
        ).values_list("line_id", flat=True)
    )


@dataclass(frozen=True)
class OpenBill:
    bill: Bill
    outstanding_fen: int


def open_bills(*, household: Household) -> list[OpenBill]:
    """The household's bills with something outstanding, oldest first, with the amount outstanding."""
    rows = (
        BillLine.objects.filter(household=household, is_void=False)
        .exclude(bill__state=BillState.VOID)
        .values("bill_id")
        .annotate(outstanding=Sum(LINE_OUTSTANDING))
        .filter(outstanding__gt=0)
    )
    outstanding = {row["bill_id"]: row["outstanding"] for row in rows}
    bills = Bill.objects.filter(pk__in=outstanding).order_by("period", "pk")
    return [OpenBill(bill=bill, outstanding_fen=outstanding[bill.pk]) for bill in bills]


def receipts_for_household(*, household: Household) -> QuerySet[Receipt]:
    return Receipt.objects.filter(community_id=household.community_id, household=household).order_by(
        "-issued_at", "-pk"
    )


def receipts_for_community(*, community: Community, void: str = "") -> QuerySet[Receipt]:
    """The community's receipts; ``void``: "void" only the void ones, "requested" those whose void waits
    for approval, "valid" the others (anything else: all)."""
    receipts = Receipt.objects.filter(community=community).select_related("household", "issued_by")
    if void == "void":
        receipts = receipts.filter(voided_at__isnull=False)
    elif void == "requested":
        receipts = receipts.filter(void_requested_at__isnull=False, voided_at__isnull=True)
    elif void == "valid":
        receipts = receipts.filter(voided_at__isnull=True)
    return receipts


def receipts_for_print() -> QuerySet[Receipt]:
    return Receipt.objects.select_related(
        "community__company", "household", "issued_by", "voided_by", "void_approved_by"
    )


def receipt_by_token(*, token: str) -> Receipt | None:
    """The receipt a token names; show it only through ``receipt_public_view``."""
    if not token or len(token) > 32:
        return None
    found = sql.joined(
        [Receipt, Community, Company],
        f"SELECT {sql.columns(Receipt, 'r')}, {sql.columns(Community, 'c')}, {sql.columns(Company, 'co')} "  # noqa: S608
        f"FROM {Receipt._meta.db_table} r JOIN {Community._meta.db_table} c ON c.id = r.community_id "
        f"JOIN {Company._meta.db_table} co ON co.id = c.company_id WHERE r.token = %s",
        [token],
    )
    if not found:
        return None
    receipt, community, company = found[0]
    community.company = company
    receipt.community = community
    return receipt


@dataclass(frozen=True)
class ReceiptItem:
    description: str
    amount_fen: int


@cache
def _allocations_sql() -> str:
    # A receipt's page is opened by owners from their phones: one fixed statement (wuye.core.sql).
    return (
        f"SELECT {sql.columns(Allocation, 'a')}, {line_columns()} FROM {Allocation._meta.db_table} a "  # noqa: S608
        f"JOIN {BillLine._meta.db_table} l ON l.id = a.line_id {line_joins()} "
        "WHERE a.transaction_id = %s ORDER BY l.period, l.id, a.id"
    )


def receipt_items(*, receipt: Receipt, rooms: bool = True) -> list[ReceiptItem]:
    """What a receipt is for: the bill lines its transaction paid (with their rooms unless ``rooms`` is
    False), or the prepayment itself."""
    allocations = []
    for allocation, *line in sql.joined(
        [Allocation, *LINE_MODELS], _allocations_sql(), [receipt.transaction_id]
    ):
        allocation.line = line_attach(*line)
        allocations.append(allocation)
    items = [
        ReceiptItem(
            description=f"{a.line.period:%Y-%m} {a.line.fee_item.name}"
            + (f" {a.line.room}" if rooms else ""),
            amount_fen=a.amount_fen,
        )
        for a in allocations
    ]
    late_fee = sum(a.late_fee_fen for a in allocations)
    if late_fee:  # a line of its own: the late fees the payment collected (late-fee income, not the bills)
        items.append(ReceiptItem(description=pgettext("receipt line", "Late fee"), amount_fen=late_fee))
    return items or [ReceiptItem(description=receipt.get_kind_display(), amount_fen=receipt.amount_fen)]


@dataclass(frozen=True)
class ReceiptView:
    """What one reader is shown of a receipt: everything for staff, the public part for a token holder.
    Pages and the PDF print from this, never from the receipt itself."""

    token: str
    number: str
    company: str
    community: str
    issued_at: datetime.datetime
    kind: str
    method: str
    amount_fen: int
    payer: str
    rooms: str
    items: list[ReceiptItem]
    cashier: str
    note: str
    voided_at: datetime.datetime | None = None  # a void receipt: every reader is told, with the date


def _receipt_facts(receipt: Receipt) -> dict:
    """What every reader of a receipt sees: whose document it is, its number, date, kind and amount."""
    return {
        "token": receipt.token,
        "number": receipt.display_number,
        "company": receipt.community.company.name,
        "community": receipt.community.name,
        "issued_at": receipt.issued_at,
        "kind": receipt.get_kind_display(),
        "method": receipt.get_method_display(),
        "amount_fen": receipt.amount_fen,
        "voided_at": receipt.voided_at,
    }


def receipt_view(*, receipt: Receipt) -> ReceiptView:
    """The whole receipt, for staff of its community (the console's page and PDF)."""
    return ReceiptView(
        **_receipt_facts(receipt),
        payer=receipt.payer_name,
        rooms=receipt.rooms_label,
        items=receipt_items(receipt=receipt),
        cashier=receipt.cashier_name,
        note=receipt.note,
    )


def receipt_public_view(*, receipt: Receipt) -> ReceiptView:
    """The one rule for what a receipt's token shows (the verify page ``/r/<token>/`` and the pay page's
    PDF): enough to check a paper receipt and for its payer to recognise it, nothing that says who lives
    where. The payer's name is masked (王**); the rooms, the lines' rooms, the cashier's name and the
    note are left out."""
    return ReceiptView(
        **_receipt_facts(receipt),
        payer=mask_name(receipt.payer_name),
        rooms="",
        items=receipt_items(receipt=receipt, rooms=False),
        cashier="",
        note="",
    )


def attempt_for_page(pk: int) -> PaymentAttempt | None:
    """An attempt with its community, household (None for a visitor's), order and receipt loaded, or None: the payer's QR
    page polls it every few seconds, so it is one fixed statement (wuye.core.sql)."""
    found = sql.joined(
        [PaymentAttempt, Community, Household, PaymentOrder, Receipt],
        f"SELECT {sql.columns(PaymentAttempt, 'pa')}, {sql.columns(Community, 'c')}, "  # noqa: S608
        f"{sql.columns(Household, 'h')}, {sql.columns(PaymentOrder, 'o')}, {sql.columns(Receipt, 'r')} "
        f"FROM {PaymentAttempt._meta.db_table} pa JOIN {Community._meta.db_table} c ON c.id = pa.community_id "
        f"LEFT JOIN {Household._meta.db_table} h ON h.id = pa.household_id "
        f"JOIN {PaymentOrder._meta.db_table} o ON o.id = pa.order_id "
        f"LEFT JOIN {Receipt._meta.db_table} r ON r.id = pa.receipt_id WHERE pa.id = %s",
        [pk],
    )
    if not found:
        return None
    attempt, community, household, order, receipt = found[0]
    attempt.community = community
    attempt.household = household
    attempt.order = order
    attempt.receipt = receipt
    return attempt


@dataclass(frozen=True)
class BillPayer:
    """Money that reached a bill's lines through one ledger transaction: a payment with its receipt, a
    prepayment applied (no receipt of its own) or a refund taking money back (negative)."""

    kind: str  # the transaction's kind (wuye.ledger.enums.TransactionKind)
    label: str
    amount_fen: int  # principal and late fees together
    at: datetime.datetime
    receipt: Receipt | None


def bill_payers(*, bill_ids) -> dict[int, list[BillPayer]]:
    """{bill pk: what paid it, oldest first} for a page of bills: two queries, whatever their number."""
    rows = list(
        Allocation.objects.filter(line__bill_id__in=list(bill_ids))
        .values("line__bill_id", "transaction_id", "transaction__kind")
        .annotate(fen=Sum("amount_fen") + Sum("late_fee_fen"), at=Min("created_at"))
        .order_by("at", "transaction_id")
    )
    receipts = {
        receipt.transaction_id: receipt
        for receipt in Receipt.objects.filter(transaction_id__in={row["transaction_id"] for row in rows})
    }
    found: dict[int, list[BillPayer]] = {}
    for row in rows:
        receipt = receipts.get(row["transaction_id"])
        kind = row["transaction__kind"]
        found.setdefault(row["line__bill_id"], []).append(
            BillPayer(
                kind=kind,
                label=str(
                    receipt.get_method_display() if receipt is not None else TransactionKind(kind).label
                ),
                amount_fen=row["fen"],
                at=receipt.issued_at if receipt is not None else row["at"],
                receipt=receipt,
            )
        )
    return found
