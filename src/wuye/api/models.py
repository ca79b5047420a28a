"""What the API itself stores: the responses of POSTs sent with ``X-Idempotency-Key``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class IdempotentRequest(models.Model):
    """A POST made with an ``X-Idempotency-Key``: claimed before it runs, its response kept after.

    Keys belong to a user (whichever of their tokens sent it), not to a community: the key is read
    before the request body says which community it concerns. While ``status_code`` is null the
    request is still running; a second request with the same key then answers 409.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(_("idempotency key"), max_length=100)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=300)
    # SHA-256 of the request body (JSON bodies in canonical form), so that a key reused for a
    # different request is refused instead of answered with the first request's response.
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("idempotent API request")
        verbose_name_plural = _("idempotent API requests")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotentrequest_unique_key"),
            models.CheckConstraint(
                condition=Q(status_code__isnull=True) | Q(completed_at__isnull=False),
                name="idempotentrequest_completed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"
