"""The owner portal's rental pages (我的租赁): the tenant household sees its lease with the rent schedule
(the yearly increase, which periods are billed and paid) and the deposit held; an owner offers one of
the household's rooms and withdraws the offer; another household's room or listing is refused with
nothing written; the landlord sees its tenant's name masked; a tenant in an owner's household neither
offers nor withdraws the owner's rooms."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from tests.factories import HouseholdRoomFactory, PersonFactory, RoomFactory, staff
from tests.owners.factories import HouseholdBindingFactory
from tests.portal.conftest import log_in
from wuye.billing.models import BillLine
from wuye.core.enums import Role
from wuye.core.models import AuditLog
from wuye.estate.enums import RoomUse
from wuye.payments.domain.payments import counter_payment_take
from wuye.rental.domain.billing import rent_source
from wuye.rental.domain.deposits import deposit_receive
from wuye.rental.domain.leases import landlord_label, lease_sign, listing_create
from wuye.rental.enums import Escalation, ListingState
from wuye.rental.models import Lease, Listing

pytestmark = pytest.mark.django_db
D = datetime.date
# 2 December 2026, in the property office's day: the first quarter of the shop's lease is billed.
TODAY = datetime.datetime(2026, 12, 2, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture
def cashier(community):
    return staff(community, Role.ADMINISTRATOR)


@pytest.fixture
def shop_lease(community, household, cashier):
    """The company lets shop S01 to the owner's household: 3,000 yuan a month the first year, +5% a
    year, billed quarterly from 1 December 2026 for two years; 6,000 yuan deposit, all received."""
    shop = RoomFactory(
        community=community, unit__building__community=community, use=RoomUse.SHOP, number="S01"
    )
    lease = lease_sign(
        community=community,
        room=shop,
        number="ZL-2026-001",
        tenant_name="王大明",
        tenant_household=household,
        starts_on=D(2026, 12, 1),
        ends_on=D(2028, 11, 30),
        rent_fen=300_000,
        cycle=3,
        escalation=Escalation.PERCENT,
        escalation_value=500,
        deposit_fen=600_000,
        actor=cashier,
        today=D(2026, 11, 25),
    )
    deposit_receive(lease=lease, amount_fen=600_000, method="card", key="d" * 24, actor=cashier)
    return lease


def section(html: str, element_id: str) -> str:
    start = html.index(f'id="{element_id}"')
    end = html.find("</section>", start)
    return html[start:end]


def period(html: str, number: int) -> str:
    match = re.search(
        rf'<li class="period[^"]*" data-number="{number}" data-status="(\w*)">(.*?)</li>', html, re.S
    )
    assert match, f"period {number} not shown"
    return match.group(1), " ".join(match.group(2).split())


def get_on(client, owner, moment: datetime.datetime, url: str):
    """GET ``url`` on ``moment``, logged in then (a session from another day may have expired)."""
    with time_machine.travel(moment, tick=False):
        return log_in(client, owner.account).get(url)


def test_the_tenant_household_sees_its_lease_schedule_and_deposit(client, owner, shop_lease):
    response = get_on(client, owner, TODAY, reverse("portal:rental"))

    assert response.status_code == 200
    card = section(response.content.decode(), f"lease-{shop_lease.pk}")
    assert "ZL-2026-001" in card and "S01" in card
    with translation.override("zh-hans"):
        assert landlord_label(None) in card
    assert "2026-12-01 – 2028-11-30" in card
    assert '<dd class="current-rent">¥3,000.00</dd>' in card
    assert '<dd class="deposit-agreed">¥6,000.00</dd>' in card
    assert '<dd class="deposit-held">¥6,000.00</dd>' in card
    # Eight quarters; the second year's at 3,150.00 a month (3,000 + 5%); only the first is billed.
    assert card.count('class="period') == 8
    status, text = period(card, 1)
    assert status == "billed" and "2026-12-01 – 2027-02-28" in text and "¥9,000.00" in text
    assert "× ¥3,000.00" in text
    status, text = period(card, 5)
    assert status == "due" and "2027-12-01 – 2028-02-29" in text and "¥9,450.00" in text
    assert "¥3,150.00" in text
    status, text = period(card, 8)
    assert status == "due" and "2028-09-01 – 2028-11-30" in text and "¥9,450.00" in text
    html = response.content.decode()
    assert reverse("portal:pay_mine") in html and reverse("portal:bills") in html


def test_a_paid_period_is_marked_paid_and_the_pay_link_goes(client, owner, household, shop_lease, cashier):
    line = BillLine.objects.get(source=rent_source(shop_lease, 1))
    counter_payment_take(household=household, line_ids=[line.pk], method="card", key="p" * 24, actor=cashier)

    html = get_on(client, owner, TODAY, reverse("portal:rental")).content.decode()

    assert period(section(html, f"lease-{shop_lease.pk}"), 1)[0] == "paid"
    assert 'id="rental-pay"' not in html


def test_in_the_second_year_the_rent_now_is_the_increased_one(client, owner, shop_lease):
    second_year = datetime.datetime(2027, 12, 15, 10, tzinfo=datetime.UTC)
    html = get_on(client, owner, second_year, reverse("portal:rental")).content.decode()

    assert '<dd class="current-rent">¥3,150.00</dd>' in section(html, f"lease-{shop_lease.pk}")


def test_without_leases_or_listings_the_page_says_so(owner_client):
    html = owner_client.get(reverse("portal:rental")).content.decode()

    assert 'id="no-tenant-leases"' in html and 'id="no-listings"' in html and 'id="no-let-leases"' in html
    assert reverse("portal:rental_offer") in html


def test_the_me_page_links_to_the_rental_page(owner_client):
    html = owner_client.get(reverse("portal:profile")).content.decode()

    assert f'id="profile-rental" href="{reverse("portal:rental")}"' in html


def test_an_owner_offers_a_room_of_the_household(owner_client, household):
    room = household.room_links.get().room

    response = owner_client.post(
        reverse("portal:rental_offer"),
        {"room": room.pk, "rent": "2,500.50", "deposit": "5000", "description": " 南北通透  精装 "},
    )

    assert response.status_code == 302 and response["Location"] == reverse("portal:rental")
    listing = Listing.objects.get()
    assert (listing.room_id, listing.landlord_id, listing.community_id) == (
        room.pk,
        household.pk,
        household.community_id,
    )
    assert (listing.rent_fen, listing.deposit_fen, listing.description) == (250_050, 500_000, "南北通透 精装")
    assert (listing.state, listing.created_by_id) == (ListingState.OPEN, None)
    assert AuditLog.objects.filter(action="rental.listing.created", object_pk=listing.pk).exists()
    html = owner_client.get(reverse("portal:rental")).content.decode()
    assert f'id="listing-{listing.pk}" data-state="open"' in html and "¥2,500.50" in html
    assert reverse("portal:rental_withdraw", args=[listing.pk]) in html


def test_the_deposit_may_be_left_empty(owner_client, household):
    room = household.room_links.get().room

    owner_client.post(reverse("portal:rental_offer"), {"room": room.pk, "rent": "1800"})

    assert Listing.objects.values_list("rent_fen", "deposit_fen").get() == (180_000, 0)


def test_a_room_of_another_household_is_refused_and_nothing_is_written(owner_client, household):
    neighbour_room = HouseholdRoomFactory(household__community=household.community).room

    response = owner_client.post(
        reverse("portal:rental_offer"), {"room": neighbour_room.pk, "rent": "2500", "deposit": "0"}
    )

    assert response.status_code == 200
    assert "room" in response.context["form"].errors
    assert Listing.objects.count() == 0 and not AuditLog.objects.filter(action__startswith="rental.").exists()


def test_the_room_the_company_lets_to_the_household_is_not_offered(owner_client, shop_lease):
    response = owner_client.post(reverse("portal:rental_offer"), {"room": shop_lease.room_id, "rent": "2500"})

    assert response.status_code == 200 and "room" in response.context["form"].errors
    assert Listing.objects.count() == 0


@pytest.mark.parametrize(
    ("rent", "deposit"),
    [("", "0"), ("0", "0"), ("12.345", "0"), ("abc", "0"), ("100", "-5"), ("2000000", "0")],
)
def test_a_bad_amount_is_a_form_error(owner_client, household, rent, deposit):
    room = household.room_links.get().room

    response = owner_client.post(
        reverse("portal:rental_offer"), {"room": room.pk, "rent": rent, "deposit": deposit}
    )

    assert response.status_code == 200 and not response.context["form"].is_valid()
    assert Listing.objects.count() == 0


def test_a_refusal_of_the_domain_shows_on_the_form(owner_client, household):
    room = household.room_links.get().room
    listing_create(community=household.community, room=room, rent_fen=100_000, deposit_fen=0, actor=None)

    response = owner_client.post(reverse("portal:rental_offer"), {"room": room.pk, "rent": "2500"})

    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert len(errors) == 1 and str(room) in errors[0]
    assert f'<p class="error">{errors[0]}</p>' in response.content.decode()
    assert Listing.objects.count() == 1


def test_the_owner_withdraws_an_open_listing(owner_client, household):
    room = household.room_links.get().room
    listing = listing_create(
        community=household.community, room=room, rent_fen=100_000, deposit_fen=0, actor=None
    )

    response = owner_client.post(reverse("portal:rental_withdraw", args=[listing.pk]), follow=True)

    assert response.redirect_chain == [(reverse("portal:rental"), 302)]
    assert [m.level_tag for m in response.context["messages"]] == ["success"]
    assert f'id="listing-{listing.pk}" data-state="withdrawn"' in response.content.decode()
    listing.refresh_from_db()
    assert listing.state == ListingState.WITHDRAWN
    assert owner_client.get(reverse("portal:rental_withdraw", args=[listing.pk])).status_code == 405
    # A second time: refused by the domain, said in a message, nothing changes.
    again = owner_client.post(reverse("portal:rental_withdraw", args=[listing.pk]), follow=True)
    assert [m.level_tag for m in again.context["messages"]] == ["error"]
    assert AuditLog.objects.filter(action="rental.listing.withdrawn").count() == 1


def test_another_households_listing_answers_404(owner_client, household):
    neighbour_room = HouseholdRoomFactory(household__community=household.community).room
    listing = listing_create(
        community=household.community, room=neighbour_room, rent_fen=100_000, deposit_fen=0, actor=None
    )

    response = owner_client.post(reverse("portal:rental_withdraw", args=[listing.pk]))

    assert response.status_code == 404
    listing.refresh_from_db()
    assert listing.state == ListingState.OPEN
    assert f'id="listing-{listing.pk}"' not in owner_client.get(reverse("portal:rental")).content.decode()


@pytest.fixture
def owner_lease(community, household, cashier):
    """The owner lets their own flat to 张三丰 (who joins the household as a tenant)."""
    return lease_sign(
        community=community,
        room=household.room_links.get().room,
        number="ZL-2026-009",
        tenant_name="张三丰",
        tenant_phone="13800002222",
        starts_on=D(2026, 12, 1),
        ends_on=D(2027, 11, 30),
        rent_fen=250_000,
        deposit_fen=500_000,
        actor=cashier,
    )


def test_the_landlord_sees_the_tenants_name_masked(owner_client, owner_lease):
    html = owner_client.get(reverse("portal:rental")).content.decode()

    row = html[html.index(f'id="let-lease-{owner_lease.pk}"') :]
    row = row[: row.index("</li>")]
    assert "张**" in row and "2026-12-01 – 2027-11-30" in row
    assert "张三丰" not in html and "13800002222" not in html
    # The owner's own letting is not shown as a lease the household rents under.
    assert f'id="lease-{owner_lease.pk}"' not in html and 'id="no-tenant-leases"' in html


def test_the_owners_tenant_sees_the_lease_but_cannot_let_the_owners_rooms(client, household, owner_lease):
    tenant = owner_lease.tenant
    binding = HouseholdBindingFactory(person=tenant)
    log_in(client, binding.account)
    storage = HouseholdRoomFactory(household=household).room
    listing = listing_create(
        community=household.community, room=storage, rent_fen=100_000, deposit_fen=0, actor=None
    )
    assert listing.landlord_id == household.pk

    html = client.get(reverse("portal:rental")).content.decode()

    card = section(html, f"lease-{owner_lease.pk}")
    assert "ZL-2026-009" in card and 'data-status=""' in card and 'class="deposit-held"' not in card
    assert household.name in card  # the landlord
    assert 'id="listings"' not in html and reverse("portal:rental_offer") not in html
    assert client.get(reverse("portal:rental_offer")).status_code == 404
    assert client.post(reverse("portal:rental_withdraw", args=[listing.pk])).status_code == 404
    assert Listing.objects.get(pk=listing.pk).state == ListingState.OPEN


def test_a_lease_of_another_household_is_not_shown(owner_client, community, cashier):
    other = HouseholdRoomFactory(household__community=community).household
    PersonFactory(household=other)
    shop = RoomFactory(community=community, unit__building__community=community, number="S09")
    lease = lease_sign(
        community=community,
        room=shop,
        number="ZL-2026-077",
        tenant_name="赵六",
        tenant_household=other,
        starts_on=D(2026, 12, 1),
        ends_on=D(2027, 11, 30),
        rent_fen=100_000,
        actor=cashier,
        today=D(2026, 11, 1),
    )

    html = owner_client.get(reverse("portal:rental")).content.decode()

    assert f'id="lease-{lease.pk}"' not in html and "ZL-2026-077" not in html
    assert Lease.objects.count() == 1


@pytest.mark.parametrize("name", ["portal:rental", "portal:rental_offer"])
def test_an_anonymous_visitor_is_sent_to_log_in(client, name):
    response = client.get(reverse(name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))


def test_an_anonymous_withdraw_is_sent_to_log_in_and_changes_nothing(client, household):
    listing = listing_create(
        community=household.community,
        room=household.room_links.get().room,
        rent_fen=100_000,
        deposit_fen=0,
        actor=None,
    )

    response = client.post(reverse("portal:rental_withdraw", args=[listing.pk]))

    assert response.status_code == 302 and response["Location"].startswith(reverse("portal:login"))
    assert Listing.objects.get().state == ListingState.OPEN


def test_the_owner_api_gives_the_lease_with_its_schedule(client, owner, shop_lease):
    from wuye.owners.domain.accounts import owner_token_issue

    key = owner_token_issue(account=owner.account)[1]
    response = client.get(
        f"/api/v1/owner/households/{owner.household.pk}/rental/leases",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 200
    [lease] = response.json()
    assert (lease["number"], lease["landlord"], lease["deposit_fen"], lease["deposit_held_fen"]) == (
        "ZL-2026-001",
        str(landlord_label(None)),
        600_000,
        600_000,
    )
    assert [(row["number"], row["amount_fen"]) for row in lease["schedule"]] == [
        (1, 900_000),
        (2, 900_000),
        (3, 900_000),
        (4, 900_000),
        (5, 945_000),
        (6, 945_000),
        (7, 945_000),
        (8, 945_000),
    ]
    assert (lease["schedule"][0]["status"], lease["schedule"][1]["status"], lease["owed_fen"]) == (
        "billed",
        "due",
        900_000,
    )
    other = client.get(
        "/api/v1/owner/households/999999/rental/leases", headers={"Authorization": f"Bearer {key}"}
    )
    assert other.status_code == 404
