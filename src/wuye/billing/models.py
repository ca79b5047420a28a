"""Fee items, assignments, meters and readings, billing runs, bills and their lines.

Money is integer fen. A line keeps every input of its charge (quantity, price, days, rounding,
discount) next to ``amount_fen``, so it can be recomputed and explained; the billing run computes it
in SQL with integer arithmetic only (see ``domain.compute``), on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from wuye.billing.enums import (
    BillState,
    Cycle,
    FeeCategory,
    LateFeeMethod,
    MeterKind,
    Method,
    RoundingMode,
    RoundingUnit,
    RunState,
    Timing,
)
from wuye.core.models import Community, TenantQuerySet
from wuye.estate.models import Building, Room
from wuye.households.models import Household
from wuye.ledger.models import LedgerTransaction

USER = settings.AUTH_USER_MODEL


class FeeItem(models.Model):
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="fee_items")
    name = models.CharField(_("name"), max_length=40)
    category = models.CharField(_("category"), max_length=20, choices=FeeCategory.choices)
    method = models.CharField(_("how it is computed"), max_length=20, choices=Method.choices)
    # Yuan per m² per month, per room per month, per unit of usage, or the one-off amount.
    price = models.DecimalField(
        _("price (yuan)"), max_digits=12, decimal_places=4, validators=[MinValueValidator(Decimal(0))]
    )
    # Metered items may have tiers (阶梯价): [{"up_to": "180" or null, "price": "0.5"}, …], by usage per month.
    tiers = models.JSONField(_("tiers"), default=list, blank=True)
    meter_kind = models.CharField(_("meter"), max_length=20, choices=MeterKind.choices, blank=True)
    cycle = models.CharField(_("cycle"), max_length=20, choices=Cycle.choices, default=Cycle.MONTHLY)
    timing = models.CharField(_("billed"), max_length=10, choices=Timing.choices, default=Timing.PREPAID)
    due_day = models.PositiveSmallIntegerField(
        _("due day of month"), default=15, validators=[MinValueValidator(1), MaxValueValidator(28)]
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    rounding_unit = models.CharField(
        _("round"), max_length=10, choices=RoundingUnit.choices, default=RoundingUnit.FEN
    )
    rounding_mode = models.CharField(
        _("rounding"), max_length=10, choices=RoundingMode.choices, default=RoundingMode.HALF_UP
    )
    late_fee_method = models.CharField(
        _("late fee"), max_length=12, choices=LateFeeMethod.choices, blank=True
    )
    late_fee_grace_days = models.PositiveSmallIntegerField(_("grace days"), default=0)
    # Per day, as a fraction of the amount overdue: 0.0005 is 0.05 % a day.
    late_fee_rate = models.DecimalField(_("daily rate"), max_digits=7, decimal_places=6, default=Decimal(0))
    late_fee_fixed_fen = models.BigIntegerField(_("fixed late fee (fen)"), default=0)
    late_fee_cap_fen = models.BigIntegerField(_("late fee cap (fen)"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("fee item")
        verbose_name_plural = _("fee items")
        ordering = ["community", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="feeitem_unique_name"),
            models.CheckConstraint(condition=Q(price__gte=0), name="feeitem_price_nonnegative"),
            models.CheckConstraint(
                condition=~Q(method="metered") | ~Q(meter_kind=""), name="feeitem_metered_has_meter"
            ),
            # Usage is known only after the month: metered items are billed afterwards.
            models.CheckConstraint(
                condition=~Q(method="metered") | Q(timing="postpaid"), name="feeitem_metered_is_postpaid"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="feeitem_valid_window",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class FeeAssignment(models.Model):
    """A fee item applies to a room from ``starts_on`` (until ``ends_on``), with an optional discount."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    fee_item = models.ForeignKey(FeeItem, on_delete=models.PROTECT, related_name="assignments")
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="fee_assignments")
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    discount_percent = models.DecimalField(
        _("discount (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    discount_fen = models.BigIntegerField(_("discount per month (fen)"), default=0)
    discount_reason = models.CharField(_("discount reason"), max_length=200, blank=True)
    discount_approved_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("fee assignment")
        verbose_name_plural = _("fee assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["fee_item", "room", "starts_on"], name="feeassignment_unique_start"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="feeassignment_window",
            ),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0) & Q(discount_percent__lte=100),
                name="feeassignment_discount_percent",
            ),
            models.CheckConstraint(condition=Q(discount_fen__gte=0), name="feeassignment_discount_fen"),
            models.CheckConstraint(
                condition=(Q(discount_percent=0) & Q(discount_fen=0)) | ~Q(discount_reason=""),
                name="feeassignment_discount_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["fee_item", "room"], name="feeassignment_item_room")]

    def __str__(self) -> str:
        return f"{self.fee_item} · {self.room}"


class Meter(models.Model):
    """A room's meter, or a shared meter (no room) whose usage is apportioned to its building's rooms."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=MeterKind.choices)
    number = models.CharField(_("meter number"), max_length=40)
    room = models.ForeignKey(Room, on_delete=models.PROTECT, null=True, blank=True, related_name="meters")
    building = models.ForeignKey(Building, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    is_active = models.BooleanField(_("active"), default=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("meter")
        verbose_name_plural = _("meters")
        constraints = [
            models.UniqueConstraint(fields=["community", "number"], name="meter_unique_number"),
            models.CheckConstraint(
                condition=Q(room__isnull=False) | Q(building__isnull=False), name="meter_has_room_or_building"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_shared(self) -> bool:
        return self.room_id is None


class MeterReading(models.Model):
    """The reading at the end of ``period`` (a month, stored as its first day) and that month's usage."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    meter = models.ForeignKey(Meter, on_delete=models.PROTECT, related_name="readings")
    period = models.DateField(_("month"))
    value = models.DecimalField(_("reading"), max_digits=14, decimal_places=2)
    # Usage is fixed when the reading is entered (value − previous, or from the new meter's start
    # value when the meter was replaced), so a bill can always be explained from stored numbers.
    usage = models.DecimalField(_("usage"), max_digits=14, decimal_places=2)
    replaced = models.BooleanField(_("meter replaced"), default=False)
    read_on = models.DateField(_("read on"), null=True, blank=True)
    entered_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("meter reading")
        verbose_name_plural = _("meter readings")
        ordering = ["meter", "period"]
        constraints = [
            models.UniqueConstraint(fields=["meter", "period"], name="meterreading_unique_period"),
            models.CheckConstraint(condition=Q(usage__gte=0), name="meterreading_usage_nonnegative"),
        ]

    def __str__(self) -> str:
        return f"{self.meter} {self.period:%Y-%m}"


class SharedUsage(models.Model):
    """A room's share of a shared meter's usage for a month (by built-up area, largest remainder)."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    reading = models.ForeignKey(MeterReading, on_delete=models.CASCADE, related_name="shares")
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=MeterKind.choices)
    period = models.DateField()
    usage = models.DecimalField(max_digits=14, decimal_places=2)

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["reading", "room"], name="sharedusage_unique")]
        indexes = [models.Index(fields=["room", "kind", "period"], name="sharedusage_room_kind_period")]

    def __str__(self) -> str:
        return f"{self.room_id} {self.kind} {self.period:%Y-%m}: {self.usage}"


class BillingRun(models.Model):
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    period = models.DateField(_("month"))
    state = models.CharField(_("state"), max_length=10, choices=RunState.choices, default=RunState.PREVIEWED)
    preview = models.JSONField(_("preview"), default=dict)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    lines_issued = models.PositiveIntegerField(_("lines issued"), default=0)
    total_fen = models.BigIntegerField(_("total (fen)"), default=0)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    void_reason = models.CharField(_("reason"), max_length=200, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("billing run")
        verbose_name_plural = _("billing runs")
        ordering = ["-period", "-pk"]

    def __str__(self) -> str:
        return f"{self.period:%Y-%m}"


class Bill(models.Model):
    """One household's bill for one month; its lines hold the money."""

    # A run inserts a bill per household: like BillLine, no foreign-key triggers (each would lock the
    # household's row), references taken from rows that exist in the statement that inserts the bill,
    # checked by `wuye ledger check` ("references"). The community is led by the (community, state,
    # due_on) index, so it has none of its own.
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="bills", db_constraint=False
    )
    period = models.DateField(_("month"))
    run = models.ForeignKey(
        BillingRun, on_delete=models.PROTECT, null=True, blank=True, related_name="bills", db_constraint=False
    )
    state = models.CharField(_("state"), max_length=10, choices=BillState.choices, default=BillState.OPEN)
    total_fen = models.BigIntegerField(_("total (fen)"), default=0)  # fen: sum of its lines' amount_fen
    due_on = models.DateField(_("due on"))
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("bill")
        verbose_name_plural = _("bills")
        ordering = ["household", "period"]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "period"],
                condition=~Q(state="void"),
                name="bill_one_per_household_period",
            ),
        ]
        indexes = [models.Index(fields=["community", "state", "due_on"], name="bill_community_state_due")]

    def __str__(self) -> str:
        return f"{self.household} {self.period:%Y-%m}"


