"""Owner accounts (业主账号), their bindings to households, one-time login codes and API tokens.

An owner account is not a Django user: owners never reach the console, and staff accounts never
reach the portal. An account spans communities (one phone, several households anywhere); what it
may see is exactly the households it is bound to.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wuye.core.crypto import mask
from wuye.core.models import Community, TenantQuerySet
from wuye.estate.models import Room
from wuye.households.models import Household, Person
from wuye.owners.enums import BindingRequestState, BindingSource, Language, LoginPurpose


class OwnerAccount(models.Model):
    phone = models.CharField(_("phone"), max_length=20, unique=True)
    display_name = models.CharField(_("display name"), max_length=40, blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=Language.choices, default=Language.ZH_HANS
    )
    email = models.EmailField(_("email"), blank=True)
    # Filled when the account is linked to the WeChat official account (template messages).
    wechat_openid = models.CharField(_("WeChat openid"), max_length=64, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    last_login_at = models.DateTimeField(_("last login"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("owner account")
        verbose_name_plural = _("owner accounts")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["wechat_openid"],
                condition=~models.Q(wechat_openid=""),
                name="owneraccount_unique_openid",
            ),
            models.CheckConstraint(condition=~models.Q(phone=""), name="owneraccount_has_phone"),
        ]

    def __str__(self) -> str:
        return self.display_name or self.phone_masked

    @property
    def phone_masked(self) -> str:
        return mask(self.phone, keep_start=3, keep_end=4)


class HouseholdBinding(models.Model):
    """An account may act for this household (see its bills, report repairs, read its notices)."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(OwnerAccount, on_delete=models.CASCADE, related_name="bindings")
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="owner_bindings")
    # The archive person the account speaks for (their phone, their name); null if removed since.
    person = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="owner_bindings"
    )
    source = models.CharField(_("source"), max_length=12, choices=BindingSource.choices)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("household binding")
        verbose_name_plural = _("household bindings")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["account", "household"], name="householdbinding_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.account} · {self.household}"


class BindingRequest(models.Model):
    """An owner's request to be bound to a household, matched against the archive, decided by staff.

    Only requests that matched the archive are stored (room, registered name and the last four
    digits of the ID number or phone); the digits themselves are not kept.
    """

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(OwnerAccount, on_delete=models.CASCADE, related_name="binding_requests")
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="binding_requests")
    person = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("registered name"), max_length=40)
    state = models.CharField(
        _("state"), max_length=10, choices=BindingRequestState.choices, default=BindingRequestState.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("binding request")
        verbose_name_plural = _("binding requests")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "household"],
                condition=models.Q(state=BindingRequestState.PENDING),
                name="bindingrequest_one_pending",
            ),
            models.CheckConstraint(
                condition=models.Q(state=BindingRequestState.PENDING) | models.Q(decided_at__isnull=False),
                name="bindingrequest_decided_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} · {self.room}"


def code_digest(phone: str, code: str) -> str:
    """Keyed hash of a one-time code: a six-digit code is too short for a plain hash to hide it."""
    return hmac.new(settings.SECRET_KEY.encode(), f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


class LoginCode(models.Model):
    """A one-time code sent by SMS. Only its keyed hash is stored; it expires, is used once, and
    dies after too many wrong guesses. The rows double as the rate-limit counter."""

    phone = models.CharField(_("phone"), max_length=20)
    purpose = models.CharField(
        _("purpose"), max_length=10, choices=LoginPurpose.choices, default=LoginPurpose.LOGIN
    )
    # For a phone change: the account that asked; the code goes to the new phone.
    account = models.ForeignKey(
        OwnerAccount, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    code_hash = models.CharField(max_length=64)
    client_address = models.GenericIPAddressField(null=True, blank=True)
    # What the per-address rate limit counts: the address, or its /64 for IPv6 (core.net.address_bucket).
    client_network = models.CharField(max_length=50, blank=True, default="")
    attempts = models.PositiveSmallIntegerField(_("wrong attempts"), default=0)
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("login code")
        verbose_name_plural = _("login codes")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["phone", "created_at"], name="logincode_phone_time"),
            models.Index(fields=["client_network", "created_at"], name="logincode_network_time"),
            models.Index(fields=["account", "created_at"], name="logincode_account_time"),
        ]

    def __str__(self) -> str:
        return mask(self.phone, keep_start=3, keep_end=4)


class OwnerToken(models.Model):
    """An owner's bearer token for /api/v1/owner/. Only a hash is stored; the key is shown once."""

    account = models.ForeignKey(OwnerAccount, on_delete=models.CASCADE, related_name="tokens")
    prefix = models.CharField(max_length=8)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("owner API token")
        verbose_name_plural = _("owner API tokens")

    def __str__(self) -> str:
        return f"{self.account} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()
