"""Leases and deposits: the company lets a shop (a household for the tenant, rent billed in advance
through the billing engine, the deposit held in the ledger and returned with deductions, the books
agreeing throughout), an owner lets a flat (the tenant joins the owner's household; nothing billed),
the 租户 tag follows, closing moves the tenant out, refusals change nothing, reminders go once."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.factories import HouseholdRoomFactory, PersonFactory, RoomFactory, staff
from wuye.billing.models import Bill, BillLine
from wuye.core.enums import Role
from wuye.core.models import AuditLog
from wuye.estate.enums import RoomState, RoomUse
from wuye.households.enums import PersonKind
from wuye.households.models import HouseholdRoom, HouseholdTag, Person
from wuye.ledger.domain.ledger import balance_fen
from wuye.ledger.enums import Account, TransactionKind
from wuye.ledger.models import LedgerTransaction
from wuye.notifications.models import Message
from wuye.payments.domain.checks import ledger_check
from wuye.payments.enums import ReceiptKind
from wuye.payments.models import Allocation, Receipt
from wuye.rental.domain.deposits import deposit_held_fen, deposit_receive, deposit_return
from wuye.rental.domain.errors import RentalError
from wuye.rental.domain.leases import lease_close, lease_sign, listing_create
from wuye.rental.domain.reminders import leases_remind
from wuye.rental.domain.schedule import add_months
from wuye.rental.enums import DepositEntryKind, Escalation, LeaseState, ListingState
from wuye.rental.models import DepositEntry, Lease, Listing

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def cashier(community):
    return staff(community, Role.ADMINISTRATOR)


@pytest.fixture
def shop(community):
    return RoomFactory(
        community=community, unit__building__community=community, use=RoomUse.SHOP, number="S01"
    )


def sign_shop(community, shop, cashier, **overrides):
    terms = {
        "community": community,
        "room": shop,
        "number": "ZL-2026-001",
        "tenant_name": "李商户",
        "tenant_phone": "13800001111",
        "starts_on": D(2026, 12, 1),
        "ends_on": D(2028, 11, 30),
        "rent_fen": 300_000,
        "cycle": 3,
        "escalation": Escalation.PERCENT,
        "escalation_value": 500,
        "deposit_fen": 600_000,
        "actor": cashier,
        "today": D(2026, 11, 25),
    }
    terms.update(overrides)
    return lease_sign(**terms)


def this_month():
    return timezone.localdate().replace(day=1)


def rent_lines(lease):
    return BillLine.objects.filter(source__startswith=f"rental.lease:{lease.pk}:").order_by("source")


def test_the_company_lets_a_shop_its_tenant_gets_a_household_and_the_first_quarter_is_billed(
    community, shop, cashier, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        listing = listing_create(
            community=community, room=shop, rent_fen=300_000, deposit_fen=600_000, actor=cashier
        )
        start = this_month()
        lease = sign_shop(
            community,
            shop,
            cashier,
            listing=listing,
            starts_on=start,
            ends_on=add_months(start, 24) - datetime.timedelta(days=1),
            today=start - datetime.timedelta(days=6),
        )
    lease.refresh_from_db()
    assert (lease.landlord_id, lease.bills_rent, lease.state) == (None, True, LeaseState.ACTIVE)
    assert lease.household.name == "李商户"
    assert HouseholdRoom.objects.get(room=shop).household_id == lease.household_id
    tenant = Person.objects.get(household=lease.household)
    assert (tenant.kind, tenant.name, tenant.moved_in_on) == (PersonKind.TENANT, "李商户", start)
    shop.refresh_from_db()
    assert shop.state == RoomState.RENTED
    assert Listing.objects.get().state == ListingState.LEASED
    assert HouseholdTag.objects.filter(household=lease.household, tag__rule="tenant").exists()
    # The 1st is within ten days of six days before: the first quarter (3 × 3,000 yuan) is billed.
    (line,) = rent_lines(lease)
    assert (line.amount_fen, line.source, line.fee_item.name, line.room_id) == (
        900_000,
        f"rental.lease:{lease.pk}:1",
        "租金",
        shop.pk,
    )
    assert line.bill.period == start and line.bill.household_id == lease.household_id
    assert balance_fen(account=Account.RECEIVABLE, household_id=lease.household_id) == 900_000
    assert ledger_check(community=community) == []


def test_the_daily_job_bills_each_period_once_with_the_increase_from_the_second_year(
    community, shop, cashier
):
    lease = sign_shop(community, shop, cashier)
    for day in (
        "2026-11-25",
        "2027-02-19",
        "2027-02-20",
        "2027-02-21",
        "2027-11-21",
        "2027-11-22",
        "2028-11-30",
    ):
        call_command("rental_daily", today=day, stdout=io.StringIO())
    amounts = [line.amount_fen for line in rent_lines(lease)]
    # Eight quarters: four at 3,000 yuan a month, four at 3,150 (5% more from the second year).
    assert sorted(amounts) == [900_000] * 4 + [945_000] * 4
    assert BillLine.objects.filter(source__startswith=f"rental.lease:{lease.pk}:").count() == 8
    assert sorted(line.bill.period for line in rent_lines(lease))[:2] == [D(2026, 12, 1), D(2027, 3, 1)]
    assert ledger_check(community=community) == []


def test_a_deposit_returned_with_deductions_balances_the_ledger(community, shop, cashier):
    lease = sign_shop(community, shop, cashier)
    deposit_receive(lease=lease, amount_fen=600_000, method="cash", key="k1", actor=cashier)
    # A double submit of the same form records once.
    deposit_receive(lease=lease, amount_fen=600_000, method="cash", key="k1", actor=cashier)
    receipt = Receipt.objects.get(kind=ReceiptKind.DEPOSIT)
    assert (receipt.amount_fen, receipt.household_id, receipt.method) == (600_000, lease.household_id, "cash")
    assert balance_fen(account=Account.DEPOSITS, household_id=lease.household_id) == -600_000
    assert deposit_held_fen(lease) == 600_000
    with pytest.raises(RentalError):
        deposit_return(lease=lease, method="cash", actor=cashier)  # still in force
    lease_close(lease=lease, closed_on=D(2027, 2, 28), reason="提前退租", actor=cashier, today=D(2027, 2, 28))
    cash_before = balance_fen(account=Account.CASH)
    entry = deposit_return(
        lease=lease,
        deductions=[("墙面修复", 80_000), ("保洁", 20_050)],
        settle_rent=True,
        method="cash",
        actor=cashier,
    )
    # Held 6,000; the first quarter's 9,000 yuan of rent is unpaid: the deductions (1,000.50) come first,
    # then the rent takes the remaining 4,999.50; nothing is handed back, 4,000.50 of rent stays owed.
    assert (entry.kind, entry.amount_fen, entry.deducted_fen, entry.returned_fen) == (
        DepositEntryKind.RETURNED,
        600_000,
        600_000,
        0,
    )
    deductions = BillLine.objects.filter(source__contains=":deduction:").order_by("source")
    assert [(line.amount_fen, line.paid_fen, line.fee_item.name) for line in deductions] == [
        (80_000, 80_000, "押金扣款"),
        (20_050, 20_050, "押金扣款"),
    ]
    (rent,) = rent_lines(lease).exclude(source__contains=":deduction:")
    assert (rent.amount_fen, rent.paid_fen) == (900_000, 499_950)
    record = entry.transaction
    assert record.kind == TransactionKind.DEPOSIT_RETURN
    assert sum(p.amount_fen for p in record.postings.all()) == 0
    assert sum(a.amount_fen for a in Allocation.objects.filter(transaction=record)) == 600_000
    assert balance_fen(account=Account.DEPOSITS, household_id=lease.household_id) == 0
    assert balance_fen(account=Account.CASH) == cash_before
    assert balance_fen(account=Account.RECEIVABLE, household_id=lease.household_id) == 900_000 - 499_950
    assert ledger_check(community=community) == []
    with pytest.raises(RentalError):
        deposit_return(lease=lease, method="cash", actor=cashier)
    assert DepositEntry.objects.filter(kind=DepositEntryKind.RETURNED).count() == 1


def test_what_the_deductions_leave_is_handed_back(community, shop, cashier):
    lease = sign_shop(
        community, shop, cashier, starts_on=D(2026, 9, 1), ends_on=D(2026, 11, 30), today=D(2026, 12, 1)
    )
    (rent,) = rent_lines(lease)
    assert rent.amount_fen == 900_000
    deposit_receive(lease=lease, amount_fen=400_000, method="transfer", key="a", actor=cashier)
    deposit_receive(lease=lease, amount_fen=200_000, method="cash", key="b", actor=cashier)
    with pytest.raises(RentalError):  # more than agreed
        deposit_receive(lease=lease, amount_fen=1, method="cash", key="c", actor=cashier)
    lease_close(lease=lease, closed_on=D(2026, 11, 30), actor=cashier)
    lease.refresh_from_db()
    assert lease.state == LeaseState.ENDED
    cash_before = balance_fen(account=Account.CASH)
    entry = deposit_return(
        lease=lease, deductions=[("钥匙未还", 15_000)], settle_rent=False, method="cash", actor=cashier
    )
    assert (entry.deducted_fen, entry.returned_fen, entry.method) == (15_000, 585_000, "cash")
    assert balance_fen(account=Account.CASH) == cash_before - 585_000
    rent.refresh_from_db()
    assert rent.paid_fen == 0  # not asked to settle the rent
    assert balance_fen(account=Account.DEPOSITS, household_id=lease.household_id) == 0
    assert ledger_check(community=community) == []


def test_closing_moves_the_tenant_out_unbinds_the_shop_and_ends_the_tag(
    community, shop, cashier, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    start = add_months(this_month(), -6)
    with django_capture_on_commit_callbacks(execute=True):
        lease = sign_shop(
            community,
            shop,
            cashier,
            starts_on=start,
            ends_on=add_months(start, 24) - datetime.timedelta(days=1),
            today=start,
        )
    assert HouseholdTag.objects.filter(household=lease.household, tag__rule="tenant").exists()
    with pytest.raises(RentalError):  # not before the room is handed back
        lease_close(lease=lease, closed_on=today + datetime.timedelta(days=1), actor=cashier)
    with django_capture_on_commit_callbacks(execute=True):
        lease_close(lease=lease, closed_on=today, reason="经营不善", actor=cashier)
    lease.refresh_from_db()
    assert (lease.state, lease.closed_on) == (LeaseState.TERMINATED, today)
    assert Person.objects.get(pk=lease.tenant_id).moved_out_on == today
    assert not HouseholdRoom.objects.filter(room=shop).exists()
    shop.refresh_from_db()
    assert shop.state == RoomState.VACANT
    assert not HouseholdTag.objects.filter(household=lease.household, tag__rule="tenant").exists()
    # No rent after the lease closed: the quarter billed at signing is all there is.
    call_command("rental_daily", today=str(add_months(today, 3)), stdout=io.StringIO())
    assert rent_lines(lease).count() == 1
    assert AuditLog.objects.filter(action="rental.lease.closed", household_id=lease.household_id).count() == 1
    with pytest.raises(RentalError):
        lease_close(lease=lease, closed_on=today, actor=cashier)


def test_an_owner_lets_a_flat_the_tenant_joins_the_household_and_nothing_is_billed(
    community, cashier, django_capture_on_commit_callbacks
):
    link = HouseholdRoomFactory(household__community=community)
    PersonFactory(household=link.household, name="业主王", kind=PersonKind.OWNER)
    with django_capture_on_commit_callbacks(execute=True):
        lease = lease_sign(
            community=community,
            room=link.room,
            number="ZL-2",
            tenant_name="租客赵",
            tenant_phone="13900002222",
            starts_on=this_month(),
            ends_on=add_months(this_month(), 12) - datetime.timedelta(days=1),
            rent_fen=250_000,
            deposit_fen=250_000,
            actor=cashier,
        )
    assert (lease.landlord_id, lease.household_id, lease.bills_rent) == (
        link.household_id,
        link.household_id,
        False,
    )
    assert lease.tenant.household_id == link.household_id and lease.tenant.kind == PersonKind.TENANT
    assert not rent_lines(lease).exists()
    assert HouseholdTag.objects.filter(household=link.household, tag__rule="tenant").exists()
    with pytest.raises(RentalError):  # the owner holds an owner's tenant's deposit, not the office
        deposit_receive(lease=lease, amount_fen=100, method="cash", key="x", actor=cashier)
    assert not LedgerTransaction.objects.filter(kind=TransactionKind.DEPOSIT).exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ends_on": D(2028, 11, 29)}, "whole months"),
        ({"rent_fen": 0}, "rent"),
        ({"deposit_fen": -1}, "deposit"),
        ({"tenant_name": "  "}, "tenant"),
        ({"escalation_value": 20_000}, "100%"),
        ({"number": ""}, "number"),
    ],
)
def test_a_bad_lease_is_refused_and_nothing_is_written(community, shop, cashier, overrides, message):
    with pytest.raises(RentalError):
        sign_shop(community, shop, cashier, **overrides)
    assert not Lease.objects.exists() and not Bill.objects.exists()
    assert not HouseholdRoom.objects.filter(room=shop).exists()
    assert not Person.objects.exists()


def test_a_room_under_a_lease_in_force_is_not_let_twice(community, shop, cashier):
    sign_shop(community, shop, cashier)
    with pytest.raises(RentalError, match=r"lease in force|生效中的租约"):
        sign_shop(community, shop, cashier, number="ZL-OTHER")
    assert Lease.objects.count() == 1
    with pytest.raises(RentalError):
        listing_create(community=community, room=shop, rent_fen=1, deposit_fen=0, actor=cashier)


def test_the_expiring_lease_reminder_goes_once_to_the_tenant(
    community, shop, cashier, django_capture_on_commit_callbacks
):
    lease = sign_shop(
        community, shop, cashier, starts_on=D(2026, 1, 1), ends_on=D(2026, 12, 31), today=D(2026, 1, 1)
    )
    assert leases_remind(today=D(2026, 11, 30)) == 0  # 31 days before
    with django_capture_on_commit_callbacks(execute=False):
        assert leases_remind(today=D(2026, 12, 1)) == 1
        assert leases_remind(today=D(2026, 12, 2)) == 0
    messages = Message.objects.filter(event="rental.lease.expiring")
    assert {m.person_id for m in messages} == {lease.tenant_id}
    assert "ZL-2026-001" in messages.first().body and "2026-12-31" in messages.first().body
    lease.refresh_from_db()
    assert lease.reminded_at is not None


def test_a_resident_renting_a_storeroom_is_the_tenant_and_stays_when_the_lease_closes(
    community, cashier, django_capture_on_commit_callbacks
):
    home = HouseholdRoomFactory(household__community=community)
    resident = PersonFactory(household=home.household, name="周先生", kind=PersonKind.OWNER)
    store = RoomFactory(community=community, unit__building__community=community, use=RoomUse.STORAGE)
    start = add_months(this_month(), -3)
    lease = lease_sign(
        community=community,
        room=store,
        number="ZL-9",
        tenant_name="周先生",
        tenant_household=home.household,
        starts_on=start,
        ends_on=add_months(start, 3) - datetime.timedelta(days=1),
        rent_fen=20_000,
        actor=cashier,
    )
    assert (lease.tenant_id, lease.tenant_joined, lease.household_id) == (
        resident.pk,
        False,
        home.household_id,
    )
    assert set(HouseholdRoom.objects.filter(household=home.household).values_list("room_id", flat=True)) == {
        home.room_id,
        store.pk,
    }
    assert [line.amount_fen for line in rent_lines(lease)] == [20_000] * 3
    with django_capture_on_commit_callbacks(execute=True):
        lease_close(lease=lease, closed_on=lease.ends_on, actor=cashier)
    resident.refresh_from_db()
    assert resident.moved_out_on is None
    assert set(HouseholdRoom.objects.filter(household=home.household).values_list("room_id", flat=True)) == {
        home.room_id
    }
    assert Person.objects.filter(household=home.household).count() == 1


def test_a_parking_space_let_by_the_company_is_the_tenants_for_the_term(
    community, cashier, django_capture_on_commit_callbacks
):
    from wuye.parking.models import ParkingArea, ParkingSpace

    home = HouseholdRoomFactory(household__community=community)
    PersonFactory(household=home.household, name="吴女士", kind=PersonKind.OWNER)
    room = RoomFactory(community=community, unit__building__community=community, use=RoomUse.PARKING)
    area = ParkingArea.objects.create(community=community, name="地库")
    space = ParkingSpace.objects.create(community=community, area=area, number="P-8", room=room)
    start = add_months(this_month(), -1)
    lease = lease_sign(
        community=community,
        room=room,
        number="ZL-P8",
        tenant_name="吴女士",
        tenant_household=home.household,
        starts_on=start,
        ends_on=add_months(start, 12) - datetime.timedelta(days=1),
        rent_fen=30_000,
        actor=cashier,
    )
    space.refresh_from_db()
    assert (space.household_id, space.starts_on, space.ends_on) == (
        home.household_id,
        lease.starts_on,
        lease.ends_on,
    )
    with django_capture_on_commit_callbacks(execute=True):
        lease_close(lease=lease, closed_on=timezone.localdate(), actor=cashier)
    space.refresh_from_db()
    assert (space.household_id, space.starts_on) == (None, None)


def test_rent_billed_ahead_for_months_after_an_early_end_is_taken_off_the_bill(community, shop, cashier):
    today = timezone.localdate()
    start = add_months(this_month(), -2)
    # Billed half-yearly: the first half-year, which runs past today, is on the bill.
    lease = sign_shop(
        community,
        shop,
        cashier,
        starts_on=start,
        ends_on=add_months(start, 24) - datetime.timedelta(days=1),
        cycle=6,
        escalation=Escalation.NONE,
        escalation_value=0,
        today=start,
    )
    call_command(
        "rental_daily", today=str(add_months(start, 6) - datetime.timedelta(days=5)), stdout=io.StringIO()
    )
    first, second = rent_lines(lease).order_by("pk")
    assert (first.amount_fen, second.amount_fen) == (
        1_800_000,
        1_800_000,
    )  # the second half-year, billed ahead
    lease_close(lease=lease, closed_on=today, reason="提前退租", actor=cashier)
    first.refresh_from_db()
    second.refresh_from_db()
    # The half-year under way stays billed; the one that had not started comes off the bill.
    assert (first.amount_fen + first.adjusted_fen, second.amount_fen + second.adjusted_fen) == (1_800_000, 0)
    assert balance_fen(account=Account.RECEIVABLE, household_id=lease.household_id) == 1_800_000
    assert ledger_check(community=community) == []


def test_a_renewal_runs_the_term_on_with_the_increase_and_a_new_reminder(community, shop, cashier):
    from wuye.rental.domain.leases import lease_extend

    lease = sign_shop(
        community, shop, cashier, starts_on=D(2026, 1, 1), ends_on=D(2026, 12, 31), today=D(2026, 1, 1)
    )
    assert leases_remind(today=D(2026, 12, 1)) == 1
    lease_extend(lease=lease, ends_on=D(2027, 12, 31), actor=cashier)
    lease.refresh_from_db()
    assert (lease.ends_on, lease.reminded_at) == (D(2027, 12, 31), None)
    call_command("rental_daily", today="2027-10-01", stdout=io.StringIO())
    # Quarterly, +5% from the second year: four quarters at 9,000 yuan, then four at 9,450 (October: ahead).
    assert [line.amount_fen for line in rent_lines(lease).order_by("pk")] == [900_000] * 4 + [945_000] * 4
    assert leases_remind(today=D(2027, 12, 1)) == 1
    for bad in (D(2027, 12, 31), D(2028, 3, 15)):  # not later; not whole months
        with pytest.raises(RentalError):
            lease_extend(lease=lease, ends_on=bad, actor=cashier)
    lease.refresh_from_db()
    assert lease.ends_on == D(2027, 12, 31)
    assert ledger_check(community=community) == []


def test_a_lease_whose_last_bill_was_short_is_not_renewed(community, shop, cashier):
    from wuye.rental.domain.leases import lease_extend

    lease = sign_shop(
        community, shop, cashier, starts_on=D(2026, 1, 1), ends_on=D(2026, 2, 28), today=D(2026, 1, 1)
    )
    with pytest.raises(RentalError):  # two months billed quarterly: its one bill was short
        lease_extend(lease=lease, ends_on=D(2026, 12, 31), actor=cashier)
    lease.refresh_from_db()
    assert lease.ends_on == D(2026, 2, 28)
