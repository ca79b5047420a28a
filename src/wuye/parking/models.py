"""Parking (停车): areas with their gates and rates, spaces linked to households and their vehicles, the
cars that come and go (visits), and plates refused at the gate.

A space bought or rented monthly is billed through the billing engine like any room: it may name the
room (of use "parking") that carries its fee assignment. A car without a space of the area pays at the
exit by the area's rate (``wuye.parking.domain.fees``), through the payments core.
"""

from __future__ import annotations

import datetime
import secrets

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wuye.core.models import Community, TenantQuerySet
from wuye.estate.models import Room
from wuye.households.models import Household, Vehicle
from wuye.parking.enums import GateDirection, SpaceKind, VisitKind, VisitState


def new_token() -> str:
    return secrets.token_urlsafe(16)


class ParkingArea(models.Model):
    """A car park of the community (地面停车场, 地下车库) with its gates and its rate for visitors."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=40)
    temporary_capacity = models.PositiveIntegerField(
        _("spaces for visitors"),
        default=0,
        help_text=_("Cars without a space of their own that fit; the entry refuses more (0: no limit)."),
    )
    # The rate for visitors' cars, as data (see wuye.parking.domain.fees).
    free_minutes = models.PositiveSmallIntegerField(_("free minutes"), default=30)
    unit_minutes = models.PositiveSmallIntegerField(
        _("charging unit (minutes)"), default=60, help_text=_("Each started unit is charged.")
    )
    day_unit_fen = models.PositiveIntegerField(_("price per unit by day (fen)"), default=500)
    night_unit_fen = models.PositiveIntegerField(_("price per unit at night (fen)"), default=100)
    night_starts = models.TimeField(_("night starts"), default=datetime.time(22, 0))
    night_ends = models.TimeField(_("night ends"), default=datetime.time(7, 0))
    daily_cap_fen = models.PositiveIntegerField(
        _("cap per calendar day (fen)"), default=3000, help_text=_("0: no cap.")
    )
    grace_minutes = models.PositiveSmallIntegerField(_("minutes to leave after paying"), default=15)
    is_active = models.BooleanField(_("active"), default=True)
    # The address of the "pay for my car" page on the poster at the exit (a driver types the plate).
    token = models.CharField(max_length=32, unique=True, default=new_token)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("parking area")
        verbose_name_plural = _("parking areas")
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="parkingarea_unique_name"),
            models.CheckConstraint(condition=Q(unit_minutes__gte=5), name="parkingarea_unit_minutes_min"),
        ]

    def __str__(self) -> str:
        return self.name


class ParkingSpace(models.Model):
    """One space: owned or rented monthly by a household (with the vehicles that use it), or in the pool
    for visitors. A space that is billed names the room that carries its fee assignment."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    area = models.ForeignKey(ParkingArea, on_delete=models.PROTECT, related_name="spaces")
    number = models.CharField(_("number"), max_length=20)
    kind = models.CharField(_("kind"), max_length=10, choices=SpaceKind.choices, default=SpaceKind.MONTHLY)
    room = models.OneToOneField(
        Room, on_delete=models.PROTECT, null=True, blank=True, related_name="parking_space"
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, null=True, blank=True, related_name="parking_spaces"
    )
    vehicles = models.ManyToManyField(Vehicle, blank=True, related_name="parking_spaces")
    starts_on = models.DateField(_("from"), null=True, blank=True)
    ends_on = models.DateField(_("until"), null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("parking space")
        verbose_name_plural = _("parking spaces")
        ordering = ["area", "number"]
        constraints = [
            models.UniqueConstraint(fields=["area", "number"], name="parkingspace_unique_number"),
            models.CheckConstraint(
                condition=~Q(kind=SpaceKind.TEMPORARY) | Q(household__isnull=True),
                name="parkingspace_temporary_no_household",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True)
                | Q(starts_on__isnull=True)
                | Q(ends_on__gte=models.F("starts_on")),
                name="parkingspace_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class Gate(models.Model):
    """A barrier of an area, entry or exit, run by a device that signs what it sends with its key."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    area = models.ForeignKey(ParkingArea, on_delete=models.PROTECT, related_name="gates")
    name = models.CharField(_("name"), max_length=40)
    direction = models.CharField(_("direction"), max_length=5, choices=GateDirection.choices)
    device_id = models.CharField(_("device id"), max_length=40, unique=True)
    # Where the device's shared key is (wuye.core.references: "file:…", "env:…", "paysim:…"), never the key.
    key_ref = models.CharField(_("device key"), max_length=300)
    is_active = models.BooleanField(_("active"), default=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("gate")
        verbose_name_plural = _("gates")

    def __str__(self) -> str:
        return self.name


class PlateBlock(models.Model):
    """A plate the gates refuse (黑名单), until a date or for good."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    plate = models.CharField(_("plate"), max_length=12)
    reason = models.CharField(_("reason"), max_length=200)
    until = models.DateField(_("until"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("blocked plate")
        verbose_name_plural = _("blocked plates")
        constraints = [models.UniqueConstraint(fields=["community", "plate"], name="plateblock_unique_plate")]

    def __str__(self) -> str:
        return self.plate


class ParkingVisit(models.Model):
    """A car's stay in an area: its entry, its payments and its exit, as the gates reported them."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    area = models.ForeignKey(ParkingArea, on_delete=models.PROTECT, related_name="visits")
    plate = models.CharField(_("plate"), max_length=12)
    kind = models.CharField(_("kind"), max_length=10, choices=VisitKind.choices)
    space = models.ForeignKey(ParkingSpace, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    state = models.CharField(_("state"), max_length=8, choices=VisitState.choices, default=VisitState.INSIDE)
    entered_at = models.DateTimeField(_("entered"))
    entry_gate = models.ForeignKey(Gate, on_delete=models.PROTECT, related_name="+")
    entry_event_id = models.CharField(max_length=64)
    entry_photo = models.CharField(_("entry photo"), max_length=200, blank=True)
    exited_at = models.DateTimeField(_("left"), null=True, blank=True)
    exit_gate = models.ForeignKey(Gate, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    exit_event_id = models.CharField(max_length=64, blank=True)
    exit_photo = models.CharField(_("exit photo"), max_length=200, blank=True)
    paid_fen = models.BigIntegerField(_("paid (fen)"), default=0)  # Σ of its applied payments
    paid_at = models.DateTimeField(_("last paid"), null=True, blank=True)
    fee_fen = models.BigIntegerField(_("fee (fen)"), default=0)  # the fee at the exit (or as last asked)
    token = models.CharField(max_length=32, unique=True, default=new_token)  # the pay page's address

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("parking visit")
        verbose_name_plural = _("parking visits")
        constraints = [
            # One car inside an area at a time; a gate's event is recorded once (the device retries).
            models.UniqueConstraint(
                fields=["area", "plate"], condition=Q(state=VisitState.INSIDE), name="parkingvisit_one_inside"
            ),
            models.UniqueConstraint(fields=["entry_gate", "entry_event_id"], name="parkingvisit_entry_once"),
            models.UniqueConstraint(
                fields=["exit_gate", "exit_event_id"],
                condition=Q(exit_gate__isnull=False),
                name="parkingvisit_exit_once",
            ),
            models.CheckConstraint(condition=Q(paid_fen__gte=0), name="parkingvisit_paid_not_negative"),
            models.CheckConstraint(
                condition=Q(state=VisitState.INSIDE, exited_at__isnull=True)
                | Q(state=VisitState.LEFT, exited_at__isnull=False),
                name="parkingvisit_state_exit",
            ),
        ]
        indexes = [models.Index(fields=["community", "-entered_at"], name="parkingvisit_time")]

    def __str__(self) -> str:
        return self.plate
