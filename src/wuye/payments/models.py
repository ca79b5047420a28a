"""Receipts (收据) with their per-community gapless numbers, and allocations of money to bill lines.

Money is integer fen. A receipt is issued in the same database transaction as the ledger transaction
it documents; its number comes from a counter row locked in that transaction, so a rollback gives
the number back and the numbers of a community have no gaps.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wuye.billing.models import BillLine
from wuye.core.models import Community, TenantQuerySet
from wuye.households.models import Household
from wuye.ledger.models import LedgerTransaction
from wuye.payments.enums import PaymentMethod, ReceiptKind

USER = settings.AUTH_USER_MODEL


def new_token() -> str:
    """128 random bits, URL-safe: the key of the public verification page (not guessable)."""
    return secrets.token_urlsafe(16)


class ReceiptCounter(models.Model):
    """The last receipt number of a community. Locked (select_for_update) by every receipt issue."""

    community = models.OneToOneField(Community, on_delete=models.PROTECT, related_name="+")
    last_number = models.PositiveIntegerField(default=0)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("receipt counter")
        verbose_name_plural = _("receipt counters")

    def __str__(self) -> str:
        return f"{self.community_id}: {self.last_number}"


class Receipt(models.Model):
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField(_("receipt number"))
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="receipts")
    kind = models.CharField(_("kind"), max_length=12, choices=ReceiptKind.choices)
    method = models.CharField(_("payment method"), max_length=12, choices=PaymentMethod.choices)
    amount_fen = models.BigIntegerField(_("amount (fen)"))  # fen; > 0
    transaction = models.OneToOneField(LedgerTransaction, on_delete=models.PROTECT, related_name="+")
    # As printed: the payer and rooms when the receipt was issued (the archive may change later).
    payer_name = models.CharField(_("payer"), max_length=60)
    rooms_label = models.CharField(_("rooms"), max_length=200, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    issued_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    token = models.CharField(max_length=32, unique=True, default=new_token)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ["community", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["community", "number"], name="receipt_unique_number"),
            models.CheckConstraint(condition=Q(number__gt=0), name="receipt_number_positive"),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="receipt_amount_positive"),
        ]
        indexes = [models.Index(fields=["household", "-issued_at"], name="receipt_household_time")]

    def __str__(self) -> str:
        return self.display_number

    @property
    def display_number(self) -> str:
        return f"{self.number:08d}"

    @property
    def cashier_name(self) -> str:
        user = self.issued_by
        return (user.get_full_name() or user.get_username()) if user is not None else ""


class Allocation(models.Model):
    """Which ledger transaction paid how much of which bill line (prepayment use now, channel payments later).

    For every transaction, the allocations add up to the transaction's credit to receivable
    (``wuye ledger check`` verifies it).
    """

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="+")
    line = models.ForeignKey(BillLine, on_delete=models.PROTECT, related_name="allocations")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+")
    amount_fen = models.BigIntegerField(_("amount (fen)"))  # fen; > 0
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        constraints = [
            models.UniqueConstraint(fields=["transaction", "line"], name="allocation_unique_line"),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="allocation_amount_positive"),
        ]
        indexes = [
            models.Index(fields=["transaction"], name="allocation_transaction"),
            models.Index(fields=["household"], name="allocation_household"),
        ]

    def __str__(self) -> str:
        return f"{self.line_id}: {self.amount_fen}"
