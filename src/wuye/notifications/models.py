"""The notifications outbox: one row per message to one address on one channel, and opt-outs."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from wuye.core.crypto import mask
from wuye.core.models import Community, TenantQuerySet
from wuye.households.models import Person
from wuye.notifications.enums import Channel, MessageState


class NotificationPreference(models.Model):
    """A person's choice for one event on one channel; no row means "send"."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="notification_preferences")
    event = models.CharField(_("event"), max_length=60)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    enabled = models.BooleanField(_("enabled"), default=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "event", "channel"], name="notificationpreference_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.event} · {self.channel}"


class Message(models.Model):
    """One message in the outbox, rendered in the recipient's language when it was queued.

    ``community`` is null only for messages to a phone no community knows yet (a first login code);
    those are visible to superusers only. ``next_attempt_at`` is when delivery may (re)try it; while
    a worker holds it (state ``sending``) it is the moment the claim expires.

    ``has_secret``: the text as sent held a secret (a login code). ``subject`` and ``body`` keep it
    masked; the text with the secret existed only in the memory of the process that queued the
    message, which alone can deliver it (see ``outbox``), so such a message is never retried.
    """

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    person = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    address = models.CharField(_("address"), max_length=254)
    event = models.CharField(_("event"), max_length=60, db_index=True)
    language = models.CharField(_("language"), max_length=10)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    has_secret = models.BooleanField(_("holds a secret"), default=False)
    state = models.CharField(
        _("state"), max_length=10, choices=MessageState.choices, default=MessageState.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="message_due"),
            models.Index(fields=["community", "-created_at"], name="message_community_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(state=MessageState.SENT) | models.Q(sent_at__isnull=False),
                name="message_sent_has_time",
            ),
            models.CheckConstraint(condition=~models.Q(address=""), name="message_has_address"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.address_masked}"

    @property
    def address_masked(self) -> str:
        if self.channel == Channel.SMS:
            return mask(self.address, keep_start=3, keep_end=4)
        if self.channel == Channel.EMAIL and "@" in self.address:
            local, domain = self.address.split("@", 1)
            return f"{local[:1]}***@{domain}"
        return mask(self.address, keep_start=4, keep_end=4)
