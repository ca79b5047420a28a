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
from wuye.recon.enums import (
    RECON_METHODS,
    DifferenceKind,
    DifferenceState,
    Document,
    Resolution,
    RunSource,
    ShiftState,
)

USER = settings.AUTH_USER_MODEL


class ReconRun(models.Model):
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    method = models.CharField(_("channel"), max_length=12, choices=RECON_METHODS)
    day = models.DateField(_("day"))
    document = models.CharField(
        _("document"), max_length=10, choices=Document.choices, default=Document.TRADE
    )
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
    method = models.CharField(_("channel"), max_length=12, choices=RECON_METHODS)
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
    # Carried forward by a person: still open, no longer holding its day's close.
    carried_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    carried_at = models.DateTimeField(_("carried forward"), null=True, blank=True)
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


class Settlement(models.Model):
    """Money a channel or a debit batch owed us, found credited on the bank statement (check 2): one per
    (community, channel, reference), the reference naming the channel's trade day (``WXPAY20261202``) or
    the debit batch; its ledger transaction moves ``cleared_fen`` out of the channel's clearing account
    into the bank (``expected_fen``) and channel fees (``fee_fen``). What the bank credited beyond or
    short of ``expected_fen`` is a difference held in suspense."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+", db_index=False)
    method = models.CharField(_("channel"), max_length=12, choices=PaymentMethod.choices)
    reference = models.CharField(_("settlement"), max_length=35)
    trade_day = models.DateField(_("trade day"))
    due_on = models.DateField(_("value date due"))
    expected_fen = models.BigIntegerField(_("expected (fen)"))
    fee_fen = models.BigIntegerField(_("fees (fen)"), default=0)
    credited_fen = models.BigIntegerField(_("credited (fen)"))
    value_on = models.DateField(_("value date"))
    entry_reference = models.CharField(_("bank entry"), max_length=64)
    statement = models.ForeignKey(ReconRun, on_delete=models.PROTECT, related_name="settlements")
    transaction = models.OneToOneField(LedgerTransaction, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("settlement")
        verbose_name_plural = _("settlements")
        ordering = ["-trade_day", "method"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "method", "reference"], name="settlement_unique_reference"
            ),
            models.UniqueConstraint(fields=["community", "entry_reference"], name="settlement_unique_entry"),
            models.CheckConstraint(
                condition=Q(expected_fen__gt=0) & Q(credited_fen__gt=0) & Q(fee_fen__gte=0),
                name="settlement_amounts_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def cleared_fen(self) -> int:
        return self.expected_fen + self.fee_fen


class Shift(models.Model):
    """A cashier's handover (交班): what the system says the cashier took at the counter since the last
    handover, by method, against what was counted; any difference carries a reason; a supervisor (not the
    cashier) signs it off, or returns it for a recount."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+", db_index=False)
    cashier = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(_("from"), null=True, blank=True)  # None: the cashier's first shift
    ended_at = models.DateTimeField(_("handed over"))
    state = models.CharField(
        _("state"), max_length=12, choices=ShiftState.choices, default=ShiftState.SUBMITTED
    )
    payments = models.PositiveIntegerField(_("payments"), default=0)
    system_cash_fen = models.BigIntegerField(default=0)
    system_card_fen = models.BigIntegerField(default=0)
    system_transfer_fen = models.BigIntegerField(default=0)
    counted_cash_fen = models.BigIntegerField(default=0)
    counted_card_fen = models.BigIntegerField(default=0)
    counted_transfer_fen = models.BigIntegerField(default=0)
    reason = models.CharField(_("reason for the difference"), max_length=200, blank=True)
    signed_off_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    signed_off_at = models.DateTimeField(_("signed off"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("shift handover")
        verbose_name_plural = _("shift handovers")
        ordering = ["-ended_at"]
        constraints = [
            models.UniqueConstraint(fields=["community", "cashier", "ended_at"], name="shift_unique_end"),
            models.CheckConstraint(
                condition=Q(reason__gt="")
                | (
                    Q(counted_cash_fen=models.F("system_cash_fen"))
                    & Q(counted_card_fen=models.F("system_card_fen"))
                    & Q(counted_transfer_fen=models.F("system_transfer_fen"))
                ),
                name="shift_difference_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(signed_off_by__isnull=True) | ~Q(signed_off_by=models.F("cashier")),
                name="shift_signed_off_by_another",
            ),
        ]
        indexes = [models.Index(fields=["community", "cashier", "-ended_at"], name="shift_last")]

    def __str__(self) -> str:
        return f"{self.cashier} {self.ended_at:%Y-%m-%d %H:%M}"

    @property
    def rows(self) -> list[tuple[str, int, int, int]]:
        """(method, system fen, counted fen, difference fen) for the page."""
        return [
            (method, system, counted, counted - system)
            for method, system, counted in (
                ("cash", self.system_cash_fen, self.counted_cash_fen),
                ("card", self.system_card_fen, self.counted_card_fen),
                ("transfer", self.system_transfer_fen, self.counted_transfer_fen),
            )
        ]

    @property
    def difference_fen(self) -> int:
        return sum(row[3] for row in self.rows)


class DayClose(models.Model):
    """A closed day (日结) of a community. Money is booked on the Beijing day its ledger transaction is
    written, and a day closes only once it is over, so nothing can land on a closed day: a payment, refund
    or void made later lands on the next open day. Reopening (反结账) is recorded, never deleted."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+", db_index=False)
    day = models.DateField(_("day"))
    takings = models.JSONField(default=dict)  # {method: [count, fen]} booked that day, as closed
    refunds_fen = models.BigIntegerField(default=0)
    note = models.CharField(_("note"), max_length=200, blank=True)
    closed_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    closed_at = models.DateTimeField(_("closed"), default=timezone.now)
    reopened_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reopened_at = models.DateTimeField(_("reopened"), null=True, blank=True)
    reopen_reason = models.CharField(_("reason for reopening"), max_length=200, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("day close")
        verbose_name_plural = _("day closes")
        ordering = ["-day", "-closed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "day"],
                condition=Q(reopened_at__isnull=True),
                name="dayclose_one_per_day",
            ),
            models.CheckConstraint(
                condition=Q(reopened_at__isnull=True) | Q(reopen_reason__gt=""),
                name="dayclose_reopen_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day}"

    @property
    def takings_fen(self) -> int:
        return sum(fen for _count, fen in self.takings.values())
