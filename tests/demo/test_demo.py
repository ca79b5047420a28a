"""``wuye demo``: size and realism of the plan, idempotence, tenancy of every row, logins, 空置."""

import datetime
from collections import Counter
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import F
from django.utils import timezone

from wuye.billing.domain.arrears import overdue_household_pks, overdue_lines
from wuye.core.models import AuditLog, Community, Company, StaffRole
from wuye.debit.domain.batches import batch_build
from wuye.debit.enums import MandateState, ReferralState
from wuye.debit.models import (
    BankBranch,
    CardReferral,
    DebitBatch,
    DebitLine,
    DebitSettings,
    Mandate,
    ResultFile,
)
from wuye.demo import billing as demo_billing
from wuye.demo import history as demo_history
from wuye.demo import notices as demo_notices
from wuye.demo import seed as demo
from wuye.demo import service as demo_service
from wuye.estate.enums import RoomState, RoomUse
from wuye.estate.models import Building, Room, Unit
from wuye.households.enums import PersonKind
from wuye.households.models import (
    EmergencyContact,
    Household,
    HouseholdRoom,
    HouseholdTag,
    Person,
    Tag,
    TagGroup,
    Vehicle,
)
from wuye.households.validators import ID_NUMBER, MOBILE, validate_id_number, validate_plate
from wuye.ledger.models import LedgerTransaction
from wuye.notices.models import Activity, Notice
from wuye.owners.models import HouseholdBinding
from wuye.payments.domain.checks import ledger_check
from wuye.payments.models import PaymentAttempt

SMALL = 0.05
MODELS = (
    Company,
    Community,
    Building,
    Unit,
    Room,
    Household,
    HouseholdRoom,
    Person,
    Vehicle,
    EmergencyContact,
    TagGroup,
    Tag,
    HouseholdTag,
    StaffRole,
    AuditLog,
    DebitSettings,
    BankBranch,
    Mandate,
    DebitBatch,
    DebitLine,
    CardReferral,
    get_user_model(),
)


def run_demo(*args) -> str:
    out = StringIO()
    call_command("demo", *args, "--i-know-this-is-not-production", stdout=out)  # tests run without debug
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


# --- the plan, without the database ------------------------------------------------------------


@pytest.fixture(scope="module")
def full_plan():
    return demo.plan_demo()


def test_full_plan_has_over_3000_rooms_in_several_buildings(full_plan):
    assert sum(len(p.rooms) for p in full_plan) >= 3000
    for p in full_plan:
        assert len({r.building for r in p.rooms}) >= 8
        assert {r.use for r in p.rooms} >= {RoomUse.RESIDENTIAL, RoomUse.SHOP}
        assert {r.use for r in p.rooms} & {RoomUse.PARKING, RoomUse.STORAGE}
        assert all(r.floor == 1 for r in p.rooms if r.use == RoomUse.SHOP)
        numbers = Counter((r.building, r.unit, r.number) for r in p.rooms)
        assert max(numbers.values()) == 1


def test_full_plan_areas_are_realistic(full_plan):
    for p in full_plan:
        for room in p.rooms:
            assert room.built_area.as_tuple().exponent == -2
            assert room.inner_area.as_tuple().exponent == -2
            assert Decimal("0.775") <= room.inner_area / room.built_area <= Decimal("0.855")
            if room.use == RoomUse.RESIDENTIAL:
                assert Decimal(60) <= room.built_area <= Decimal(160)


def test_full_plan_states_and_occupancy(full_plan):
    for p in full_plan:
        states = Counter(r.state for r in p.rooms if r.use == RoomUse.RESIDENTIAL)
        total = sum(states.values())
        assert states[RoomState.SELF_OCCUPIED] > total / 2
        assert states[RoomState.SELF_OCCUPIED] > states[RoomState.RENTED] > states[RoomState.DECORATING] > 0
        assert states[RoomState.VACANT] > states[RoomState.DECORATING]
        held = [index for h in p.households for index in h.rooms]
        assert len(held) == len(set(held))  # a room belongs to one household at most
        assert 0.85 <= len(held) / len(p.rooms) <= 0.92
        two_rooms = [h for h in p.households if len(h.rooms) == 2]
        assert 0 < len(two_rooms) < len(p.households) / 10


