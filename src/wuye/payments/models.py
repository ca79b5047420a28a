"""Payments: orders and their attempts at a channel, the inbox of channel events, refunds, receipts
(收据) with their per-community gapless numbers, and allocations of money to bill lines.

Money is integer fen. A receipt is issued in the same database transaction as the ledger transaction
it documents; its number comes from a counter row locked in that transaction, so a rollback gives
the number back and the numbers of a community have no gaps.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wuye.billing.models import BillLine
from wuye.core.models import Community, TenantQuerySet
from wuye.core.references import key_resolve
from wuye.households.models import Household
from wuye.ledger.models import LedgerTransaction
from wuye.payments.enums import (
    AttemptState,
    Channel,
    EventOutcome,
    ExcessPolicy,
    OrderKind,
    OrderState,
    PaymentMethod,
    ReceiptKind,
    RefundState,
    WechatKeyMode,
)

USER = settings.AUTH_USER_MODEL


def new_token() -> str:
    """128 random bits, URL-safe: the key of the public verification page (not guessable)."""
    return secrets.token_urlsafe(16)


class ReceiptCounter(models.Model):
    """The last receipt number of a community. Raised and locked by every receipt issue (lock_objects)."""

    community = models.OneToOneField(Community, on_delete=models.PROTECT, related_name="+")
    last_number = models.PositiveIntegerField(default=0)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("receipt counter")
        verbose_name_plural = _("receipt counters")

    def __str__(self) -> str:
        return f"{self.community_id}: {self.last_number}"


class Receipt(models.Model):
    # community and household lead receipt_unique_number and receipt_household_time: no index of their own
    # (each index is written with every receipt; a bank's result file writes 100,000 of them).
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+", db_index=False)
    number = models.PositiveIntegerField(_("receipt number"))
    household = models.ForeignKey(  # None: paid by a visitor (kind parking)
        Household, on_delete=models.PROTECT, related_name="receipts", db_index=False, null=True, blank=True
    )
    kind = models.CharField(_("kind"), max_length=12, choices=ReceiptKind.choices)
    method = models.CharField(_("payment method"), max_length=12, choices=PaymentMethod.choices)
    amount_fen = models.BigIntegerField(_("amount (fen)"))  # fen; > 0
    transaction = models.OneToOneField(LedgerTransaction, on_delete=models.PROTECT, related_name="+")
    # As printed: the payer and rooms when the receipt was issued (the archive may change later).
    payer_name = models.CharField(_("payer"), max_length=60)
    rooms_label = models.CharField(_("rooms"), max_length=200, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    # Indexed only where set, and the token without a pattern-matching twin (constraints and indexes
    # in Meta): a bank's result file writes 100,000 receipts, each with every index.
    issued_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    token = models.CharField(max_length=32, default=new_token)
    # Voiding (作废, ``payments.domain.voids``): asked for by ``voided_by`` with a reason, then approved
    # by ``void_approved_by`` (four eyes), which posts ``void_transaction``, the reversal of the
    # payment. The number stays used: a void receipt keeps it, so the numbers still have no gaps.
    void_requested_at = models.DateTimeField(_("void requested"), null=True, blank=True)
    void_reason = models.CharField(
        _("reason for voiding"), max_length=200, blank=True, default="", db_default=""
    )
    # Indexed only where set (partial indexes in Meta): every payment writes a receipt, few are voided,
    # and an index entry per NULL would cost each payment three more index insertions.
    voided_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    voided_at = models.DateTimeField(_("voided"), null=True, blank=True)
    void_approved_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    void_transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ["community", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["community", "number"], name="receipt_unique_number"),
            models.UniqueConstraint(fields=["token"], name="receipt_unique_token"),
            models.UniqueConstraint(
                fields=["void_transaction"],
                condition=Q(void_transaction__isnull=False),
                name="receipt_unique_void_transaction",
            ),
            models.CheckConstraint(condition=Q(number__gt=0), name="receipt_number_positive"),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="receipt_amount_positive"),
            # Not voided: no void field set. Asked for: a payment's receipt, with who asked, when and
            # why. Voided: also who approved it, when, and the reversing transaction, all three at once.
            models.CheckConstraint(
                condition=Q(
                    void_requested_at__isnull=True,
                    void_reason="",
                    voided_by__isnull=True,
                    voided_at__isnull=True,
                    void_approved_by__isnull=True,
                    void_transaction__isnull=True,
                )
                | (
                    Q(kind=ReceiptKind.PAYMENT, void_requested_at__isnull=False, voided_by__isnull=False)
                    & ~Q(void_reason="")
                    & (
                        Q(
                            voided_at__isnull=True,
                            void_approved_by__isnull=True,
                            void_transaction__isnull=True,
                        )
                        | Q(
                            voided_at__isnull=False,
                            void_approved_by__isnull=False,
                            void_transaction__isnull=False,
                        )
                    )
                ),
                name="receipt_void_consistent",
            ),
        ]
        indexes = [
            models.Index(fields=["household", "-issued_at"], name="receipt_household_time"),
            models.Index(
                fields=["voided_by"], condition=Q(voided_by__isnull=False), name="receipt_voided_by"
            ),
            models.Index(
                fields=["void_approved_by"],
                condition=Q(void_approved_by__isnull=False),
                name="receipt_void_approved_by",
            ),
        ]

    def __str__(self) -> str:
        return self.display_number

    @property
    def display_number(self) -> str:
        return f"{self.number:08d}"

    @property
    def is_void(self) -> bool:
        return self.voided_at is not None

    @property
    def void_requested(self) -> bool:
        """A void was asked for and waits for approval."""
        return self.void_requested_at is not None and self.voided_at is None

    @property
    def cashier_name(self) -> str:
        user = self.issued_by
        return (user.get_full_name() or user.get_username()) if user is not None else ""


class Allocation(models.Model):
    """Which ledger transaction paid how much of which bill line: a payment, a prepayment use, or (with a
    negative amount) a refund that takes a line's payment back and opens the line again.

    For every transaction, the allocations add up to the transaction's credit to receivable
    (``wuye ledger check`` verifies it).
    """

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    # Led by the unique (transaction, line) and by allocation_household: no index of their own.
    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    line = models.ForeignKey(BillLine, on_delete=models.PROTECT, related_name="allocations")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+", db_index=False)
    amount_fen = models.BigIntegerField(_("amount (fen)"))  # fen; > 0 pays, < 0 takes back (refund)
    # The line's late fee this payment collected (fen), posted to late-fee income; only with a payment of
    # the line's principal (amount_fen > 0), so a line's late fee is collected by the payment that pays it.
    late_fee_fen = models.BigIntegerField(_("late fee (fen)"), default=0, db_default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        constraints = [
            models.UniqueConstraint(fields=["transaction", "line"], name="allocation_unique_line"),
            models.CheckConstraint(condition=~Q(amount_fen=0), name="allocation_amount_nonzero"),
            models.CheckConstraint(
                condition=Q(late_fee_fen=0) | Q(late_fee_fen__gt=0, amount_fen__gt=0),
                name="allocation_late_fee_with_payment",
            ),
        ]
        indexes = [models.Index(fields=["household"], name="allocation_household")]

    def __str__(self) -> str:
        return f"{self.line_id}: {self.amount_fen}"


def new_out_trade_no() -> str:
    """The identifier an attempt sends to its channel: 'WY' + UTC time to the second + 10 random hex
    (26 characters, within WeChat's 6–32 and Alipay's 64). Stored, unique, before any call."""
    return "WY" + timezone.now().strftime("%y%m%d%H%M%S") + secrets.token_hex(5)


def new_out_refund_no() -> str:
    return "RF" + timezone.now().strftime("%y%m%d%H%M%S") + secrets.token_hex(5)


class PaymentSettings(models.Model):
    """A community's payment rules."""

    community = models.OneToOneField(Community, on_delete=models.CASCADE, related_name="+")
    excess_policy = models.CharField(
        _("money for lines already paid"),
        max_length=12,
        choices=ExcessPolicy.choices,
        default=ExcessPolicy.PREPAYMENT,
    )
    order_minutes = models.PositiveSmallIntegerField(_("minutes to pay an online order"), default=15)
    # Four eyes: a refund is approved by someone other than who requested it, unless its amount is
    # below this (fen); then a supervisor alone may request and approve it (audited as such). 0: never.
    refund_self_approval_below_fen = models.BigIntegerField(
        _("refunds one person may request and approve: below (fen)"), default=0
    )

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("payment settings")
        verbose_name_plural = _("payment settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(refund_self_approval_below_fen__gte=0),
                name="paymentsettings_self_approval_not_negative",
            )
        ]

    def __str__(self) -> str:
        return str(self.community_id)

    @classmethod
    def of(cls, community_id: int) -> PaymentSettings:
        return cls.objects.filter(community_id=community_id).first() or cls(community_id=community_id)


