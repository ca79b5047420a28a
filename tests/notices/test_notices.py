"""Notices: targeting (community, buildings, tags), schedule and expiry, pinned and urgent first,
read receipts, and one notification per person at publication, however often the job runs."""

import datetime

import pytest
from django.core.management import call_command

from tests.factories import (
    BuildingFactory,
    CommunityFactory,
    HouseholdRoomFactory,
    HouseholdTagFactory,
    PersonFactory,
    TagFactory,
    staff,
)
from tests.notices.factories import NoticeFactory
from wuye.core.enums import Role
from wuye.households.enums import PersonKind
from wuye.notices.domain.errors import NoticeError
from wuye.notices.domain.notices import (
    notice_create,
    notice_mark_read,
    notice_publish,
    notice_schedule,
    notice_transition,
    notice_update,
    notice_withdraw,
    notices_publish_due,
)
from wuye.notices.domain.queries import (
    latest_notices,
    notice_read_counts,
    notices_for_household,
    targeted_households,
    unread_notices_count,
)
from wuye.notices.enums import Audience, NoticeAction, NoticeState
from wuye.notices.models import Notice, NoticeRead
from wuye.notifications.models import Message

T0 = datetime.datetime(2026, 5, 4, 1, 0, tzinfo=datetime.UTC)
HOUR = datetime.timedelta(hours=1)
EVENT = "notices.notice.published"


@pytest.fixture
def estate(community):
    """Two buildings with two households each; a tag on one household of each building."""
    one, two = (
        BuildingFactory(community=community, name="1栋"),
        BuildingFactory(community=community, name="2栋"),
    )

    def household(building):
        return HouseholdRoomFactory(household__community=community, room__unit__building=building).household

    households = {"1a": household(one), "1b": household(one), "2a": household(two), "2b": household(two)}
    elderly = TagFactory(community=community, name="独居老人")
    for key in ("1a", "2b"):
        HouseholdTagFactory(household=households[key], tag=elderly)
    return {"buildings": (one, two), "households": households, "tag": elderly}


@pytest.fixture
def clerk(community):
    return staff(community, Role.FRONT_DESK)


def _keys(estate, queryset):
    by_pk = {h.pk: key for key, h in estate["households"].items()}
    return sorted(by_pk[h.pk] for h in queryset)


def test_targeting_whole_community(estate, community, clerk):
    HouseholdRoomFactory()  # another community
    notice = notice_create(community=community, title="停水", body="明天停水", actor=clerk)
    assert _keys(estate, targeted_households(notice=notice)) == ["1a", "1b", "2a", "2b"]


def test_targeting_buildings(estate, community, clerk):
    notice = notice_create(
        community=community,
        title="电梯检修",
        body="x",
        audience=Audience.BUILDINGS,
        buildings=[estate["buildings"][1]],
        actor=clerk,
    )
    assert _keys(estate, targeted_households(notice=notice)) == ["2a", "2b"]


def test_targeting_tags(estate, community, clerk):
    notice = notice_create(
        community=community,
        title="高温关怀",
        body="x",
        audience=Audience.TAGS,
        tags=[estate["tag"]],
        actor=clerk,
    )
    assert _keys(estate, targeted_households(notice=notice)) == ["1a", "2b"]


def test_targeting_refuses_missing_or_foreign_targets(community, clerk):
    with pytest.raises(NoticeError):
        notice_create(community=community, title="x", body="x", audience=Audience.BUILDINGS, actor=clerk)
    with pytest.raises(NoticeError):
        notice_create(
            community=community, title="x", body="x", audience=Audience.TAGS, tags=[TagFactory()], actor=clerk
        )
    assert Notice.objects.count() == 0


