"""Writing the ledger. ``transaction_post`` is the only way postings are written one by one;
set-based writers (the billing run) insert postings with SQL and call ``transaction_check``."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from wuye.core import sql
from wuye.ledger.models import LedgerTransaction, Posting


class LedgerError(Exception):
    """The books would not balance; nothing was written."""


@dataclass(frozen=True)
class Entry:
    account: str
    amount_fen: int  # fen; debit > 0, credit < 0
    household_id: int | None = None
    fee_item_id: int | None = None


def transaction_post(
    *,
    community_id: int,
    kind: str,
    entries: list[Entry],
    memo: str = "",
    reference: str = "",
    key: str | None = None,
    actor=None,
    key_seen: str = "return",
) -> LedgerTransaction:
    """Write one balanced transaction. With ``key``, posting the same key twice returns the first
    (``key_seen="return"``), or raises IntegrityError and rolls back the caller's transaction
    (``key_seen="raise"``: for callers that hold a lock making a second posting a bug, this saves
    a read and a savepoint on the hot path of payments)."""
    if sum(entry.amount_fen for entry in entries) != 0:
        raise LedgerError(_("The postings of a transaction must sum to zero."))
    if any(not isinstance(entry.amount_fen, int) for entry in entries):
        raise LedgerError(_("Amounts are whole fen."))
    if key is not None and key_seen == "return":
        existing = LedgerTransaction.objects.filter(community_id=community_id, key=key).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic(savepoint=key is not None and key_seen == "return"):
            # Plain INSERTs (wuye.core.sql): every payment and refund posts here.
            record = LedgerTransaction(
                community_id=community_id,
                kind=kind,
                memo=memo[:200],
                reference=reference,
                key=key,
                actor=actor if getattr(actor, "is_authenticated", False) else None,
            )
            sql.insert([record])
            sql.insert(
                [
                    Posting(
                        transaction=record,
                        community_id=community_id,
                        account=entry.account,
                        household_id=entry.household_id,
                        fee_item_id=entry.fee_item_id,
                        amount_fen=entry.amount_fen,
                    )
                    for entry in entries
                    if entry.amount_fen
                ]
            )
    except IntegrityError:
        if key is None or key_seen != "return":
            raise
        # Another process posted the same key between our check and our insert: theirs stands.
        return LedgerTransaction.objects.get(community_id=community_id, key=key)
    return record


def transaction_check(record: LedgerTransaction) -> None:
    total = record.postings.aggregate(total=Sum("amount_fen"))["total"] or 0
    if total != 0:
        raise LedgerError(
            _("Transaction %(pk)s does not balance: %(total)s fen.") % {"pk": record.pk, "total": total}
        )


def balance_fen(*, account: str, household_id: int | None = None, community_id: int | None = None) -> int:
    postings = Posting.objects.filter(account=account)
    if household_id is not None:
        postings = postings.filter(household_id=household_id)
    if community_id is not None:
        postings = postings.filter(community_id=community_id)
    return postings.aggregate(total=Sum("amount_fen"))["total"] or 0
