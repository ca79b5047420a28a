from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class SpaceKind(models.TextChoices):
    OWNED = "owned", pgettext_lazy("parking space", "Owned")  # bought with a flat (产权车位)
    MONTHLY = "monthly", _("Rented monthly")  # 月租车位: a monthly parking fee through billing
    TEMPORARY = "temporary", _("Temporary")  # 临停车位: the pool for visitors' cars


class GateDirection(models.TextChoices):
    ENTRY = "entry", _("Entry")
    EXIT = "exit", _("Exit")


class VisitKind(models.TextChoices):
    RESIDENT = "resident", _("Resident")  # the plate belongs to a space of the area: no fee
    TEMPORARY = "temporary", _("Temporary")  # pays by the area's rate at the exit


class VisitState(models.TextChoices):
    INSIDE = "inside", _("Inside")
    LEFT = "left", _("Left")


class GateAction(models.TextChoices):
    """What a gate is told to do with a car in front of it."""

    OPEN = "open", _("Open")
    PAY = "pay", _("Pay first")
    REFUSE = "refuse", _("Refuse")
