"""Concurrent cashiers never share a receipt number, and concurrent applications never spend a
prepayment twice, on PostgreSQL; the control tests show that without the row locks they would.
Threads each hold their own database connection, as web workers do."""

import contextlib
import datetime
import threading
import uuid

import pytest
from django.db import IntegrityError, connection
from django.db.models import Sum

from tests.conftest import on_postgres
from tests.factories import CommunityFactory, HouseholdRoomFactory
from tests.payments.factories import issue_bill, prepay
from wuye.billing.models import BillLine
from wuye.payments import lock_objects
from wuye.payments.domain import prepayments, receipts
from wuye.payments.domain.prepayments import prepayment_balance_fen, prepayment_record, prepayments_apply
from wuye.payments.models import Receipt, ReceiptCounter

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if not on_postgres():
        pytest.skip(
            "SQLite runs write transactions one at a time (IMMEDIATE), so the race cannot happen there; "
            "this test needs PostgreSQL (make test-postgres)"
        )


def _all_at_once(work, arguments) -> list[str]:
    start = threading.Barrier(len(arguments))
    outcomes: list[str] = []

    def run(argument):
        try:
            start.wait()
            work(argument)
            outcomes.append("done")
        except IntegrityError:
            outcomes.append("refused by the database")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(argument,)) for argument in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def _meet(parties: int):
    """Wait until ``parties`` threads got here (at most 3 s): without a lock all of them read before
    any writes, however slowly the threads start; with the lock the first gives up waiting and goes on."""
    barrier = threading.Barrier(parties)

    def meet():
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=3)

    return meet


def _slow_counter(monkeypatch, take, parties=4):
    """Replace the counter's raise by ``take(community_id, meet)``, where every cashier meets the others
    before going on (or a lock made them wait)."""
    meet = _meet(parties)
    monkeypatch.setattr(receipts, "receipt_counter_next", lambda community_id: take(community_id, meet))


def _locked_take(community_id, meet):
    """The one UPDATE, holding the counter's row until every cashier has tried to raise it."""
    number = lock_objects.receipt_counter_next(community_id)
    meet()
    return number


def _unlocked_take(community_id, meet):
    """What the one UPDATE prevents: read the number, and write it back raised after the others read."""
    number = ReceiptCounter.objects.get(community_id=community_id).last_number + 1
    meet()
    ReceiptCounter.objects.filter(community_id=community_id).update(last_number=number)
    return number


def _cashiers(count):
    community = CommunityFactory()
    ReceiptCounter.objects.create(community=community)
    return [HouseholdRoomFactory(household__community=community).household for _ in range(count)]


def _record(household):
    prepayment_record(household=household, amount_fen=100, method="cash", key=uuid.uuid4().hex, actor=None)


def test_concurrent_receipts_get_consecutive_numbers(monkeypatch):
    households = _cashiers(4)
    _slow_counter(monkeypatch, _locked_take)

    outcomes = _all_at_once(_record, households)

    assert outcomes == ["done"] * 4
    assert sorted(Receipt.objects.values_list("number", flat=True)) == [1, 2, 3, 4]


def test_control_without_the_counter_lock_cashiers_read_the_same_number(monkeypatch):
    households = _cashiers(4)
    _slow_counter(monkeypatch, _unlocked_take)

    outcomes = _all_at_once(_record, households)

    assert outcomes.count("refused by the database") == 3  # the unique (community, number) catches it
    assert list(Receipt.objects.values_list("number", flat=True)) == [1]


def _two_applications(monkeypatch, household_lock):
    """A household holds 100.00 and owes two 100.00 lines; two applications run at once, each slow to
    read the balance, so that without the household lock both read 100.00."""
    household = HouseholdRoomFactory(household__community=CommunityFactory()).household
    prepay(household, 10000)
    issue_bill(household, datetime.date(2026, 1, 1), [10000])
    issue_bill(household, datetime.date(2026, 2, 1), [10000])
    balance = prepayments.prepayment_balance_fen

    meet = _meet(2)

    def slow_balance(*, household):
        held = balance(household=household)
        meet()
        return held

    monkeypatch.setattr(prepayments, "prepayment_balance_fen", slow_balance)
    monkeypatch.setattr(prepayments, "household_lock", household_lock)
    outcomes = _all_at_once(lambda h: prepayments_apply(household=h), [household, household])
    monkeypatch.undo()
    paid = BillLine.objects.filter(household=household).aggregate(total=Sum("paid_fen"))["total"]
    return outcomes, paid, prepayment_balance_fen(household=household)


def test_concurrent_applications_spend_a_balance_once(monkeypatch):
    outcomes, paid, balance = _two_applications(monkeypatch, lock_objects.household_lock)
    assert outcomes == ["done", "done"]
    assert (paid, balance) == (10000, 0)


def test_control_without_the_household_lock_a_balance_is_spent_twice(monkeypatch):
    outcomes, paid, balance = _two_applications(monkeypatch, lambda pk: None)
    assert outcomes == ["done", "done"]
    assert (paid, balance) == (20000, -10000)
