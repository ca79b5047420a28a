"""Access control (门禁): doors and their groups, who may pass (credentials and rules), visitor passes,
and every decision a door asked for (the event log).

Secrets never enter the database: a door's key is a reference (``file:``, ``env:`` or, while the
simulators stand in, ``paysim:``) resolved by ``wuye.core.references``. Credential values are what a
device reads (a card number, a QR token, a vendor's face id); a QR token is random.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wuye.access.enums import CredentialKind, EventResult, Reason, RuleSubject
from wuye.core.crypto import mask
from wuye.core.enums import Role
from wuye.core.models import Community, TenantQuerySet
from wuye.estate.models import Building
from wuye.households.models import Household, Person
from wuye.owners.models import OwnerAccount


def new_token() -> str:
    """An unguessable token for a QR code (a credential or a visitor pass): 32 URL-safe characters."""
    return secrets.token_urlsafe(24)


class Door(models.Model):
    """A door or gate with a reader, run by a device that signs what it sends with its key."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    # Empty for the estate's own gates (小区大门); a building's door otherwise.
    building = models.ForeignKey(
        Building,
        verbose_name=_("building"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty for a gate of the estate."),
    )
    name = models.CharField(_("name"), max_length=40)
    device_id = models.CharField(_("device id"), max_length=40)
    # Where the device's shared key is (wuye.core.references: "file:…", "env:…", "paysim:…"), never the key.
    key_ref = models.CharField(_("device key"), max_length=300)
    is_active = models.BooleanField(_("in service"), default=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("door")
        verbose_name_plural = _("doors")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["community", "device_id"], name="door_unique_device"),
            models.CheckConstraint(condition=~Q(device_id=""), name="door_has_device_id"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def wire_id(self) -> str:
        """What the device sends as X-Wuye-Device: device ids are unique per community only."""
        return f"{self.community_id}:{self.device_id}"


class DoorGroup(models.Model):
    """Doors that rules open together (e.g. 1栋 all doors, 大门 and 车库)."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=40)
    doors = models.ManyToManyField(Door, through="DoorGroupMember", related_name="groups", blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("door group")
        verbose_name_plural = _("door groups")
        ordering = ["name", "pk"]
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="doorgroup_unique_name")]

    def __str__(self) -> str:
        return self.name


class DoorGroupMember(models.Model):
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    group = models.ForeignKey(DoorGroup, on_delete=models.CASCADE, related_name="members")
    door = models.ForeignKey(Door, on_delete=models.CASCADE, related_name="+")

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "door"], name="doorgroupmember_unique")]

    def __str__(self) -> str:
        return f"{self.group_id} · {self.door_id}"


class AccessRule(models.Model):
    """Opens a door group to a kind of person on some weekdays between two times of day."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    group = models.ForeignKey(
        DoorGroup, verbose_name=_("door group"), on_delete=models.CASCADE, related_name="rules"
    )
    subject = models.CharField(_("who"), max_length=10, choices=RuleSubject.choices)
    building = models.ForeignKey(
        Building,
        verbose_name=_("building"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, blank=True)
    # ISO weekdays the rule holds on, as digits: "12345" is Monday to Friday.
    weekdays = models.CharField(_("weekdays"), max_length=7, default="1234567")
    # Local times, both inclusive to the minute: 00:00–23:59 is the whole day.
    starts_at = models.TimeField(_("from"), default="00:00")
    ends_at = models.TimeField(_("until"), default="23:59")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("access rule")
        verbose_name_plural = _("access rules")
        ordering = ["group", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(subject=RuleSubject.RESIDENTS, building__isnull=True, role="")
                | Q(subject=RuleSubject.BUILDING, building__isnull=False, role="")
                | (Q(subject=RuleSubject.ROLE, building__isnull=True) & ~Q(role="")),
                name="accessrule_subject_fields",
            ),
            models.CheckConstraint(
                condition=Q(starts_at__lte=models.F("ends_at")), name="accessrule_times_ordered"
            ),
            models.CheckConstraint(condition=~Q(weekdays=""), name="accessrule_has_weekdays"),
        ]

    def __str__(self) -> str:
        return f"{self.group} · {self.get_subject_display()}"


class Credential(models.Model):
    """What a person shows a reader: a card, a QR code or an enrolled face.

    A resident's credential names the person (and their household); a staff member's names the user.
    Revoking keeps the row (the event log names it); ``revoked_at`` is final.
    """

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, null=True, blank=True, related_name="access_credentials"
    )
    # Kept when the person is removed from the archive (their credentials were revoked just before).
    person = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="access_credentials"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=5, choices=CredentialKind.choices)
    value = models.CharField(_("card number or id"), max_length=64)
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    issued_at = models.DateTimeField(_("issued"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_reason = models.CharField(_("reason"), max_length=200, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("credential")
        verbose_name_plural = _("credentials")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            # A card or code opens for one holder at a time.
            models.UniqueConstraint(
                fields=["community", "kind", "value"],
                condition=Q(revoked_at__isnull=True),
                name="credential_unique_active_value",
            ),
            models.CheckConstraint(
                condition=~Q(person__isnull=False, user__isnull=False), name="credential_one_holder"
            ),
            models.CheckConstraint(condition=~Q(value=""), name="credential_has_value"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gt=models.F("valid_from")),
                name="credential_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.value_masked}"

    @property
    def value_masked(self) -> str:
        return mask(self.value, keep_start=2, keep_end=4)

    @property
    def holder_name(self) -> str:
        if self.person_id:
            return self.person.name
        if self.user_id:
            return self.user.get_full_name() or self.user.get_username()
        return ""


class VisitorPass(models.Model):
    """A pass an owner makes for a visitor: a QR token, a window, a number of uses."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="visitor_passes")
    created_by = models.ForeignKey(
        OwnerAccount, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    visitor_name = models.CharField(_("visitor's name"), max_length=40)
    visitor_phone = models.CharField(_("visitor's phone"), max_length=20, blank=True)
    token = models.CharField(max_length=64, unique=True, default=new_token)
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"))
    max_uses = models.PositiveSmallIntegerField(_("uses allowed"), default=1)
    uses = models.PositiveSmallIntegerField(_("uses"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_reason = models.CharField(_("reason"), max_length=200, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("visitor pass")
        verbose_name_plural = _("visitor passes")
        ordering = ["-valid_from", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gt=models.F("valid_from")), name="visitorpass_window"
            ),
            models.CheckConstraint(
                condition=Q(max_uses__gte=1, max_uses__lte=10), name="visitorpass_uses_1_10"
            ),
            models.CheckConstraint(
                condition=Q(uses__lte=models.F("max_uses")), name="visitorpass_uses_bounded"
            ),
        ]

    def __str__(self) -> str:
        return self.visitor_name

    @property
    def visitor_phone_masked(self) -> str:
        return mask(self.visitor_phone, keep_start=3, keep_end=4)


class DoorEvent(models.Model):
    """One presentation at a door and what was decided: the doors' own append-only log.

    ``device_event_id`` is the device's id of the event, recorded once per door: a device that repeats
    a request (its answer got lost) is refused as a replay and changes nothing.
    """

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    door = models.ForeignKey(Door, on_delete=models.PROTECT, related_name="events")
    device_event_id = models.CharField(max_length=64)
    kind = models.CharField(_("presented"), max_length=5)
    # What was presented, masked (an unknown card's number is kept this way too).
    presented = models.CharField(_("card or code"), max_length=80, blank=True)
    credential = models.ForeignKey(
        Credential, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    visitor_pass = models.ForeignKey(
        VisitorPass, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    holder = models.CharField(_("who"), max_length=80, blank=True)
    result = models.CharField(_("result"), max_length=8, choices=EventResult.choices)
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    occurred_at = models.DateTimeField(_("time"))

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("door event")
        verbose_name_plural = _("door events")
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            models.Index(fields=["community", "-occurred_at"], name="doorevent_time"),
            models.Index(fields=["door", "-occurred_at"], name="doorevent_door_time"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["door", "device_event_id"], name="doorevent_once_per_door"),
            models.CheckConstraint(condition=~Q(device_event_id=""), name="doorevent_has_event_id"),
        ]

    def __str__(self) -> str:
        return f"{self.door} {self.result}"