def test_full_plan_people_are_plausible(full_plan):
    for p in full_plan:
        phones = [x.phone for h in p.households for x in h.people if x.phone]
        assert len(phones) == len(set(phones))
        assert all(MOBILE.match(phone) for phone in phones)
        plates = [plate for h in p.households for plate, _model in h.vehicles]
        assert len(plates) == len(set(plates))
        for plate in plates:
            validate_plate(plate)
        ids = [x.id_number for h in p.households for x in h.people if x.id_number]
        assert len(ids) > len(p.households) / 3
        for number in ids:
            validate_id_number(number)
            assert number[-1] == demo.id_checksum(number[:17])
        for household in p.households:
            owners = [x for x in household.people if x.kind == PersonKind.OWNER]
            assert len(owners) == 1
            assert household.name == owners[0].name
            assert owners[0].name[0] in demo.SURNAMES
            if household.has_tenants:
                assert any(p.rooms[i].state == RoomState.RENTED for i in household.rooms)
                assert "租户" in household.tags
        people = Counter(x.kind for h in p.households for x in h.people)
        assert people[PersonKind.FAMILY] > 0
        assert people[PersonKind.TENANT] > 0
        assert sum(1 for h in p.households if h.contacts) > 0


def test_id_checksum_matches_a_known_number():
    # The checksum example of GB 11643-1999.
    assert demo.id_checksum("11010519491231002") == "X"


def test_plan_is_deterministic():
    assert demo.plan_demo(scale=SMALL) == demo.plan_demo(scale=SMALL)


# --- seeding the database ----------------------------------------------------------------------


@pytest.fixture
def seeded(db):
    return run_demo("--scale", str(SMALL))


def test_second_run_duplicates_nothing_and_still_prints_the_logins(seeded):
    before = counts()
    assert before["Room"] > 0
    assert before["Household"] > 0
    output = run_demo("--scale", str(SMALL))
    assert counts() == before
    for username, *_rest in demo.LOGINS:
        assert username in seeded
        assert username in output
    assert demo.DEMO_PASSWORD in output
    assert "已存在" in output


def test_output_summarises_the_demo(seeded):
    for community in demo.COMMUNITIES:
        assert community.name in seeded
    assert demo.COMPANY in seeded
    assert "房屋" in seeded
    assert "住户" in seeded
    assert "仅供演示" in seeded


def test_logins_authenticate_with_their_role_in_both_communities(seeded):
    communities = set(Community.objects.values_list("pk", flat=True))
    assert len(communities) == 2
    for username, role, *_rest in demo.LOGINS:
        user = authenticate(username=username, password=demo.DEMO_PASSWORD)
        assert user is not None, username
        assert not user.is_superuser
        roles = set(StaffRole.objects.filter(user=user).values_list("community_id", "role"))
        assert roles == {(pk, role) for pk in communities}


def test_every_row_carries_its_parents_community(seeded):
    mismatches = {
        "unit": Unit.objects.exclude(community=F("building__community")),
        "room/building": Room.objects.exclude(community=F("building__community")),
        "room/unit": Room.objects.exclude(community=F("unit__community")),
        "household room": HouseholdRoom.objects.exclude(community=F("household__community")),
        "room of household": HouseholdRoom.objects.exclude(community=F("room__community")),
        "person": Person.objects.exclude(community=F("household__community")),
        "vehicle": Vehicle.objects.exclude(community=F("household__community")),
        "contact": EmergencyContact.objects.exclude(community=F("household__community")),
        "household tag": HouseholdTag.objects.exclude(community=F("household__community")),
        "tag of household tag": HouseholdTag.objects.exclude(community=F("tag__community")),
        "tag group": Tag.objects.filter(group__isnull=False).exclude(community=F("group__community")),
    }
    assert {name: qs.count() for name, qs in mismatches.items()} == dict.fromkeys(mismatches, 0)
    for model in (Building, Room, Household, Person, HouseholdTag):
        assert set(model.objects.values_list("community__name", flat=True)) == {
            c.name for c in demo.COMMUNITIES
        }


def test_vacant_tag_is_on_exactly_the_households_whose_rooms_are_all_vacant(seeded):
    tagged_somewhere = 0
    for community in Community.objects.all():
        states: dict[int, set[str]] = {}
        for household_id, state in HouseholdRoom.objects.filter(community=community).values_list(
            "household_id", "room__state"
        ):
            states.setdefault(household_id, set()).add(state)
        expected = {pk for pk, seen in states.items() if seen == {RoomState.VACANT}}
        tag = Tag.objects.get(community=community, rule="vacant")
        assert set(tag.household_links.values_list("household_id", flat=True)) == expected
        tagged_somewhere += len(expected)
    assert tagged_somewhere > 0


