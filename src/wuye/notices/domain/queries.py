"""Reads of notices and activities: targeting, what a household sees, read counts, attendees."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from wuye.core import sql
from wuye.core.models import Community
from wuye.estate.models import Room
from wuye.households.enums import PersonKind
from wuye.households.models import Household, HouseholdRoom, HouseholdTag, Person
from wuye.notices.enums import ActivityState, Audience, NoticeState
from wuye.notices.models import Activity, ActivitySignup, Notice, NoticeBuilding, NoticeRead, NoticeTag

VISIBLE_STATES = (NoticeState.SCHEDULED, NoticeState.PUBLISHED)


def live_q(now: datetime.datetime) -> Q:
    """Published (or scheduled and due: visibility never waits for the job) and not expired."""
    return Q(state__in=VISIBLE_STATES, publish_at__lte=now) & (
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )


def targeted_households(*, notice: Notice) -> QuerySet[Household]:
    """The households a notice is for: all of the community's, those with a room in one of its
    buildings, or those carrying any one of its tags."""
    households = Household.objects.filter(community_id=notice.community_id)
    if notice.audience == Audience.BUILDINGS:
        buildings = NoticeBuilding.objects.filter(notice=notice).values("building")
        households = households.filter(
            pk__in=HouseholdRoom.objects.filter(room__building__in=buildings).values("household")
        )
    elif notice.audience == Audience.TAGS:
        tags = NoticeTag.objects.filter(notice=notice).values("tag")
        households = households.filter(pk__in=HouseholdTag.objects.filter(tag__in=tags).values("household"))
    return households.order_by("pk")


def notices_for_household(*, household: Household, now: datetime.datetime | None = None) -> QuerySet[Notice]:
    """The notices a household sees now: live and targeted at it; urgent first, then pinned, then newest."""
    now = now or timezone.now()
    buildings = HouseholdRoom.objects.filter(household=household).values("room__building")
    tags = HouseholdTag.objects.filter(household=household).values("tag")
    targeted = (
        Q(audience=Audience.COMMUNITY)
        | Q(
            audience=Audience.BUILDINGS,
            pk__in=NoticeBuilding.objects.filter(building__in=buildings).values("notice"),
        )
        | Q(audience=Audience.TAGS, pk__in=NoticeTag.objects.filter(tag__in=tags).values("notice"))
    )
    return (
        Notice.objects.filter(community_id=household.community_id)
        .filter(live_q(now))
        .filter(targeted)
        .order_by("-urgent", "-pinned", "-publish_at", "-pk")
    )


def notice_is_for(*, notice: Notice, household: Household, now: datetime.datetime | None = None) -> bool:
    return notices_for_household(household=household, now=now).filter(pk=notice.pk).exists()


# What a household sees, for the pages an owner opens most (every page's badge, the home page's list):
# ``notices_for_household`` as one fixed statement (wuye.core.sql) rather than a query the ORM builds on
# every request. Tests hold both equal.
_VISIBLE_WHERE = f"""
n.community_id = %s AND n.state IN (%s, %s) AND n.publish_at <= %s
AND (n.expires_at IS NULL OR n.expires_at > %s)
AND (
  n.audience = %s
  OR (n.audience = %s AND n.id IN (
    SELECT nb.notice_id FROM {NoticeBuilding._meta.db_table} nb
    WHERE nb.building_id IN (
      SELECT r.building_id FROM {HouseholdRoom._meta.db_table} hr
      JOIN {Room._meta.db_table} r ON r.id = hr.room_id WHERE hr.household_id = %s)))
  OR (n.audience = %s AND n.id IN (
    SELECT nt.notice_id FROM {NoticeTag._meta.db_table} nt
    WHERE nt.tag_id IN (SELECT ht.tag_id FROM {HouseholdTag._meta.db_table} ht WHERE ht.household_id = %s)))
)"""  # noqa: S608 (table names from the models, values bound)
_READ = f"SELECT nr.notice_id FROM {NoticeRead._meta.db_table} nr WHERE nr.household_id = %s"  # noqa: S608


def _visible_params(household: Household, now: datetime.datetime | None) -> list:
    # As the ORM binds a datetime (SQLite: naive UTC text).
    now = connection.ops.adapt_datetimefield_value(now or timezone.now())
    return [
        household.community_id,
        *VISIBLE_STATES,
        now,
        now,
        Audience.COMMUNITY,
        Audience.BUILDINGS,
        household.pk,
        Audience.TAGS,
        household.pk,
    ]


def unread_notices_count(*, household: Household, now: datetime.datetime | None = None) -> int:
    """How many live notices the household has not opened (the portal's badge): exactly
    ``notices_for_household(…)`` minus the household's reads, counted."""
    found = sql.row(
        f"SELECT COUNT(*) FROM {Notice._meta.db_table} n WHERE {_VISIBLE_WHERE} AND n.id NOT IN ({_READ})",  # noqa: S608
        [*_visible_params(household, now), household.pk],
    )
    return found[0]


def latest_notices(*, household: Household, limit: int, now: datetime.datetime | None = None) -> list[Notice]:
    """The first ``limit`` of ``notices_for_household(…)`` in its order, each with ``is_read``."""
    found = sql.instances(
        Notice,
        f"SELECT {sql.columns(Notice, 'n')}, CASE WHEN n.id IN ({_READ}) THEN 1 ELSE 0 END "  # noqa: S608
        f"FROM {Notice._meta.db_table} n WHERE {_VISIBLE_WHERE} "
        "ORDER BY n.urgent DESC, n.pinned DESC, n.publish_at DESC, n.id DESC LIMIT %s",
        [household.pk, *_visible_params(household, now), limit],
    )
    for notice in found:
        notice.is_read = bool(notice.extra[0])
    return found


@dataclass
class ReadCounts:
    targeted: int
    read: int

    @property
    def unread(self) -> int:
        return self.targeted - self.read


def notice_read_counts(*, notice: Notice) -> ReadCounts:
    """Of the households the notice targets now, how many have read it and how many have not."""
    targeted = targeted_households(notice=notice)
    read = targeted.filter(pk__in=NoticeRead.objects.filter(notice=notice).values("household")).count()
    return ReadCounts(targeted=targeted.count(), read=read)


def notice_reads(*, notice: Notice) -> QuerySet[NoticeRead]:
    return (
        NoticeRead.objects.filter(notice=notice)
        .select_related("household", "person")
        .order_by("read_at", "pk")
    )


def unread_households(*, notice: Notice) -> QuerySet[Household]:
    return targeted_households(notice=notice).exclude(
        pk__in=NoticeRead.objects.filter(notice=notice).values("household")
    )


def people_to_notify(*, notice: Notice, today: datetime.date | None = None) -> QuerySet[Person]:
    """Owners and tenants of the targeted households who can be reached (have a phone, still live there)."""
    today = today or timezone.localdate()
    return (
        Person.objects.filter(
            household__in=targeted_households(notice=notice).values("pk"),
            kind__in=[PersonKind.OWNER, PersonKind.TENANT],
        )
        .exclude(phone="")
        .filter(Q(moved_out_on__isnull=True) | Q(moved_out_on__gt=today))
        .order_by("household", "pk")
    )


def notices_of(*, community: Community, state: str = "") -> QuerySet[Notice]:
    queryset = Notice.objects.filter(community=community).annotate(read_count=Count("reads"))
    if state in NoticeState.values:
        queryset = queryset.filter(state=state)
    return queryset.order_by("-pinned", "-created_at", "-pk")


def notice_state_counts(*, community: Community) -> dict[str, int]:
    counts = dict(
        Notice.objects.filter(community=community).values_list("state").annotate(n=Count("pk")).order_by()
    )
    return {state: counts.get(state, 0) for state in NoticeState.values}


# --- activities ---------------------------------------------------------------------------------------


def signups_active_count(*, activity: Activity) -> int:
    return ActivitySignup.objects.filter(activity=activity, cancelled_at__isnull=True).count()


def activity_attendees(*, activity: Activity) -> QuerySet[ActivitySignup]:
    """The active sign-ups, first come first listed, with what the attendee list shows."""
    return (
        ActivitySignup.objects.filter(activity=activity, cancelled_at__isnull=True)
        .select_related("person", "household")
        .prefetch_related("household__room_links__room__building", "household__room_links__room__unit")
        .order_by("created_at", "pk")
    )


def activities_of(*, community: Community) -> QuerySet[Activity]:
    return (
        Activity.objects.filter(community=community)
        .annotate(taken=Count("signups", filter=Q(signups__cancelled_at__isnull=True)))
        .order_by("-starts_at", "-pk")
    )


def activities_open(*, community: Community, now: datetime.datetime | None = None) -> QuerySet[Activity]:
    """Activities the portal offers: open, not started yet; soonest first, with places taken."""
    now = now or timezone.now()
    return (
        activities_of(community=community)
        .filter(state=ActivityState.OPEN, starts_at__gt=now)
        .order_by("starts_at", "pk")
    )


def signups_of_household(*, household: Household) -> QuerySet[ActivitySignup]:
    return ActivitySignup.objects.filter(household=household, cancelled_at__isnull=True).select_related(
        "activity", "person"
    )
