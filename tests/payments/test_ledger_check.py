"""`wuye ledger check` passes on books written by the domain and fails, naming the difference, on tampering."""

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tests.conftest import on_postgres
from tests.factories import CommunityFactory, HouseholdRoomFactory, staff
from tests.payments.factories import issue_bill, prepay
from wuye.billing.domain.bills import line_adjust, line_waive
from wuye.billing.models import BillLine
from wuye.core.enums import Role
from wuye.ledger.domain.ledger import Entry, transaction_post
from wuye.payments.domain.checks import ledger_check
from wuye.payments.models import Allocation

JAN, FEB = datetime.date(2026, 1, 1), datetime.date(2026, 2, 1)


def check(*args) -> str:
    out = StringIO()
    call_command("ledger", "check", *args, stdout=out)
    return out.getvalue()


def failing_check(*args) -> tuple[str, CommandError]:
    out = StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("ledger", "check", *args, stdout=out)
    return out.getvalue(), failed.value


@pytest.fixture
def books(household):
    """A normal sequence: bills, a prepayment applied oldest first, an adjustment, a waiver, a second household."""
    manager = staff(household.community, Role.SUPERVISOR)
    issue_bill(household, JAN, [10000, 2500])
    issue_bill(household, FEB, [10000])
    prepay(household, 15000)
    line_adjust(
        line=BillLine.objects.get(period=FEB, household=household),
        amount_fen=-1000,
        reason="面积更正",
        approver=manager,
        actor=manager,
    )
    other = HouseholdRoomFactory(household__community=household.community).household
    issue_bill(other, JAN, [8000])
    line_waive(line=BillLine.objects.get(household=other), reason="困难户", approver=manager, actor=manager)
    prepay(other, 3000)
    return household


def test_ledger_check_passes_after_a_normal_sequence(books):
    output = check()
    assert f"community {books.community_id} {books.community.name}: OK" in output
    assert "ledger check passed" in output
    assert ledger_check(community=books.community) == []


def test_ledger_check_fails_when_paid_fen_is_changed_behind_the_ledger(books):
    line = BillLine.objects.get(household=books, period=FEB)
    BillLine.objects.filter(pk=line.pk).update(paid_fen=line.paid_fen + 700)  # bypasses the domain

    output, error = failing_check()

    assert error.returncode != 0
    assert "1 difference(s)" in str(error)
    assert (
        f"[receivable] household {books.pk} {books.name}: ledger 6500 fen, documents 5800 fen, difference 700 fen"
        in output
    )


def test_ledger_check_fails_when_an_allocation_is_removed(books):
    allocation = Allocation.objects.filter(household=books).order_by("pk").first()
    Allocation.objects.filter(pk=allocation.pk).delete()

    output, _error = failing_check()

    assert (
        f"[prepayment] household {books.pk} {books.name}: ledger 0 fen, documents {allocation.amount_fen} fen"
        in output
    )
    assert f"[allocations] transaction {allocation.transaction_id}: ledger 15000 fen" in output


def test_ledger_check_fails_on_an_unbalanced_transaction(books):
    if on_postgres():
        pytest.skip("PostgreSQL itself refuses an unbalanced transaction at commit (deferred trigger)")
    record = transaction_post(community_id=books.community_id, kind="payment", entries=[])
    with connection.cursor() as cursor:  # a posting written around transaction_post
        cursor.execute(
            "INSERT INTO ledger_posting (transaction_id, community_id, account, household_id, fee_item_id,"
            " amount_fen) VALUES (%s, %s, 'cash', NULL, NULL, 5)",
            [record.pk, books.community_id],
        )

    output, _error = failing_check()

    assert f"[balanced] transaction {record.pk}: ledger 5 fen, documents 0 fen, difference 5 fen" in output


def test_ledger_check_fails_when_a_line_amount_is_changed(books):
    line = BillLine.objects.filter(household=books, period=JAN).order_by("pk").first()
    BillLine.objects.filter(pk=line.pk).update(gross_fen=line.gross_fen + 1, amount_fen=line.amount_fen + 1)

    output, error = failing_check()

    assert "2 difference(s)" in str(error)
    assert (
        f"[income] fee item {line.fee_item_id} {line.fee_item.name}: ledger 10000 fen, documents 10001 fen"
        in output
    )
    assert f"[receivable] household {books.pk} {books.name}: ledger 6500 fen, documents 6501 fen" in output


def test_ledger_check_of_one_community_ignores_the_others(books):
    other = HouseholdRoomFactory(household__community=CommunityFactory()).household
    issue_bill(other, JAN, [100])
    BillLine.objects.filter(household=other).update(paid_fen=100)

    assert "ledger check passed" in check("--community", str(books.community_id))
    output, _error = failing_check()
    assert f"community {other.community_id} {other.community.name}: 1 difference(s)" in output
    assert f"community {books.community_id} {books.community.name}: OK" in output


def test_ledger_check_of_an_unknown_community_is_an_error(db):
    with pytest.raises(CommandError, match="no community 999"):
        check("--community", "999")


def test_ledger_check_balanced_entries_written_by_hand_between_unchecked_accounts_pass(household):
    transaction_post(
        community_id=household.community_id,
        kind="adjustment",
        entries=[Entry("adjustments", 100), Entry("suspense", -100)],
    )
    assert ledger_check(community=household.community) == []


def test_ledger_check_finds_money_in_the_till_that_no_payment_explains(household):
    transaction_post(
        community_id=household.community_id,
        kind="payment",
        entries=[Entry("cash", 100), Entry("suspense", -100)],
    )
    [difference] = ledger_check(community=household.community)
    assert (difference.check, difference.subject, difference.ledger_fen, difference.documents_fen) == (
        "payments",
        "account cash",
        100,
        0,
    )


def test_ledger_check_finds_a_line_moved_to_another_households_bill(books):
    """Bills and lines have no foreign-key triggers (runs write them in bulk): the check is theirs."""
    other_bill = BillLine.objects.exclude(household=books).get().bill
    line = BillLine.objects.get(household=books, period=FEB)
    BillLine.objects.filter(pk=line.pk).update(bill=other_bill)  # bypasses the domain

    output, error = failing_check()

    assert "1 difference(s)" in str(error)
    assert f"[references] bill line {line.pk}: ledger {line.amount_fen} fen, documents 0 fen" in output


def test_ledger_check_finds_a_bill_of_a_household_that_does_not_exist(books):
    from wuye.billing.models import Bill

    bill = Bill.objects.filter(household=books).order_by("pk").first()
    missing = books.pk + 1000
    Bill.objects.filter(pk=bill.pk).update(household_id=missing)  # no trigger stops it: the check does

    differences = [d for d in ledger_check(community=books.community) if d.check == "references"]

    lines = BillLine.objects.filter(bill=bill).order_by("pk")
    assert [d.subject for d in differences] == [
        *(f"bill line {line.pk}" for line in lines),
        f"bill {bill.pk}",
    ]
    assert differences[-1].ledger_fen == bill.total_fen
