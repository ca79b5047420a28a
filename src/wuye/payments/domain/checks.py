"""``wuye ledger check``: the ledger against the documents it backs, community by community.

Eight checks, each a couple of aggregate queries (no loop over households):

1. balanced      every ledger transaction sums to zero;
2. receivable    per household, the receivable balance equals Σ outstanding of its non-void lines
                 (amount + adjusted − waived − paid);
3. prepayment    per household, the prepayment balance equals Σ prepayments received + Σ payment
                 excess (of payments whose receipt is not void) − Σ applied − Σ refunds taken from it
                 + Σ failed refunds returned to it + Σ prepayments of other sources (opening balances
                 brought from an old system: ``register_prepayment_source``);
4. allocations   per transaction that pays bills, Σ allocations equals its credit to receivable;
5. income        per fee item, the income credited equals Σ (amount + adjusted) of its lines, less
                 reversals (a voided run reverses its income and marks its lines void, so the
                 non-void lines remain; adjustments post to income, waivers to adjustments); the
                 amount of a line brought in as an opening balance was credited to the opening-balance
                 account, not to income (``wuye.opening`` checks it), so only its adjustments count;
6. payments      per money account (cash, card/transfer clearing, each channel's clearing), the
                 ledger equals Σ applied payments − Σ refunds paid out through it − Σ voided
                 receipts (prepayments received at the counter count too), and refunds payable equal
                 Σ approved refunds not yet settled; suspense bookings and settlements into the bank
                 are left to reconciliation's own checks (``register_check``: the suspense account and
                 what it moved equal its differences; what settlements moved equals the settlements);
7. late fees     per household, late-fee income credited equals Σ late fees collected on its lines
                 (``late_fee_paid_fen``), and per transaction equals Σ its allocations' late fees;
8. references    every bill line belongs to an existing bill of the same household and community,
                 and names an existing room, fee item of the community and ledger transaction; every
                 bill names an existing household of the community (billing runs write bills and
                 lines in bulk without foreign-key triggers; this is their check).

Sign convention as in the ledger: debit > 0, credit < 0; a balance of a liability is its negation.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Q, Sum

from wuye.billing.models import LINE_OUTSTANDING, Bill, BillLine, FeeItem
from wuye.core.models import Community
from wuye.estate.models import Room
from wuye.households.models import Household
from wuye.ledger.enums import Account, TransactionKind
from wuye.ledger.models import LedgerTransaction, Posting
from wuye.payments.enums import METHOD_ACCOUNT, ReceiptKind, RefundState
from wuye.payments.models import Allocation, PaymentAttempt, Receipt, Refund

# Transactions that settle bill lines: each must be fully explained by its allocations.
SETTLING_KINDS = (TransactionKind.PREPAYMENT_USE, TransactionKind.PAYMENT, TransactionKind.REFUND)

CHECKS = (
    "balanced",
    "receivable",
    "prepayment",
    "allocations",
    "income",
    "payments",
    "late_fees",
    "references",
)
REFERENCES_LISTED = 20  # broken references listed per kind (the first by pk)


@dataclass(frozen=True)
class Difference:
    check: str
    subject: str  # what differs, e.g. "household 12 王小明"
    ledger_fen: int  # what the ledger says
    documents_fen: int  # what the bills, receipts and allocations say

    @property
    def difference_fen(self) -> int:
        return self.ledger_fen - self.documents_fen

    def __str__(self) -> str:
        return (
            f"[{self.check}] {self.subject}: ledger {self.ledger_fen} fen, documents {self.documents_fen} fen, "
            f"difference {self.difference_fen} fen"
        )


def _sums(queryset, key: str, value) -> dict:
    return {
        row[key]: row["total"] or 0
        for row in queryset.values(key).annotate(total=Sum(value)).order_by(key)
        if row[key] is not None
    }


def _compare(check: str, ledger: dict, documents: dict, name) -> Iterator[Difference]:
    for key in sorted(set(ledger) | set(documents)):
        left, right = ledger.get(key, 0), documents.get(key, 0)
        if left != right:
            yield Difference(check=check, subject=name(key), ledger_fen=left, documents_fen=right)


def _household_names(pks) -> dict[int, str]:
    return dict(Household.objects.filter(pk__in=pks).values_list("pk", "name"))


def ledger_check(*, community: Community) -> list[Difference]:
    """Every difference between the community's ledger and its documents; empty when the books agree."""
    postings = Posting.objects.filter(community=community)
    lines = BillLine.objects.filter(community=community, is_void=False)
    differences: list[Difference] = []

    # 1. Every transaction sums to zero.
    unbalanced = (
        postings.values("transaction_id")
        .annotate(total=Sum("amount_fen"))
        .exclude(total=0)
        .order_by("transaction_id")
    )
    differences += [
        Difference("balanced", f"transaction {row['transaction_id']}", row["total"], 0) for row in unbalanced
    ]

    # 2. Receivable per household = what its lines still ask for.
    receivable = _sums(postings.filter(account=Account.RECEIVABLE), "household_id", "amount_fen")
    outstanding = _sums(lines, "household_id", LINE_OUTSTANDING)
    found = list(_compare("receivable", receivable, outstanding, str))

    # 3. Prepayment held per household = received − applied.
    held = {
        pk: -total
        for pk, total in _sums(
            postings.filter(account=Account.PREPAYMENT), "household_id", "amount_fen"
        ).items()
    }
    received = _sums(
        Receipt.objects.filter(community=community, kind=ReceiptKind.PREPAYMENT), "household_id", "amount_fen"
    )
    applied = _sums(
        Allocation.objects.filter(community=community, transaction__kind=TransactionKind.PREPAYMENT_USE),
        "household_id",
        "amount_fen",
    )
    excess = _sums(
        PaymentAttempt.objects.filter(
            community=community, transaction__isnull=False, receipt__voided_at__isnull=True
        ),
        "household_id",
        "excess_fen",
    )
    refunds = Refund.objects.filter(community=community, transaction__isnull=False)
    taken = _sums(refunds, "household_id", "from_prepayment_fen")
    returned = _sums(refunds.filter(state=RefundState.FAILED), "household_id", "amount_fen")
    other = [source(community) for source in PREPAYMENT_SOURCES]
    parts = (received, excess, applied, taken, returned, *other)
    expected = {
        pk: received.get(pk, 0)
        + excess.get(pk, 0)
        - applied.get(pk, 0)
        - taken.get(pk, 0)
        + returned.get(pk, 0)
        + sum(source.get(pk, 0) for source in other)
        for pk in set().union(*parts)
    }
    found += _compare("prepayment", held, expected, str)
    names = _household_names({int(d.subject) for d in found})
    differences += [
        Difference(
            d.check, f"household {d.subject} {names.get(int(d.subject), '?')}", d.ledger_fen, d.documents_fen
        )
        for d in found
    ]

    # 4. Σ allocations of a settling transaction = its credit to receivable.
    settling = LedgerTransaction.objects.filter(community=community).filter(
        Q(kind__in=SETTLING_KINDS)
        | Q(pk__in=Allocation.objects.filter(community=community).values("transaction_id"))
    )
    credited = {
        pk: -total
        for pk, total in _sums(
            postings.filter(account=Account.RECEIVABLE, transaction__in=settling),
            "transaction_id",
            "amount_fen",
        ).items()
    }
    allocated = _sums(Allocation.objects.filter(community=community), "transaction_id", "amount_fen")
    differences += _compare("allocations", credited, allocated, lambda pk: f"transaction {pk}")

    # 5. Income per fee item = Σ its non-void lines with their adjustments (voided runs reversed theirs).
    income = {
        pk: -total
        for pk, total in _sums(postings.filter(account=Account.INCOME), "fee_item_id", "amount_fen").items()
    }
    billed = _sums(lines, "fee_item_id", F("amount_fen") + F("adjusted_fen"))
    opening = _sums(lines.filter(transaction__kind=TransactionKind.OPENING), "fee_item_id", "amount_fen")
    billed = {pk: total - opening.get(pk, 0) for pk, total in billed.items()}
    items = dict(FeeItem.objects.filter(community=community).values_list("pk", "name"))
    differences += _compare("income", income, billed, lambda pk: f"fee item {pk} {items.get(pk, '?')}")

    # 6. Money accounts = payments and counter prepayments in − refunds paid out; payable = in flight.
    money_accounts = sorted(set(METHOD_ACCOUNT.values()))
    in_ledger = _sums(
        postings.filter(account__in=[*money_accounts, Account.REFUNDS]).exclude(
            transaction__kind__in=OTHER_DOCUMENTS
        ),
        "account",
        "amount_fen",
    )
    documents: dict[str, int] = {}
    applied_attempts = PaymentAttempt.objects.filter(community=community, transaction__isnull=False)
    counter_prepayments = Receipt.objects.filter(community=community, kind=ReceiptKind.PREPAYMENT)
    for method, total in _sums(applied_attempts, "method", "amount_fen").items():
        documents[METHOD_ACCOUNT[method]] = documents.get(METHOD_ACCOUNT[method], 0) + total
    for method, total in _sums(counter_prepayments, "method", "amount_fen").items():
        documents[METHOD_ACCOUNT[method]] = documents.get(METHOD_ACCOUNT[method], 0) + total
    paid_out = _sums(refunds.filter(state=RefundState.SUCCEEDED), "attempt__method", "amount_fen")
    for method, total in paid_out.items():
        documents[METHOD_ACCOUNT[method]] = documents.get(METHOD_ACCOUNT[method], 0) - total
    voided = Receipt.objects.filter(community=community, kind=ReceiptKind.PAYMENT, voided_at__isnull=False)
    for method, total in _sums(voided, "method", "amount_fen").items():  # handed back at the counter
        documents[METHOD_ACCOUNT[method]] = documents.get(METHOD_ACCOUNT[method], 0) - total
    in_flight = refunds.exclude(state__in=(RefundState.SUCCEEDED, RefundState.FAILED)).aggregate(
        total=Sum("amount_fen")
    )
    documents[Account.REFUNDS] = -(in_flight["total"] or 0)
    in_ledger.setdefault(Account.REFUNDS, 0)
    differences += _compare("payments", in_ledger, documents, lambda account: f"account {account}")
    differences += _late_fees(community, postings)
    differences += _references(community)
    for check in EXTRA_CHECKS:
        differences += check(community)
    return differences


