from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ListingState(models.TextChoices):
    OPEN = "open", pgettext_lazy("listing", "For rent")
    LEASED = "leased", pgettext_lazy("listing", "Leased")
    WITHDRAWN = "withdrawn", pgettext_lazy("listing", "Withdrawn")


class LeaseState(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("lease", "In force")
    ENDED = "ended", pgettext_lazy("lease", "Ended")
    TERMINATED = "terminated", pgettext_lazy("lease", "Terminated early")


CLOSED_STATES = (LeaseState.ENDED, LeaseState.TERMINATED)


class RentCycle(models.IntegerChoices):
    """How many months of rent each bill asks for (paid in advance, at the start of its months)."""

    MONTHLY = 1, _("Monthly")
    QUARTERLY = 3, _("Quarterly")
    HALF_YEARLY = 6, _("Half-yearly")
    YEARLY = 12, _("Yearly")


class Escalation(models.TextChoices):
    """How the monthly rent rises at each anniversary of the lease (递增)."""

    NONE = "none", _("No increase")
    PERCENT = "percent", _("By a percentage each year")
    AMOUNT = "amount", _("By a fixed amount each year")


class DepositEntryKind(models.TextChoices):
    RECEIVED = "received", _("Deposit received")
    RETURNED = "returned", _("Deposit returned")