def test_manual_tags_are_applied(seeded):
    for community in Community.objects.all():
        groups = dict(TagGroup.objects.filter(community=community).values_list("name", "position"))
        assert groups == {"关怀": 1, "身份": 2, "管理": 3}
        tenant_households = set(
            Person.objects.filter(community=community, kind=PersonKind.TENANT, moved_out_on__isnull=True)
            .values_list("household_id", flat=True)
            .distinct()
        )
        tagged = set(
            HouseholdTag.objects.filter(tag__community=community, tag__name="租户").values_list(
                "household_id", flat=True
            )
        )
        assert tagged == tenant_households
        assert tagged
        assert HouseholdTag.objects.filter(tag__community=community, tag__name="业委会成员").count() == 7


def test_one_audit_entry_per_community(seeded):
    run_demo("--scale", str(SMALL))
    entries = AuditLog.objects.filter(action="demo.seeded")
    assert sorted(entries.values_list("community__name", flat=True)) == sorted(
        c.name for c in demo.COMMUNITIES
    )


def test_each_community_has_a_partner_bank_mandates_and_a_referral(seeded):
    assert BankBranch.objects.count() == 3
    for community in Community.objects.all():
        assert DebitSettings.objects.get(community=community).bank_name == "合作银行"
        mandates = Mandate.objects.filter(community=community)
        states = Counter(mandates.values_list("state", flat=True))
        # demo.debit's owners (6 active, 3 awaiting the bank) and demo.debit_batches' 8 scripted cards
        assert states == {MandateState.ACTIVE: 6 + 8, MandateState.PENDING_BANK: 3}
        assert all(m.agreement_no for m in mandates.filter(state=MandateState.ACTIVE))
        owners_mandates = mandates.exclude(agreement_no__startswith="AGDEMO")
        assert {item.name for m in owners_mandates for item in m.fee_items.all()} == {"物业费", "卫生费"}
        # paysim's bank debits their cards (last digit 0-6)
        assert all(m.card_number[-1] in "0123456" for m in owners_mandates.filter(state="active"))
        assert CardReferral.objects.filter(community=community, state=ReferralState.BOOKED).count() == 1
        invited = list(
            HouseholdBinding.objects.filter(community=community)
            .order_by("household_id")
            .values_list("household_id", flat=True)
        )
        assert not mandates.filter(household_id=invited[0]).exists()  # the first demo owner can sign
        assert mandates.get(household_id=invited[1]).state == MandateState.ACTIVE
        tagged = HouseholdTag.objects.filter(tag__community=community, tag__rule="debit_mandate")
        assert set(tagged.values_list("household_id", flat=True)) == set(
            mandates.filter(state=MandateState.ACTIVE).values_list("household_id", flat=True)
        )


def test_id_numbers_are_stored_encrypted(seeded):
    person = Person.objects.exclude(id_number="").first()
    assert ID_NUMBER.match(person.id_number)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id_number FROM {Person._meta.db_table} WHERE id = %s", [person.pk])  # noqa: S608
        (raw,) = cursor.fetchone()
    assert raw != person.id_number
    assert person.id_number not in raw


def test_seeded_rows_pass_model_validation(seeded):
    for room in Room.objects.order_by("pk")[:50]:
        room.full_clean()
    for person in Person.objects.order_by("pk")[:50]:
        person.full_clean()
        if person.phone:
            assert MOBILE.match(person.phone)


def test_the_bank_lands_on_its_dashboard_with_figures(seeded, client):
    from django.urls import reverse

    from wuye.payments.domain.checks import ledger_check

    assert client.login(username="bank", password=demo.DEMO_PASSWORD)
    assert client.get(reverse("console:home"))["Location"] == reverse("partner:dashboard")
    response = client.get(reverse("partner:dashboard"))
    assert response.status_code == 200
    figures = response.context["dashboard"]
    assert [item.community.name for item in figures.communities] == [c.name for c in demo.COMMUNITIES]
    total = figures.total
    assert total.mandated > 0 and total.mandates["pending_bank"] > 0
    assert total.lines.succeeded > 0 and total.lines.failed > 0 and total.funds.bank_fen > 0
    assert {reason.code for reason in figures.failure_reasons} == {"51", "3045"}  # paysim's bank
    assert total.referrals["opened"] > 0 and total.referrals["booked"] > 0
    for community in Community.objects.all():  # the debits went through the books like any payment
        assert ledger_check(community=community) == []


