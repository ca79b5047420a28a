"""Service requests (报事报修) and work orders: categories with SLAs, teams, history, comments, photos."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wuye.core.models import Community, TenantQuerySet
from wuye.core.uploads import stored_name
from wuye.estate.models import Building, Room
from wuye.households.models import Household, Person
from wuye.service.enums import (
    CommentVisibility,
    Escalation,
    EventKind,
    RequestChannel,
    RequestState,
    RequestType,
    ReturnVisitResult,
)


class ServiceSettings(models.Model):
    """Per-community settings of the service desk; a community without a row uses the defaults."""

    community = models.OneToOneField(Community, on_delete=models.CASCADE, related_name="service_settings")
    auto_close_days = models.PositiveSmallIntegerField(
        _("close unrated requests after (days)"),
        default=7,
        help_text=_("A done request the owner has not rated is closed automatically after this many days."),
    )
    auto_assign = models.BooleanField(
        _("assign new requests automatically"),
        default=False,
        help_text=_("Accept each new request and hand it to the next member of its category's team."),
    )

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("service settings")
        verbose_name_plural = _("service settings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(auto_close_days__gte=1), name="servicesettings_days_positive"
            )
        ]

    def __str__(self) -> str:
        return str(self.community)


class Team(models.Model):
    """A group of staff that takes requests in rotation (e.g. 维修班, 保洁班)."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=40)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="TeamMember", related_name="service_teams", blank=True
    )
    # Number of assignments made so far; the next member is members[rotation % len(members)]. Only
    # advanced under the team's row lock (see domain.teams.team_next_member).
    rotation = models.PositiveIntegerField(default=0)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="team_unique_name")]

    def __str__(self) -> str:
        return self.name


class TeamMember(models.Model):
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="teammember_unique")]

    def __str__(self) -> str:
        return f"{self.team} · {self.user}"