def test_household_sees_published_targeted_notices_in_order(estate, community, clerk):
    households = estate["households"]
    plain = notice_create(community=community, title="普通", body="x", actor=clerk)
    pinned = notice_create(community=community, title="置顶", body="x", pinned=True, actor=clerk)
    urgent = notice_create(community=community, title="紧急停水", body="x", urgent=True, actor=clerk)
    other_building = notice_create(
        community=community,
        title="2栋",
        body="x",
        audience=Audience.BUILDINGS,
        buildings=[estate["buildings"][1]],
        actor=clerk,
    )
    draft = notice_create(community=community, title="草稿", body="x", actor=clerk)
    for notice in (plain, pinned, urgent, other_building):
        notice_publish(notice=notice, actor=clerk, now=T0)
    seen = notices_for_household(household=households["1a"], now=T0 + HOUR)
    assert [n.title for n in seen] == ["紧急停水", "置顶", "普通"]
    assert draft.pk not in {n.pk for n in seen}
    assert [n.title for n in notices_for_household(household=households["2a"], now=T0 + HOUR)] == [
        "紧急停水",
        "置顶",
        "2栋",
        "普通",
    ]


def test_scheduled_notice_visible_from_its_time_and_until_expiry(estate, community, clerk):
    household = estate["households"]["1a"]
    notice = notice_create(community=community, title="停电", body="x", expires_at=T0 + 5 * HOUR, actor=clerk)
    notice_schedule(notice=notice, publish_at=T0 + 2 * HOUR, actor=clerk, now=T0)
    assert Notice.objects.get(pk=notice.pk).state == NoticeState.SCHEDULED

    def visible(at):
        return list(notices_for_household(household=household, now=at).values_list("pk", flat=True))

    assert visible(T0 + 2 * HOUR - datetime.timedelta(seconds=1)) == []
    assert visible(T0 + 2 * HOUR) == [notice.pk]  # visible on time, before the job has run
    assert visible(T0 + 5 * HOUR - datetime.timedelta(seconds=1)) == [notice.pk]
    assert visible(T0 + 5 * HOUR) == []


def test_withdrawn_notice_is_no_longer_visible(estate, community, clerk):
    notice = notice_create(community=community, title="x", body="x", actor=clerk)
    notice_publish(notice=notice, actor=clerk, now=T0)
    notice_withdraw(notice=notice, actor=clerk, now=T0 + HOUR)
    assert notices_for_household(household=estate["households"]["1a"], now=T0 + 2 * HOUR).count() == 0


@pytest.mark.parametrize(
    ("state", "action", "allowed"),
    [
        (NoticeState.DRAFT, NoticeAction.PUBLISH, True),
        (NoticeState.DRAFT, NoticeAction.SCHEDULE, True),
        (NoticeState.DRAFT, NoticeAction.WITHDRAW, False),
        (NoticeState.SCHEDULED, NoticeAction.PUBLISH, True),
        (NoticeState.SCHEDULED, NoticeAction.SCHEDULE, True),
        (NoticeState.SCHEDULED, NoticeAction.WITHDRAW, True),
        (NoticeState.PUBLISHED, NoticeAction.PUBLISH, False),
        (NoticeState.PUBLISHED, NoticeAction.SCHEDULE, False),
        (NoticeState.PUBLISHED, NoticeAction.WITHDRAW, True),
        (NoticeState.WITHDRAWN, NoticeAction.PUBLISH, False),
        (NoticeState.WITHDRAWN, NoticeAction.SCHEDULE, False),
        (NoticeState.WITHDRAWN, NoticeAction.WITHDRAW, False),
    ],
)
def test_notice_transitions(community, clerk, state, action, allowed):
    notice = NoticeFactory(
        community=community, state=state, publish_at=None if state == NoticeState.DRAFT else T0
    )
    before = Notice.objects.filter(pk=notice.pk).values().get()
    if allowed:
        notice_transition(notice=notice, action=action, actor=clerk, publish_at=T0 + 3 * HOUR, now=T0 + HOUR)
        expected = {
            "publish": NoticeState.PUBLISHED,
            "schedule": NoticeState.SCHEDULED,
            "withdraw": NoticeState.WITHDRAWN,
        }
        assert Notice.objects.get(pk=notice.pk).state == expected[action]
    else:
        with pytest.raises(NoticeError):
            notice_transition(
                notice=notice, action=action, actor=clerk, publish_at=T0 + 3 * HOUR, now=T0 + HOUR
            )
        assert Notice.objects.filter(pk=notice.pk).values().get() == before