def test_full_scale_seed(db):
    output = run_demo()
    assert Room.objects.count() >= 3000
    assert Household.objects.count() >= 0.8 * Room.objects.count()
    assert Building.objects.filter(community__name="锦绣花园").count() >= 8
    assert "admin" in output
    today = timezone.localdate()
    for community in Community.objects.all():
        assert ledger_check(community=community) == []
        households = Household.objects.filter(community=community).count()
        behind = {row["household_id"] for row in overdue_household_pks(community=community, as_of=today)}
        assert 0.08 * households <= len(behind) <= 0.15 * households
        months = Counter(
            household
            for household, _period in overdue_lines(community=community, as_of=today)
            .values_list("household_id", "bill__period")
            .distinct()
            .order_by()
        )
        assert Counter(months.values())[1] > len(behind) / 3  # most are a month behind
        assert sum(1 for count in months.values() if count >= 3) >= 10  # some several months
        assert sum(1 for count in months.values() if count >= demo_billing.MONTHS - 1) >= 3  # a few, all
        tagged = HouseholdTag.objects.filter(tag__community=community, tag__rule="arrears")
        assert set(tagged.values_list("household_id", flat=True)) == set(behind)
        applied = PaymentAttempt.objects.filter(community=community, transaction__isnull=False)
        assert set(applied.values_list("method", flat=True)) == {
            "wechat",
            "alipay",
            "cash",
            "card",
            "transfer",
            "debit",
        }
        assert applied.filter(paid_at__lt=timezone.now() - datetime.timedelta(days=150)).exists()
        used = LedgerTransaction.objects.filter(community_id=community.pk, kind="prepayment_use")
        assert used.count() == demo_history.PREPAID


def test_the_demo_has_notices_and_an_activity_for_the_portal(seeded):
    for community in Community.objects.all():
        published = Notice.objects.filter(community=community, state="published")
        assert sorted(published.values_list("title", flat=True)) == sorted(n[0] for n in demo_notices.NOTICES)
        assert published.get(title="停水通知").audience == "buildings"
        assert published.get(title="停水通知").urgent
        assert Notice.objects.filter(community=community, state="draft").count() == 1
        activity = Activity.objects.get(community=community)
        assert activity.starts_at > timezone.now()
        assert activity.signups.count() == demo_notices.ACTIVITY_SIGNUPS
    notices = Notice.objects.count()
    run_demo("--scale", str(SMALL))
    assert Notice.objects.count() == notices


def test_the_demo_owner_reads_the_notices_and_owes_last_months_bill(seeded, client):
    from django.urls import reverse

    from tests.portal.conftest import log_in

    binding = HouseholdBinding.objects.order_by("household_id").first()
    log_in(client, binding.account)
    html = client.get(reverse("portal:notices")).content.decode()
    assert "物业费缴纳提醒" in html
    assert "电梯年度检验通知" in html
    behind = overdue_household_pks(community=binding.community, as_of=timezone.localdate())
    assert binding.household_id in {row["household_id"] for row in behind}
    months = set(
        overdue_lines(community=binding.community, as_of=timezone.localdate())
        .filter(household_id=binding.household_id)
        .values_list("bill__period", flat=True)
    )
    assert len(months) == 1


def test_refused_outside_development_without_the_flag_and_nothing_is_written(db, settings):
    settings.DEBUG = settings.DEMO = False
    before = counts()
    refusal = r"WUYE_DEMO=1.*WUYE_DEBUG=1.*--i-know-this-is-not-production.*Nothing was written"
    with pytest.raises(CommandError, match=refusal):
        call_command("demo", "--scale", str(SMALL), stdout=StringIO())
    assert counts() == before
    assert before["Room"] == before["Household"] == 0
    assert not get_user_model().objects.filter(username="admin").exists()


def test_runs_in_the_demo_without_debug_and_without_the_flag(db, settings):
    settings.DEBUG, settings.DEMO = False, True
    call_command("demo", "--scale", str(SMALL), stdout=StringIO())
    assert authenticate(username="admin", password=demo.DEMO_PASSWORD) is not None


