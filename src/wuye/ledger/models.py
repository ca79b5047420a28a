"""The double-entry ledger: transactions whose postings sum to zero, never updated or deleted.

Postings name an account (``enums.Account``) and, for household accounts, the household; income
postings also name the fee item. Corrections are new, reversing transactions. Only
``ledger.domain.ledger`` writes these tables: ``transaction_post`` and ``transactions_post_many``
refuse a transaction whose postings do not sum to zero on both databases. On both databases
triggers refuse UPDATE and DELETE (see the migrations); on PostgreSQL a statement trigger also
refuses any INSERT of postings that leaves a transaction it touches not summing to zero (so a
transaction's postings are written in one statement).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wuye.core.models import Community, TenantQuerySet
from wuye.ledger.enums import Account, TransactionKind


class LedgerTransaction(models.Model):
    # community leads ledgertransaction_unique_key; reference and actor are indexed in Meta (a plain
    # index, no pattern-matching twin; the actor only where set): every payment writes a transaction.
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+", db_index=False)
    kind = models.CharField(_("kind"), max_length=20, choices=TransactionKind.choices)
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    # What the transaction belongs to, e.g. "billing.run:12"; with ``key`` it makes writes idempotent.
    reference = models.CharField(_("reference"), max_length=80, blank=True)
    key = models.CharField(max_length=100, null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("ledger transaction")
        verbose_name_plural = _("ledger transactions")
        constraints = [
            models.UniqueConstraint(fields=["community", "key"], name="ledgertransaction_unique_key")
        ]
        indexes = [
            models.Index(fields=["reference"], name="ledgertransaction_reference"),
            models.Index(fields=["actor"], condition=Q(actor__isnull=False), name="ledgertransaction_actor"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class Posting(models.Model):
    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="postings")
    # The transaction's community, copied (no foreign-key trigger: a run writes a posting per household).
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+", db_constraint=False)
    account = models.CharField(_("account"), max_length=20, choices=Account.choices)
    household_id = models.BigIntegerField(null=True, blank=True)
    fee_item_id = models.BigIntegerField(null=True, blank=True)
    amount_fen = models.BigIntegerField(_("amount (fen)"))  # fen; debit > 0, credit < 0

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("posting")
        verbose_name_plural = _("postings")
        indexes = [
            models.Index(fields=["account", "household_id"], name="posting_account_household"),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.amount_fen}"