def test_schedule_in_the_past_or_after_expiry_is_refused(community, clerk):
    notice = notice_create(community=community, title="x", body="x", expires_at=T0 + HOUR, actor=clerk)
    with pytest.raises(NoticeError):
        notice_schedule(notice=notice, publish_at=T0 - HOUR, actor=clerk, now=T0)
    with pytest.raises(NoticeError):
        notice_schedule(notice=notice, publish_at=T0 + 2 * HOUR, actor=clerk, now=T0)
    assert Notice.objects.get(pk=notice.pk).state == NoticeState.DRAFT


def test_publication_notifies_owners_and_tenants_with_phones_once(estate, community, clerk):
    one = estate["households"]["1a"]
    owner = PersonFactory(household=one, kind=PersonKind.OWNER, phone="13900000001")
    tenant = PersonFactory(household=one, kind=PersonKind.TENANT, phone="13900000002")
    PersonFactory(household=one, kind=PersonKind.FAMILY, phone="13900000003")
    PersonFactory(household=one, kind=PersonKind.OWNER, phone="")
    PersonFactory(
        household=one, kind=PersonKind.OWNER, phone="13900000004", moved_out_on=datetime.date(2026, 1, 1)
    )
    PersonFactory(household=estate["households"]["2a"], kind=PersonKind.OWNER, phone="13900000005")
    notice = notice_create(
        community=community,
        title="1栋停水",
        body="x",
        audience=Audience.BUILDINGS,
        buildings=[estate["buildings"][0]],
        actor=clerk,
    )
    notice_publish(notice=notice, actor=clerk, now=T0)
    assert sorted(Message.objects.filter(event=EVENT).values_list("person", flat=True)) == sorted(
        [owner.pk, tenant.pk]
    )
    assert Notice.objects.get(pk=notice.pk).notified_at == T0
    notices_publish_due(community=community, now=T0 + HOUR)
    assert Message.objects.filter(event=EVENT).count() == 2


def test_scheduled_notice_published_and_notified_by_the_job_once(estate, community, clerk):
    PersonFactory(household=estate["households"]["2b"], kind=PersonKind.OWNER, phone="13900000009")
    notice = notice_create(community=community, title="x", body="x", actor=clerk)
    notice_schedule(notice=notice, publish_at=T0 + HOUR, actor=clerk, now=T0)
    assert notices_publish_due(community=community, now=T0 + HOUR - datetime.timedelta(seconds=1)) == []
    assert Message.objects.count() == 0
    assert notices_publish_due(community=community, now=T0 + HOUR) == [notice.pk]
    assert notices_publish_due(community=community, now=T0 + 2 * HOUR) == []
    stored = Notice.objects.get(pk=notice.pk)
    assert (stored.state, stored.publish_at, stored.notified_at) == (
        NoticeState.PUBLISHED,
        T0 + HOUR,
        T0 + HOUR,
    )
    assert Message.objects.filter(event=EVENT).count() == 1


def test_publish_command_is_idempotent(community, clerk, capsys):
    notice = notice_create(community=community, title="x", body="x", actor=clerk)
    notice_schedule(notice=notice, publish_at=T0 + HOUR, actor=clerk, now=T0)
    call_command("notices_publish", "--now", (T0 + HOUR).isoformat())
    call_command("notices_publish", "--now", (T0 + HOUR).isoformat())
    assert capsys.readouterr().out.splitlines() == [
        f"{community.name}: published 1",
        f"{community.name}: published 0",
    ]


def test_read_receipts_once_per_household(estate, community, clerk):
    households = estate["households"]
    notice = notice_create(community=community, title="x", body="x", actor=clerk)
    notice_publish(notice=notice, actor=clerk, now=T0)
    reader = PersonFactory(household=households["1a"])
    first = notice_mark_read(notice=notice, household=households["1a"], person=reader, now=T0 + HOUR)
    again = notice_mark_read(notice=notice, household=households["1a"], now=T0 + 2 * HOUR)
    notice_mark_read(notice=notice, household=households["2b"], now=T0 + HOUR)
    assert first.pk == again.pk and (again.person, again.read_at) == (reader, T0 + HOUR)
    assert NoticeRead.objects.filter(notice=notice).count() == 2
    counts = notice_read_counts(notice=notice)
    assert (counts.targeted, counts.read, counts.unread) == (4, 2, 2)
    assert unread_notices_count(household=households["1a"], now=T0 + HOUR) == 0
    assert unread_notices_count(household=households["1b"], now=T0 + HOUR) == 1


