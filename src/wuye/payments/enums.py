from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wuye.ledger.enums import Account


class ReceiptKind(models.TextChoices):
    PREPAYMENT = "prepayment", _("Prepayment")
    PAYMENT = "payment", pgettext_lazy("receipt kind", "Payment")
    # Money paid in online (WeChat Pay, Alipay) to be held as prepayment: the payment attempt is its
    # document (its whole amount is the attempt's excess), so it is neither a counter prepayment nor
    # voidable at the counter (it is refunded through its channel).
    TOPUP = "topup", _("Online prepayment")
    # Paid by someone who is no household's (a visitor's car at a car park's exit): no household, the
    # money to an income account of its own; refunded, never voided.
    PARKING = "parking", _("Temporary parking")
    # A lease's deposit taken at the counter: held for the tenant's household (the deposits account),
    # neither paying bills nor voidable; it leaves only by its return (``wuye.rental``).
    DEPOSIT = "deposit", _("Deposit")


class PaymentMethod(models.TextChoices):
    """How money reached us: at the counter, or through an online channel."""

    CASH = "cash", _("Cash")
    CARD = "card", _("Bank card (POS)")
    TRANSFER = "transfer", _("Bank transfer")
    WECHAT = "wechat", _("WeChat Pay")
    ALIPAY = "alipay", _("Alipay")
    DEBIT = "debit", _("Bank direct debit")


COUNTER_METHODS = (PaymentMethod.CASH, PaymentMethod.CARD, PaymentMethod.TRANSFER)
ONLINE_METHODS = (PaymentMethod.WECHAT, PaymentMethod.ALIPAY)

# Which ledger account a method's money lands in: cash in the till, the rest in a clearing account of
# its channel until the bank statement or the channel's bill is reconciled.
METHOD_ACCOUNT = {
    PaymentMethod.CASH: Account.CASH,
    PaymentMethod.CARD: Account.CLEARING,
    PaymentMethod.TRANSFER: Account.CLEARING,
    PaymentMethod.WECHAT: Account.WECHAT,
    PaymentMethod.ALIPAY: Account.ALIPAY,
    PaymentMethod.DEBIT: Account.DEBIT,
}


class Channel(models.TextChoices):
    """An online channel's product: what the attempt asked the channel for."""

    WECHAT_NATIVE = "wechat_native", _("WeChat Pay (QR code)")
    WECHAT_JSAPI = "wechat_jsapi", _("WeChat Pay (in WeChat)")
    ALIPAY_QR = "alipay_qr", _("Alipay (QR code)")
    COUNTER = "counter", _("Counter")
    BANK_DEBIT = "bank_debit", _("Bank batch direct debit")


CHANNEL_METHOD = {
    Channel.WECHAT_NATIVE: PaymentMethod.WECHAT,
    Channel.WECHAT_JSAPI: PaymentMethod.WECHAT,
    Channel.ALIPAY_QR: PaymentMethod.ALIPAY,
}


class OrderKind(models.TextChoices):
    BILLS = "bills", _("Bills")  # chosen bill lines
    PREPAYMENT = "prepayment", _("Prepayment")  # an amount to hold as prepayment (预存), no lines
    PARKING = "parking", _("Temporary parking")  # a visitor's car at the exit: no household, no lines


class OrderState(models.TextChoices):
    OPEN = "open", _("Awaiting payment")
    PAID = "paid", _("Paid")
    CLOSED = "closed", _("Closed")


class AttemptState(models.TextChoices):
    CREATED = "created", pgettext_lazy("payment attempt state", "Created")
    PENDING = "pending", _("Awaiting the payer")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    CLOSED = "closed", _("Closed")
    EXPIRED = "expired", _("Expired")
    UNKNOWN = "unknown", _("Unknown, being checked")


# The allowed moves of an attempt. Unknown is never final: it is queried until the channel says.
# A success may arrive for an attempt we closed or saw expire (the payer paid at the last second):
# money received is never refused, so succeeded is reachable from every non-final state and from
# closed and expired as well (the money is then kept, allocated or held as prepayment).
ATTEMPT_TRANSITIONS: dict[str, frozenset[str]] = {
    AttemptState.CREATED: frozenset(
        {AttemptState.PENDING, AttemptState.SUCCEEDED, AttemptState.FAILED, AttemptState.UNKNOWN}
    ),
    AttemptState.PENDING: frozenset(
        {
            AttemptState.SUCCEEDED,
            AttemptState.FAILED,
            AttemptState.CLOSED,
            AttemptState.EXPIRED,
            AttemptState.UNKNOWN,
        }
    ),
    AttemptState.UNKNOWN: frozenset(
        {
            AttemptState.PENDING,
            AttemptState.SUCCEEDED,
            AttemptState.FAILED,
            AttemptState.CLOSED,
            AttemptState.EXPIRED,
        }
    ),
    AttemptState.CLOSED: frozenset({AttemptState.SUCCEEDED}),
    AttemptState.EXPIRED: frozenset({AttemptState.SUCCEEDED, AttemptState.CLOSED}),
    AttemptState.SUCCEEDED: frozenset(),
    AttemptState.FAILED: frozenset(),
}

ATTEMPT_OPEN_STATES = (AttemptState.CREATED, AttemptState.PENDING, AttemptState.UNKNOWN)


class RefundState(models.TextChoices):
    REQUESTED = "requested", _("Awaiting approval")
    REJECTED = "rejected", _("Rejected")
    PENDING = "pending", _("Sent to the channel")
    SUCCEEDED = "succeeded", _("Refunded")
    FAILED = "failed", _("Failed")
    UNKNOWN = "unknown", _("Unknown, being checked")


REFUND_TRANSITIONS: dict[str, frozenset[str]] = {
    RefundState.REQUESTED: frozenset({RefundState.PENDING, RefundState.REJECTED}),
    RefundState.PENDING: frozenset({RefundState.SUCCEEDED, RefundState.FAILED, RefundState.UNKNOWN}),
    RefundState.UNKNOWN: frozenset({RefundState.PENDING, RefundState.SUCCEEDED, RefundState.FAILED}),
    RefundState.REJECTED: frozenset(),
    RefundState.SUCCEEDED: frozenset(),
    RefundState.FAILED: frozenset(),
}


class ExcessPolicy(models.TextChoices):
    """What happens to money that arrives for lines already paid (two payers of one bill at once)."""

    PREPAYMENT = "prepayment", _("Keep it as prepayment")
    REFUND = "refund", _("Refund it to the payer")


class EventOutcome(models.TextChoices):
    APPLIED = "applied", _("Applied")
    DUPLICATE = "duplicate", _("Duplicate, already applied")
    REJECTED = "rejected", _("Rejected")
    NOTED = "noted", _("Recorded, nothing to apply")


class WechatKeyMode(models.TextChoices):
    PUBLIC_KEY = "public_key", _("WeChat Pay public key")
    CERTIFICATE = "certificate", _("Platform certificates")
