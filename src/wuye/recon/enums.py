from django.db import models
from django.utils.translation import gettext_lazy as _

from wuye.ledger.enums import Account
from wuye.payments.enums import METHOD_ACCOUNT, PaymentMethod


class DifferenceKind(models.TextChoices):
    """What a reconciliation can find. Each class has its own actions (``domain.actions``)."""

    CHANNEL_ONLY = "channel_only", _("At the channel, not in our books")
    OURS_ONLY = "ours_only", _("In our books, not at the channel")
    AMOUNT = "amount", _("Amount mismatch")
    STATE = "state", _("State mismatch")
    FEE = "fee", _("Fee mismatch")
    DOUBLE = "double", _("Collected twice")
    # Check 2, the bank statement against what the channels and debit batches owe us.
    SETTLE_MISSING = "settle_missing", _("Settlement not credited")
    SETTLE_AMOUNT = "settle_amount", _("Settlement amount mismatch")
    SETTLE_LATE = "settle_late", _("Settlement credited late")
    BANK_ONLY = "bank_only", _("At the bank, not expected")
    FLOW = "flow", _("Fund flow against the trade bill")


class Document(models.TextChoices):
    """What a reconciliation read."""

    TRADE = "trade", _("Trade bill")
    FUNDFLOW = "fundflow", _("Fund-flow bill")
    STATEMENT = "statement", _("Bank statement")


# What check 1 (a channel's bill against our books) can find; the rest is check 2's (the bank statement).
BILL_KINDS = (
    DifferenceKind.CHANNEL_ONLY,
    DifferenceKind.OURS_ONLY,
    DifferenceKind.AMOUNT,
    DifferenceKind.STATE,
    DifferenceKind.FEE,
    DifferenceKind.DOUBLE,
)
STATEMENT_KINDS = (
    DifferenceKind.SETTLE_MISSING,
    DifferenceKind.SETTLE_AMOUNT,
    DifferenceKind.SETTLE_LATE,
    DifferenceKind.BANK_ONLY,
)
FUNDFLOW_KINDS = (DifferenceKind.FLOW,)
KINDS_OF = {
    Document.TRADE: BILL_KINDS,
    Document.FUNDFLOW: FUNDFLOW_KINDS,
    Document.STATEMENT: STATEMENT_KINDS,
}

# The statement's own "channel": a reconciliation of the bank statement, and the differences no channel
# explains (a credit nobody announced).
BANK = "bank"
RECON_METHODS = [*PaymentMethod.choices, (BANK, _("Bank statement"))]
# Differences whose money sits in the bank account (not in a channel's clearing account).
BANK_KINDS = frozenset({DifferenceKind.SETTLE_AMOUNT, DifferenceKind.BANK_ONLY})


def money_account(kind: str, method: str) -> str:
    """The ledger account a difference's suspense moves against: the bank account for what the statement
    found, else the channel's clearing account."""
    return Account.BANK if kind in BANK_KINDS else METHOD_ACCOUNT[method]


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
