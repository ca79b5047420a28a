"""One-off charges on a household's bill: exact fen, one line per source, re-charges adjust, refusals change nothing."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation

from tests.billing.factories import FeeAssignmentFactory, FeeItemFactory
from tests.factories import HouseholdFactory, HouseholdRoomFactory, RoomFactory, staff
from tests.payments.factories import prepay
from wuye.billing.domain import runs
from wuye.billing.domain.bills import BillError
from wuye.billing.domain.charges import REPAIR_FEE_ITEM_NAME, charge_add, charge_line, charge_set
from wuye.billing.models import Adjustment, Bill, BillLine, FeeItem
from wuye.core.enums import Role
from wuye.core.models import AuditLog
from wuye.ledger.models import LedgerTransaction, Posting
from wuye.payments.domain.checks import ledger_check
from wuye.payments.domain.prepayments import prepayment_balance_fen

MAY = datetime.date(2026, 5, 1)


@pytest.fixture(autouse=True)
def _english():
    """The tests read the domain's messages in English (the default language is Chinese)."""
    with translation.override("en"):
        yield


@pytest.fixture
def clerk(community):
    return staff(community, Role.SUPERVISOR)


def postings(record):
    return sorted(record.postings.values_list("account", "household_id", "fee_item_id", "amount_fen"))


def snapshot():
    return (
        Bill.objects.count(),
        BillLine.objects.count(),
        LedgerTransaction.objects.count(),
        Posting.objects.count(),
        Adjustment.objects.count(),
        AuditLog.objects.filter(action__startswith="billing.charge").count(),
        list(BillLine.objects.order_by("pk").values_list("amount_fen", "adjusted_fen", "paid_fen")),
    )


def add(household, amount_fen, actor, reference="service.request:1", **kwargs):
    return charge_add(
        household=household,
        amount_fen=amount_fen,
        description="#1 水电 更换角阀",
        reference=reference,
        actor=actor,
        period=MAY,
        **kwargs,
    )


def test_charge_puts_exact_fen_on_a_new_bill_of_the_month(household, clerk):
    room = household.room_links.get().room

    line = add(household, 4550, clerk)

    item = FeeItem.objects.get(community=household.community, name=REPAIR_FEE_ITEM_NAME)
    assert (item.category, item.method) == ("other", "one_off")
    line.refresh_from_db()
    assert (line.amount_fen, line.gross_fen, line.discount_fen, line.adjusted_fen, line.paid_fen) == (
        4550,
        4550,
        0,
        0,
        0,
    )
    assert (line.method, line.price, line.quantity, line.source) == (
        "one_off",
        Decimal("45.5000"),
        Decimal("1.00"),
        "service.request:1",
    )
    assert (line.room, line.fee_item, line.period, line.household) == (room, item, MAY, household)
    bill = line.bill
    assert (bill.household, bill.period, bill.total_fen, bill.state, bill.run) == (
        household,
        MAY,
        4550,
        "open",
        None,
    )
    assert postings(line.transaction) == [
        ("income", None, item.pk, -4550),
        ("receivable", household.pk, None, 4550),
    ]
    assert (line.transaction.kind, line.transaction.reference, line.transaction.memo) == (
        "billing",
        "service.request:1",
        "#1 水电 更换角阀",
    )
    entry = AuditLog.objects.get(action="billing.charge.added")
    assert (entry.household_id, entry.actor, entry.object_pk) == (household.pk, clerk, line.pk)
    assert entry.changes["amount_yuan"] == "45.50"
    assert ledger_check(community=household.community) == []


def test_charge_joins_the_bill_a_run_issued(household, admin_user):
    room = household.room_links.get().room
    fee = FeeItemFactory(community=household.community, method="fixed", price=Decimal("120.00"))
    FeeAssignmentFactory(fee_item=fee, room=room, starts_on=datetime.date(2024, 1, 1))
    runs.run_issue(
        run=runs.run_preview(community=household.community, period=MAY, actor=admin_user), actor=admin_user
    )

    line = add(household, 8000, admin_user)

    bill = Bill.objects.get(household=household)
    assert line.bill_id == bill.pk
    assert bill.total_fen == 12000 + 8000
    assert sorted(bill.lines.values_list("amount_fen", flat=True)) == [8000, 12000]
    assert ledger_check(community=household.community) == []


def test_two_repairs_of_one_room_in_one_month_are_two_lines(household, clerk):
    first = add(household, 3000, clerk, reference="service.request:1")
    second = add(household, 2000, clerk, reference="service.request:2")

    assert (first.room_id, first.fee_item_id, first.period) == (
        second.room_id,
        second.fee_item_id,
        second.period,
    )
    assert first.bill_id == second.bill_id
    assert Bill.objects.get().total_fen == 5000
    assert FeeItem.objects.filter(name=REPAIR_FEE_ITEM_NAME).count() == 1
    assert ledger_check(community=household.community) == []


def test_charge_of_zero_adds_nothing(household, clerk):
    before = snapshot()
    assert add(household, 0, clerk) is None
    assert (
        charge_set(household=household, amount_fen=0, description="x", reference="r:1", actor=clerk) is None
    )
    assert snapshot() == before


