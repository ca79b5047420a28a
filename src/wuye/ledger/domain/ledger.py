"""Writing the ledger: the only code that writes its tables. ``transaction_post`` writes one
transaction (the hot path of payments); ``transactions_post_many`` writes many at once, set-based
(billing runs, debit settlement), and proves on every database that each sums to zero."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
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


@dataclass(frozen=True)
class Draft:
    """One transaction for ``transactions_post_many``, given in Python.

    ``tag`` is the caller's number for it within the call (default: its position among the drafts),
    e.g. the id of the debit line it settles; postings given as SQL name it, and the result maps it
    to the transaction's id."""

    entries: Sequence[Entry] = ()
    reference: str = ""
    key: str | None = None
    memo: str = ""
    tag: int | None = None


@dataclass(frozen=True)
class Select:
    """Rows given as SQL: a SELECT (of our own text, values as ``%s`` parameters) and its parameters."""

    sql: str
    params: Sequence[Any] = ()


def _refused_unbalanced(error: Exception) -> tuple[int, int] | None:
    """(transaction id, total in fen) when ``error`` is PostgreSQL's balance trigger refusing an
    INSERT of postings (migration 0015), else None."""
    diag = getattr(getattr(error, "__cause__", None), "diag", None)
    if diag is None or diag.constraint_name != "ledger_transaction_balanced":
        return None
    pk, total = (diag.message_detail or "0 0").split()
    return int(pk), int(total)


def _unbalanced_error(pk: int, total: int) -> LedgerError:
    return LedgerError(_("Transaction %(pk)s does not balance: %(total)s fen.") % {"pk": pk, "total": total})


# Temporary tables of one call of transactions_post_many (created and dropped inside it).
NEW_TRANSACTIONS = "ledger_new_transactions"
NEW_POSTINGS = "ledger_new_postings"


