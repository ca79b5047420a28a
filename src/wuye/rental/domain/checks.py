"""Deposits' part of ``wuye ledger check`` (registered with ``payments.domain.checks``).

- deposits        per household, the deposits account's postings of deposit transactions (received,
                  returned) equal Σ deposits received − Σ released by returns, per the deposit entries;
- deposit_money   per money account (cash, card/transfer clearing), those transactions' postings
                  equal Σ received by its methods − Σ handed back by them (check 6 of payments leaves
                  these transactions to this check).

What a return paid of bill lines is checked with every settling transaction (its allocations equal its
credit to receivable: check 4).
"""

from __future__ import annotations

from django.db.models import Sum

from wuye.households.models import Household
from wuye.ledger.enums import Account, TransactionKind
from wuye.ledger.models import Posting
from wuye.payments.domain.checks import Difference
from wuye.payments.enums import METHOD_ACCOUNT
from wuye.rental.enums import DepositEntryKind
from wuye.rental.models import DepositEntry

KINDS = (TransactionKind.DEPOSIT, TransactionKind.DEPOSIT_RETURN)


def _totals(queryset, key: str, value: str = "amount_fen") -> dict:
    return {
        row[key]: row["total"] or 0
        for row in queryset.values(key).annotate(total=Sum(value)).order_by(key)
        if row[key] not in (None, "")
    }


def _compare(check: str, ledger: dict, documents: dict, subject) -> list[Difference]:
    return [
        Difference(check, subject(key), ledger.get(key, 0), documents.get(key, 0))
        for key in sorted(set(ledger) | set(documents))
        if ledger.get(key, 0) != documents.get(key, 0)
    ]


def deposits_check(community) -> list[Difference]:
    postings = Posting.objects.filter(community=community, transaction__kind__in=KINDS)
    entries = DepositEntry.objects.filter(community=community)
    held = {
        pk: -total for pk, total in _totals(postings.filter(account=Account.DEPOSITS), "household_id").items()
    }
    received = _totals(entries.filter(kind=DepositEntryKind.RECEIVED), "household_id")
    released = _totals(entries.filter(kind=DepositEntryKind.RETURNED), "household_id")
    expected = {pk: received.get(pk, 0) - released.get(pk, 0) for pk in set(received) | set(released)}
    found = _compare("deposits", held, expected, int)
    names = dict(Household.objects.filter(pk__in=[d.subject for d in found]).values_list("pk", "name"))
    differences = [
        Difference(
            d.check, f"household {d.subject} {names.get(d.subject, '?')}", d.ledger_fen, d.documents_fen
        )
        for d in found
    ]
    money_accounts = sorted(set(METHOD_ACCOUNT.values()))
    in_ledger = _totals(postings.filter(account__in=money_accounts), "account")
    documents: dict[str, int] = {}
    for method, total in _totals(entries.filter(kind=DepositEntryKind.RECEIVED), "method").items():
        documents[METHOD_ACCOUNT[method]] = documents.get(METHOD_ACCOUNT[method], 0) + total
    for method, total in _totals(
        entries.filter(kind=DepositEntryKind.RETURNED), "method", "returned_fen"
    ).items():
        documents[METHOD_ACCOUNT[method]] = documents.get(METHOD_ACCOUNT[method], 0) - total
    differences += _compare("deposit_money", in_ledger, documents, lambda account: f"account {account}")
    return differences