# What a line still owes (void lines aside), in the ORM and in plain SQL: the one definition besides
# BillLine.outstanding_fen.
LINE_OUTSTANDING = F("amount_fen") + F("adjusted_fen") - F("waived_fen") - F("paid_fen")


def line_outstanding_sql(alias: str = "") -> str:
    prefix = f"{alias}." if alias else ""
    return f"{prefix}amount_fen + {prefix}adjusted_fen - {prefix}waived_fen - {prefix}paid_fen"


class BillLine(models.Model):
    # A run inserts millions of lines, so this table has few indexes and no foreign-key triggers:
    # every reference is taken, in the same statement that inserts the line, from rows that exist
    # (the bill, the fee item, the ledger transaction of the run, the room's household link), and
    # neither side is ever deleted (the ORM protects them; the ledger refuses deletes).
    # `wuye ledger check` verifies the references ("references"). Indexes: the one-line-per-room-item-month index,
    # (household, is_void), bill and transaction.
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )
    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="lines", db_constraint=False)
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    room = models.ForeignKey(
        Room, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    fee_item = models.ForeignKey(
        FeeItem, on_delete=models.PROTECT, related_name="lines", db_constraint=False, db_index=False
    )
    period = models.DateField(_("month"))
    # Inputs of the charge, as they were when the line was issued.
    method = models.CharField(max_length=20, choices=Method.choices)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=2)  # m², usage, or 1
    price = models.DecimalField(_("price (yuan)"), max_digits=12, decimal_places=4)
    tiers = models.JSONField(default=list, blank=True)
    billable_days = models.PositiveSmallIntegerField(_("days billed"))
    period_days = models.PositiveSmallIntegerField(_("days in month"))
    rounding_unit = models.CharField(max_length=10, choices=RoundingUnit.choices)
    rounding_mode = models.CharField(max_length=10, choices=RoundingMode.choices)
    gross_fen = models.BigIntegerField(_("charge (fen)"))
    discount_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal(0))
    discount_fixed_fen = models.BigIntegerField(default=0)
    discount_fen = models.BigIntegerField(_("discount (fen)"), default=0)
    amount_fen = models.BigIntegerField(_("amount (fen)"))  # fen = gross_fen − discount_fen
    # Movements after issue, each backed by a ledger transaction (adjustments may be negative).
    adjusted_fen = models.BigIntegerField(_("adjusted (fen)"), default=0)
    waived_fen = models.BigIntegerField(_("waived (fen)"), default=0)
    paid_fen = models.BigIntegerField(_("paid (fen)"), default=0)
    is_void = models.BooleanField(default=False)
    late_fee_waived_at = models.DateTimeField(null=True, blank=True)
    late_fee_waived_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    late_fee_waiver_reason = models.CharField(max_length=200, blank=True)
    # A waiver asked for and not approved yet (four eyes: approved by someone else, see domain.latefees).
    late_fee_waiver_requested_at = models.DateTimeField(null=True, blank=True)
    late_fee_waiver_requested_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    # Late fees collected on this line (fen), by the payments that paid it (payments.Allocation.late_fee_fen).
    # The database fills it in, so the run's INSERT need not name it.
    late_fee_paid_fen = models.BigIntegerField(_("late fee paid (fen)"), default=0, db_default=0)
    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    # What a one-off charge was raised for ("service.request:12", see ``domain.charges``); empty for
    # the lines of a billing run. The database fills it in, so the run's INSERT need not name it.
    source = models.CharField(_("charged for"), max_length=60, blank=True, default="", db_default="")

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("bill line")
        verbose_name_plural = _("bill lines")
        ordering = ["bill", "fee_item", "room"]
        constraints = [
            # Run lines (source "") are one per room, item and month. One-off charges (several repairs
            # of a room in a month) differ by their source; the index still starts with room, item
            # and month, so the run's "is it billed yet" lookup keeps using it.
            models.UniqueConstraint(
                fields=["room", "fee_item", "period", "source"],
                condition=Q(is_void=False),
                name="billline_one_per_room_item_period",
            ),
            models.UniqueConstraint(
                fields=["source"], condition=Q(is_void=False) & ~Q(source=""), name="billline_one_per_source"
            ),
            models.CheckConstraint(
                condition=Q(amount_fen=F("gross_fen") - F("discount_fen")),
                name="billline_amount_is_gross_less_discount",
            ),
            models.CheckConstraint(
                condition=Q(gross_fen__gte=0) & Q(discount_fen__gte=0) & Q(amount_fen__gte=0),
                name="billline_amounts_nonnegative",
            ),
            models.CheckConstraint(
                condition=Q(paid_fen__gte=0)
                & Q(waived_fen__gte=0)
                & Q(paid_fen__lte=F("amount_fen") + F("adjusted_fen") - F("waived_fen")),
                name="billline_not_overpaid",
            ),
            models.CheckConstraint(
                condition=Q(late_fee_paid_fen__gte=0), name="billline_late_fee_paid_nonnegative"
            ),
        ]
        indexes = [
            models.Index(fields=["household", "is_void"], name="billline_household"),
        ]

    def __str__(self) -> str:
        return f"{self.fee_item} {self.room} {self.period:%Y-%m}"

    @property
    def due_fen(self) -> int:
        """What the line asks, paid or not: its amount with adjustments, less waivers."""
        return self.amount_fen + self.adjusted_fen - self.waived_fen

    @property
    def outstanding_fen(self) -> int:
        return 0 if self.is_void else self.due_fen - self.paid_fen


class Adjustment(models.Model):
    """A change to a line after issue: an adjustment (±) or a waiver, with reason and approver."""

    class Kind(models.TextChoices):
        ADJUSTMENT = "adjustment", _("Adjustment")
        WAIVER = "waiver", _("Waiver")

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    line = models.ForeignKey(BillLine, on_delete=models.PROTECT, related_name="adjustments")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    amount_fen = models.BigIntegerField(_("amount (fen)"))  # fen; waivers > 0, adjustments ≠ 0
    reason = models.CharField(_("reason"), max_length=200)
    approved_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, related_name="+")
    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("adjustment")
        verbose_name_plural = _("adjustments")
        constraints = [
            models.CheckConstraint(condition=~Q(amount_fen=0), name="adjustment_nonzero"),
            models.CheckConstraint(
                condition=~Q(kind="waiver") | Q(amount_fen__gt=0), name="adjustment_waiver_positive"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="adjustment_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount_fen}"
