from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class MandateState(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("mandate state", "Draft")
    PENDING_BANK = "pending_bank", _("Awaiting the bank")
    ACTIVE = "active", pgettext_lazy("mandate state", "Active")
    SUSPENDED = "suspended", _("Suspended")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")
    REJECTED = "rejected", _("Rejected by the bank")


# The allowed moves of a mandate (代扣协议). Revoked, expired and rejected are final: a new card or a
# renewed consent is a new mandate.
MANDATE_TRANSITIONS: dict[str, frozenset[str]] = {
    MandateState.DRAFT: frozenset({MandateState.PENDING_BANK, MandateState.REVOKED}),
    MandateState.PENDING_BANK: frozenset({MandateState.ACTIVE, MandateState.REJECTED, MandateState.REVOKED}),
    MandateState.ACTIVE: frozenset({MandateState.SUSPENDED, MandateState.REVOKED, MandateState.EXPIRED}),
    MandateState.SUSPENDED: frozenset({MandateState.ACTIVE, MandateState.REVOKED, MandateState.EXPIRED}),
    MandateState.REVOKED: frozenset(),
    MandateState.EXPIRED: frozenset(),
    MandateState.REJECTED: frozenset(),
}
# A household has at most one mandate in these states (one card debited at a time).
MANDATE_LIVE_STATES = (
    MandateState.DRAFT,
    MandateState.PENDING_BANK,
    MandateState.ACTIVE,
    MandateState.SUSPENDED,
)


class SignedVia(models.TextChoices):
    PORTAL = "portal", _("Signed online by the owner")
    COUNTER = "counter", _("Paper form at the counter")
    BANK = "bank", _("Confirmed in the bank's file")


class ReferralState(models.TextChoices):
    BOOKED = "booked", _("Booked")
    OPENED = "opened", _("Card opened")
    NOT_OPENED = "not_opened", _("Not opened")
    CANCELLED = "cancelled", _("Cancelled")


REFERRAL_TRANSITIONS: dict[str, frozenset[str]] = {
    ReferralState.BOOKED: frozenset(
        {ReferralState.OPENED, ReferralState.NOT_OPENED, ReferralState.CANCELLED}
    ),
    ReferralState.OPENED: frozenset(),
    ReferralState.NOT_OPENED: frozenset(),
    ReferralState.CANCELLED: frozenset(),
}


class BatchState(models.TextChoices):
    BUILT = "built", _("Built, not sent")
    SENT = "sent", _("Sent to the bank")
    SETTLED = "settled", _("Settled")
    PARTIAL = "partial", _("Settled, some lines unknown")
    REJECTED = "rejected", _("Rejected whole by the bank")
    CANCELLED = "cancelled", _("Cancelled")


BATCH_TRANSITIONS: dict[str, frozenset[str]] = {
    BatchState.BUILT: frozenset({BatchState.SENT, BatchState.CANCELLED}),
    BatchState.SENT: frozenset({BatchState.SETTLED, BatchState.PARTIAL, BatchState.REJECTED}),
    BatchState.PARTIAL: frozenset({BatchState.SETTLED, BatchState.PARTIAL}),
    BatchState.SETTLED: frozenset(),
    BatchState.REJECTED: frozenset(),
    BatchState.CANCELLED: frozenset(),
}


class LineState(models.TextChoices):
    PENDING = "pending", _("Awaiting the bank")
    SUCCEEDED = "succeeded", _("Debited")
    FAILED = "failed", _("Failed")
    UNKNOWN = "unknown", _("Unknown, being checked")
    RETURNED = "returned", _("Returned after success")
    CANCELLED = "cancelled", _("Cancelled")
