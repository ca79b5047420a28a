from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class RoomUse(models.TextChoices):
    RESIDENTIAL = "residential", _("Residential")
    SHOP = "shop", pgettext_lazy("room use", "Shop")
    PARKING = "parking", pgettext_lazy("room use", "Parking")
    STORAGE = "storage", pgettext_lazy("room use", "Storage")


class RoomState(models.TextChoices):
    VACANT = "vacant", pgettext_lazy("room state", "Vacant")
    SELF_OCCUPIED = "self_occupied", _("Self-occupied")
    RENTED = "rented", pgettext_lazy("room state", "Rented")
    DECORATING = "decorating", _("Decorating")
