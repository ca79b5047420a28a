"""Reads of the service desk: the inbox filter, SLA status, work orders, the dashboard and performance.

Overdue is a query on the stored deadlines and ``now``, never a stored flag that goes stale.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from wuye.core import sql
from wuye.core.enums import Permission
from wuye.core.models import Community, StaffRole
from wuye.core.rules import roles_granting
from wuye.households.models import Household
from wuye.service.enums import (
    FINISHED_STATES,
    OPEN_STATES,
    EventKind,
    Period,
    RequestState,
    RequestType,
)
from wuye.service.models import (
    RequestComment,
    RequestEvent,
    ServiceCategory,
    ServiceRequest,
    ServiceSettings,
    Team,
    TeamMember,
)

# --- staff, teams, settings, categories -------------------------------------------------------------


def assignable_staff(*, community: Community) -> QuerySet:
    """Active users whose role in ``community`` lets them handle requests (who may be assigned)."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            pk__in=StaffRole.objects.filter(
                community=community, role__in=roles_granting(Permission.SERVICE_HANDLE)
            ).values("user"),
        )
        .order_by("username")
    )


def team_members(*, team: Team) -> list:
    """The team's members in rotation order."""
    return [
        m.user for m in TeamMember.objects.filter(team=team).select_related("user").order_by("position", "pk")
    ]


def teams_of(*, community: Community) -> QuerySet[Team]:
    return Team.objects.filter(community=community).prefetch_related(
        Prefetch("memberships", queryset=TeamMember.objects.select_related("user").order_by("position", "pk"))
    )


def service_settings_of(*, community: Community) -> ServiceSettings:
    """The community's settings; the defaults (unsaved) when it has never changed them."""
    return ServiceSettings.objects.filter(community=community).first() or ServiceSettings(community=community)


def categories_tree(*, community: Community, active_only: bool = False) -> list[tuple[ServiceCategory, list]]:
    """[(top-level category, [its sub-categories])] in display order."""
    queryset = ServiceCategory.objects.filter(community=community).select_related("team", "parent")
    if active_only:
        queryset = queryset.filter(is_active=True)
    nodes = list(queryset.order_by("position", "name", "pk"))
    children: dict[int, list] = {}
    for node in nodes:
        if node.parent_id:
            children.setdefault(node.parent_id, []).append(node)
    return [(node, children.get(node.pk, [])) for node in nodes if node.parent_id is None]


def category_choices(*, community: Community) -> list[ServiceCategory]:
    """Active categories in tree order (a parent, then its children), for pickers."""
    return [
        node
        for root, kids in categories_tree(community=community, active_only=True)
        for node in (root, *kids)
    ]


# --- SLA ----------------------------------------------------------------------------------------------


def response_overdue_q(now: datetime.datetime) -> Q:
    """Not yet accepted (or rejected) and past the response deadline."""
    return Q(state=RequestState.SUBMITTED, response_due_at__lt=now)


def completion_overdue_q(now: datetime.datetime) -> Q:
    """Still open and past the completion deadline."""
    return Q(state__in=OPEN_STATES, completion_due_at__lt=now)


def overdue_q(now: datetime.datetime) -> Q:
    return response_overdue_q(now) | completion_overdue_q(now)


def is_overdue(request: ServiceRequest, now: datetime.datetime) -> bool:
    if request.state == RequestState.SUBMITTED and request.response_due_at < now:
        return True
    return request.state in OPEN_STATES and request.completion_due_at < now


def is_on_time(request: ServiceRequest) -> bool | None:
    """Whether a finished request was done by its completion deadline (None while not done)."""
    if request.done_at is None:
        return None
    return request.done_at <= request.completion_due_at


# --- the inbox ----------------------------------------------------------------------------------------


def _int(value) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None


