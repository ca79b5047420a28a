from django.db import models
from django.utils.translation import gettext_lazy as _


class Account(models.TextChoices):
    """The ledger's accounts. Household-level accounts carry ``household_id`` on each posting.

    Sign convention: debit is positive, credit negative; every transaction sums to zero.
    """

    RECEIVABLE = "receivable", _("Receivable from households")
    PREPAYMENT = "prepayment", _("Prepayments held for households")
    INCOME = "income", _("Fee income")
    LATE_FEE_INCOME = "income_late_fee", _("Late-fee income")
    CASH = "cash", _("Cash and counter takings")
    CLEARING = "clearing", _("Bank card and transfer clearing")
    WECHAT = "clearing_wechat", _("WeChat Pay clearing")
    ALIPAY = "clearing_alipay", _("Alipay clearing")
    DEBIT = "clearing_debit", _("Bank direct debit clearing")
    REFUNDS = "refunds", _("Refunds payable")
    SUSPENSE = "suspense", _("Suspense")
    ADJUSTMENTS = "adjustments", _("Adjustments and waivers")
    BANK = "bank", _("Bank account")
    CHANNEL_FEES = "expense_channel_fees", _("Channel fees")
    # What a community brought from its old system (期初): the other side of the arrears, prepayments
    # and deposits imported as its opening balances (an equity-like account; see ``wuye.opening``).
    OPENING = "opening", _("Opening balances")
    DEPOSITS = "deposits", _("Deposits held for households")
    PARKING_INCOME = "income_parking", _("Temporary parking income")


class TransactionKind(models.TextChoices):
    BILLING = "billing", _("Bills issued")
    VOID = "void", _("Billing run voided")
    ADJUSTMENT = "adjustment", _("Bill adjusted")
    WAIVER = "waiver", _("Bill waived")
    PREPAYMENT = "prepayment", _("Prepayment received")
    PREPAYMENT_USE = "prepayment_use", _("Prepayment applied to bills")
    PAYMENT = "payment", _("Payment")
    REFUND = "refund", _("Refund")
    REFUND_SETTLED = "refund_settled", _("Refund paid out")
    REFUND_FAILED = "refund_failed", _("Refund failed, returned to prepayment")
    SUSPENSE = "suspense", _("Unexplained money moved to suspense")
    SUSPENSE_CLEAR = "suspense_clear", _("Suspense cleared")
    RECEIPT_VOID = "receipt_void", _("Receipt voided, its payment reversed")
    SETTLEMENT = "settlement", _("Channel or debit money credited to the bank account")
    OPENING = "opening", _("Opening balances imported")
    OPENING_REVERSAL = "opening_reversal", _("Opening balances import reversed")
    DEPOSIT = "deposit", _("Deposit received")
    DEPOSIT_RETURN = "deposit_return", _("Deposit returned, less what it paid")
