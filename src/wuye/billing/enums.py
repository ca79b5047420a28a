from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class FeeCategory(models.TextChoices):
    PROPERTY = "property", _("Property fee")
    SANITATION = "sanitation", _("Sanitation fee")
    WATER = "water", _("Water")
    ELECTRICITY = "electricity", _("Electricity")
    GAS = "gas", _("Gas")
    PARKING = "parking", pgettext_lazy("fee category", "Parking")
    RENT = "rent", _("Rent")
    OTHER = "other", pgettext_lazy("fee category", "Other")


class Method(models.TextChoices):
    """How a line's charge is computed from its stored inputs."""

    BUILT_AREA = "built_area", _("Built-up area × price")
    INNER_AREA = "inner_area", _("Inner area × price")
    FIXED = "fixed", _("Fixed per room")
    METERED = "metered", _("Metered usage × price")
    ONE_OFF = "one_off", _("One-off amount")


class Cycle(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    HALF_YEARLY = "half_yearly", _("Half-yearly")
    YEARLY = "yearly", _("Yearly")


CYCLE_MONTHS = {Cycle.MONTHLY: 1, Cycle.QUARTERLY: 3, Cycle.HALF_YEARLY: 6, Cycle.YEARLY: 12}


class Timing(models.TextChoices):
    PREPAID = "prepaid", _("Prepaid (billed at the start of its cycle)")
    POSTPAID = "postpaid", _("Postpaid (billed after its cycle)")


class RoundingUnit(models.TextChoices):
    FEN = "fen", _("to the fen")
    JIAO = "jiao", _("to the jiao")
    YUAN = "yuan", _("to the yuan")


UNIT_FEN = {RoundingUnit.FEN: 1, RoundingUnit.JIAO: 10, RoundingUnit.YUAN: 100}


class RoundingMode(models.TextChoices):
    HALF_UP = "half_up", _("half up")
    UP = "up", _("up")
    DOWN = "down", _("down")


class MeterKind(models.TextChoices):
    WATER = "water", _("Water")
    ELECTRICITY = "electricity", _("Electricity")
    GAS = "gas", _("Gas")


class RunState(models.TextChoices):
    PREVIEWED = "previewed", _("Previewed")
    ISSUING = "issuing", _("Issuing")
    ISSUED = "issued", _("Issued")
    VOID = "void", _("Void")


class BillState(models.TextChoices):
    OPEN = "open", pgettext_lazy("bill", "Open")
    PARTIAL = "partial", _("Partially paid")
    PAID = "paid", _("Paid")
    WAIVED = "waived", _("Waived")
    VOID = "void", pgettext_lazy("bill", "Void")


class LateFeeMethod(models.TextChoices):
    DAILY_RATE = "daily_rate", _("Daily rate on the amount overdue")
    FIXED = "fixed", _("Fixed amount")