def _late_fees(community: Community, postings) -> list[Difference]:
    """7. Late-fee income = the late fees collected on the lines, per household and per transaction."""
    income = postings.filter(account=Account.LATE_FEE_INCOME)
    per_household = {pk: -total for pk, total in _sums(income, "household_id", "amount_fen").items()}
    collected = _sums(BillLine.objects.filter(community=community), "household_id", "late_fee_paid_fen")
    collected = {pk: total for pk, total in collected.items() if total}
    found = list(_compare("late_fees", per_household, collected, str))
    names = _household_names({int(d.subject) for d in found})
    differences = [
        Difference(
            d.check, f"household {d.subject} {names.get(int(d.subject), '?')}", d.ledger_fen, d.documents_fen
        )
        for d in found
    ]
    per_transaction = {pk: -total for pk, total in _sums(income, "transaction_id", "amount_fen").items()}
    allocated = _sums(Allocation.objects.filter(community=community), "transaction_id", "late_fee_fen")
    allocated = {pk: total for pk, total in allocated.items() if total}
    differences += _compare("late_fees", per_transaction, allocated, lambda pk: f"transaction {pk}")
    return differences


# Transactions whose money postings other apps' documents explain (reconciliation's suspense, rental's
# deposits); each such
# app adds its own check of them with ``register_check`` (this module cannot import the apps that build
# on payments).
OTHER_DOCUMENTS = (
    TransactionKind.SUSPENSE,
    TransactionKind.SUSPENSE_CLEAR,
    TransactionKind.SETTLEMENT,
    TransactionKind.DEPOSIT,
    TransactionKind.DEPOSIT_RETURN,
)
EXTRA_CHECKS: list = []
# ``source(community) -> {household pk: fen}``: prepayments held that came from neither the counter nor
# a payment (opening balances); added to what check 3 expects.
PREPAYMENT_SOURCES: list = []