def test_badge_and_latest_notices_are_exactly_the_visible_notices(estate, community, clerk):
    """The badge's fixed statement and ``notices_for_household`` minus the reads agree for every
    household at every moment: each audience, scheduled, expiring, withdrawn, drafts, reads."""
    households = estate["households"]
    everyone = notice_create(community=community, title="全体", body="x", actor=clerk)
    building = notice_create(
        community=community, title="2栋", body="x", audience=Audience.BUILDINGS,
        buildings=[estate["buildings"][1]], actor=clerk,
    )  # fmt: skip
    tagged = notice_create(
        community=community, title="老人", body="x", audience=Audience.TAGS, tags=[estate["tag"]], actor=clerk
    )
    expiring = notice_create(
        community=community, title="限时", body="x", expires_at=T0 + 3 * HOUR, actor=clerk
    )
    scheduled = notice_create(community=community, title="定时", body="x", actor=clerk)
    withdrawn = notice_create(community=community, title="撤回", body="x", actor=clerk)
    notice_create(community=community, title="草稿", body="x", actor=clerk)
    NoticeFactory()  # another community's
    for notice in (everyone, building, tagged, expiring, withdrawn):
        notice_publish(notice=notice, actor=clerk, now=T0)
    notice_schedule(notice=scheduled, publish_at=T0 + 2 * HOUR, actor=clerk, now=T0)
    notice_withdraw(notice=withdrawn, actor=clerk, now=T0 + HOUR)
    notice_mark_read(notice=everyone, household=households["1a"], now=T0 + HOUR)
    notice_mark_read(notice=building, household=households["2b"], now=T0 + HOUR)
    notice_mark_read(notice=tagged, household=households["2b"], now=T0 + HOUR)

    counts = {}
    for at in (T0 + HOUR, T0 + 2 * HOUR, T0 + 3 * HOUR):
        for key, household in households.items():
            orm = (
                notices_for_household(household=household, now=at)
                .exclude(pk__in=NoticeRead.objects.filter(household=household).values("notice"))
                .count()
            )
            counts[key, at] = unread_notices_count(household=household, now=at)
            assert counts[key, at] == orm, (key, at)
            seen = notices_for_household(household=household, now=at)
            read = set(NoticeRead.objects.filter(household=household).values_list("notice", flat=True))
            for limit in (2, 10):
                latest = latest_notices(household=household, limit=limit, now=at)
                assert [(n.pk, n.is_read) for n in latest] == [(n.pk, n.pk in read) for n in seen[:limit]]
    assert [counts[key, T0 + HOUR] for key in ("1a", "1b", "2a", "2b")] == [2, 2, 3, 2]
    assert [counts[key, T0 + 3 * HOUR] for key in ("1a", "1b", "2a", "2b")] == [2, 2, 3, 2]


def test_read_receipt_refused_for_a_notice_not_for_the_household(estate, community, clerk):
    notice = notice_create(
        community=community, title="x", body="x", audience=Audience.TAGS, tags=[estate["tag"]], actor=clerk
    )
    notice_publish(notice=notice, actor=clerk, now=T0)
    with pytest.raises(NoticeError):
        notice_mark_read(notice=notice, household=estate["households"]["1b"], now=T0)
    draft = notice_create(community=community, title="y", body="y", actor=clerk)
    with pytest.raises(NoticeError):
        notice_mark_read(notice=draft, household=estate["households"]["1a"], now=T0)
    outsider = HouseholdRoomFactory(household__community=CommunityFactory()).household
    with pytest.raises(NoticeError):
        notice_mark_read(notice=notice, household=outsider, now=T0)
    assert NoticeRead.objects.count() == 0


def test_update_changes_targets(estate, community, clerk):
    notice = notice_create(community=community, title="x", body="x", actor=clerk)
    notice_update(
        notice=notice,
        title="改",
        body="y",
        audience=Audience.TAGS,
        tags=[estate["tag"]],
        pinned=True,
        actor=clerk,
    )
    stored = Notice.objects.get(pk=notice.pk)
    assert (stored.title, stored.audience, stored.pinned) == ("改", Audience.TAGS, True)
    assert _keys(estate, targeted_households(notice=stored)) == ["1a", "2b"]