def test_scale_must_be_positive(db):
    with pytest.raises(CommandError):
        run_demo("--scale", "0")
    assert not Room.objects.exists()


def test_the_demo_debits_by_bank_with_mixed_outcomes_and_one_settled_batch(seeded):
    for community in Community.objects.all():
        assert DebitSettings.objects.get(community=community).file_format == "generic_cn"
        scripted = Mandate.objects.filter(community=community, agreement_no__startswith="AGDEMO")
        assert sorted(mandate.card_number[-1] for mandate in scripted.filter(state="active")) == list(
            "12356789"
        )
        past = DebitBatch.objects.get(communities=community)
        assert past.state == "settled"
        assert past.collection_on < timezone.localdate()
        assert Counter(past.lines.values_list("state", flat=True)) == {"succeeded": 5, "failed": 2}
        assert ledger_check(community=community) == []
        # A batch built today retries the card short of funds, takes the card whose mandate is new
        # (the bank will not know its answer yet) and leaves out the closed account's failed month.
        today = timezone.localdate()
        now = batch_build(
            company=community.company,
            communities=[community],
            cutoff_on=today,
            collection_on=today + datetime.timedelta(days=3),
        )
        assert now.lines.filter(mandate__in=scripted).count() == 8
        assert [entry["reason"] for entry in now.left_out] == ["final_failure"]
    counts = (DebitBatch.objects.count(), Mandate.objects.count(), ResultFile.objects.count())
    run_demo("--scale", str(SMALL))
    assert (DebitBatch.objects.count(), Mandate.objects.count(), ResultFile.objects.count()) == counts


def test_the_demo_service_desk_has_categories_teams_and_requests_in_several_states(seeded):
    from wuye.service.models import ServiceCategory, ServiceRequest, Team

    for community in Community.objects.all():
        roots = ServiceCategory.objects.filter(community=community, parent__isnull=True)
        assert sorted(roots.values_list("name", flat=True)) == sorted(
            name for name, *_ in demo_service.CATEGORIES
        )
        assert ServiceCategory.objects.filter(community=community, parent__isnull=False).count() == 13
        assert set(Team.objects.filter(community=community).values_list("name", flat=True)) == {
            "维修班",
            "客服组",
        }
        states = Counter(ServiceRequest.objects.filter(community=community).values_list("state", flat=True))
        assert states == Counter(reached for _c, _t, _d, reached, _s, _days in demo_service.REQUESTS)
        assert set(states) >= {"submitted", "accepted", "assigned", "in_progress", "done", "rated", "closed"}
        rated = ServiceRequest.objects.filter(community=community, stars__isnull=False)
        assert sorted(rated.values_list("stars", flat=True)) == sorted(
            stars for *_r, stars, _days in demo_service.REQUESTS if stars
        )
        closed = ServiceRequest.objects.filter(community=community, state="closed")
        assert all(request.assignee_id is not None for request in closed)
        assert {
            request.category.parent.name for request in ServiceRequest.objects.filter(community=community)
        } == {name for name, *_ in demo_service.CATEGORIES}
    requests = ServiceRequest.objects.count()
    run_demo("--scale", str(SMALL))
    assert ServiceRequest.objects.count() == requests


def test_the_demo_lets_rooms_holds_a_deposit_to_return_and_reminds_an_ending_lease(seeded):
    from wuye.notifications.models import Message
    from wuye.rental.domain.deposits import deposit_held_fen
    from wuye.rental.enums import LeaseState
    from wuye.rental.models import Lease, Listing

    for community in Community.objects.all():
        leases = Lease.objects.filter(community=community)
        assert leases.filter(state=LeaseState.ACTIVE, bills_rent=True).count() == 2  # the shop, the storeroom
        assert leases.filter(state=LeaseState.ACTIVE, bills_rent=False).count() == 1  # an owner's flat
        (ended,) = leases.filter(state=LeaseState.ENDED)
        assert deposit_held_fen(ended) == 50_000
        bound = leases.get(household__owner_bindings__isnull=False)
        assert Message.objects.filter(
            community=community, event="rental.lease.expiring", person=bound.tenant
        ).exists()
        assert Listing.objects.filter(community=community, state="open").count() == 2
        assert ledger_check(community=community) == []
