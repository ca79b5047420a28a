"""Reconciliation's part of ``wuye ledger check`` (registered with ``payments.domain.checks``):

8. suspense      the suspense account holds exactly what the differences in suspense say, and what
                 suspense bookings and clearings moved in and out of each money account equals what
                 their differences say (a booking moves ``suspense_fen`` into the channel's clearing
                 account; a refund out of suspense moves it back out; a write-off goes to adjustments).
9. settlements   what settlement transactions moved into the bank, channel fees and out of each
                 channel's clearing account equals what the settlements say (each one transaction).
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Sum

from wuye.ledger.enums import Account, TransactionKind
from wuye.ledger.models import Posting
from wuye.payments.domain.checks import Difference
from wuye.payments.enums import METHOD_ACCOUNT
from wuye.recon.enums import DifferenceState, Resolution, money_account
from wuye.recon.models import Difference as ReconDifference
from wuye.recon.models import Settlement

SUSPENSE_DOCUMENTS = (TransactionKind.SUSPENSE, TransactionKind.SUSPENSE_CLEAR)


def suspense_check(community) -> list[Difference]:
    postings = Posting.objects.filter(community=community, transaction__kind__in=SUSPENSE_DOCUMENTS)
    in_ledger = {
        account: total
        for account, total in postings.values_list("account").annotate(total=Sum("amount_fen")).order_by()
        if total
    }
    documents: dict[str, int] = defaultdict(int)
    for kind, method, state, resolution, amount in ReconDifference.objects.filter(
        community=community, suspense_transaction__isnull=False
    ).values_list("kind", "method", "state", "resolution", "suspense_fen"):
        documents[money_account(kind, method)] += amount
        if state == DifferenceState.SUSPENSE:
            documents[Account.SUSPENSE] -= amount
        elif resolution == Resolution.REFUNDED:
            documents[money_account(kind, method)] -= amount
        else:  # written off
            documents[Account.ADJUSTMENTS] -= amount
    documents = {account: total for account, total in documents.items() if total}
    return [
        Difference("suspense", f"account {account}", in_ledger.get(account, 0), documents.get(account, 0))
        for account in sorted(set(in_ledger) | set(documents))
        if in_ledger.get(account, 0) != documents.get(account, 0)
    ]


def settlement_check(community) -> list[Difference]:
    postings = Posting.objects.filter(community=community, transaction__kind=TransactionKind.SETTLEMENT)
    in_ledger = {
        account: total
        for account, total in postings.values_list("account").annotate(total=Sum("amount_fen")).order_by()
        if total
    }
    documents: dict[str, int] = defaultdict(int)
    for method, expected, fee in Settlement.objects.filter(community=community).values_list(
        "method", "expected_fen", "fee_fen"
    ):
        documents[Account.BANK] += expected
        documents[Account.CHANNEL_FEES] += fee
        documents[METHOD_ACCOUNT[method]] -= expected + fee
    documents = {account: total for account, total in documents.items() if total}
    differences = [
        Difference("settlements", f"account {account}", in_ledger.get(account, 0), documents.get(account, 0))
        for account in sorted(set(in_ledger) | set(documents))
        if in_ledger.get(account, 0) != documents.get(account, 0)
    ]
    transactions = postings.values("transaction_id").distinct().count()
    settlements = Settlement.objects.filter(community=community).count()
    if transactions != settlements:
        differences.append(Difference("settlements", "transactions", transactions, settlements))
    return differences
