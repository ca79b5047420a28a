"""transactions_post_many: many transactions written set-based, each proven balanced on every database."""

import pytest
from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.utils import translation

from wuye.ledger.domain.ledger import Draft, Entry, LedgerError, Select, transactions_post_many
from wuye.ledger.models import LedgerTransaction, Posting


# Debit lines as SQL (a recursive CTE stands in for a table of debit lines): line i settles i yuan
# of household i: Dr bank clearing, Cr the household's receivable.
def transactions(lines=1000):
    return Select(
        "WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %s)"
        " SELECT i, 'debit.line:' || i, 'debit.line:' || i, '' FROM n",
        [lines],
    )


def postings(lines=1000, one_fen_short=0):
    """Line ``one_fen_short`` (if any) credits one fen less than it debits."""
    return Select(
        "WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %s)"
        " SELECT i, %s, NULL, NULL, 100 * i FROM n"
        " UNION ALL SELECT i, %s, i, NULL, -100 * i + CASE WHEN i = %s THEN 1 ELSE 0 END FROM n",
        [lines, "clearing", "receivable", one_fen_short],
    )


def by_transaction():
    return {
        row["transaction_id"]: (row["n"], row["total"])
        for row in Posting.objects.values("transaction_id").annotate(n=Count("pk"), total=Sum("amount_fen"))
    }


def test_many_transactions_from_python(community, admin_user):
    drafts = [
        Draft(
            entries=[Entry("cash", 1000 * n), Entry("prepayment", -1000 * n, household_id=n)],
            reference=f"counter:{n}",
            memo=f"第{n}笔",
        )
        for n in (1, 2, 3)
    ]
    ids = transactions_post_many(
        community_id=community.pk, kind="prepayment", transactions=drafts, actor=admin_user
    )
    assert list(ids) == [0, 1, 2]  # tags: positions
    records = {record.pk: record for record in LedgerTransaction.objects.all()}
    assert sorted(records) == sorted(ids.values())
    for tag, pk in ids.items():
        record = records[pk]
        n = tag + 1
        assert (record.community_id, record.kind, record.reference, record.memo, record.key) == (
            community.pk,
            "prepayment",
            f"counter:{n}",
            f"第{n}笔",
            None,
        )
        assert record.actor_id == admin_user.pk
        assert list(
            record.postings.order_by("pk").values_list(
                "community_id", "account", "household_id", "amount_fen"
            )
        ) == [(community.pk, "cash", None, 1000 * n), (community.pk, "prepayment", n, -1000 * n)]


def test_many_transactions_from_sql(community):
    ids = transactions_post_many(
        community_id=community.pk, kind="payment", transactions=transactions(), postings=postings()
    )
    assert sorted(ids) == list(range(1, 1001))
    assert len(set(ids.values())) == 1000
    assert LedgerTransaction.objects.filter(kind="payment").count() == 1000
    assert by_transaction() == dict.fromkeys(ids.values(), (2, 0))
    assert Posting.objects.filter(account="clearing").aggregate(t=Sum("amount_fen"))["t"] == 100 * 500500
    line_7 = LedgerTransaction.objects.get(pk=ids[7])
    assert (line_7.key, line_7.reference) == ("debit.line:7", "debit.line:7")
    assert list(line_7.postings.order_by("account").values_list("account", "household_id", "amount_fen")) == [
        ("clearing", None, 700),
        ("receivable", 7, -700),
    ]


def test_one_transaction_of_many_postings_from_sql_beside_python_entries(community):
    """The billing run's shape: one transaction, its postings partly from SQL."""
    ids = transactions_post_many(
        community_id=community.pk,
        kind="billing",
        transactions=[Draft(entries=[Entry("income", -100 * 500500)], reference="billing.run:1", tag=0)],
        postings=Select(
            "WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)"
            " SELECT 0, %s, i, NULL, 100 * i FROM n",
            ["receivable"],
        ),
    )
    assert by_transaction() == {ids[0]: (1001, 0)}


