"""Buildings (楼栋), units (单元) and rooms (房屋). Every row carries its community."""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from wuye.core.models import Community, TenantQuerySet
from wuye.estate.enums import RoomState, RoomUse


class Building(models.Model):
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="buildings")
    name = models.CharField(_("building"), max_length=40, help_text=_("e.g. 1栋"))
    floors = models.PositiveSmallIntegerField(_("floors above ground"), default=0)
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["community", "name"]
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="building_unique_name")]

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="units")
    name = models.CharField(_("unit"), max_length=40, help_text=_("e.g. 1单元"))

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["building", "name"]
        constraints = [models.UniqueConstraint(fields=["building", "name"], name="unit_unique_name")]

    def __str__(self) -> str:
        return f"{self.building.name}{self.name}"


def room_label(building: str, unit: str, number: str) -> str:
    """The way rooms are named everywhere: 1栋-1单元-101 (``estate.domain.queries.room_by_label`` reads it)."""
    return f"{building}-{unit}-{number}"


class Room(models.Model):
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="rooms")
    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="rooms")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="rooms")
    number = models.CharField(_("room number"), max_length=20)
    floor = models.SmallIntegerField(_("floor"))
    # Areas in m² with two decimals, as on the deed; billing multiplies them by a Decimal rate.
    built_area = models.DecimalField(
        _("built-up area (m²)"), max_digits=9, decimal_places=2, validators=[MinValueValidator(0)]
    )
    inner_area = models.DecimalField(
        _("inner area (m²)"), max_digits=9, decimal_places=2, validators=[MinValueValidator(0)]
    )
    use = models.CharField(_("use"), max_length=20, choices=RoomUse.choices, default=RoomUse.RESIDENTIAL)
    state = models.CharField(_("state"), max_length=20, choices=RoomState.choices, default=RoomState.VACANT)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        ordering = ["building__name", "unit__name", "floor", "number"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "number"], name="room_unique_number"),
            models.CheckConstraint(condition=models.Q(built_area__gte=0), name="room_built_area_nonnegative"),
            models.CheckConstraint(condition=models.Q(inner_area__gte=0), name="room_inner_area_nonnegative"),
        ]
        indexes = [models.Index(fields=["community", "number"], name="room_community_number")]

    def __str__(self) -> str:
        return room_label(self.building.name, self.unit.name, self.number)

    @property
    def label(self) -> str:
        return str(self)