@dataclass
class RequestFilter:
    """The inbox's filters; every one optional. ``assignee`` 0 means "nobody yet"."""

    state: str = ""
    type: str = ""
    category: int | None = None
    building: int | None = None
    assignee: int | None = None
    overdue: bool = False
    text: str = ""

    @classmethod
    def from_query(cls, query) -> RequestFilter:
        state, kind = query.get("state", ""), query.get("type", "")
        return cls(
            state=state if state in RequestState.values or state == "open" else "",
            type=kind if kind in RequestType.values else "",
            category=_int(query.get("category")),
            building=_int(query.get("building")),
            assignee=_int(query.get("assignee")),
            overdue=query.get("overdue") == "1",
            text=(query.get("q") or "").strip()[:60],
        )

    def to_query(self, **override) -> str:
        values = {
            "state": self.state,
            "type": self.type,
            "category": self.category,
            "building": self.building,
            "assignee": self.assignee,
            "overdue": "1" if self.overdue else "",
            "q": self.text,
        } | override
        return urlencode([(key, value) for key, value in values.items() if value not in ("", None)])

    def apply(self, queryset: QuerySet[ServiceRequest], now: datetime.datetime, *, with_state: bool = True):
        if with_state and self.state == "open":
            queryset = queryset.filter(state__in=OPEN_STATES)
        elif with_state and self.state:
            queryset = queryset.filter(state=self.state)
        if self.type:
            queryset = queryset.filter(type=self.type)
        if self.category:
            queryset = queryset.filter(Q(category_id=self.category) | Q(category__parent_id=self.category))
        if self.building:
            queryset = queryset.filter(building_id=self.building)
        if self.assignee == 0:
            queryset = queryset.filter(assignee__isnull=True)
        elif self.assignee:
            queryset = queryset.filter(assignee_id=self.assignee)
        if self.overdue:
            queryset = queryset.filter(overdue_q(now))
        if self.text:
            text = self.text
            by_text = Q(description__icontains=text) | Q(location_text__icontains=text)
            by_text |= Q(household__name__icontains=text) | Q(room__number=text) | Q(contact_phone=text)
            if text.lstrip("#").isdigit():
                by_text |= Q(pk=int(text.lstrip("#")))
            queryset = queryset.filter(by_text)
        return queryset


def requests_filtered(
    *, community: Community, filter: RequestFilter, now: datetime.datetime
) -> QuerySet[ServiceRequest]:
    return filter.apply(ServiceRequest.objects.filter(community=community), now).order_by(
        "-submitted_at", "-pk"
    )


def state_counts(*, community: Community, filter: RequestFilter, now: datetime.datetime) -> dict[str, int]:
    """{state: number of requests} under every filter but the state one (the inbox's tabs)."""
    queryset = filter.apply(ServiceRequest.objects.filter(community=community), now, with_state=False)
    counts = dict(queryset.values_list("state").annotate(n=Count("pk")).order_by())
    return {state: counts.get(state, 0) for state in RequestState.values}


def requests_for_list(queryset: QuerySet[ServiceRequest]) -> QuerySet[ServiceRequest]:
    """What an inbox row shows, in one query whatever the page size."""
    return queryset.select_related(
        "category__parent", "household", "room__building", "room__unit", "building", "assignee", "person"
    )


def work_orders_of(*, user, community: Community) -> QuerySet[ServiceRequest]:
    """ "My work orders": requests assigned to ``user``; open ones first, the most urgent on top."""
    return (
        ServiceRequest.objects.filter(community=community, assignee=user)
        .exclude(state__in=[RequestState.CLOSED, RequestState.REJECTED, RequestState.CANCELLED])
        .order_by(
            # done and rated come after the open ones
            F("done_at").asc(nulls_first=True),
            "completion_due_at",
            "pk",
        )
    )


def request_history(*, request: ServiceRequest) -> QuerySet[RequestEvent]:
    return RequestEvent.objects.filter(request=request).select_related("actor", "person", "assignee")


