"""Bank batch direct debit (批量代扣): mandates, card referrals, debit batches and their lines, result files.

A debit line is a payment attempt: building a batch creates, per household, a payment order over the
bill lines its mandate covers and an attempt at the channel ``bank_debit`` (method ``debit``); the
line names that attempt. So a success is applied exactly as every other payment (allocations, bill
states, ledger, receipt), and a line in a batch not yet settled is locked against QR and counter
payments by its open attempt (``domain.locks``). Money is integer fen.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wuye.billing.models import FeeItem
from wuye.core.crypto import EncryptedTextField, mask
from wuye.core.models import Community, Company, TenantQuerySet, communities_for
from wuye.debit.enums import (
    MANDATE_LIVE_STATES,
    BatchState,
    LineState,
    MandateState,
    ReferralState,
    SignedVia,
)
from wuye.households.models import Document, Household
from wuye.ledger.models import LedgerTransaction
from wuye.payments.models import PaymentAttempt

USER = settings.AUTH_USER_MODEL


def new_mandate_number() -> str:
    """Our reference of a mandate, printed on the form and sent to the bank: 'M' + 12 random digits."""
    return "M" + "".join(secrets.choice("0123456789") for _ in range(12))


class DebitSettings(models.Model):
    """A community's arrangement with the partner bank: the creditor account debits are paid into,
    the bank's file format, and the retry rules."""

    community = models.OneToOneField(Community, on_delete=models.CASCADE, related_name="+")
    bank_name = models.CharField(_("partner bank"), max_length=60, default="")
    creditor_name = models.CharField(_("creditor name"), max_length=70, default="")
    creditor_account = models.CharField(_("creditor account"), max_length=34, default="")
    creditor_id = models.CharField(_("creditor id at the bank"), max_length=35, default="")
    file_format = models.CharField(_("file format"), max_length=30, default="generic_cn")
    # 0: as many as the format allows (its own max_lines); banks differ in what they take.
    lines_per_file = models.PositiveIntegerField(_("lines per file"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("attempts per bill line"), default=3)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("debit settings")
        verbose_name_plural = _("debit settings")

    def __str__(self) -> str:
        return str(self.community_id)

    @classmethod
    def of(cls, community_id: int) -> DebitSettings:
        return cls.objects.filter(community_id=community_id).first() or cls(community_id=community_id)


class Mandate(models.Model):
    """A household's consent that the property company debits a bank card (代扣协议)."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="mandates")
    number = models.CharField(_("mandate number"), max_length=20, unique=True, default=new_mandate_number)
    bank_name = models.CharField(_("bank"), max_length=60)
    holder_name = models.CharField(_("account holder"), max_length=40)
    card_number = EncryptedTextField(_("card number"))  # encrypted at rest; shown masked
    card_last4 = models.CharField(max_length=4)
    holder_id_number = EncryptedTextField(_("holder's ID number"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    agreement_no = models.CharField(_("bank agreement number"), max_length=40, blank=True)
    fee_items = models.ManyToManyField(FeeItem, related_name="+", verbose_name=_("fee items covered"))
    limit_per_debit_fen = models.BigIntegerField(_("limit per debit (fen)"), null=True, blank=True)
    limit_per_month_fen = models.BigIntegerField(_("limit per month (fen)"), null=True, blank=True)
    effective_on = models.DateField(_("effective from"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=14, choices=MandateState.choices, default=MandateState.DRAFT
    )
    state_reason = models.CharField(_("reason"), max_length=200, blank=True)
    # Consent evidence: the signed paper form (a household document), or the online signing record.
    signed_via = models.CharField(_("signed"), max_length=10, choices=SignedVia.choices)
    consent_document = models.ForeignKey(
        Document,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("signed form"),
    )
    consent_at = models.DateTimeField(_("consent given"), default=timezone.now)
    consent_address = models.CharField(_("consent from address"), max_length=45, blank=True)
    consent_code_checked = models.BooleanField(_("one-time code checked"), default=False)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("debit mandate")
        verbose_name_plural = _("debit mandates")
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(state__in=MANDATE_LIVE_STATES),
                name="mandate_one_live_per_household",
            ),
            models.UniqueConstraint(
                fields=["community", "agreement_no"],
                condition=~Q(agreement_no=""),
                name="mandate_unique_agreement",
            ),
            models.CheckConstraint(
                condition=Q(limit_per_debit_fen__isnull=True) | Q(limit_per_debit_fen__gt=0),
                name="mandate_limit_per_debit_positive",
            ),
            models.CheckConstraint(
                condition=Q(limit_per_month_fen__isnull=True) | Q(limit_per_month_fen__gt=0),
                name="mandate_limit_per_month_positive",
            ),
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(expires_on__gte=models.F("effective_on")),
                name="mandate_valid_window",
            ),
            # Consent is evidenced: a signed form, a one-time code, or the bank's own confirmation.
            models.CheckConstraint(
                condition=~Q(signed_via="counter")
                | Q(consent_document__isnull=False)
                | ~Q(state__in=("pending_bank", "active", "suspended")),
                name="mandate_counter_has_form",
            ),
            models.CheckConstraint(
                condition=~Q(signed_via="portal") | Q(consent_code_checked=True),
                name="mandate_portal_code_checked",
            ),
            models.CheckConstraint(
                condition=~Q(state="active") | ~Q(agreement_no=""), name="mandate_active_has_agreement"
            ),
        ]
        indexes = [models.Index(fields=["community", "state"], name="mandate_community_state")]

    def __str__(self) -> str:
        return f"{self.number} · {self.card_display}"

    @property
    def card_display(self) -> str:
        """The card as everyone sees it: bank and the last four digits only."""
        return f"{self.bank_name} ****{self.card_last4}"

    @property
    def card_masked(self) -> str:
        return mask(self.card_number, keep_start=4, keep_end=4)


class BankBranch(models.Model):
    """A branch of the partner bank where owners can open a card."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("branch"), max_length=60)
    address = models.CharField(_("address"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("bank branch")
        verbose_name_plural = _("bank branches")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CardReferral(models.Model):
    """An owner without a card of the partner bank books a card opening at a branch (开卡预约)."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="card_referrals")
    branch = models.ForeignKey(BankBranch, on_delete=models.PROTECT, related_name="referrals")
    name = models.CharField(_("name"), max_length=40)
    phone = models.CharField(_("phone"), max_length=20)
    visit_at = models.DateTimeField(_("visit time"))
    state = models.CharField(
        _("state"), max_length=12, choices=ReferralState.choices, default=ReferralState.BOOKED
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    handled_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    handled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("booked"), auto_now_add=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("card referral")
        verbose_name_plural = _("card referrals")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["community", "state"], name="referral_community_state")]

    def __str__(self) -> str:
        return f"{self.branch} {self.visit_at:%Y-%m-%d %H:%M}"


class DebitBatchQuerySet(models.QuerySet):
    """A batch belongs to every community it debits: staff see it when their role in one of them
    grants the permission (a batch has no single ``community`` for ``TenantQuerySet``)."""

    def for_user(self, user, permission: str):
        communities = communities_for(user, permission).values("pk")
        return self.filter(
            pk__in=DebitBatch.communities.through.objects.filter(community__in=communities).values(
                "debitbatch_id"
            )
        )


class DebitBatch(models.Model):
    """One debit file (送盘) for one or several communities of a company, named by ``number``."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    communities = models.ManyToManyField(Community, related_name="+", verbose_name=_("communities"))
    number = models.CharField(_("batch number"), max_length=20, unique=True)
    cutoff_on = models.DateField(_("bills due by"))
    collection_on = models.DateField(_("collection date"))
    file_format = models.CharField(_("file format"), max_length=30)
    state = models.CharField(_("state"), max_length=10, choices=BatchState.choices, default=BatchState.BUILT)
    line_count = models.PositiveIntegerField(_("lines"), default=0)
    total_fen = models.BigIntegerField(_("total (fen)"), default=0)  # fen: Σ of its lines
    # What was left out and why: [{"reason": …, "households": n, "amount_fen": …}], for the preview.
    left_out = models.JSONField(default=list, blank=True)
    files_sha256 = models.CharField(max_length=64, blank=True)  # of the files as sent
    reject_code = models.CharField(max_length=20, blank=True)
    reject_message = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(_("built"), auto_now_add=True)
    sent_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    settled_at = models.DateTimeField(_("settled"), null=True, blank=True)

    objects = DebitBatchQuerySet.as_manager()

    class Meta:
        verbose_name = _("debit batch")
        verbose_name_plural = _("debit batches")
        ordering = ["-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(total_fen__gte=0), name="debitbatch_total_nonnegative"),
        ]

    def __str__(self) -> str:
        return self.number


class DebitLine(models.Model):
    """One debit of one household's card in a batch: the attempt that pays its order's bill lines."""

    # batch, community and household lead debitline_unique_line_no, debitline_community_state and
    # debitline_household: no index of their own (every index is written with every line settled).
    batch = models.ForeignKey(DebitBatch, on_delete=models.PROTECT, related_name="lines", db_index=False)
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+", db_index=False)
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+", db_index=False)
    mandate = models.ForeignKey(Mandate, on_delete=models.PROTECT, related_name="lines")
    attempt = models.OneToOneField(PaymentAttempt, on_delete=models.PROTECT, related_name="debit_line")
    line_no = models.PositiveIntegerField(_("line"))
    reference = models.CharField(_("reference"), max_length=35)  # unique (Meta)
    amount_fen = models.BigIntegerField(_("amount (fen)"))  # fen; = the attempt's amount
    try_number = models.PositiveSmallIntegerField(_("attempt"), default=1)
    state = models.CharField(_("state"), max_length=10, choices=LineState.choices, default=LineState.PENDING)
    result_code = models.CharField(_("result code"), max_length=20, blank=True)
    result_message = models.CharField(_("result"), max_length=200, blank=True)
    retryable = models.BooleanField(default=False)
    settled_at = models.DateTimeField(null=True, blank=True)
    # A late return (the bank took a success back): the reversing ledger transaction.
    return_transaction = models.OneToOneField(
        LedgerTransaction, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("debit line")
        verbose_name_plural = _("debit lines")
        ordering = ["batch", "line_no"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "line_no"], name="debitline_unique_line_no"),
            models.UniqueConstraint(fields=["reference"], name="debitline_unique_reference"),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="debitline_amount_positive"),
        ]
        indexes = [
            models.Index(fields=["community", "state"], name="debitline_community_state"),
            models.Index(fields=["household"], name="debitline_household"),
        ]

    def __str__(self) -> str:
        return self.reference


class ResultFile(models.Model):
    """A file the bank returned for a batch (回盘, status report, return notification), imported once."""

    class Kind(models.TextChoices):
        RESULT = "result", _("Result file")
        RETURNS = "returns", _("Late returns")

    batch = models.ForeignKey(DebitBatch, on_delete=models.PROTECT, related_name="result_files")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.RESULT)
    file_name = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(max_length=64)
    succeeded = models.PositiveIntegerField(_("succeeded"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    unknown = models.PositiveIntegerField(_("unknown"), default=0)
    returned = models.PositiveIntegerField(_("returned"), default=0)
    imported_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    imported_at = models.DateTimeField(_("imported"), auto_now_add=True)

    class Meta:
        verbose_name = _("bank result file")
        verbose_name_plural = _("bank result files")
        ordering = ["-pk"]
        constraints = [models.UniqueConstraint(fields=["batch", "sha256"], name="resultfile_once")]

    def __str__(self) -> str:
        return self.file_name
