"""Card referrals (开卡预约): booking with its checks, the one transition with its states as data, the
household timeline, and the counts per community for the partner dashboard."""

import datetime
import itertools

import pytest
from django.utils import timezone

from tests.factories import CommunityFactory, CompanyFactory, HouseholdRoomFactory, staff
from wuye.core.enums import Role
from wuye.core.models import AuditLog
from wuye.debit.domain.queries import ReferralCounts, referral_counts
from wuye.debit.domain.referrals import ReferralError, referral_book, referral_transition
from wuye.debit.enums import REFERRAL_TRANSITIONS, ReferralState
from wuye.debit.models import BankBranch, CardReferral

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(datetime.datetime(2025, 3, 1, 9, 0))
VISIT = NOW + datetime.timedelta(days=2)


def book(household, branch, **overrides):
    values = {"name": "王小明", "phone": "139 1234 5678", "visit_at": VISIT, "now": NOW}
    values.update(overrides)
    return referral_book(household=household, branch=branch, **values)


def _state():
    return list(CardReferral.objects.values_list("state", "note")), AuditLog.objects.count()


def test_booking_records_the_visit_and_logs_it_on_the_timeline(household, branch):
    referral = book(household, branch)
    assert (referral.state, referral.name, referral.phone, referral.visit_at) == (
        ReferralState.BOOKED,
        "王小明",
        "13912345678",
        VISIT,
    )
    assert referral.community_id == household.community_id
    entry = AuditLog.objects.get(action="debit.referral.booked")
    assert entry.household_id == household.pk
    assert entry.changes["branch"] == branch.name


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": " "}, "称呼"),
        ({"phone": "12345"}, "手机号码"),
        ({"visit_at": NOW - datetime.timedelta(minutes=1)}, "将来"),
        ({"visit_at": NOW + datetime.timedelta(days=61)}, "60 天"),
    ],
)
def test_bad_bookings_are_refused_and_nothing_is_written(household, branch, overrides, message):
    with pytest.raises(ReferralError, match=message):
        book(household, branch, **overrides)
    assert _state() == ([], 0)


def test_a_branch_of_another_company_or_a_closed_one_is_refused(household, branch):
    foreign = BankBranch.objects.create(company=CompanyFactory(), name="别家支行")
    closed = BankBranch.objects.create(
        company=household.community.company, name="已关闭支行", is_active=False
    )
    for wrong in (foreign, closed):
        with pytest.raises(ReferralError):
            book(household, wrong)
    assert _state() == ([], 0)


def test_one_booked_visit_at_a_time(household, branch):
    first = book(household, branch)
    with pytest.raises(ReferralError):
        book(household, branch)
    assert CardReferral.objects.count() == 1
    referral_transition(referral=first, to_state=ReferralState.CANCELLED)
    book(household, branch)
    assert CardReferral.objects.count() == 2


@pytest.mark.parametrize(
    ("start", "target"), [(s, t) for s, t in itertools.product(ReferralState.values, repeat=2) if s != t]
)
def test_every_transition_is_allowed_or_refused_as_the_table_says(
    household, branch, community, start, target
):
    referral = book(household, branch)
    CardReferral.objects.filter(pk=referral.pk).update(state=start)
    AuditLog.objects.all().delete()
    bank = staff(community, Role.BANK)
    if target in REFERRAL_TRANSITIONS[start]:
        changed = referral_transition(referral=referral, to_state=target, note="已办卡", actor=bank)
        assert (changed.state, changed.note, changed.handled_by) == (target, "已办卡", bank)
        assert changed.handled_at is not None
        entry = AuditLog.objects.get()
        assert (entry.action, entry.household_id, entry.changes["referral_state"]) == (
            "debit.referral.changed",
            household.pk,
            [start, target],
        )
    else:
        before = _state()
        with pytest.raises(ReferralError):
            referral_transition(referral=referral, to_state=target, actor=bank)
        assert _state() == before


def test_referral_counts_per_community_with_zeros(household, branch):
    second = HouseholdRoomFactory(household__community=household.community).household
    third = HouseholdRoomFactory(household__community=household.community).household
    opened = book(second, branch)
    referral_transition(referral=opened, to_state=ReferralState.OPENED)
    cancelled = book(third, branch)
    referral_transition(referral=cancelled, to_state=ReferralState.CANCELLED)
    book(household, branch)
    empty = CommunityFactory()
    counts = referral_counts([household.community, empty])
    assert counts == {
        household.community.pk: ReferralCounts(
            community_id=household.community.pk, booked=1, opened=1, not_opened=0, cancelled=1
        ),
        empty.pk: ReferralCounts(community_id=empty.pk),
    }
    assert counts[household.community.pk].total == 2