def request_comments(*, request: ServiceRequest, public_only: bool = False) -> QuerySet[RequestComment]:
    """Staff see every comment; the owner (``public_only``) sees the messages, never the internal notes."""
    queryset = RequestComment.objects.filter(request=request).select_related("author", "person")
    if public_only:
        queryset = queryset.filter(visibility="public")
    return queryset


def requests_of_household(*, household: Household) -> QuerySet[ServiceRequest]:
    """The household's requests, newest first (the owner portal's list)."""
    return (
        ServiceRequest.objects.filter(community_id=household.community_id, household=household)
        .select_related("category__parent", "room__building", "room__unit", "building")
        .order_by("-submitted_at", "-pk")
    )


def latest_requests_of_household(*, household: Household, limit: int) -> list[ServiceRequest]:
    """The first ``limit`` of ``requests_of_household``, each with its category (the portal home lists
    them on every visit: one fixed statement, wuye.core.sql)."""
    found = sql.joined(
        [ServiceRequest, ServiceCategory],
        f"SELECT {sql.columns(ServiceRequest, 'sr')}, {sql.columns(ServiceCategory, 'sc')} "  # noqa: S608
        f"FROM {ServiceRequest._meta.db_table} sr LEFT JOIN {ServiceCategory._meta.db_table} sc "
        "ON sc.id = sr.category_id WHERE sr.community_id = %s AND sr.household_id = %s "
        "ORDER BY sr.submitted_at DESC, sr.id DESC LIMIT %s",
        [household.community_id, household.pk, limit],
    )
    requests = []
    for request, category in found:
        request.category = category
        requests.append(request)
    return requests


def households_by_room_or_phone(*, community: Community, text: str) -> list[Household]:
    """Find the household of someone calling: by room number, room label (1栋-1单元-101) or phone."""
    from wuye.estate.domain.queries import room_by_label

    text = text.strip()
    if not text:
        return []
    room = room_by_label(community=community, label=text)
    query = Q(room_links__room__number=text) | Q(people__phone=text)
    if room is not None:
        query |= Q(room_links__room=room)
    return list(
        Household.objects.filter(community=community)
        .filter(query)
        .distinct()
        .prefetch_related("room_links__room__building", "room_links__room__unit", "people")
        .order_by("pk")[:20]
    )


# --- periods, performance and stars --------------------------------------------------------------------