def transactions_post_many(
    *,
    community_id: int,
    kind: str,
    transactions: Iterable[Draft] | Select,
    postings: Select | None = None,
    actor=None,
    key_seen: str = "return",
) -> dict[int, int]:
    """Write many balanced transactions of one community and kind at once, set-based, and prove on
    every database that each one written sums to zero. Returns ``{tag: transaction id}``.

    ``transactions``: ``Draft`` objects, or a ``Select`` of the columns (tag, reference, key, memo),
    one row per transaction, tags unique. ``postings``: a ``Select`` of the columns (tag, account,
    household_id, fee_item_id, amount_fen), each row a posting of the transaction of its tag; they
    are written beside the drafts' entries. Postings of 0 fen are left out (as ``transaction_post``
    does); a posting whose tag names no transaction of the call raises IntegrityError.

    Nothing is read back into Python but the tags and ids: the postings go from the SELECT into the
    ledger in one INSERT … SELECT, which PostgreSQL's balance trigger checks (SQLite: one aggregate
    over the postings just written, through the transaction index, finds any transaction that does
    not sum to zero). One is enough to raise
    LedgerError, and then nothing of the call is written (it runs in a savepoint of the caller's
    transaction, which the error rolls back too unless caught).

    ``key``: a key already posted in the community is not posted again; its tag maps to the first
    transaction (``key_seen="return"``), or the call raises IntegrityError (``key_seen="raise"``).
    A key posted by another process during the call raises IntegrityError: callers that may race
    hold a lock (the batch being settled). Two transactions of one call with the same key, or the
    same tag, raise IntegrityError.
    """
    if key_seen not in ("return", "raise"):
        raise ValueError(f"key_seen={key_seen!r}")
    if isinstance(transactions, Select):
        drafts: list[Draft] = []
    else:
        drafts = [
            draft if draft.tag is not None else replace(draft, tag=position)
            for position, draft in enumerate(transactions)
        ]
        for draft in drafts:
            if any(not isinstance(entry.amount_fen, int) for entry in draft.entries):
                raise LedgerError(_("Amounts are whole fen."))
    db = transaction.get_connection()
    with transaction.atomic(), db.cursor() as cursor:
        for name in (NEW_TRANSACTIONS, NEW_POSTINGS):
            cursor.execute(f"DROP TABLE IF EXISTS {name}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {NEW_TRANSACTIONS} (tag bigint PRIMARY KEY, id bigint, "
            "reference varchar(80), key varchar(100), memo varchar(200), existing integer NOT NULL DEFAULT 0)"
        )
        columns = f"{NEW_TRANSACTIONS} (tag, reference, key, memo)"
        if isinstance(transactions, Select):
            cursor.execute(
                f"INSERT INTO {columns} WITH s (tag, reference, key, memo) AS ({transactions.sql}) "
                "SELECT tag, reference, key, memo FROM s",
                transactions.params,
            )
        else:
            sql.copy_rows(  # COPY on PostgreSQL: a debit file settles 100,000 transactions at once
                NEW_TRANSACTIONS,
                ("tag", "reference", "key", "memo"),
                [(draft.tag, draft.reference, draft.key, draft.memo[:200]) for draft in drafts],
            )
        sources = []
        params: list[Any] = []
        entries = [
            (draft.tag, entry.account, entry.household_id, entry.fee_item_id, entry.amount_fen)
            for draft in drafts
            for entry in draft.entries
        ]
        if entries:
            cursor.execute(
                f"CREATE TEMPORARY TABLE {NEW_POSTINGS} (tag bigint, account varchar(20), household_id bigint, "
                "fee_item_id bigint, amount_fen bigint)"
            )
            sql.copy_rows(
                NEW_POSTINGS, ("tag", "account", "household_id", "fee_item_id", "amount_fen"), entries
            )
            sources.append(f"SELECT tag, account, household_id, fee_item_id, amount_fen FROM {NEW_POSTINGS}")
        if postings is not None:
            sources.append(postings.sql)
            params += list(postings.params)
        if db.vendor == "postgresql":
            # Temporary tables are never analysed by autovacuum: without statistics the planner takes
            # them for a few rows, and the balance proof below ran as a nested loop (33 s for 17,000).
            cursor.execute(f"ANALYZE {NEW_TRANSACTIONS}")
            if entries:
                cursor.execute(f"ANALYZE {NEW_POSTINGS}")
        if key_seen == "return":
            # Keys posted before: their tags map to the first transaction, and nothing is written for them.
            cursor.execute(
                f"""UPDATE {NEW_TRANSACTIONS} SET existing = 1, id = (
                        SELECT t.id FROM ledger_ledgertransaction t WHERE t.community_id = %s
                        AND t.key = {NEW_TRANSACTIONS}.key)
                    WHERE key IS NOT NULL AND EXISTS (
                        SELECT 1 FROM ledger_ledgertransaction t WHERE t.community_id = %s
                        AND t.key = {NEW_TRANSACTIONS}.key)""",
                [community_id, community_id],
            )
        # Ids, in the order of the tags, taken before the insert so that postings can name them.
        if db.vendor == "postgresql":
            cursor.execute("SELECT pg_get_serial_sequence('ledger_ledgertransaction', 'id')")
            cursor.execute(
                f"""UPDATE {NEW_TRANSACTIONS} SET id = n.id FROM (
                        SELECT tag, nextval(%s::regclass) AS id FROM (
                            SELECT tag FROM {NEW_TRANSACTIONS} WHERE id IS NULL ORDER BY tag) AS o) AS n
                    WHERE {NEW_TRANSACTIONS}.tag = n.tag""",
                [cursor.fetchone()[0]],
            )
        else:
            # SQLite: the write lock is held (BEGIN IMMEDIATE); above every id ever given (AUTOINCREMENT).
            cursor.execute(
                f"""UPDATE {NEW_TRANSACTIONS} SET id = n.id FROM (
                        SELECT tag, (SELECT MAX(last) FROM (
                                SELECT COALESCE(MAX(id), 0) AS last FROM ledger_ledgertransaction
                                UNION ALL SELECT seq FROM sqlite_sequence WHERE name = 'ledger_ledgertransaction'))
                            + ROW_NUMBER() OVER (ORDER BY tag) AS id
                        FROM {NEW_TRANSACTIONS} WHERE id IS NULL) AS n
                    WHERE {NEW_TRANSACTIONS}.tag = n.tag"""
            )
        created_at = LedgerTransaction._meta.get_field("created_at").get_db_prep_save(timezone.now(), db)
        cursor.execute(
            f"""INSERT INTO ledger_ledgertransaction (id, community_id, kind, memo, reference, key, actor_id,
                                                      created_at)
                SELECT id, %s, %s, memo, reference, key, %s, %s FROM {NEW_TRANSACTIONS}
                WHERE existing = 0 ORDER BY id""",
            [community_id, kind, actor.pk if getattr(actor, "is_authenticated", False) else None, created_at],
        )
        if sources:
            # Each source a named query of its own (a SELECT that starts with WITH cannot follow a
            # UNION ALL), its ids cast (a column of NULLs in a caller's UNION is text to PostgreSQL).
            names = "tag, account, household_id, fee_item_id, amount_fen"
            named = ", ".join(f"s{n} ({names}) AS ({source})" for n, source in enumerate(sources))
            union = " UNION ALL ".join(
                f"SELECT CAST(tag AS bigint), account, CAST(household_id AS bigint), CAST(fee_item_id AS bigint), "
                f"amount_fen FROM s{n}"
                for n in range(len(sources))
            )
            # LEFT JOIN: a posting of an unknown tag has no transaction id, which the column refuses.
            # On PostgreSQL the ledger's statement trigger proves this INSERT balanced (migration 0015).
            try:
                cursor.execute(
                    f"""INSERT INTO ledger_posting (transaction_id, community_id, account, household_id,
                                                    fee_item_id, amount_fen)
                        WITH {named}, p ({names}) AS ({union})
                        SELECT t.id, %s, p.account, p.household_id, p.fee_item_id, p.amount_fen
                        FROM p LEFT JOIN {NEW_TRANSACTIONS} t ON t.tag = p.tag
                        WHERE p.amount_fen <> 0 AND COALESCE(t.existing, 0) = 0""",
                    [*params, community_id],
                )
            except IntegrityError as error:
                unbalanced = _refused_unbalanced(error)
                if unbalanced is None:
                    raise
                raise _unbalanced_error(*unbalanced) from None
        if db.vendor != "postgresql":
            # SQLite has no trigger: one aggregate over what was written, driven by the staging table
            # and joined through the transaction index.
            cursor.execute(
                f"""SELECT t.id, SUM(p.amount_fen) FROM {NEW_TRANSACTIONS} t
                    JOIN ledger_posting p ON p.transaction_id = t.id
                    WHERE t.existing = 0
                    GROUP BY t.id HAVING SUM(p.amount_fen) <> 0
                    ORDER BY t.id LIMIT 1"""
            )
            unbalanced = cursor.fetchone()
            if unbalanced is not None:
                raise _unbalanced_error(unbalanced[0], int(unbalanced[1]))
        cursor.execute(f"SELECT tag, id FROM {NEW_TRANSACTIONS}")
        written = dict(cursor.fetchall())
        for name in (NEW_TRANSACTIONS, NEW_POSTINGS):
            cursor.execute(f"DROP TABLE IF EXISTS {name}")
    return written