def test_recharge_adjusts_the_line_instead_of_billing_twice(household, clerk):
    line = charge_set(
        household=household, amount_fen=4550, description="更换角阀", reference="r:1", actor=clerk
    )

    raised = charge_set(
        household=household, amount_fen=6000, description="更换角阀和软管", reference="r:1", actor=clerk
    )
    same = charge_set(
        household=household, amount_fen=6000, description="更换角阀和软管", reference="r:1", actor=clerk
    )

    assert raised.pk == same.pk == line.pk
    assert BillLine.objects.count() == 1
    line.refresh_from_db()
    assert (line.amount_fen, line.adjusted_fen, line.outstanding_fen) == (4550, 1450, 6000)
    adjustment = Adjustment.objects.get()
    assert (adjustment.amount_fen, adjustment.kind, adjustment.approved_by) == (1450, "adjustment", clerk)
    assert adjustment.reason == "Charge changed from 45.50 to 60.00 yuan: 更换角阀和软管"
    assert postings(adjustment.transaction) == [
        ("income", None, line.fee_item_id, -1450),
        ("receivable", household.pk, None, 1450),
    ]
    assert AuditLog.objects.get(action="billing.charge.changed").changes["charge_yuan"] == ["45.50", "60.00"]
    assert LedgerTransaction.objects.count() == 2
    assert ledger_check(community=household.community) == []


def test_recharge_to_zero_leaves_nothing_owed(household, clerk):
    charge_set(household=household, amount_fen=4550, description="更换角阀", reference="r:1", actor=clerk)

    line = charge_set(household=household, amount_fen=0, description="免费", reference="r:1", actor=clerk)

    assert (line.amount_fen, line.adjusted_fen, line.outstanding_fen) == (4550, -4550, 0)
    assert Adjustment.objects.get().amount_fen == -4550
    assert Bill.objects.get().state == "open"
    assert ledger_check(community=household.community) == []


def test_recharge_below_what_was_paid_is_refused_and_changes_nothing(
    household, clerk, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        prepay(household, 3000)
        charge_set(household=household, amount_fen=4550, description="更换角阀", reference="r:1", actor=clerk)
    line = BillLine.objects.get()
    assert line.paid_fen == 3000
    before = snapshot()

    with pytest.raises(BillError, match=r"30\.00 yuan of this charge is paid"):
        charge_set(household=household, amount_fen=2999, description="便宜点", reference="r:1", actor=clerk)

    assert snapshot() == before
    # Down to what was paid is fine: the bill is settled.
    charge_set(household=household, amount_fen=3000, description="便宜点", reference="r:1", actor=clerk)
    assert Bill.objects.get().state == "paid"
    assert ledger_check(community=household.community) == []


def test_recharge_of_a_paid_charge_upwards_reopens_the_bill(
    household, clerk, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        prepay(household, 4550)
        charge_set(household=household, amount_fen=4550, description="更换角阀", reference="r:1", actor=clerk)
    assert Bill.objects.get().state == "paid"

    charge_set(household=household, amount_fen=5000, description="加软管", reference="r:1", actor=clerk)

    assert Bill.objects.get().state == "partial"
    assert BillLine.objects.get().outstanding_fen == 450
    assert ledger_check(community=household.community) == []


def test_charge_is_paid_from_the_prepayment_balance_after_commit(
    household, clerk, django_capture_on_commit_callbacks
):
    prepay(household, 10000)

    with django_capture_on_commit_callbacks(execute=True):
        line = add(household, 4550, clerk)

    line.refresh_from_db()
    assert (line.paid_fen, line.outstanding_fen) == (4550, 0)
    assert Bill.objects.get().state == "paid"
    assert prepayment_balance_fen(household=household) == 10000 - 4550
    assert ledger_check(community=household.community) == []


def test_same_reference_added_twice_is_refused(household, clerk):
    add(household, 4550, clerk)
    before = snapshot()
    with pytest.raises(BillError):
        add(household, 4550, clerk)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("amount_fen", "description", "reference"),
    [
        (-1, "x", "r:1"),
        (True, "x", "r:1"),
        (45.5, "x", "r:1"),
        ("4550", "x", "r:1"),
        (100_000_001, "x", "r:1"),
        (4550, "  ", "r:1"),
        (4550, "x", ""),
        (4550, "x", "r" * 61),
    ],
)
def test_refused_charge_changes_nothing(household, clerk, amount_fen, description, reference):
    before = snapshot()
    with pytest.raises(BillError):
        charge_set(
            household=household,
            amount_fen=amount_fen,
            description=description,
            reference=reference,
            actor=clerk,
        )
    assert snapshot() == before
    assert FeeItem.objects.count() == 0


def test_charge_on_another_households_room_is_refused(household, clerk):
    other_room = RoomFactory(community=household.community, unit__building__community=household.community)
    before = snapshot()
    with pytest.raises(BillError):
        add(household, 4550, clerk, room=other_room)
    assert snapshot() == before


def test_charge_of_a_household_without_rooms_is_refused(community, clerk):
    before = snapshot()
    with pytest.raises(BillError):
        add(HouseholdFactory(community=community), 4550, clerk)
    assert snapshot() == before


def test_charge_of_a_reference_on_another_households_bill_is_refused(household, clerk):
    other = HouseholdRoomFactory(household__community=household.community).household
    add(household, 4550, clerk)
    before = snapshot()
    with pytest.raises(BillError):
        charge_set(
            household=other, amount_fen=5000, description="x", reference="service.request:1", actor=clerk
        )
    assert snapshot() == before


def test_database_allows_one_live_line_per_source(household, clerk):
    line = add(household, 4550, clerk)
    copy = BillLine.objects.get(pk=line.pk)
    copy.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save()
    copy.source = ""
    copy.save()  # a run-style line of the same room, item and month
    again = BillLine.objects.get(pk=copy.pk)
    again.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        again.save()  # but only one of those


def test_charge_line_finds_the_line_by_reference(household, clerk):
    line = add(household, 4550, clerk)
    assert charge_line(community_id=household.community_id, reference="service.request:1") == line
    assert charge_line(community_id=household.community_id, reference="service.request:2") is None
