import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from wuye.ledger.domain.ledger import Entry, LedgerError, balance_fen, transaction_post
from wuye.ledger.models import LedgerTransaction, Posting


def _post(community, **kwargs):
    entries = [Entry("cash", 1000), Entry("prepayment", -1000, household_id=7)]
    return transaction_post(community_id=community.pk, kind="prepayment", entries=entries, **kwargs)


def test_balanced_transaction_is_written(community):
    record = _post(community)
    assert list(record.postings.order_by("pk").values_list("account", "amount_fen")) == [
        ("cash", 1000),
        ("prepayment", -1000),
    ]
    assert balance_fen(account="prepayment", household_id=7) == -1000


def test_unbalanced_transaction_is_refused_and_writes_nothing(community):
    with pytest.raises(LedgerError):
        transaction_post(
            community_id=community.pk,
            kind="payment",
            entries=[Entry("cash", 1000), Entry("receivable", -999)],
        )
    assert (LedgerTransaction.objects.count(), Posting.objects.count()) == (0, 0)


def test_same_key_posts_once(community):
    first = _post(community, key="counter:abc")
    second = _post(community, key="counter:abc")
    assert first.pk == second.pk
    assert Posting.objects.count() == 2


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_posting SET amount_fen = 0",
        "DELETE FROM ledger_posting",
        "UPDATE ledger_ledgertransaction SET memo = 'x'",
        "DELETE FROM ledger_ledgertransaction",
    ],
)
def test_ledger_rows_cannot_be_changed_or_deleted(community, statement):
    _post(community)
    with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert Posting.objects.filter(amount_fen=0).count() == 0
    assert Posting.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_postgres_refuses_postings_that_leave_a_transaction_unbalanced(community):
    if connection.vendor != "postgresql":
        pytest.skip(
            "the deferred balance trigger exists on PostgreSQL only; SQLite relies on the ledger's writers"
        )

    def unbalanced():
        with transaction.atomic():
            record = LedgerTransaction.objects.create(community=community, kind="payment")
            Posting.objects.create(transaction=record, community=community, account="cash", amount_fen=5)

    with pytest.raises(DatabaseError, match="does not balance"):
        unbalanced()
    assert LedgerTransaction.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_postgres_refuses_a_posting_added_later_to_a_balanced_transaction(community):
    """The balance trigger counts every posting of the transactions a statement touches, so an
    old, balanced transaction cannot be unbalanced by one more posting (the row trigger before
    checked a transaction only when it was inserted)."""
    if connection.vendor != "postgresql":
        pytest.skip("the balance trigger exists on PostgreSQL only")
    record = transaction_post(
        community_id=community.pk,
        kind="payment",
        entries=[Entry("cash", 700), Entry("receivable", -700, household_id=1)],
    )
    with (
        pytest.raises(IntegrityError, match=f"ledger transaction {record.pk} does not balance: 5 fen"),
        transaction.atomic(),
    ):
        Posting.objects.create(transaction=record, community=community, account="cash", amount_fen=5)
    assert list(
        Posting.objects.filter(transaction=record).values_list("amount_fen", flat=True).order_by("pk")
    ) == [
        700,
        -700,
    ]


def test_postgres_balance_trigger_never_scans_the_ledger_sequentially(db):
    """On a ledger just filled (no statistics yet) the planner took a sequential scan per transaction
    for cheap, and a bank result file of 85,000 payments ran for minutes: the trigger's function turns
    sequential scans off for itself."""
    if connection.vendor != "postgresql":
        pytest.skip("the balance trigger exists on PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SELECT proconfig FROM pg_proc WHERE proname = 'ledger_postings_balanced'")
        assert cursor.fetchall() == [(["enable_seqscan=off"],)]