def transactions_reverse(
    *,
    community_id: int,
    reference: str,
    kind: str,
    reversal_kind: str,
    memo: str = "",
    key: str | None = None,
    actor=None,
) -> int:
    """One transaction that reverses every posting of the community's transactions of ``kind`` and
    ``reference`` (a voided billing run, a voided receipt's payment), set-based; returns its id.
    With ``key``, a key posted before raises IntegrityError (callers hold the lock that makes a
    second reversal a bug)."""
    return transactions_post_many(
        community_id=community_id,
        kind=reversal_kind,
        transactions=[Draft(reference=reference, memo=memo, key=key)],
        postings=Select(
            """SELECT 0, account, household_id, fee_item_id, -amount_fen FROM ledger_posting
               WHERE transaction_id IN (SELECT id FROM ledger_ledgertransaction
                                        WHERE community_id = %s AND reference = %s AND kind = %s)""",
            [community_id, reference, kind],
        ),
        actor=actor,
        key_seen="raise",
    )[0]


def balance_fen(*, account: str, household_id: int | None = None, community_id: int | None = None) -> int:
    postings = Posting.objects.filter(account=account)
    if household_id is not None:
        postings = postings.filter(household_id=household_id)
    if community_id is not None:
        postings = postings.filter(community_id=community_id)
    return postings.aggregate(total=Sum("amount_fen"))["total"] or 0