def register_check(check) -> None:
    """Add ``check(community) -> list[Difference]`` to ``ledger_check`` (once per function)."""
    if check not in EXTRA_CHECKS:
        EXTRA_CHECKS.append(check)


def register_prepayment_source(source) -> None:
    """Add ``source(community) -> {household pk: fen}`` to what check 3 expects (once per function)."""
    if source not in PREPAYMENT_SOURCES:
        PREPAYMENT_SOURCES.append(source)


def _references(community: Community) -> list[Difference]:
    """8. Lines and bills whose references do not hold (the first few of each, by pk)."""
    c = community.pk
    own_bill = Bill.objects.filter(
        pk=OuterRef("bill_id"), household_id=OuterRef("household_id"), community_id=c
    )
    broken_lines = (
        BillLine.objects.filter(community=community)
        .exclude(
            Exists(own_bill)
            & Exists(Room.objects.filter(pk=OuterRef("room_id"), community_id=c))
            & Exists(FeeItem.objects.filter(pk=OuterRef("fee_item_id"), community_id=c))
            & Exists(LedgerTransaction.objects.filter(pk=OuterRef("transaction_id"), community_id=c))
        )
        .order_by("pk")
        .values_list("pk", "amount_fen")[:REFERENCES_LISTED]
    )
    broken_bills = (
        Bill.objects.filter(community=community)
        .exclude(Exists(Household.objects.filter(pk=OuterRef("household_id"), community_id=c)))
        .order_by("pk")
        .values_list("pk", "total_fen")[:REFERENCES_LISTED]
    )
    return [Difference("references", f"bill line {pk}", amount, 0) for pk, amount in broken_lines] + [
        Difference("references", f"bill {pk}", total, 0) for pk, total in broken_bills
    ]