def period_bounds(period: str, day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """[start, end) of the local day, ISO week (Monday to Sunday) or calendar month containing ``day``."""
    if period == Period.DAY:
        first, last = day, day + datetime.timedelta(days=1)
    elif period == Period.WEEK:
        first = day - datetime.timedelta(days=day.weekday())
        last = first + datetime.timedelta(days=7)
    elif period == Period.MONTH:
        first = day.replace(day=1)
        last = (first + datetime.timedelta(days=32)).replace(day=1)
    else:
        raise ValueError(period)
    zone = timezone.get_current_timezone()
    return (
        datetime.datetime.combine(first, datetime.time.min, tzinfo=zone),
        datetime.datetime.combine(last, datetime.time.min, tzinfo=zone),
    )


@dataclass
class Figures:
    """Performance of one person or team over a period. Rates are exact, rounded once for display."""

    subject: object
    handled: int = 0
    on_time: int = 0
    rated: int = 0
    stars_total: int = 0

    @property
    def on_time_rate(self) -> Decimal | None:
        """Percentage of handled requests done by their deadline, one decimal (ROUND_HALF_UP)."""
        if not self.handled:
            return None
        return (Decimal(self.on_time * 100) / self.handled).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def average_rating(self) -> Decimal | None:
        """Mean of the stars given, two decimals (ROUND_HALF_UP); None when nothing was rated."""
        if not self.rated:
            return None
        return (Decimal(self.stars_total) / self.rated).quantize(Decimal("0.01"), ROUND_HALF_UP)

    def rank_key(self) -> tuple:
        """Best first: most requests done on time, then the higher average rating (unrated last, compared
        exactly, not rounded), then more handled, then the lower pk — so the star is always the same."""
        rating = Fraction(self.stars_total, self.rated) if self.rated else Fraction(-1)
        return (-self.on_time, -rating, -self.handled, self.subject.pk)


@dataclass
class Performance:
    period: str
    start: datetime.datetime
    end: datetime.datetime
    people: list[Figures] = field(default_factory=list)
    teams: list[Figures] = field(default_factory=list)

    @property
    def star(self) -> Figures | None:
        """每日/每周/每月之星: the best person with at least one request handled in the period."""
        return self.people[0] if self.people else None


def _figures(queryset: QuerySet, key: str, subjects: dict) -> list[Figures]:
    rows = (
        queryset.exclude(**{f"{key}__isnull": True})
        .values(key)
        .annotate(
            handled=Count("pk"),
            on_time=Count("pk", filter=Q(done_at__lte=F("completion_due_at"))),
            rated=Count("stars"),
            stars_total=Sum("stars", default=0),
        )
        .order_by()
    )
    figures = [
        Figures(
            subject=subjects[row[key]],
            handled=row["handled"],
            on_time=row["on_time"],
            rated=row["rated"],
            stars_total=row["stars_total"],
        )
        for row in rows
    ]
    return sorted(figures, key=Figures.rank_key)


def performance(*, community: Community, period: str, day: datetime.date) -> Performance:
    """Requests handled (done within the period), on-time rate and average rating, per person (the
    assignee) and per team (the team the request was assigned through), best first."""
    start, end = period_bounds(period, day)
    handled = ServiceRequest.objects.filter(
        community=community, state__in=FINISHED_STATES, done_at__gte=start, done_at__lt=end
    )
    people_pks = set(handled.values_list("assignee", flat=True)) - {None}
    people = {user.pk: user for user in get_user_model().objects.filter(pk__in=people_pks)}
    teams = {team.pk: team for team in Team.objects.filter(community=community)}
    return Performance(
        period=period,
        start=start,
        end=end,
        people=_figures(handled, "assignee", people),
        teams=_figures(handled, "team", teams),
    )


def stars(*, community: Community, day: datetime.date) -> dict[str, Figures | None]:
    """The day's, the week's and the month's best (每日之星, 每周之星, 每月之星) around ``day``."""
    return {period: performance(community=community, period=period, day=day).star for period in Period.values}


# --- the dashboard -------------------------------------------------------------------------------------


@dataclass
class Dashboard:
    overdue_count: int
    overdue: list[ServiceRequest]
    open_by_state: dict[str, int]
    new_today: int
    escalations: list[RequestEvent]
    stars: dict[str, Figures | None]


def dashboard(*, community: Community, now: datetime.datetime, limit: int = 10) -> Dashboard:
    """The supervisor's view: overdue requests, open ones by state, today's new ones, the open requests
    escalated by the SLA job, and the stars."""
    requests = ServiceRequest.objects.filter(community=community)
    overdue = requests.filter(overdue_q(now))
    by_state = dict(
        requests.filter(state__in=OPEN_STATES).values_list("state").annotate(n=Count("pk")).order_by()
    )
    today = timezone.localdate(now)
    day_start, day_end = period_bounds(Period.DAY, today)
    escalations = list(
        RequestEvent.objects.filter(
            community=community, kind=EventKind.ESCALATION, request__state__in=OPEN_STATES
        )
        .select_related("request__category__parent", "request__assignee", "request__household")
        .order_by("-at", "-pk")[:limit]
    )
    return Dashboard(
        overdue_count=overdue.count(),
        overdue=list(requests_for_list(overdue.order_by("completion_due_at", "pk"))[:limit]),
        open_by_state={
            state: by_state.get(state, 0) for state in RequestState.values if state in OPEN_STATES
        },
        new_today=requests.filter(submitted_at__gte=day_start, submitted_at__lt=day_end).count(),
        escalations=escalations,
        stars=stars(community=community, day=today),
    )
