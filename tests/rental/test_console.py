"""Rental in the console: list a room, sign a lease from it, see its schedule and bills, take the deposit
(receipt), close the lease, return the deposit with a deduction; who may do what; bad input refused."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import CommunityFactory, RoomFactory, staff
from wuye.core.enums import Role
from wuye.estate.enums import RoomUse
from wuye.payments.domain.checks import ledger_check
from wuye.payments.enums import ReceiptKind
from wuye.payments.models import Receipt
from wuye.rental.domain.schedule import add_months
from wuye.rental.enums import DepositEntryKind, LeaseState, ListingState
from wuye.rental.models import DepositEntry, Lease, Listing

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(community):
    return RoomFactory(community=community, unit__building__community=community, use=RoomUse.SHOP)


def lease_post(shop, **overrides):
    start = timezone.localdate().replace(day=1)
    end = (start.replace(year=start.year + 1)) - datetime.timedelta(days=1)
    data = {
        "room": str(shop),
        "number": "ZL-001",
        "tenant_name": "好邻居便利店",
        "tenant_phone": "13800001111",
        "starts_on": start.isoformat(),
        "ends_on": end.isoformat(),
        "rent": "4,500",
        "cycle": "3",
        "escalation": "percent",
        "escalation_percent": "3",
        "deposit": "9000",
    }
    data.update(overrides)
    return data


def test_a_room_is_listed_then_leased_from_its_listing(admin_client, community, shop):
    response = admin_client.post(
        reverse("console:rental_listing_new"),
        {"room": str(shop), "rent": "4500", "deposit": "9000", "description": "临街"},
    )
    assert response.status_code == 302
    listing = Listing.objects.get()
    assert (listing.rent_fen, listing.deposit_fen, listing.landlord_id, listing.state) == (
        450_000,
        900_000,
        None,
        ListingState.OPEN,
    )
    page = admin_client.get(reverse("console:rental_lease_new") + f"?listing={listing.pk}")
    assert page.status_code == 200 and "4500.00" in page.content.decode()
    response = admin_client.post(
        reverse("console:rental_lease_new"), {**lease_post(shop), "listing": listing.pk}
    )
    lease = Lease.objects.get()
    assert response.status_code == 302 and response.url == reverse("console:rental_lease", args=[lease.pk])
    assert (lease.rent_fen, lease.cycle, lease.escalation_value, lease.deposit_fen) == (
        450_000,
        3,
        300,
        900_000,
    )
    listing.refresh_from_db()
    assert listing.state == ListingState.LEASED
    page = admin_client.get(reverse("console:rental_lease", args=[lease.pk])).content.decode()
    assert "ZL-001" in page and "13,500.00" in page  # each quarter: 3 × 4,500
    assert admin_client.get(reverse("console:rental_leases")).status_code == 200
    assert "ZL-001" in admin_client.get(reverse("console:rental_leases") + "?q=ZL").content.decode()


def test_a_broken_term_is_refused_with_its_reason_and_nothing_is_written(admin_client, community, shop):
    data = lease_post(
        shop, ends_on=(timezone.localdate().replace(day=1) + datetime.timedelta(days=40)).isoformat()
    )
    response = admin_client.post(reverse("console:rental_lease_new"), data)
    assert response.status_code == 200
    assert "whole months" in response.content.decode() or "整月" in response.content.decode()
    assert not Lease.objects.exists()
    response = admin_client.post(reverse("console:rental_lease_new"), lease_post(shop, room="9-9-999"))
    assert response.status_code == 200 and not Lease.objects.exists()


def test_the_deposit_is_taken_then_returned_with_a_deduction_after_closing(admin_client, community, shop):
    month = timezone.localdate().replace(day=1)
    start = add_months(month, -12)
    admin_client.post(
        reverse("console:rental_lease_new"),
        lease_post(
            shop, starts_on=start.isoformat(), ends_on=(month - datetime.timedelta(days=1)).isoformat()
        ),
    )
    lease = Lease.objects.get()
    form = admin_client.get(reverse("console:rental_deposit", args=[lease.pk]))
    key = form.context["form"].initial["key"]
    data = {"amount": "9000", "method": "cash", "key": key}
    assert admin_client.post(reverse("console:rental_deposit", args=[lease.pk]), data).status_code == 302
    assert (
        admin_client.post(reverse("console:rental_deposit", args=[lease.pk]), data).status_code == 302
    )  # resubmitted
    assert Receipt.objects.filter(kind=ReceiptKind.DEPOSIT).count() == 1
    response = admin_client.post(
        reverse("console:rental_lease_close", args=[lease.pk]),
        {"closed_on": lease.ends_on.isoformat(), "reason": "到期"},
    )
    assert response.status_code == 302
    lease.refresh_from_db()
    assert lease.state == LeaseState.ENDED
    response = admin_client.post(
        reverse("console:rental_deposit_return", args=[lease.pk]),
        {"what_1": "门锁更换", "amount_1": "350", "method": "transfer"},
    )
    assert response.status_code == 302
    entry = DepositEntry.objects.get(kind=DepositEntryKind.RETURNED)
    assert (entry.amount_fen, entry.deducted_fen, entry.returned_fen, entry.method) == (
        900_000,
        35_000,
        865_000,
        "transfer",
    )
    assert ledger_check(community=community) == []
    page = admin_client.get(reverse("console:rental_lease", args=[lease.pk])).content.decode()
    assert "8,650.00" in page


def test_a_deduction_without_its_reason_is_refused(admin_client, community, shop):
    admin_client.post(reverse("console:rental_lease_new"), lease_post(shop))
    lease = Lease.objects.get()
    response = admin_client.post(
        reverse("console:rental_deposit_return", args=[lease.pk]), {"amount_1": "350", "method": "cash"}
    )
    assert response.status_code == 200 and not DepositEntry.objects.exists()


def test_a_cashier_takes_deposits_but_signs_no_lease_and_a_technician_sees_no_rental(client, community, shop):
    cashier = staff(community, Role.CASHIER)
    client.force_login(cashier)
    assert client.get(reverse("console:rental_leases")).status_code == 200
    assert client.post(reverse("console:rental_lease_new"), lease_post(shop)).status_code in (403, 404)
    assert not Lease.objects.exists()
    client.force_login(staff(community, Role.TECHNICIAN))
    assert client.get(reverse("console:rental_leases")).status_code in (403, 404)


def test_another_communitys_lease_answers_404(admin_client, community, shop):
    admin_client.post(reverse("console:rental_lease_new"), lease_post(shop))
    lease = Lease.objects.get()
    other = CommunityFactory()
    outsider = staff(other, Role.ADMINISTRATOR)
    admin_client.force_login(outsider)
    assert admin_client.get(reverse("console:rental_lease", args=[lease.pk])).status_code == 404
    assert (
        admin_client.post(
            reverse("console:rental_lease_close", args=[lease.pk]), {"closed_on": "2030-01-01"}
        ).status_code
        == 404
    )
    assert Lease.objects.get().state == LeaseState.ACTIVE


def test_the_household_page_lists_its_leases_with_the_deposit_held(admin_client, community, shop):
    admin_client.post(reverse("console:rental_lease_new"), lease_post(shop))
    lease = Lease.objects.get()
    page = admin_client.get(reverse("console:household", args=[lease.household_id])).content.decode()
    assert 'id="rental-section"' in page and "ZL-001" in page and "¥0.00" in page
    client_view = staff(community, Role.TECHNICIAN)  # no rental.view: no section
    admin_client.force_login(client_view)
    page = admin_client.get(reverse("console:household", args=[lease.household_id])).content.decode()
    assert 'id="rental-section"' not in page


def test_a_lease_is_renewed_from_its_page(admin_client, community, shop):
    admin_client.post(reverse("console:rental_lease_new"), lease_post(shop))
    lease = Lease.objects.get()
    new_end = add_months(lease.ends_on + datetime.timedelta(days=1), 12) - datetime.timedelta(days=1)
    page = admin_client.get(reverse("console:rental_lease", args=[lease.pk])).content.decode()
    assert new_end.isoformat() in page  # the form proposes a year more
    response = admin_client.post(
        reverse("console:rental_lease_renew", args=[lease.pk]), {"ends_on": new_end.isoformat()}
    )
    assert response.status_code == 302
    lease.refresh_from_db()
    assert lease.ends_on == new_end
    response = admin_client.post(
        reverse("console:rental_lease_renew", args=[lease.pk]), {"ends_on": "2000-01-31"}
    )
    lease.refresh_from_db()
    assert lease.ends_on == new_end
