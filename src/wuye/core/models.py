"""Tenancy (company → community), staff roles, the audit log and API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

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

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+", null=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(_("action"), max_length=80, db_index=True)
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
        indexes = [models.Index(fields=["community", "-created_at"], name="audit_community_time")]

    def __str__(self) -> str:
        return f"{self.action} {self.object_repr}"


class ApiToken(models.Model):
    """A staff user's bearer token for /api/v1. Only a hash is stored; the key is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=60)
    prefix = models.CharField(max_length=8, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(cls, *, user, name: str) -> tuple[ApiToken, str]:
        key = "wy_" + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, prefix=key[:8], key_hash=cls.hash_key(key))
        return token, key
