"""Tenancy (company → community), staff roles, the audit log and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wuye.core.enums import Role
from wuye.core.rules import roles_granting


class Company(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("property company")
        verbose_name_plural = _("property companies")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class Community(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="communities")
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("service phone"), max_length=30, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["company", "name"], name="community_unique_name")]

    def __str__(self) -> str:
        return self.name


def communities_for(user, permission: str) -> models.QuerySet[Community]:
    """The communities in which ``user`` holds a role that grants ``permission``."""
    if not user or not user.is_authenticated or not user.is_active:
        return Community.objects.none()
    if user.is_superuser:
        return Community.objects.all()
    return Community.objects.filter(
        staff_roles__user=user, staff_roles__role__in=roles_granting(permission)
    ).distinct()


def communities_with_role(user) -> models.QuerySet[Community]:
    """The communities in which ``user`` holds any role (every community for a superuser)."""
    if not user or not user.is_authenticated or not user.is_active:
        return Community.objects.none()
    if user.is_superuser:
        return Community.objects.all()
    return Community.objects.filter(staff_roles__user=user).distinct()


def user_can(user, community_id: int, permission: str) -> bool:
    return communities_for(user, permission).filter(pk=community_id).exists()


class TenantQuerySet(models.QuerySet):
    """Every tenant-owned table carries ``community``; every staff read goes through ``for_user``."""

    def for_user(self, user, permission: str):
        return self.filter(community__in=communities_for(user, permission).values("pk"))


class StaffRole(models.Model):
    """A staff user's role in one community. A person may hold several roles in several communities."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_roles")
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="staff_roles")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("staff role")
        verbose_name_plural = _("staff roles")
        constraints = [
            models.UniqueConstraint(fields=["user", "community", "role"], name="staffrole_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.community} · {self.get_role_display()}"


class AuditLog(models.Model):
    """Append-only record of every change: who, when, what (old → new).

    Entries that concern a household carry ``household_id``; the household timeline is the list of
    those entries, so billing, payments and requests join the timeline by logging their actions.
    ``household_id`` is a plain integer so that ``core`` depends on no other app.
    """

    # community leads audit_community_time: no index of its own (every action writes one row).
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="+", null=True, db_index=False
    )
    # actor indexed only where set, action without a pattern-matching twin (Meta).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    action = models.CharField(_("action"), max_length=80)
    object_type = models.CharField(_("object type"), max_length=60)
    object_pk = models.BigIntegerField(_("object id"), null=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    household_id = models.BigIntegerField(null=True, db_index=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["community", "-created_at"], name="audit_community_time"),
            models.Index(fields=["action"], name="audit_action"),
            models.Index(fields=["actor"], condition=Q(actor__isnull=False), name="audit_actor"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_repr}"


class ApiToken(models.Model):
    """A staff user's bearer token for /api/v1. Only a hash is stored; the key is shown once.

    Every token expires (``expires_at``, chosen when it is created, at most
    ``settings.API_TOKEN_MAX_DAYS`` away): a key copied into a forgotten script or a leaked
    configuration stops working by itself. Revoking deletes the token."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=60)
    prefix = models.CharField(max_length=8, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @classmethod
    def issue(cls, *, user, name: str, expires_at: datetime | None = None) -> tuple[ApiToken, str]:
        """A new token (by default valid ``settings.API_TOKEN_DAYS``) and its key, returned once."""
        if expires_at is None:
            expires_at = timezone.now() + timedelta(days=settings.API_TOKEN_DAYS)
        key = "wy_" + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, name=name, prefix=key[:8], key_hash=cls.hash_key(key), expires_at=expires_at
        )
        return token, key


class LoginThrottle(models.Model):
    """Failed password logins, counted per account (the username typed) and per network address.

    Kept in the database, not the cache, so every web process counts the same failures. After too
    many failures within the window the account or address is locked: every login through it is
    refused, even with the right password, until ``locked_until`` or until an administrator lifts the
    lock. ``lockouts`` counts the locks in a row (each lasts twice the one before); ``refused`` counts
    the logins refused during the current lock. A row of an unknown username is kept like any other,
    so a refusal never tells whether an account exists.
    """

    class Kind(models.TextChoices):
        ACCOUNT = "account", pgettext_lazy("login lock", "account")
        ADDRESS = "address", _("network address")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    key = models.CharField(_("username or address"), max_length=150)
    failures = models.PositiveIntegerField(_("failed logins"), default=0)
    window_started_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(_("last failure"), null=True, blank=True)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True, db_index=True)
    lockouts = models.PositiveIntegerField(_("lockouts in a row"), default=0)
    refused = models.PositiveIntegerField(_("refused while locked"), default=0)

    class Meta:
        verbose_name = _("login throttle")
        verbose_name_plural = _("login throttles")
        constraints = [
            models.UniqueConstraint(fields=["kind", "key"], name="loginthrottle_unique_key"),
            models.CheckConstraint(
                condition=models.Q(kind__in=["account", "address"]), name="loginthrottle_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.key}"


class Job(models.Model):
    """One piece of background work, from the moment it is started until it ends: the record is the
    truth and the broker only a doorbell (``wuye.core.jobs``), so a job whose message is lost, or
    whose worker dies, is found again and run; a failed one stays visible until someone retries it."""

    class State(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("job state", "Queued")
        RUNNING = "running", pgettext_lazy("job state", "Running")
        SUCCEEDED = "succeeded", pgettext_lazy("job state", "Succeeded")
        FAILED = "failed", pgettext_lazy("job state", "Failed")

    name = models.CharField(_("job"), max_length=120)
    kwargs = models.JSONField(_("arguments"), default=dict, blank=True)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.QUEUED)
    # A community's job is the community's; a job of several (a company's billing) has none, its
    # parts have theirs.
    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )
    parent = models.ForeignKey("self", on_delete=models.CASCADE, related_name="parts", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Started once: a second start with the same key returns the first job (a beat's tick).
    key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    schedule = models.CharField(_("schedule"), max_length=60, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveIntegerField(default=5)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    error = models.TextField(_("error"), blank=True)
    worker = models.CharField(_("worker"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    not_before = models.DateTimeField(null=True, blank=True)  # a retry's backoff
    lease_until = models.DateTimeField(null=True, blank=True)  # a running job's worker renews it
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "not_before"], name="job_state_due"),
            models.Index(fields=["community", "-created_at"], name="job_community_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress_done__lte=models.F("progress_total"))
                | models.Q(progress_total=0),
                name="job_progress_within_total",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="running") | models.Q(lease_until__isnull=False),
                name="job_running_has_lease",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} #{self.pk}"


class Schedule(models.Model):
    """When a periodic command last started: however many beat processes tick, one start per period
    (``wuye.core.jobs.tick``)."""

    name = models.CharField(max_length=60, primary_key=True)
    last_started_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name
