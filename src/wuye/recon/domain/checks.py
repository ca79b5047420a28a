"""Reconciliation's part of ``wuye ledger check`` (registered with ``payments.domain.checks``):

8. suspense      the suspense account holds exactly what the differences in suspense say, and what
                 suspense bookings and clearings moved in and out of each money account equals what
                 their differences say (a booking moves ``suspense_fen`` into the channel's clearing
                 account; a refund out of suspense moves it back out; a write-off goes to adjustments).
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Sum

from wuye.ledger.enums import Account
from wuye.ledger.models import Posting
from wuye.payments.domain.checks import OTHER_DOCUMENTS, Difference
from wuye.payments.enums import METHOD_ACCOUNT
from wuye.recon.enums import DifferenceState, Resolution
from wuye.recon.models import Difference as ReconDifference


def suspense_check(community) -> list[Difference]:
    postings = Posting.objects.filter(community=community, transaction__kind__in=OTHER_DOCUMENTS)
    in_ledger = {
        account: total
        for account, total in postings.values_list("account").annotate(total=Sum("amount_fen")).order_by()
        if total
    }
    documents: dict[str, int] = defaultdict(int)
    for method, state, resolution, amount in ReconDifference.objects.filter(
        community=community, suspense_transaction__isnull=False
    ).values_list("method", "state", "resolution", "suspense_fen"):
        documents[METHOD_ACCOUNT[method]] += amount
        if state == DifferenceState.SUSPENSE:
            documents[Account.SUSPENSE] -= amount
        elif resolution == Resolution.REFUNDED:
            documents[METHOD_ACCOUNT[method]] -= amount
        else:  # written off
            documents[Account.ADJUSTMENTS] -= amount
    documents = {account: total for account, total in documents.items() if total}
    return [
        Difference("suspense", f"account {account}", in_ledger.get(account, 0), documents.get(account, 0))
        for account in sorted(set(in_ledger) | set(documents))
        if in_ledger.get(account, 0) != documents.get(account, 0)
    ]
