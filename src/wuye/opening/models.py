"""Opening balances (期初): what a community brings from its old system when it moves to Wuye.

An ``OpeningImport`` is one Excel file: previewed (its checked rows kept here, nothing else written),
imported (one ledger transaction and the bills, prepayments and deposits of its rows), or reversed (a
reversing transaction; its lines void). Each row it wrote is an ``OpeningBalance``, which points to
the import, and for an arrear to the bill line it created; the lines name the import's ledger
transaction. Money is integer fen.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wuye.billing.models import BillLine, FeeItem
from wuye.core.models import Community, TenantQuerySet
from wuye.estate.models import Room
from wuye.households.models import Household
from wuye.ledger.models import LedgerTransaction
from wuye.opening.enums import BalanceKind, ImportState

USER = settings.AUTH_USER_MODEL


class OpeningImport(models.Model):
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField(_("file"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    state = models.CharField(
        _("state"), max_length=10, choices=ImportState.choices, default=ImportState.PREVIEWED
    )
    # The checked rows of the file, written as they are when the import is confirmed (see domain.imports).
    rows = models.JSONField(default=list)
    # Totals per fee item and per building, as the preview showed them.
    preview = models.JSONField(default=dict)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    arrears_fen = models.BigIntegerField(_("arrears (fen)"), default=0)  # fen
    prepayment_fen = models.BigIntegerField(_("prepayments (fen)"), default=0)  # fen
    deposit_fen = models.BigIntegerField(_("deposits (fen)"), default=0)  # fen
    transaction = models.OneToOneField(
        LedgerTransaction, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reversal_transaction = models.OneToOneField(
        LedgerTransaction, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    imported_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    imported_at = models.DateTimeField(_("imported"), null=True, blank=True)
    reversed_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reversed_at = models.DateTimeField(_("reversed"), null=True, blank=True)
    reverse_reason = models.CharField(_("reason"), max_length=200, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("opening-balance import")
        verbose_name_plural = _("opening-balance imports")
        ordering = ["-pk"]
        constraints = [
            # One file is imported once: uploading it again finds its preview or its import.
            models.UniqueConstraint(
                fields=["community", "sha256"],
                condition=~Q(state="reversed"),
                name="openingimport_one_live_per_file",
            ),
            models.CheckConstraint(
                condition=Q(arrears_fen__gte=0) & Q(prepayment_fen__gte=0) & Q(deposit_fen__gte=0),
                name="openingimport_totals_nonnegative",
            ),
            models.CheckConstraint(
                condition=Q(state="previewed") | Q(transaction__isnull=False),
                name="openingimport_imported_has_transaction",
            ),
            models.CheckConstraint(
                condition=~Q(state="reversed") | Q(reversal_transaction__isnull=False),
                name="openingimport_reversed_has_reversal",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} #{self.pk}"

    @property
    def total_fen(self) -> int:
        return self.arrears_fen + self.prepayment_fen + self.deposit_fen


class OpeningBalance(models.Model):
    """One row of an imported file: an arrear (with its bill line), a prepayment or a deposit held."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    opening_import = models.ForeignKey(OpeningImport, on_delete=models.PROTECT, related_name="balances")
    row = models.PositiveIntegerField(_("row"))  # the row of the Excel sheet
    kind = models.CharField(_("kind"), max_length=10, choices=BalanceKind.choices)
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="opening_balances")
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="+")
    fee_item = models.ForeignKey(FeeItem, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    period = models.DateField(_("month"), null=True, blank=True)
    amount_fen = models.BigIntegerField(_("amount (fen)"))  # fen, > 0
    note = models.CharField(_("note"), max_length=200, blank=True)
    line = models.OneToOneField(BillLine, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("opening balance")
        verbose_name_plural = _("opening balances")
        ordering = ["opening_import", "row"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="openingbalance_amount_positive"),
            models.CheckConstraint(
                condition=(
                    Q(kind="arrears", fee_item__isnull=False, period__isnull=False, line__isnull=False)
                    | (~Q(kind="arrears") & Q(fee_item__isnull=True, period__isnull=True, line__isnull=True))
                ),
                name="openingbalance_arrears_have_a_line",
            ),
        ]
        indexes = [models.Index(fields=["household", "kind"], name="openingbalance_household_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.room} {self.amount_fen}"
