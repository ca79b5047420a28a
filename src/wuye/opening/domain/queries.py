"""Reads of opening balances: the imports of a community, and what a household brought in."""

from __future__ import annotations

from django.db.models import QuerySet, Sum

from wuye.core.models import Community
from wuye.households.models import Household
from wuye.opening.enums import BalanceKind, ImportState
from wuye.opening.models import OpeningBalance, OpeningImport


def imports_of(*, community: Community) -> QuerySet[OpeningImport]:
    return OpeningImport.objects.filter(community=community).select_related(
        "created_by", "imported_by", "reversed_by"
    )


def balances_of(*, opening_import: OpeningImport) -> QuerySet[OpeningBalance]:
    return opening_import.balances.select_related("room__building", "room__unit", "household", "fee_item")


def household_opening_balances(*, household: Household) -> QuerySet[OpeningBalance]:
    """What the household's old system held, from the imports that stand (not reversed), by row."""
    return (
        OpeningBalance.objects.filter(household=household, opening_import__state=ImportState.IMPORTED)
        .select_related("room__building", "room__unit", "fee_item", "opening_import")
        .order_by("opening_import_id", "row")
    )


def deposits_held_fen(*, household: Household) -> int:
    """Deposits (押金) held for the household, fen."""
    total = (
        household_opening_balances(household=household)
        .filter(kind=BalanceKind.DEPOSIT)
        .aggregate(total=Sum("amount_fen"))["total"]
    )
    return total or 0