class ServiceCategory(models.Model):
    """A node of the community's category tree (水电 → 漏水) with its SLA and default team."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    name = models.CharField(_("name"), max_length=40)
    response_minutes = models.PositiveIntegerField(
        _("response deadline (minutes)"), default=30, help_text=_("Time allowed to accept a request.")
    )
    completion_hours = models.PositiveIntegerField(
        _("completion deadline (hours)"), default=24, help_text=_("Time allowed to finish a request.")
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("default team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="categories",
        help_text=_("Requests of this category are assigned to its members in turn. Empty: the parent's."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("service category")
        verbose_name_plural = _("service categories")
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "parent", "name"], name="servicecategory_unique_name"
            ),
            models.UniqueConstraint(
                fields=["community", "name"],
                condition=models.Q(parent__isnull=True),
                name="servicecategory_unique_root_name",
            ),
            models.CheckConstraint(
                condition=models.Q(response_minutes__gte=1) & models.Q(completion_hours__gte=1),
                name="servicecategory_sla_positive",
            ),
        ]

    def __str__(self) -> str:
        if self.parent_id:
            return f"{self.parent.name} / {self.name}"
        return self.name

    @property
    def effective_team_id(self) -> int | None:
        if self.team_id or not self.parent_id:
            return self.team_id
        return self.parent.team_id


class ServiceRequest(models.Model):
    """One report by or for a household (or an anonymous common-area report) and its work order."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    type = models.CharField(_("type"), max_length=12, choices=RequestType.choices, default=RequestType.REPAIR)
    channel = models.CharField(_("channel"), max_length=10, choices=RequestChannel.choices)
    state = models.CharField(
        _("state"), max_length=12, choices=RequestState.choices, default=RequestState.SUBMITTED, db_index=True
    )
    category = models.ForeignKey(
        ServiceCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="requests"
    )
    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="service_requests",
    )
    person = models.ForeignKey(
        Person,
        verbose_name=_("requester"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="service_requests",
    )
    # Location: a room of the household, or a common area (free text and, optionally, its building).
    # ``building`` is also filled from the room so that the inbox filters by building in one column.
    room = models.ForeignKey(
        Room, verbose_name=_("room"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    building = models.ForeignKey(
        Building,
        verbose_name=_("building"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    location_text = models.CharField(_("location"), max_length=100, blank=True)
    description = models.TextField(_("description"))
    preferred_time = models.DateTimeField(_("preferred visit time"), null=True, blank=True)
    contact_name = models.CharField(_("contact name"), max_length=40, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)

    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="service_work_orders",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    # SLA: both deadlines are fixed at submission from the category (see domain.requests.request_submit).
    submitted_at = models.DateTimeField(_("submitted"), db_index=True)
    response_due_at = models.DateTimeField(_("respond by"))
    completion_due_at = models.DateTimeField(_("complete by"))
    responded_at = models.DateTimeField(_("responded"), null=True, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True, db_index=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    stars = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rating_comment = models.CharField(_("rating comment"), max_length=500, blank=True)
    rated_at = models.DateTimeField(_("rated"), null=True, blank=True)

    return_visit_result = models.CharField(
        _("return visit"), max_length=12, choices=ReturnVisitResult.choices, blank=True
    )
    return_visit_note = models.CharField(_("return visit note"), max_length=500, blank=True)
    return_visited_at = models.DateTimeField(_("return visit time"), null=True, blank=True)

    # Paid repairs: the amount agreed with the owner, in fen (1 yuan = 100 fen). Recorded only: the
    # one-off bill line is created by ``request_charge`` once billing has landed.
    charge_fen = models.BigIntegerField(_("charge (fen)"), default=0)
    charge_note = models.CharField(_("charge note"), max_length=200, blank=True)

    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        ordering = ["-submitted_at", "-pk"]
        indexes = [
            models.Index(fields=["community", "state"], name="servicerequest_comm_state"),
            models.Index(fields=["assignee", "state"], name="servicerequest_assignee_state"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(stars__isnull=True) | models.Q(stars__gte=1, stars__lte=5),
                name="servicerequest_stars_1_to_5",
            ),
            models.CheckConstraint(
                condition=models.Q(charge_fen__gte=0), name="servicerequest_charge_nonnegative"
            ),
            models.CheckConstraint(
                condition=models.Q(household__isnull=False)
                | models.Q(room__isnull=True, person__isnull=True),
                name="servicerequest_room_needs_household",
            ),
            models.CheckConstraint(
                condition=models.Q(response_due_at__gte=models.F("submitted_at"))
                & models.Q(completion_due_at__gte=models.F("submitted_at")),
                name="servicerequest_deadlines_after_submission",
            ),
            models.CheckConstraint(
                condition=~models.Q(state__in=["assigned", "in_progress", "paused"])
                | models.Q(assignee__isnull=False),
                name="servicerequest_work_has_assignee",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="rated") | models.Q(stars__isnull=False),
                name="servicerequest_rated_has_stars",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.category.name}" if self.category_id else f"#{self.pk}"

    @property
    def location(self) -> str:
        if self.room_id:
            return str(self.room)
        parts = [self.building.name if self.building_id else "", self.location_text]
        return " ".join(part for part in parts if part)


def photo_path(instance: RequestPhoto, filename: str) -> str:
    """A generated name with the extension of the checked type: the client's name is never used."""
    return stored_name(f"service/{instance.community_id}/{instance.request_id}", instance.content_type)


class RequestPhoto(models.Model):
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("photo"), upload_to=photo_path)
    content_type = models.CharField(max_length=30)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.file.name.rsplit("/", 1)[-1]


class RequestEvent(models.Model):
    """The request's own history: every state change, transfer, escalation, return visit and charge."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=12, choices=EventKind.choices, default=EventKind.TRANSITION)
    action = models.CharField(_("action"), max_length=12, blank=True)
    from_state = models.CharField(_("from"), max_length=12, choices=RequestState.choices, blank=True)
    to_state = models.CharField(_("to"), max_length=12, choices=RequestState.choices, blank=True)
    escalation = models.CharField(max_length=12, choices=Escalation.choices, blank=True, default="")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    person = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("time"), db_index=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("request event")
        verbose_name_plural = _("request events")
        ordering = ["at", "pk"]
        constraints = [
            # The SLA job escalates each missed deadline once, whatever how often it runs.
            models.UniqueConstraint(
                fields=["request", "escalation"],
                condition=~models.Q(escalation=""),
                name="requestevent_one_escalation_per_deadline",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="escalation", escalation__in=["response", "completion"])
                | (~models.Q(kind="escalation") & models.Q(escalation="")),
                name="requestevent_escalation_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} {self.from_state}→{self.to_state}"


class RequestComment(models.Model):
    """A note on a request: internal between staff, or public (the owner sees it and may answer)."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="comments")
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=CommentVisibility.choices, default=CommentVisibility.INTERNAL
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    person = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    body = models.TextField(_("text"))
    created_at = models.DateTimeField(_("time"))

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "pk"]
        constraints = [
            # Owners write messages, never internal notes.
            models.CheckConstraint(
                condition=models.Q(person__isnull=True) | models.Q(visibility="public"),
                name="requestcomment_owner_writes_public",
            )
        ]

    def __str__(self) -> str:
        return self.body[:40]
