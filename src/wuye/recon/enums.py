from django.db import models
from django.utils.translation import gettext_lazy as _


class DifferenceKind(models.TextChoices):
    """What a reconciliation can find. Each class has its own actions (``domain.actions``)."""

    CHANNEL_ONLY = "channel_only", _("At the channel, not in our books")
    OURS_ONLY = "ours_only", _("In our books, not at the channel")
    AMOUNT = "amount", _("Amount mismatch")
    STATE = "state", _("State mismatch")
    FEE = "fee", _("Fee mismatch")
    DOUBLE = "double", _("Collected twice")


class DifferenceState(models.TextChoices):
    OPEN = "open", _("Open")
    SUSPENSE = "suspense", _("In suspense")
    RESOLVED = "resolved", _("Resolved")


class Resolution(models.TextChoices):
    """How a difference ended (or went to suspense)."""

    BOOKED = "booked", _("Booked against its bill after querying the channel")
    MATCHED_LATER = "matched_later", _("Found in a later bill")
    SUSPENDED = "suspended", _("Moved to suspense")
    REFUNDED = "refunded", _("Refunded to the payer")
    CREDITED = "credited", _("Credited to the household's prepayment")
    WRITTEN_OFF = "written_off", _("Cleared from suspense against the channel")
    ACCEPTED = "accepted", _("Accepted with a note")
    REVERSED = "reversed", _("Payment reversed: its receipt is voided")


class RunSource(models.TextChoices):
    FETCHED = "fetched", _("Downloaded from the channel")
    UPLOADED = "uploaded", _("Uploaded by hand")


class ShiftState(models.TextChoices):
    SUBMITTED = "submitted", _("Handed over, awaiting sign-off")
    SIGNED_OFF = "signed_off", _("Signed off")
    RETURNED = "returned", _("Returned for a recount")
