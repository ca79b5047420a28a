"""Notices (公告) with their targeting and read receipts; activities (活动) with sign-ups."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wuye.core.models import Community, TenantQuerySet
from wuye.estate.models import Building
from wuye.households.models import Household, Person, Tag
from wuye.notices.enums import ActivityState, Audience, NoticeState


class Notice(models.Model):
    """An announcement to the whole community, to some buildings, or to households with some tags.

    Visible to a targeted household from ``publish_at`` (a scheduled notice becomes visible on time
    even before the job has marked it published) until ``expires_at``.
    """

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("text"))
    audience = models.CharField(_("for"), max_length=10, choices=Audience.choices, default=Audience.COMMUNITY)
    buildings = models.ManyToManyField(Building, through="NoticeBuilding", related_name="+", blank=True)
    tags = models.ManyToManyField(Tag, through="NoticeTag", related_name="+", blank=True)
    pinned = models.BooleanField(_("pinned"), default=False)
    urgent = models.BooleanField(_("urgent"), default=False, help_text=_("e.g. a water or power outage"))
    state = models.CharField(
        _("state"), max_length=10, choices=NoticeState.choices, default=NoticeState.DRAFT, db_index=True
    )
    publish_at = models.DateTimeField(_("publish at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    # Set once, by a conditional UPDATE, when the targeted people are notified: never notified twice.
    notified_at = models.DateTimeField(_("people notified"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["community", "state", "publish_at"], name="notice_comm_state_publish")
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state="draft") | models.Q(publish_at__isnull=False),
                name="notice_published_has_time",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__isnull=True)
                | models.Q(publish_at__isnull=True)
                | models.Q(expires_at__gt=models.F("publish_at")),
                name="notice_expires_after_publication",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class NoticeBuilding(models.Model):
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="building_links")
    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="+")

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["notice", "building"], name="noticebuilding_unique")]

    def __str__(self) -> str:
        return f"{self.notice_id} · {self.building_id}"


class NoticeTag(models.Model):
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="tag_links")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="+")

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["notice", "tag"], name="noticetag_unique")]

    def __str__(self) -> str:
        return f"{self.notice_id} · {self.tag_id}"


class NoticeRead(models.Model):
    """A read receipt: the first time someone of the household opened the notice."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="reads")
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="notice_reads")
    person = models.ForeignKey(
        Person, verbose_name=_("read by"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    read_at = models.DateTimeField(_("read at"))

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("read receipt")
        verbose_name_plural = _("read receipts")
        ordering = ["read_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["notice", "household"], name="noticeread_unique")]

    def __str__(self) -> str:
        return f"{self.notice_id} · {self.household_id}"


class Activity(models.Model):
    """A community event (社区活动) households sign up for, up to its capacity."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    place = models.CharField(_("place"), max_length=100)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    capacity = models.PositiveIntegerField(_("capacity"), help_text=_("How many people can sign up."))
    signup_deadline = models.DateTimeField(_("sign-up deadline"))
    state = models.CharField(
        _("state"), max_length=10, choices=ActivityState.choices, default=ActivityState.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-starts_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(capacity__gte=1), name="activity_capacity_positive"),
            models.CheckConstraint(
                condition=models.Q(signup_deadline__lte=models.F("starts_at")),
                name="activity_signup_before_start",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_at__isnull=True) | models.Q(ends_at__gte=models.F("starts_at")),
                name="activity_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ActivitySignup(models.Model):
    """One person signed up for an activity. A cancelled sign-up stays, with ``cancelled_at``."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="signups")
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(_("signed up"))
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("sign-up")
        verbose_name_plural = _("sign-ups")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "person"],
                condition=models.Q(cancelled_at__isnull=True),
                name="activitysignup_one_active_per_person",
            )
        ]

    def __str__(self) -> str:
        return f"{self.activity_id} · {self.person_id}"
