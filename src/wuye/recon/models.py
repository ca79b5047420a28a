"""Reconciliation (对账): what a channel's daily bill says against what our books say.

A ``ReconRun`` is one bill of one channel, community and day, compared with our payment attempts and
refunds; the same file again is the same run (unique on community, channel, day and the file's digest).
Every disagreement is a ``Difference``, one per (community, channel, class, order or refund number)
however often the day is reconciled; it stays open until a person (or a later bill) settles it, and what
cannot be explained goes to the suspense account (挂账) by a ledger transaction, never by an edit.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wuye.core.models import Community, TenantQuerySet
from wuye.households.models import Household
from wuye.ledger.models import LedgerTransaction
from wuye.payments.enums import PaymentMethod
from wuye.payments.models import PaymentAttempt, Refund
from wuye.recon.enums import DifferenceKind, DifferenceState, Resolution, RunSource

USER = settings.AUTH_USER_MODEL


class ReconRun(models.Model):
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    method = models.CharField(_("channel"), max_length=12, choices=PaymentMethod.choices)
    day = models.DateField(_("day"))
    source = models.CharField(_("source"), max_length=10, choices=RunSource.choices)
    file_name = models.CharField(_("file"), max_length=200, blank=True)
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField(editable=False)  # the bill as received, zlib-compressed: the evidence
    # What the bill says.
    their_payments = models.PositiveIntegerField(default=0)
    their_paid_fen = models.BigIntegerField(default=0)
    their_refunds = models.PositiveIntegerField(default=0)
    their_refunded_fen = models.BigIntegerField(default=0)
    their_fee_fen = models.BigIntegerField(default=0)
    # What our books say for the same day.
    our_payments = models.PositiveIntegerField(default=0)
    our_paid_fen = models.BigIntegerField(default=0)
    matched = models.PositiveIntegerField(_("matched"), default=0)
    found = models.JSONField(default=dict)  # {difference kind: count} found by this run
    ledger_differences = models.PositiveIntegerField(null=True, blank=True)  # check 3; None: not run
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("reconciled"), default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("reconciliation")
        verbose_name_plural = _("reconciliations")
        ordering = ["-day", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "method", "day", "sha256"], name="reconrun_unique_file"
            ),
        ]
        indexes = [models.Index(fields=["community", "day"], name="reconrun_day")]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.day}"

    @property
    def differences_found(self) -> int:
        return sum(self.found.values())


class Difference(models.Model):
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+", db_index=False)
    method = models.CharField(_("channel"), max_length=12, choices=PaymentMethod.choices)
    day = models.DateField(_("day"))
    kind = models.CharField(_("class"), max_length=14, choices=DifferenceKind.choices)
    reference = models.CharField(_("number"), max_length=64)  # the order number, or the refund number
    out_trade_no = models.CharField(_("order number"), max_length=64, blank=True)
    attempt = models.ForeignKey(
        PaymentAttempt, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    refund = models.ForeignKey(Refund, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ours_fen = models.BigIntegerField(_("our amount (fen)"), null=True, blank=True)
    theirs_fen = models.BigIntegerField(_("channel's amount (fen)"), null=True, blank=True)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=DifferenceState.choices, default=DifferenceState.OPEN
    )
    resolution = models.CharField(_("resolution"), max_length=14, choices=Resolution.choices, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    first_run = models.ForeignKey(ReconRun, on_delete=models.PROTECT, related_name="+")
    last_run = models.ForeignKey(ReconRun, on_delete=models.PROTECT, related_name="differences")
    suspense_fen = models.BigIntegerField(_("in suspense (fen)"), default=0)
    suspense_transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    clear_transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    created_at = models.DateTimeField(_("found"), default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("reconciliation difference")
        verbose_name_plural = _("reconciliation differences")
        ordering = ["day", "kind", "reference"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "method", "kind", "reference"], name="difference_unique_reference"
            ),
            models.CheckConstraint(
                condition=Q(state=DifferenceState.OPEN) | ~Q(resolution=""),
                name="difference_closed_has_resolution",
            ),
            models.CheckConstraint(
                condition=~Q(state=DifferenceState.SUSPENSE) | Q(suspense_transaction__isnull=False),
                name="difference_suspense_is_booked",
            ),
        ]
        indexes = [models.Index(fields=["community", "state", "day"], name="difference_open")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reference}"
