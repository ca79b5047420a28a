"""Rental (租赁): rooms, shops and parking spaces offered for rent, the leases signed for them and
the deposits held under them.

A lease's rent is billed through the billing engine (one-off lines of the rent fee item on the
tenant household's bills, ``wuye.rental.domain.billing``) and its deposit is held in the ledger's
deposits account (``wuye.rental.domain.deposits``): nothing here stores a balance.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from wuye.core.models import Community, TenantQuerySet
from wuye.estate.models import Room
from wuye.households.models import Household, Person
from wuye.ledger.models import LedgerTransaction
from wuye.payments.enums import PaymentMethod
from wuye.payments.models import Receipt
from wuye.rental.enums import DepositEntryKind, Escalation, LeaseState, ListingState, RentCycle

USER = settings.AUTH_USER_MODEL


class Listing(models.Model):
    """A room (flat, shop, storage or parking space) offered for rent (房源), by the household that
    holds it, or by the property company when no household does (``landlord`` None)."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="rental_listings")
    landlord = models.ForeignKey(
        Household, on_delete=models.PROTECT, null=True, blank=True, related_name="rental_listings"
    )
    rent_fen = models.BigIntegerField(_("monthly rent (fen)"))
    deposit_fen = models.BigIntegerField(_("deposit (fen)"), default=0)
    description = models.CharField(_("description"), max_length=300, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=ListingState.choices, default=ListingState.OPEN
    )
    created_at = models.DateTimeField(_("listed"), auto_now_add=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("listing")
        verbose_name_plural = _("listings")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["room"],
                condition=Q(state__in=["open", "leased"]),
                name="listing_one_standing_per_room",
            ),
            models.CheckConstraint(condition=Q(rent_fen__gt=0), name="listing_rent_positive"),
            models.CheckConstraint(condition=Q(deposit_fen__gte=0), name="listing_deposit_not_negative"),
        ]

    def __str__(self) -> str:
        return str(self.room)


class Lease(models.Model):
    """A lease (租约) of one room for a term of whole months.

    ``household`` is the tenant's household in the archive, whose bills carry the rent: the tenant's
    own household when the property company lets (the room is bound to it for the term; a resident
    renting one more room keeps theirs), or the
    landlord's household when an owner lets (the tenant is a person of kind tenant in it; owner and
    tenant settle rent and deposit between them, so nothing is billed or held). ``tenant`` is the
    person of kind tenant. The rent of the first year is ``rent_fen`` a month; it rises at each
    anniversary by ``escalation`` (``escalation_value``: basis points for a percentage, fen for an
    amount), and is billed ``cycle`` months at a time, in advance.
    """

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    number = models.CharField(_("lease number"), max_length=30)
    listing = models.ForeignKey(
        Listing, on_delete=models.PROTECT, null=True, blank=True, related_name="leases"
    )
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="leases")
    landlord = models.ForeignKey(
        Household, on_delete=models.PROTECT, null=True, blank=True, related_name="leases_let"
    )
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="leases")
    tenant = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="leases")
    # True: the lease put the tenant into the household's archive (kind tenant), and moves them out when
    # it closes. False: the tenant was one of the household's people already (a resident renting a
    # storeroom or a parking space of the company's), who stays when the lease closes.
    tenant_joined = models.BooleanField(default=True)
    starts_on = models.DateField(_("starts"))
    ends_on = models.DateField(_("ends"), help_text=_("the last day of the term"))
    rent_fen = models.BigIntegerField(_("monthly rent, first year (fen)"))
    cycle = models.PositiveSmallIntegerField(
        _("billed"), choices=RentCycle.choices, default=RentCycle.MONTHLY
    )
    escalation = models.CharField(
        _("yearly increase"), max_length=10, choices=Escalation.choices, default=Escalation.NONE
    )
    escalation_value = models.BigIntegerField(_("increase"), default=0)
    deposit_fen = models.BigIntegerField(_("deposit (fen)"), default=0)
    bills_rent = models.BooleanField(_("rent billed by the property office"), default=False)
    state = models.CharField(_("state"), max_length=10, choices=LeaseState.choices, default=LeaseState.ACTIVE)
    room_state_before = models.CharField(max_length=20, blank=True)
    closed_on = models.DateField(_("closed"), null=True, blank=True)
    close_reason = models.CharField(_("reason"), max_length=200, blank=True)
    reminded_at = models.DateTimeField(_("expiry reminder sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("lease")
        verbose_name_plural = _("leases")
        ordering = ["-starts_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["community", "number"], name="lease_unique_number"),
            models.UniqueConstraint(
                fields=["room"], condition=Q(state="active"), name="lease_one_active_per_room"
            ),
            models.CheckConstraint(condition=Q(ends_on__gt=F("starts_on")), name="lease_term_ordered"),
            models.CheckConstraint(condition=Q(rent_fen__gt=0), name="lease_rent_positive"),
            models.CheckConstraint(condition=Q(deposit_fen__gte=0), name="lease_deposit_not_negative"),
            models.CheckConstraint(
                condition=Q(escalation_value__gte=0), name="lease_escalation_not_negative"
            ),
            models.CheckConstraint(condition=Q(cycle__in=[1, 3, 6, 12]), name="lease_cycle_known"),
            models.CheckConstraint(
                condition=Q(landlord__isnull=True) | Q(bills_rent=False), name="lease_owner_rent_not_billed"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_active(self) -> bool:
        return self.state == LeaseState.ACTIVE


class DepositEntry(models.Model):
    """A movement of a lease's deposit (押金), the document behind its ledger transaction: received at
    the counter (with a receipt), or returned when the lease closes: ``deducted_fen`` paid the bill
    lines it settled (unpaid rent, charges for damage), ``returned_fen`` handed back by ``method``."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    lease = models.ForeignKey(Lease, on_delete=models.PROTECT, related_name="deposit_entries")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=DepositEntryKind.choices)
    method = models.CharField(_("payment method"), max_length=12, choices=PaymentMethod.choices, blank=True)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    deducted_fen = models.BigIntegerField(_("deducted (fen)"), default=0)
    returned_fen = models.BigIntegerField(_("returned (fen)"), default=0)
    note = models.CharField(_("note"), max_length=200, blank=True)
    transaction = models.OneToOneField(LedgerTransaction, on_delete=models.PROTECT, related_name="+")
    receipt = models.OneToOneField(Receipt, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("deposit entry")
        verbose_name_plural = _("deposit entries")
        ordering = ["lease", "created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="depositentry_amount_positive"),
            models.CheckConstraint(
                condition=Q(kind="received", deducted_fen=0, returned_fen=0)
                | Q(
                    kind="returned",
                    amount_fen=F("deducted_fen") + F("returned_fen"),
                    deducted_fen__gte=0,
                    returned_fen__gte=0,
                ),
                name="depositentry_parts_add_up",
            ),
            # One return per lease: it releases everything held.
            models.UniqueConstraint(
                fields=["lease"], condition=Q(kind="returned"), name="depositentry_one_return"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lease_id}:{self.get_kind_display()}"
