"""The portal's own tables: the key of each community's public pay page (自助缴费 poster) and the
version of each household's pay links."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from wuye.core.models import Community, TenantQuerySet
from wuye.households.models import Household


def new_poster_token() -> str:
    """128 random bits, URL-safe: the community's pay page cannot be found by counting."""
    return secrets.token_urlsafe(16)


class PayPoster(models.Model):
    """The unguessable token of a community's pay page, printed as a QR code on its poster.

    The page itself is public (the poster hangs in the lobby); the token only keeps strangers from
    walking through every community's rooms by changing a number in the address."""

    community = models.OneToOneField(Community, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=32, unique=True, default=new_poster_token)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("pay poster")
        verbose_name_plural = _("pay posters")

    def __str__(self) -> str:
        return f"{self.community_id}"


class HouseholdPayLink(models.Model):
    """The version of a household's pay links (the QR code on a notice that opens its bills with no
    questions asked). Every link carries the version it was issued with; revoking adds one, so all the
    links issued before stop working at once. A household that never had a link revoked has no row
    (version 0). Links also expire by themselves: ``settings.PAY_LINK_DAYS`` after they were issued."""

    household = models.OneToOneField(Household, on_delete=models.CASCADE, primary_key=True, related_name="+")
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    version = models.PositiveIntegerField(_("version"), default=0)
    revoked_at = models.DateTimeField(_("last revoked"), null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("household pay link")
        verbose_name_plural = _("household pay links")

    def __str__(self) -> str:
        return f"{self.household_id} v{self.version}"
