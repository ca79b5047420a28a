from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wuye.ledger.enums import Account


class ReceiptKind(models.TextChoices):
    PREPAYMENT = "prepayment", _("Prepayment")
    PAYMENT = "payment", pgettext_lazy("receipt kind", "Payment")


class PaymentMethod(models.TextChoices):
    """How money reached the counter."""

    CASH = "cash", _("Cash")
    CARD = "card", _("Bank card (POS)")
    TRANSFER = "transfer", _("Bank transfer")


# Which ledger account a method's money lands in: cash in the till, the rest in transit through a
# channel until the bank statement is reconciled.
METHOD_ACCOUNT = {
    PaymentMethod.CASH: Account.CASH,
    PaymentMethod.CARD: Account.CLEARING,
    PaymentMethod.TRANSFER: Account.CLEARING,
}
