"""Activities: sign-up within capacity and before the deadline; cancellation frees the place."""

import datetime
import io

import pytest
from openpyxl import load_workbook

from tests.factories import CommunityFactory, HouseholdRoomFactory, PersonFactory
from tests.notices.factories import ActivityFactory
from wuye.core.models import AuditLog
from wuye.notices.domain.activities import activity_cancel, activity_signup, activity_update
from wuye.notices.domain.errors import NoticeError
from wuye.notices.domain.queries import activities_open, activity_attendees, signups_active_count
from wuye.notices.enums import ActivityState
from wuye.notices.interfaces.exports import attendees_workbook
from wuye.notices.models import ActivitySignup

T0 = datetime.datetime(2026, 5, 4, 1, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)


@pytest.fixture
def activity(community):
    return ActivityFactory(
        community=community, capacity=2, starts_at=T0 + 7 * DAY, signup_deadline=T0 + 5 * DAY
    )


def person(community, **kwargs):
    return PersonFactory(household=HouseholdRoomFactory(household__community=community).household, **kwargs)


def test_signup_up_to_capacity_then_full(activity, community):
    first, second, third = person(community), person(community), person(community)
    activity_signup(activity=activity, person=first, now=T0)
    activity_signup(activity=activity, person=second, now=T0)
    with pytest.raises(NoticeError):
        activity_signup(activity=activity, person=third, now=T0)
    assert signups_active_count(activity=activity) == 2
    assert [s.person for s in activity_attendees(activity=activity)] == [first, second]
    assert AuditLog.objects.filter(action="notices.activity.signup").count() == 2


def test_signup_twice_returns_the_same(activity, community):
    someone = person(community)
    assert activity_signup(activity=activity, person=someone, now=T0) == activity_signup(
        activity=activity, person=someone, now=T0
    )
    assert ActivitySignup.objects.count() == 1


def test_signup_after_the_deadline_is_refused(activity, community):
    someone = person(community)
    activity_signup(
        activity=activity, person=person(community), now=T0 + 5 * DAY
    )  # at the deadline: still fine
    with pytest.raises(NoticeError):
        activity_signup(activity=activity, person=someone, now=T0 + 5 * DAY + datetime.timedelta(seconds=1))
    assert signups_active_count(activity=activity) == 1


def test_signup_to_cancelled_activity_or_other_community_is_refused(activity, community):
    stranger = person(CommunityFactory())
    with pytest.raises(NoticeError):
        activity_signup(activity=activity, person=stranger, now=T0)
    activity.state = ActivityState.CANCELLED
    activity.save()
    with pytest.raises(NoticeError):
        activity_signup(activity=activity, person=person(community), now=T0)
    assert ActivitySignup.objects.count() == 0


def test_cancel_frees_the_place_and_allows_signing_up_again(activity, community):
    first, second, third = person(community), person(community), person(community)
    activity_signup(activity=activity, person=first, now=T0)
    activity_signup(activity=activity, person=second, now=T0)
    cancelled = activity_cancel(activity=activity, person=first, now=T0 + DAY)
    assert cancelled.cancelled_at == T0 + DAY
    activity_signup(activity=activity, person=third, now=T0 + DAY)
    with pytest.raises(NoticeError):
        activity_signup(activity=activity, person=first, now=T0 + DAY)
    assert [s.person for s in activity_attendees(activity=activity)] == [second, third]
    assert ActivitySignup.objects.filter(activity=activity).count() == 3


def test_cancel_without_signup_or_after_start_is_refused(activity, community):
    someone = person(community)
    with pytest.raises(NoticeError):
        activity_cancel(activity=activity, person=someone, now=T0)
    activity_signup(activity=activity, person=someone, now=T0)
    with pytest.raises(NoticeError):
        activity_cancel(activity=activity, person=someone, now=T0 + 7 * DAY)
    assert signups_active_count(activity=activity) == 1


def test_capacity_cannot_drop_below_the_signups(activity, community, admin_user):
    activity_signup(activity=activity, person=person(community), now=T0)
    activity_signup(activity=activity, person=person(community), now=T0)
    with pytest.raises(NoticeError):
        activity_update(activity=activity, capacity=1, actor=admin_user)
    assert activity_update(activity=activity, capacity=3, actor=admin_user).capacity == 3


def test_open_activities_for_the_portal(community):
    soon = ActivityFactory(community=community, starts_at=T0 + DAY, signup_deadline=T0)
    later = ActivityFactory(community=community, starts_at=T0 + 2 * DAY, signup_deadline=T0)
    ActivityFactory(community=community, starts_at=T0 - DAY, signup_deadline=T0 - 2 * DAY)
    ActivityFactory(
        community=community, starts_at=T0 + DAY, signup_deadline=T0, state=ActivityState.CANCELLED
    )
    ActivityFactory(starts_at=T0 + DAY, signup_deadline=T0)
    assert list(activities_open(community=community, now=T0)) == [soon, later]


def test_attendee_export(activity, community):
    first = person(community, name="张三", phone="13800000001")
    activity_signup(activity=activity, person=first, now=T0)
    book = load_workbook(io.BytesIO(attendees_workbook(activity=activity)))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][0] == activity.title
    assert rows[4][:4] == (1, "张三", "13800000001", first.household.name)
    assert rows[4][4] == str(first.household.room_links.get().room)
    assert len(rows) == 5
