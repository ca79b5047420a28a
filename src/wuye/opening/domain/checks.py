"""Opening balances' part of ``wuye ledger check`` (registered with ``payments.domain.checks``).

Per household, over the imports that stand (imported, not reversed):

- deposits        the deposits-held account holds the deposits imported (its opening postings);
- opening         the opening-balance account is Dr the prepayments and deposits imported, Cr the
                  arrears imported (a reversal negates its import's postings, and its rows no longer
                  count); per fee item, Cr the arrears imported of the item;
- opening_lines   the non-void bill lines written by opening imports ask for the arrears imported
                  (their amounts; what was paid or adjusted since is checks 2 and 5's business).

Prepayments imported are part of check 3 (``opening_prepayments`` is registered as one of its sources).
"""

from __future__ import annotations

from django.db.models import Sum

from wuye.billing.models import BillLine, FeeItem
from wuye.households.models import Household
from wuye.ledger.enums import Account, TransactionKind
from wuye.ledger.models import Posting
from wuye.opening.enums import BalanceKind, ImportState
from wuye.opening.models import OpeningBalance
from wuye.payments.domain.checks import Difference


def _totals(queryset, key: str, value: str = "amount_fen") -> dict:
    return {
        row[key]: row["total"] or 0
        for row in queryset.values(key).annotate(total=Sum(value)).order_by(key)
        if row[key] is not None
    }


def _standing(community) -> object:
    return OpeningBalance.objects.filter(community=community, opening_import__state=ImportState.IMPORTED)


def opening_prepayments(community) -> dict[int, int]:
    """Prepayments held per household that came from opening imports (check 3's other source)."""
    return _totals(_standing(community).filter(kind=BalanceKind.PREPAYMENT), "household_id")


def _differences(check: str, ledger: dict, documents: dict, subject) -> list[Difference]:
    return [
        Difference(check, subject(key), ledger.get(key, 0), documents.get(key, 0))
        for key in sorted(set(ledger) | set(documents))
        if ledger.get(key, 0) != documents.get(key, 0)
    ]


def opening_check(community) -> list[Difference]:
    postings = Posting.objects.filter(community=community)
    standing = _standing(community)
    per_kind = {kind: _totals(standing.filter(kind=kind), "household_id") for kind in BalanceKind.values}
    # The deposits the imports brought (a lease's deposit, held and returned beside them, is rental's
    # check: wuye.rental.domain.checks).
    brought = postings.filter(
        account=Account.DEPOSITS,
        transaction__kind__in=(TransactionKind.OPENING, TransactionKind.OPENING_REVERSAL),
    )
    held = {pk: -total for pk, total in _totals(brought, "household_id").items()}
    found = _differences("deposits", held, per_kind[BalanceKind.DEPOSIT], str)
    opening = _totals(postings.filter(account=Account.OPENING), "household_id")
    households = set().union(*per_kind.values())
    expected = {
        pk: per_kind[BalanceKind.PREPAYMENT].get(pk, 0)
        + per_kind[BalanceKind.DEPOSIT].get(pk, 0)
        - per_kind[BalanceKind.ARREARS].get(pk, 0)
        for pk in households
    }
    found += _differences("opening", opening, expected, str)
    lines = _totals(
        BillLine.objects.filter(
            community=community, is_void=False, transaction__kind=TransactionKind.OPENING
        ),
        "household_id",
    )
    found += _differences("opening_lines", lines, per_kind[BalanceKind.ARREARS], str)
    names = dict(Household.objects.filter(pk__in={int(d.subject) for d in found}).values_list("pk", "name"))
    differences = [
        Difference(
            d.check, f"household {d.subject} {names.get(int(d.subject), '?')}", d.ledger_fen, d.documents_fen
        )
        for d in found
    ]
    per_item = {
        pk: -total
        for pk, total in _totals(
            postings.filter(account=Account.OPENING, fee_item_id__isnull=False), "fee_item_id"
        ).items()
    }
    items = dict(FeeItem.objects.filter(community=community).values_list("pk", "name"))
    differences += _differences(
        "opening",
        per_item,
        _totals(standing.filter(kind=BalanceKind.ARREARS), "fee_item_id"),
        lambda pk: f"fee item {pk} {items.get(pk, '?')}",
    )
    return differences