def test_zero_postings_are_left_out(community):
    ids = transactions_post_many(
        community_id=community.pk,
        kind="payment",
        transactions=[
            Draft(entries=[Entry("cash", 5), Entry("receivable", -5, household_id=1), Entry("income", 0)])
        ],
    )
    assert by_transaction() == {ids[0]: (2, 0)}


@pytest.mark.parametrize("source", ["python", "sql"])
def test_an_unbalanced_transaction_among_many_raises_and_writes_nothing(community, source):
    """Also on SQLite, which has no balance trigger: the writer's own aggregate finds it."""
    if source == "python":
        drafts = [
            Draft(entries=[Entry("cash", n), Entry("receivable", -n, household_id=n)]) for n in range(1, 6)
        ]
        drafts.append(Draft(entries=[Entry("cash", 5), Entry("receivable", -4, household_id=6)]))
        arguments = {"transactions": drafts}
    else:
        arguments = {"transactions": transactions(), "postings": postings(one_fen_short=500)}
    with transaction.atomic(), translation.override("en"):
        with pytest.raises(LedgerError, match=r"^Transaction \d+ does not balance: 1 fen\.$"):
            transactions_post_many(community_id=community.pk, kind="payment", **arguments)
        # The caller's transaction goes on, without anything of the call.
        assert (LedgerTransaction.objects.count(), Posting.objects.count()) == (0, 0)
    assert (LedgerTransaction.objects.count(), Posting.objects.count()) == (0, 0)


def test_a_posting_of_no_transaction_raises_and_writes_nothing(community):
    with pytest.raises(IntegrityError), transaction.atomic():
        transactions_post_many(
            community_id=community.pk,
            kind="payment",
            transactions=[Draft(entries=[Entry("cash", 5), Entry("receivable", -5, household_id=1)])],
            postings=Select("SELECT 9, 'cash', NULL, NULL, 0 UNION ALL SELECT 9, 'cash', NULL, NULL, 1"),
        )
    assert (LedgerTransaction.objects.count(), Posting.objects.count()) == (0, 0)


def test_fractions_of_a_fen_are_refused(community):
    with pytest.raises(LedgerError):
        transactions_post_many(
            community_id=community.pk,
            kind="payment",
            transactions=[Draft(entries=[Entry("cash", 0.5), Entry("receivable", -0.5, household_id=1)])],
        )
    assert LedgerTransaction.objects.count() == 0


def test_keys_posted_before_are_not_posted_again(community):
    first = transactions_post_many(
        community_id=community.pk, kind="payment", transactions=transactions(), postings=postings()
    )
    # The same 1,000 lines and 500 more: only the 500 are written; the 1,000 map to their first transactions.
    again = transactions_post_many(
        community_id=community.pk, kind="payment", transactions=transactions(1500), postings=postings(1500)
    )
    assert {tag: again[tag] for tag in first} == first
    assert LedgerTransaction.objects.count() == 1500
    assert Posting.objects.count() == 3000
    assert by_transaction() == dict.fromkeys(again.values(), (2, 0))


def test_a_key_posted_before_raises_with_key_seen_raise(community):
    drafts = [Draft(entries=[Entry("cash", 5), Entry("receivable", -5, household_id=1)], key="debit.line:1")]
    transactions_post_many(community_id=community.pk, kind="payment", transactions=drafts)
    with pytest.raises(IntegrityError), transaction.atomic():
        transactions_post_many(
            community_id=community.pk,
            kind="payment",
            transactions=[
                *drafts,
                Draft(entries=[Entry("cash", 1), Entry("receivable", -1)], key="debit.line:2"),
            ],
            key_seen="raise",
        )
    assert (LedgerTransaction.objects.count(), Posting.objects.count()) == (1, 2)


def test_calls_follow_each_other_in_one_transaction(community):
    with transaction.atomic():
        for n in (1, 2):
            transactions_post_many(
                community_id=community.pk,
                kind="payment",
                transactions=[Draft(entries=[Entry("cash", n), Entry("receivable", -n, household_id=n)])],
            )
    assert sorted(Posting.objects.values_list("amount_fen", flat=True)) == [-2, -1, 1, 2]
