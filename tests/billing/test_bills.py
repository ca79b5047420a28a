"""Bills after issue: state, adjustments and waivers with their ledger postings, explanations.

The helpers at the top (``issue_bill`` and friends) issue bills the way a billing run does — one
ledger transaction (Dr receivable per household, Cr income per fee item), then the Bill and its
lines pointing at it — and are shared by the other bills tests (late fees, arrears, console).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import translation

from tests.billing.factories import FeeItemFactory
from tests.factories import HouseholdRoomFactory, RoomFactory, staff
from wuye.billing.domain import compute
from wuye.billing.domain.bills import (
    BillError,
    bill_refresh_state,
    bill_waive,
    line_adjust,
    line_explain,
    line_waive,
)
from wuye.billing.enums import BillState, Method, RoundingMode, RoundingUnit
from wuye.billing.models import Adjustment, Bill, BillLine
from wuye.core.enums import Role
from wuye.core.models import AuditLog
from wuye.ledger.domain.ledger import Entry, balance_fen, transaction_post
from wuye.ledger.enums import Account, TransactionKind
from wuye.ledger.models import LedgerTransaction, Posting

MARCH = datetime.date(2024, 3, 1)
MARCH_DUE = datetime.date(2024, 3, 15)


def household_with_room(community, **room):
    """A household of ``community`` with one room (89.50 m² unless given)."""
    link = HouseholdRoomFactory(
        household__community=community,
        room=RoomFactory(community=community, unit__building__community=community, **room),
    )
    return link.household


def issue_bill(
    household,
    *,
    items,
    period: datetime.date = MARCH,
    due_on: datetime.date = MARCH_DUE,
    room=None,
    billable_days: int | None = None,
) -> Bill:
    """Issue one bill with a line per fee item (by built-up area, fixed or one-off), like a run."""
    room = room or household.rooms.first()
    period_days = compute.month_end(period).day
    days = period_days if billable_days is None else billable_days
    lines = []
    for item in items:
        quantity = room.built_area if item.method == Method.BUILT_AREA else Decimal(1)
        gross = compute.gross_fen(
            method=item.method,
            quantity=quantity,
            price=item.price,
            tiers=item.tiers,
            billable_days=days,
            period_days=period_days,
            unit=item.rounding_unit,
            mode=item.rounding_mode,
        )
        lines.append((item, quantity, gross))
    record = transaction_post(
        community_id=household.community_id,
        kind=TransactionKind.BILLING,
        entries=[
            Entry(Account.RECEIVABLE, sum(g for _i, _q, g in lines), household_id=household.pk),
            *(Entry(Account.INCOME, -gross, fee_item_id=item.pk) for item, _q, gross in lines),
        ],
        reference="test",
    )
    bill = Bill.objects.create(
        community_id=household.community_id,
        household=household,
        period=period,
        due_on=due_on,
        total_fen=sum(g for _i, _q, g in lines),
    )
    for item, quantity, gross in lines:
        BillLine.objects.create(
            community_id=household.community_id,
            bill=bill,
            household=household,
            room=room,
            fee_item=item,
            period=period,
            method=item.method,
            quantity=quantity,
            price=item.price,
            tiers=item.tiers,
            billable_days=days,
            period_days=period_days,
            rounding_unit=item.rounding_unit,
            rounding_mode=item.rounding_mode,
            gross_fen=gross,
            amount_fen=gross,
            transaction=record,
        )
    return bill


def property_fee(community, **kwargs):
    """物业费: 2.5000 yuan/m²/month by built-up area (89.50 m² × 2.5 = 223.75 yuan a full month)."""
    return FeeItemFactory(community=community, name=kwargs.pop("name", "物业费"), **kwargs)


def sanitation_fee(community, **kwargs):
    """卫生费: fixed 20.0000 yuan per room a month."""
    return FeeItemFactory(
        community=community,
        name=kwargs.pop("name", "卫生费"),
        category="sanitation",
        method=Method.FIXED,
        price=Decimal("20.0000"),
        **kwargs,
    )


def pay(line: BillLine, fen: int) -> None:
    """Stand-in for the payments issue: a payment moves paid_fen with Dr cash / Cr receivable."""
    transaction_post(
        community_id=line.community_id,
        kind=TransactionKind.PAYMENT,
        entries=[Entry(Account.CASH, fen), Entry(Account.RECEIVABLE, -fen, household_id=line.household_id)],
    )
    BillLine.objects.filter(pk=line.pk).update(paid_fen=line.paid_fen + fen)
    line.refresh_from_db()


def outstanding_of(household) -> int:
    return sum(line.outstanding_fen for line in BillLine.objects.filter(household=household))


def money_snapshot():
    """Everything a refused change must leave as it was."""
    return (
        LedgerTransaction.objects.count(),
        Posting.objects.count(),
        Adjustment.objects.count(),
        AuditLog.objects.count(),
        list(BillLine.objects.order_by("pk").values_list("adjusted_fen", "waived_fen", "paid_fen")),
        list(Bill.objects.order_by("pk").values_list("state", flat=True)),
    )


@pytest.fixture
def supervisor(community):
    return staff(community, Role.SUPERVISOR)


@pytest.fixture
def march_bill(community):
    household = household_with_room(community)
    return issue_bill(household, items=[property_fee(community)])


# Helpers -------------------------------------------------------------------------------------


def test_issue_bill_helper_balances_receivable_with_outstanding(march_bill):
    line = march_bill.lines.get()
    assert line.amount_fen == 22375
    assert balance_fen(account=Account.RECEIVABLE, household_id=march_bill.household_id) == 22375


# State ---------------------------------------------------------------------------------------


def test_bill_refresh_state_open_when_nothing_settled(march_bill):
    assert bill_refresh_state(bill=march_bill) == BillState.OPEN
    assert AuditLog.objects.filter(action="billing.bill.state_changed").count() == 0


def test_bill_refresh_state_partial_then_paid(community, supervisor):
    household = household_with_room(community)
    bill = issue_bill(household, items=[property_fee(community), sanitation_fee(community)])
    area, fixed = bill.lines.order_by("fee_item_id")
    pay(area, 22375)
    assert bill_refresh_state(bill=bill) == BillState.PARTIAL
    pay(fixed, 1000)
    assert bill_refresh_state(bill=bill) == BillState.PARTIAL
    pay(fixed, 1000)
    assert bill_refresh_state(bill=bill) == BillState.PAID
    bill.refresh_from_db()
    assert bill.state == BillState.PAID
    entries = AuditLog.objects.filter(action="billing.bill.state_changed", household_id=household.pk)
    assert [e.changes["bill_state"] for e in entries.order_by("pk")] == [
        ["open", "partial"],
        ["partial", "paid"],
    ]


def test_bill_refresh_state_waived_when_all_outstanding_waived(march_bill, supervisor):
    line_waive(line=march_bill.lines.get(), reason="困难户", approver=supervisor, actor=supervisor)
    march_bill.refresh_from_db()
    assert march_bill.state == BillState.WAIVED


def test_bill_refresh_state_paid_when_rest_waived_after_payment(march_bill, supervisor):
    line = march_bill.lines.get()
    pay(line, 20000)
    line_waive(line=line, reason="尾差", approver=supervisor, actor=supervisor)
    march_bill.refresh_from_db()
    assert march_bill.state == BillState.PAID


def test_bill_refresh_state_leaves_void_alone(march_bill):
    Bill.objects.filter(pk=march_bill.pk).update(state=BillState.VOID)
    pay(march_bill.lines.get(), 100)
    assert bill_refresh_state(bill=march_bill) == BillState.VOID
    assert Bill.objects.get(pk=march_bill.pk).state == BillState.VOID


# Adjustments ---------------------------------------------------------------------------------


def _postings(record) -> list[tuple[str, int, int | None, int | None]]:
    return sorted(record.postings.values_list("account", "amount_fen", "household_id", "fee_item_id"))


def test_line_adjust_up_posts_receivable_and_income(march_bill, supervisor):
    line = march_bill.lines.get()
    adjustment = line_adjust(
        line=line, amount_fen=500, reason="面积更正", approver=supervisor, actor=supervisor
    )
    line.refresh_from_db()
    assert (line.adjusted_fen, line.waived_fen, line.paid_fen, line.outstanding_fen) == (500, 0, 0, 22875)
    assert (adjustment.kind, adjustment.amount_fen, adjustment.reason) == ("adjustment", 500, "面积更正")
    assert adjustment.approved_by == supervisor and adjustment.created_by == supervisor
    record = adjustment.transaction
    assert record.kind == TransactionKind.ADJUSTMENT
    assert _postings(record) == [
        ("income", -500, None, line.fee_item_id),
        ("receivable", 500, march_bill.household_id, None),
    ]
    assert record.postings.aggregate(total=Sum("amount_fen"))["total"] == 0
    assert balance_fen(account=Account.RECEIVABLE, household_id=march_bill.household_id) == 22875
    assert outstanding_of(march_bill.household) == 22875


def test_line_adjust_down_posts_the_reverse(march_bill, supervisor):
    line = march_bill.lines.get()
    adjustment = line_adjust(
        line=line, amount_fen=-2375, reason="优惠", approver=supervisor, actor=supervisor
    )
    line.refresh_from_db()
    assert (line.adjusted_fen, line.outstanding_fen) == (-2375, 20000)
    assert _postings(adjustment.transaction) == [
        ("income", 2375, None, line.fee_item_id),
        ("receivable", -2375, march_bill.household_id, None),
    ]
    assert balance_fen(account=Account.RECEIVABLE, household_id=march_bill.household_id) == 20000


def test_line_adjust_down_to_exactly_zero_is_allowed(march_bill, supervisor):
    line = march_bill.lines.get()
    line_adjust(line=line, amount_fen=-22375, reason="免收", approver=supervisor, actor=supervisor)
    line.refresh_from_db()
    assert line.outstanding_fen == 0
    assert balance_fen(account=Account.RECEIVABLE, household_id=march_bill.household_id) == 0


def test_line_adjust_logs_on_the_household_timeline(march_bill, supervisor):
    line = march_bill.lines.get()
    line_adjust(line=line, amount_fen=-75, reason="抹零", approver=supervisor, actor=supervisor)
    entry = AuditLog.objects.get(action="billing.line.adjusted")
    assert entry.household_id == march_bill.household_id
    assert entry.actor == supervisor
    assert entry.changes == {
        "adjustment_yuan": "-0.75",
        "outstanding_yuan": ["223.75", "223.00"],
        "reason": "抹零",
        "approved_by": supervisor.username,
    }


def test_line_adjust_by_a_cashier_approved_by_a_supervisor(march_bill, supervisor, community):
    cashier = staff(community, Role.CASHIER)
    adjustment = line_adjust(
        line=march_bill.lines.get(), amount_fen=100, reason="补收", approver=supervisor, actor=cashier
    )
    assert (adjustment.approved_by, adjustment.created_by) == (supervisor, cashier)


def test_line_adjust_after_payment_reopens_a_paid_bill(march_bill, supervisor):
    line = march_bill.lines.get()
    pay(line, 22375)
    bill_refresh_state(bill=march_bill)
    line_adjust(line=line, amount_fen=1000, reason="补收差额", approver=supervisor, actor=supervisor)
    march_bill.refresh_from_db()
    assert march_bill.state == BillState.PARTIAL
    assert balance_fen(account=Account.RECEIVABLE, household_id=march_bill.household_id) == 1000


@pytest.mark.parametrize(
    ("amount", "reason", "approver_role", "message"),
    [
        (-22376, "太多", Role.SUPERVISOR, "cannot be lowered"),
        (0, "零", Role.SUPERVISOR, "other than zero"),
        (100, "", Role.SUPERVISOR, "reason"),
        (100, "   ", Role.SUPERVISOR, "reason"),
        (100, "理由", Role.CASHIER, "approver"),
        (100, "理由", Role.FRONT_DESK, "approver"),
        (100, "x" * 201, Role.SUPERVISOR, "200"),
    ],
)
def test_line_adjust_refused_changes_nothing(march_bill, community, amount, reason, approver_role, message):
    approver = staff(community, approver_role)
    before = money_snapshot()
    with translation.override("en"), pytest.raises(BillError, match=message):
        line_adjust(
            line=march_bill.lines.get(), amount_fen=amount, reason=reason, approver=approver, actor=approver
        )
    assert money_snapshot() == before


def test_line_adjust_refused_for_an_approver_of_another_community(march_bill):
    from tests.factories import CommunityFactory

    outsider = staff(CommunityFactory(), Role.ADMINISTRATOR)
    before = money_snapshot()
    with pytest.raises(BillError):
        line_adjust(
            line=march_bill.lines.get(), amount_fen=100, reason="x", approver=outsider, actor=outsider
        )
    assert money_snapshot() == before


def test_line_adjust_refused_on_a_void_line_or_bill(march_bill, supervisor):
    line = march_bill.lines.get()
    BillLine.objects.filter(pk=line.pk).update(is_void=True)
    before = money_snapshot()
    with translation.override("en"), pytest.raises(BillError, match="void"):
        line_adjust(line=line, amount_fen=100, reason="x", approver=supervisor, actor=supervisor)
    BillLine.objects.filter(pk=line.pk).update(is_void=False)
    Bill.objects.filter(pk=march_bill.pk).update(state=BillState.VOID)
    with translation.override("en"), pytest.raises(BillError, match="cannot be changed"):
        line_adjust(line=line, amount_fen=100, reason="x", approver=supervisor, actor=supervisor)
    assert money_snapshot()[:4] == before[:4]


# Waivers -------------------------------------------------------------------------------------


def test_line_waive_whole_outstanding(march_bill, supervisor):
    line = march_bill.lines.get()
    pay(line, 10000)
    adjustment = line_waive(line=line, reason="困难户减免", approver=supervisor, actor=supervisor)
    line.refresh_from_db()
    assert (line.waived_fen, line.paid_fen, line.outstanding_fen) == (12375, 10000, 0)
    assert (adjustment.kind, adjustment.amount_fen) == ("waiver", 12375)
    assert adjustment.transaction.kind == TransactionKind.WAIVER
    assert _postings(adjustment.transaction) == [
        ("adjustments", 12375, march_bill.household_id, line.fee_item_id),
        ("receivable", -12375, march_bill.household_id, None),
    ]
    assert balance_fen(account=Account.RECEIVABLE, household_id=march_bill.household_id) == 0
    assert balance_fen(account=Account.ADJUSTMENTS, community_id=march_bill.community_id) == 12375
    entry = AuditLog.objects.get(action="billing.line.waived")
    assert entry.household_id == march_bill.household_id
    assert entry.changes["waived_yuan"] == "123.75"


def test_line_waive_part_of_the_outstanding(march_bill, supervisor):
    line = march_bill.lines.get()
    line_waive(line=line, amount_fen=375, reason="抹零", approver=supervisor, actor=supervisor)
    line.refresh_from_db()
    assert (line.waived_fen, line.outstanding_fen) == (375, 22000)
    march_bill.refresh_from_db()
    assert march_bill.state == BillState.OPEN
    assert balance_fen(account=Account.RECEIVABLE, household_id=march_bill.household_id) == 22000


@pytest.mark.parametrize("amount", [0, -1, 22376])
def test_line_waive_refused_outside_what_is_owed(march_bill, supervisor, amount):
    before = money_snapshot()
    with pytest.raises(BillError):
        line_waive(
            line=march_bill.lines.get(), amount_fen=amount, reason="x", approver=supervisor, actor=supervisor
        )
    assert money_snapshot() == before


def test_line_waive_refused_when_nothing_is_owed(march_bill, supervisor):
    line = march_bill.lines.get()
    pay(line, 22375)
    before = money_snapshot()
    with translation.override("en"), pytest.raises(BillError, match="nothing to waive"):
        line_waive(line=line, reason="x", approver=supervisor, actor=supervisor)
    assert money_snapshot() == before


def test_line_waive_refused_without_reason_or_approver(march_bill, community, supervisor):
    before = money_snapshot()
    with pytest.raises(BillError):
        line_waive(line=march_bill.lines.get(), reason="", approver=supervisor, actor=supervisor)
    with pytest.raises(BillError):
        line_waive(line=march_bill.lines.get(), reason="x", approver=None, actor=supervisor)
    assert money_snapshot() == before


def test_bill_waive_posts_one_transaction_for_every_line(community, supervisor):
    household = household_with_room(community)
    area_item, fixed_item = property_fee(community), sanitation_fee(community)
    bill = issue_bill(household, items=[area_item, fixed_item])
    area, fixed = bill.lines.order_by("fee_item_id")
    pay(fixed, 500)
    adjustments = bill_waive(bill=bill, reason="业委会决议减免", approver=supervisor, actor=supervisor)
    assert sorted((a.line_id, a.amount_fen) for a in adjustments) == [(area.pk, 22375), (fixed.pk, 1500)]
    assert len({a.transaction_id for a in adjustments}) == 1
    record = adjustments[0].transaction
    assert _postings(record) == [
        ("adjustments", 1500, household.pk, fixed_item.pk),
        ("adjustments", 22375, household.pk, area_item.pk),
        ("receivable", -23875, household.pk, None),
    ]
    assert (
        balance_fen(account=Account.RECEIVABLE, household_id=household.pk) == 0 == outstanding_of(household)
    )
    bill.refresh_from_db()
    assert bill.state == BillState.PAID  # 5.00 yuan was paid, the rest waived
    entry = AuditLog.objects.get(action="billing.bill.waived")
    assert entry.household_id == household.pk
    assert entry.changes["waived_yuan"] == "238.75"


def test_bill_waive_of_an_unpaid_bill_makes_it_waived(march_bill, supervisor):
    bill_waive(bill=march_bill, reason="x", approver=supervisor, actor=supervisor)
    march_bill.refresh_from_db()
    assert march_bill.state == BillState.WAIVED


def test_bill_waive_refused_when_nothing_is_owed(march_bill, supervisor):
    bill_waive(bill=march_bill, reason="x", approver=supervisor, actor=supervisor)
    before = money_snapshot()
    with pytest.raises(BillError):
        bill_waive(bill=march_bill, reason="x", approver=supervisor, actor=supervisor)
    assert money_snapshot() == before


def test_adjustments_and_waivers_keep_receivable_equal_to_outstanding(community, supervisor):
    household = household_with_room(community)
    bills = [
        issue_bill(household, items=[property_fee(community), sanitation_fee(community)], period=MARCH),
    ]
    bills.append(
        issue_bill(
            household,
            items=list({line.fee_item for line in bills[0].lines.all()}),
            period=datetime.date(2024, 4, 1),
            due_on=datetime.date(2024, 4, 15),
        )
    )
    first, second = (bill.lines.order_by("pk") for bill in bills)
    line_adjust(line=first[0], amount_fen=-1234, reason="a", approver=supervisor, actor=supervisor)
    line_adjust(line=second[1], amount_fen=777, reason="b", approver=supervisor, actor=supervisor)
    pay(first[1], 1000)
    line_waive(line=first[1], reason="c", approver=supervisor, actor=supervisor)
    bill_waive(bill=bills[1], reason="d", approver=supervisor, actor=supervisor)
    assert Posting.objects.aggregate(total=Sum("amount_fen"))["total"] == 0
    for record in LedgerTransaction.objects.all():
        assert record.postings.aggregate(total=Sum("amount_fen"))["total"] == 0
    assert balance_fen(account=Account.RECEIVABLE, household_id=household.pk) == outstanding_of(household)
    assert outstanding_of(household) == 22375 - 1234


def test_line_changes_refresh_the_arrears_tag_on_commit(
    march_bill, supervisor, django_capture_on_commit_callbacks
):
    from wuye.households.models import HouseholdTag

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        line_adjust(
            line=march_bill.lines.get(), amount_fen=100, reason="x", approver=supervisor, actor=supervisor
        )
    assert len(callbacks) == 1
    assert HouseholdTag.objects.filter(household=march_bill.household, tag__rule="arrears").count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        bill_waive(bill=march_bill, reason="x", approver=supervisor, actor=supervisor)
    assert HouseholdTag.objects.filter(household=march_bill.household, tag__rule="arrears").count() == 0


# Explanations --------------------------------------------------------------------------------


def test_line_explain_area_full_month(march_bill):
    with translation.override("en"):
        words = line_explain(line=march_bill.lines.get())
    assert words == [
        "Built-up area 89.50 m² × 2.5000 yuan/m²/month × 31/31 days = 223.750000 yuan",
        "rounded half up to the fen: 223.75 yuan",
        "Amount 223.75 yuan",
    ]


def test_line_explain_prorated_with_discount(community):
    household = household_with_room(community)
    bill = issue_bill(household, items=[property_fee(community)], billable_days=15)
    line = bill.lines.get()
    # 89.50 × 2.5 × 15/31 = 108.266129… → 108.27; 10 % off → 10.83 (half up of 10.827).
    discount = compute.discount_fen(gross=line.gross_fen, percent=Decimal("10.00"), fixed_fen=0)
    BillLine.objects.filter(pk=line.pk).update(
        discount_percent=Decimal("10.00"), discount_fen=discount, amount_fen=line.gross_fen - discount
    )
    line.refresh_from_db()
    with translation.override("en"):
        words = line_explain(line=line)
    assert words == [
        "Built-up area 89.50 m² × 2.5000 yuan/m²/month × 15/31 days = 108.266129… yuan",
        "rounded half up to the fen: 108.27 yuan",
        "Discount 10.00 %: −10.83 yuan",
        "Amount 97.44 yuan",
    ]


def test_line_explain_fixed_rounded_down_to_the_jiao(community):
    household = household_with_room(community)
    item = sanitation_fee(community, rounding_unit=RoundingUnit.JIAO, rounding_mode=RoundingMode.DOWN)
    bill = issue_bill(household, items=[item], billable_days=10)
    with translation.override("en"):
        words = line_explain(line=bill.lines.get())
    # 20 × 10/31 = 6.451612… → 6.40 rounded down to the jiao.
    assert words == [
        "Fixed 20.0000 yuan/month × 10/31 days = 6.451612… yuan",
        "rounded down to the jiao: 6.40 yuan",
        "Amount 6.40 yuan",
    ]


def test_line_explain_metered_tiers(march_bill):
    line = march_bill.lines.get()
    BillLine.objects.filter(pk=line.pk).update(
        method=Method.METERED,
        quantity=Decimal("25.00"),
        price=Decimal("3.0000"),
        tiers=[{"up_to": "20", "price": "3.0"}, {"up_to": None, "price": "4.5"}],
        gross_fen=8250,
        amount_fen=8250,
    )
    line.refresh_from_db()
    with translation.override("en"):
        words = line_explain(line=line)
    assert words[0] == "Usage 25.00: 20.00 × 3.0000 + 5.00 × 4.5000 = 82.500000 yuan"
    assert words[1] == "rounded half up to the fen: 82.50 yuan"


def test_bills_issued_by_a_run_adjusted_and_waived_keep_the_ledger_in_step(community, supervisor):
    from tests.billing.factories import FeeAssignmentFactory
    from wuye.billing.domain import runs

    households = [household_with_room(community) for _ in range(2)]
    area_item, fixed_item = property_fee(community), sanitation_fee(community)
    for household in households:
        for item in (area_item, fixed_item):
            FeeAssignmentFactory(
                fee_item=item, room=household.rooms.get(), starts_on=datetime.date(2024, 1, 1)
            )
    run = runs.run_preview(community=community, period=MARCH, actor=supervisor)
    runs.run_issue(run=run, actor=supervisor)
    first, second = (Bill.objects.get(household=household, period=MARCH) for household in households)
    area, fixed = first.lines.order_by("fee_item_id")
    assert (area.amount_fen, fixed.amount_fen) == (22375, 2000)
    line_adjust(line=area, amount_fen=-375, reason="面积更正", approver=supervisor, actor=supervisor)
    line_waive(line=fixed, reason="减免", approver=supervisor, actor=supervisor)
    bill_waive(bill=second, reason="困难户", approver=supervisor, actor=supervisor)
    for household, outstanding in zip(households, (22000, 0), strict=True):
        assert outstanding_of(household) == outstanding
        assert balance_fen(account=Account.RECEIVABLE, household_id=household.pk) == outstanding
    assert Posting.objects.aggregate(total=Sum("amount_fen"))["total"] == 0
    second.refresh_from_db()
    assert second.state == BillState.WAIVED