class ChannelAccount(models.Model):
    """A community's merchant account at an online channel. Keys are references (``channels.references``):
    files in the secrets folder or environment variables, never the keys themselves in the database."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    method = models.CharField(_("channel"), max_length=12, choices=PaymentMethod.choices)
    enabled = models.BooleanField(_("enabled"), default=True)
    merchant_id = models.CharField(_("merchant id (mchid)"), max_length=32, blank=True)
    app_id = models.CharField(_("app id"), max_length=32)
    # WeChat Pay: the merchant's API certificate serial and private key, the APIv3 key, and how
    # WeChat's answers are verified: its public key (with id), or platform certificates it serves.
    key_mode = models.CharField(
        _("WeChat Pay key mode"),
        max_length=12,
        choices=WechatKeyMode.choices,
        default=WechatKeyMode.PUBLIC_KEY,
    )
    merchant_serial_no = models.CharField(_("merchant certificate serial"), max_length=64, blank=True)
    private_key_ref = models.CharField(_("private key"), max_length=300)
    apiv3_key_ref = models.CharField(_("APIv3 key"), max_length=300, blank=True)
    platform_public_key_ref = models.CharField(_("channel public key"), max_length=300, blank=True)
    platform_public_key_id = models.CharField(_("channel public key id"), max_length=64, blank=True)
    gateway_url = models.URLField(_("gateway"), max_length=200, blank=True)  # blank: the channel's real one
    notify_base_url = models.URLField(_("notification base address"), max_length=200, blank=True)
    # The fee the channel keeps, in 万分之 (60: 0.60 %), as the merchant contract says; reconciliation checks
    # every payment's fee in the bill against it.
    fee_per_10000 = models.PositiveSmallIntegerField(
        _("fee rate (per 10,000)"),
        default=60,
        help_text=_("60 means 0.60 %, the usual rate for property fees."),
    )

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("channel account")
        verbose_name_plural = _("channel accounts")
        constraints = [
            models.UniqueConstraint(fields=["community", "method"], name="channelaccount_unique_method")
        ]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.merchant_id or self.app_id}"

    def secret(self, field: str) -> str:
        """The key a reference field names, held to the rules of ``channels.references``."""
        return key_resolve(getattr(self, field))


class PaymentOrder(models.Model):
    """What a payer set out to pay: chosen bill lines of one household, with their total then; or, of
    kind prepayment, an amount to hold as the household's prepayment (no lines)."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(  # None only for a visitor's order (kind parking)
        Household,
        on_delete=models.PROTECT,
        related_name="payment_orders",
        db_index=False,
        null=True,
        blank=True,
    )
    total_fen = models.BigIntegerField(_("total (fen)"))  # fen; Σ of its lines' amount_fen + late_fee_fen
    late_fee_fen = models.BigIntegerField(_("late fee (fen)"), default=0)  # fen; Σ of its lines' late_fee_fen
    state = models.CharField(_("state"), max_length=8, choices=OrderState.choices, default=OrderState.OPEN)
    kind = models.CharField(
        _("kind"),
        max_length=12,
        choices=OrderKind.choices,
        default=OrderKind.BILLS,
        db_default=OrderKind.BILLS,
    )
    # What a lines-less order pays for, named by the app that made it ("parking.visit:12"): see
    # wuye.payments.domain.order_kinds.register_order_kind.
    reference = models.CharField(max_length=60, blank=True, default="", db_default="")
    created_by = models.ForeignKey(  # indexed only where set (Meta)
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("payment order")
        verbose_name_plural = _("payment orders")
        constraints = [
            models.CheckConstraint(condition=Q(total_fen__gt=0), name="paymentorder_total_positive"),
            models.CheckConstraint(
                condition=Q(late_fee_fen__gte=0) & Q(late_fee_fen__lte=F("total_fen")),
                name="paymentorder_late_fee_in_total",
            ),
            models.CheckConstraint(
                condition=~Q(kind=OrderKind.PREPAYMENT) | Q(late_fee_fen=0),
                name="paymentorder_prepayment_no_late_fee",
            ),
            # A household's order has its household; a visitor's (parking) has none, and says what it
            # pays for.
            models.CheckConstraint(
                condition=(
                    Q(kind=OrderKind.PARKING, household__isnull=True, late_fee_fen=0) & ~Q(reference="")
                )
                | (~Q(kind=OrderKind.PARKING) & Q(household__isnull=False)),
                name="paymentorder_household_unless_visitor",
            ),
        ]
        indexes = [
            models.Index(fields=["household", "-created_at"], name="paymentorder_household_time"),
            models.Index(
                fields=["created_by"], condition=Q(created_by__isnull=False), name="paymentorder_created_by"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"


class OrderLine(models.Model):
    order = models.ForeignKey(PaymentOrder, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey(BillLine, on_delete=models.PROTECT, related_name="+")
    amount_fen = models.BigIntegerField(_("amount (fen)"))  # fen: the line's outstanding when ordered
    # fen: the line's late fee due when ordered (shown before paying, included in the order's total)
    late_fee_fen = models.BigIntegerField(_("late fee (fen)"), default=0, db_default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order", "line"], name="orderline_unique_line"),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="orderline_amount_positive"),
            models.CheckConstraint(condition=Q(late_fee_fen__gte=0), name="orderline_late_fee_nonnegative"),
        ]

    def __str__(self) -> str:
        return f"{self.line_id}: {self.amount_fen}"


class PaymentAttempt(models.Model):
    """One try at paying an order through one channel (or at the counter). ``out_trade_no`` is created
    and stored before the channel is called; the attempt is applied at most once (``transaction``)."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(PaymentOrder, on_delete=models.PROTECT, related_name="attempts")
    household = models.ForeignKey(  # the order's: None for a visitor's
        Household, on_delete=models.PROTECT, related_name="+", db_index=False, null=True, blank=True
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    method = models.CharField(_("payment method"), max_length=12, choices=PaymentMethod.choices)
    # Unique by a constraint (Meta), without the pattern-matching twin index a unique field gets.
    out_trade_no = models.CharField(_("order number"), max_length=32, default=new_out_trade_no)
    amount_fen = models.BigIntegerField(_("amount (fen)"))  # fen asked of the payer
    state = models.CharField(
        _("state"), max_length=10, choices=AttemptState.choices, default=AttemptState.CREATED
    )
    channel_trade_no = models.CharField(_("channel transaction number"), max_length=64, blank=True)
    # The QR payload the channel returned, or for JSAPI the signed parameters of WeChat's pay sheet (JSON).
    code_url = models.CharField(max_length=1000, blank=True)
    payer_ref = models.CharField(max_length=128, blank=True)  # JSAPI openid; the payer's account at a channel
    tendered_fen = models.BigIntegerField(null=True, blank=True)  # cash handed over at the counter
    failure_reason = models.CharField(_("reason"), max_length=200, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    queried_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    # Set once, by the application of a success, in the transaction that moves the money.
    transaction = models.OneToOneField(
        LedgerTransaction, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    receipt = models.OneToOneField(Receipt, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    excess_fen = models.BigIntegerField(_("excess (fen)"), default=0)  # fen kept as prepayment
    created_by = models.ForeignKey(  # indexed only where set (Meta)
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("payment attempt")
        verbose_name_plural = _("payment attempts")
        constraints = [
            models.UniqueConstraint(fields=["out_trade_no"], name="paymentattempt_unique_out_trade_no"),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="paymentattempt_amount_positive"),
            models.CheckConstraint(
                condition=Q(transaction__isnull=True) | Q(state=AttemptState.SUCCEEDED),
                name="paymentattempt_applied_succeeded",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "created_at"], name="paymentattempt_state_time"),
            models.Index(fields=["household", "-created_at"], name="paymentattempt_household"),
            models.Index(
                fields=["created_by"], condition=Q(created_by__isnull=False), name="paymentattempt_created_by"
            ),
        ]

    def __str__(self) -> str:
        return self.out_trade_no

    @property
    def is_applied(self) -> bool:
        return self.transaction_id is not None


class Refund(models.Model):
    """Money given back from a succeeded attempt, through the channel it came by. ``out_refund_no`` is
    created before the channel is called. When approved, the amount is taken from the household's
    prepayment balance first and then from the lines the attempt paid (which open again)."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    attempt = models.ForeignKey(PaymentAttempt, on_delete=models.PROTECT, related_name="refunds")
    # None for a visitor's payment (temporary parking): its money goes back out of the kind's income.
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    out_refund_no = models.CharField(
        _("refund number"), max_length=32, unique=True, default=new_out_refund_no
    )
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    reason = models.CharField(_("reason"), max_length=200)
    state = models.CharField(
        _("state"), max_length=10, choices=RefundState.choices, default=RefundState.REQUESTED
    )
    from_prepayment_fen = models.BigIntegerField(default=0)  # fen taken from the prepayment balance
    from_lines_fen = models.BigIntegerField(default=0)  # fen taken back from paid lines
    channel_refund_no = models.CharField(max_length=64, blank=True)
    failure_reason = models.CharField(_("failure"), max_length=200, blank=True)
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    approved_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    transaction = models.OneToOneField(
        LedgerTransaction, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    settle_transaction = models.OneToOneField(
        LedgerTransaction, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    queried_at = models.DateTimeField(null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(
                condition=Q(from_prepayment_fen__gte=0) & Q(from_lines_fen__gte=0),
                name="refund_parts_positive",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="refund_has_reason"),
        ]

    def __str__(self) -> str:
        return self.out_refund_no


class ChannelEvent(models.Model):
    """The inbox: every request a channel sent us, stored as received before anything else happens.

    ``event_id`` is set only once the signature verified, so a forged request cannot take the id of
    a real notification before it arrives; verified events are unique per channel."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    method = models.CharField(_("channel"), max_length=12, choices=PaymentMethod.choices)
    event_id = models.CharField(max_length=128, null=True, blank=True)
    claimed_id = models.CharField(_("event id"), max_length=128, blank=True)
    headers = models.JSONField(default=dict)
    body = models.TextField(blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    outcome = models.CharField(_("outcome"), max_length=10, choices=EventOutcome.choices, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    out_trade_no = models.CharField(_("order number"), max_length=64, blank=True)
    attempt = models.ForeignKey(
        PaymentAttempt, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    refund = models.ForeignKey(Refund, on_delete=models.PROTECT, null=True, blank=True, related_name="events")

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("channel event")
        verbose_name_plural = _("channel events")
        constraints = [
            models.UniqueConstraint(
                fields=["method", "event_id"],
                condition=Q(event_id__isnull=False),
                name="channelevent_unique_event",
            )
        ]
        indexes = [models.Index(fields=["out_trade_no"], name="channelevent_out_trade_no")]

    def __str__(self) -> str:
        return f"{self.method}:{self.claimed_id}"
