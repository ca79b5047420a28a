"""Writing fee items (收费项目), their assignments to rooms, discounts and exemptions.

A fee item says how a charge is computed; an assignment says from when (until when) it applies to a
room, with an optional discount. Lines already issued keep their own copy of every input, so a
change here only affects what later billing runs issue.

Every write is audited. Assignments also go on the timeline of the households that hold the rooms.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.billing.domain import compute
from wuye.billing.domain.queries_tariffs import assignments_for_household
from wuye.billing.enums import (
    Cycle,
    FeeCategory,
    LateFeeMethod,
    MeterKind,
    Method,
    RoundingMode,
    RoundingUnit,
    Timing,
)
from wuye.billing.models import BillLine, FeeAssignment, FeeItem
from wuye.core.audit import diff, log_action, log_bulk, register_actions, register_field_labels
from wuye.core.enums import Permission
from wuye.core.models import AuditLog, Community, user_can
from wuye.estate.models import Room
from wuye.households.models import HouseholdRoom
from wuye.households.sections import Section, register_section

register_actions(
    {
        "billing.feeitem.created": gettext_lazy("Fee item created"),
        "billing.feeitem.changed": gettext_lazy("Fee item changed"),
        "billing.feeitem.deactivated": gettext_lazy("Fee item deactivated"),
        "billing.feeitem.reactivated": gettext_lazy("Fee item reactivated"),
        "billing.assignments.created": gettext_lazy("Fee item assigned to rooms"),
        "billing.assignment.created": gettext_lazy("Fee item assigned"),
        "billing.assignment.ended": gettext_lazy("Fee assignment ended"),
        "billing.assignment.discount_changed": gettext_lazy("Fee discount changed"),
    }
)
register_field_labels(
    {
        "fee_item": gettext_lazy("fee item"),
        "fee_category": (gettext_lazy("category"), FeeCategory),
        "charge_method": (gettext_lazy("how it is computed"), Method),
        "price": gettext_lazy("price (yuan)"),
        "tiers": gettext_lazy("tiers"),
        "meter_kind": (gettext_lazy("meter"), MeterKind),
        "cycle": (gettext_lazy("cycle"), Cycle),
        "timing": (gettext_lazy("billed"), Timing),
        "due_day": gettext_lazy("due day of month"),
        "valid_from": gettext_lazy("valid from"),
        "valid_to": gettext_lazy("valid to"),
        "rounding_unit": (gettext_lazy("round"), RoundingUnit),
        "rounding_mode": (gettext_lazy("rounding"), RoundingMode),
        "late_fee_method": (gettext_lazy("late fee"), LateFeeMethod),
        "late_fee_grace_days": gettext_lazy("grace days"),
        "late_fee_rate": gettext_lazy("daily rate"),
        "late_fee_fixed_fen": gettext_lazy("fixed late fee (yuan)"),
        "late_fee_cap_fen": gettext_lazy("late fee cap (yuan)"),
        "rooms_assigned": gettext_lazy("rooms"),
        "assigned_to": gettext_lazy("assigned to"),
        "starts_on": gettext_lazy("starts on"),
        "ends_on": gettext_lazy("ends on"),
        "discount_percent": gettext_lazy("discount (%)"),
        "discount_fen": gettext_lazy("discount per month (yuan)"),
        "discount_reason": gettext_lazy("discount reason"),
        "discount_approved_by": gettext_lazy("approved by"),
    }
)

# The fee item's fields a caller may set, with the key each is logged under (keys are global).
FEEITEM_FIELDS: dict[str, str] = {
    "name": "name",
    "category": "fee_category",
    "method": "charge_method",
    "price": "price",
    "tiers": "tiers",
    "meter_kind": "meter_kind",
    "cycle": "cycle",
    "timing": "timing",
    "due_day": "due_day",
    "valid_from": "valid_from",
    "valid_to": "valid_to",
    "rounding_unit": "rounding_unit",
    "rounding_mode": "rounding_mode",
    "late_fee_method": "late_fee_method",
    "late_fee_grace_days": "late_fee_grace_days",
    "late_fee_rate": "late_fee_rate",
    "late_fee_fixed_fen": "late_fee_fixed_fen",
    "late_fee_cap_fen": "late_fee_cap_fen",
}
MAX_PRICE = Decimal("100000000")  # the column holds 12 digits, 4 of them decimals
RATE_PLACES = Decimal("0.000001")  # the daily late fee rate column has 6 decimals


class TariffError(Exception):
    """A refused change to fee items or assignments; the message is translated and shown as is."""


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.date | Decimal):
        return str(value)
    if isinstance(value, list):
        return [dict(row) for row in value]
    return value


def _feeitem_snapshot(item: FeeItem) -> dict[str, Any]:
    return {key: _plain(getattr(item, attribute)) for attribute, key in FEEITEM_FIELDS.items()}


def tiers_normalised(tiers: list[dict] | None, price: Decimal) -> list[dict]:
    """The tier table as stored: [{"up_to": "180.00" or None, "price": "0.5000"}], checked by ``compute``.

    Raises TariffError with the reason when a tier is not a number, has too many decimals, or the
    ceilings do not rise with only the last one open.
    """
    rows = []
    for number, tier in enumerate(tiers or [], start=1):
        up_to, tier_price = tier.get("up_to"), tier.get("price")
        try:
            up_to = None if up_to in (None, "") else Decimal(str(up_to))
            tier_price = Decimal(str(tier_price))
        except (InvalidOperation, ValueError):
            raise TariffError(_("Tier %(n)s is not a number.") % {"n": number}) from None
        if (
            not tier_price.is_finite()
            or tier_price < 0
            or (up_to is not None and (not up_to.is_finite() or up_to <= 0))
        ):
            raise TariffError(
                _("Tier %(n)s needs a usage ceiling above zero and a price of zero or more.") % {"n": number}
            )
        if tier_price >= MAX_PRICE or (up_to is not None and up_to >= Decimal("1000000000000")):
            raise TariffError(_("Tier %(n)s is too large.") % {"n": number})
        if up_to is not None and up_to != up_to.quantize(compute.CENTI):
            raise TariffError(
                _("The usage ceiling of tier %(n)s has more than two decimals.") % {"n": number}
            )
        if tier_price != tier_price.quantize(compute.E4):
            raise TariffError(_("The price of tier %(n)s has more than four decimals.") % {"n": number})
        rows.append(
            {
                "up_to": None if up_to is None else str(up_to.quantize(compute.CENTI)),
                "price": str(tier_price.quantize(compute.E4)),
            }
        )
    try:
        compute.tiers_from(rows, price)
    except ValueError:
        raise TariffError(
            _(
                "The usage ceilings of the tiers must rise from one tier to the next; only the last tier may be open."
            )
        ) from None
    return rows


def _feeitem_check(item: FeeItem) -> None:
    """Normalise the fee item's values and refuse inconsistent ones (before anything is written)."""
    item.name = (item.name or "").strip()
    if not item.name:
        raise TariffError(_("Give the fee item a name."))
    try:
        item.price = Decimal(item.price)
    except (InvalidOperation, TypeError, ValueError):
        raise TariffError(_("The price is not a number.")) from None
    if not item.price.is_finite() or item.price < 0:
        raise TariffError(_("The price is a number of yuan, zero or more."))
    if item.price >= MAX_PRICE:
        raise TariffError(_("The price is too large."))
    try:
        compute.to_e4(item.price)
    except ValueError:
        raise TariffError(_("The price has more than four decimals.")) from None
    item.price = Decimal(item.price).quantize(compute.E4)  # as stored, so that the log shows what is kept
    try:
        item.full_clean(exclude=["community", "tiers"], validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        raise TariffError(" ".join(error.messages)) from None
    if item.method == Method.METERED:
        if not item.meter_kind:
            raise TariffError(_("A metered fee item needs the kind of meter it reads."))
        if item.timing != Timing.POSTPAID:
            raise TariffError(
                _("A metered fee item is billed after its month (postpaid): usage is known only then.")
            )
        item.tiers = tiers_normalised(item.tiers, item.price)
    else:
        if item.tiers:
            raise TariffError(_("Only metered fee items have tiers."))
        item.meter_kind = ""
        item.tiers = []
    if item.valid_to is not None and item.valid_to < item.valid_from:
        raise TariffError(_("The fee item's validity ends before it starts."))
    # Late fee: only the settings of the chosen method are kept.
    if item.late_fee_method == LateFeeMethod.DAILY_RATE:
        if not item.late_fee_rate or item.late_fee_rate <= 0 or item.late_fee_rate >= 1:
            raise TariffError(_("A daily late fee needs a rate above 0 and below 100 % a day."))
        item.late_fee_fixed_fen = 0
    elif item.late_fee_method == LateFeeMethod.FIXED:
        if item.late_fee_fixed_fen <= 0:
            raise TariffError(_("A fixed late fee needs an amount above zero."))
        item.late_fee_rate = Decimal(0)
    else:
        item.late_fee_method = ""
        item.late_fee_rate = Decimal(0)
        item.late_fee_fixed_fen = 0
        item.late_fee_cap_fen = None
        item.late_fee_grace_days = 0
    item.late_fee_rate = Decimal(item.late_fee_rate).quantize(RATE_PLACES)
    if item.late_fee_cap_fen is not None and item.late_fee_cap_fen < 0:
        raise TariffError(_("The late fee cap cannot be negative."))
    duplicate = FeeItem.objects.filter(community_id=item.community_id, name=item.name).exclude(pk=item.pk)
    if duplicate.exists():
        raise TariffError(_("A fee item named %(name)s already exists.") % {"name": item.name})


def _save(item: FeeItem) -> None:
    try:
        with transaction.atomic():
            item.save()
    except IntegrityError:
        # A concurrent save took the name between our check and our write.
        raise TariffError(_("A fee item named %(name)s already exists.") % {"name": item.name}) from None


@transaction.atomic
def feeitem_create(*, community: Community, actor, **values) -> FeeItem:
    """Create a fee item from ``FEEITEM_FIELDS`` values; refused with TariffError when inconsistent."""
    unknown = set(values) - set(FEEITEM_FIELDS)
    if unknown:
        raise ValueError(unknown)
    item = FeeItem(community=community, **values)
    _feeitem_check(item)
    _save(item)
    log_action("billing.feeitem.created", actor=actor, obj=item, changes=_feeitem_snapshot(item))
    return item


@transaction.atomic
def feeitem_update(*, fee_item: FeeItem, actor, **values) -> FeeItem:
    """Change a fee item. Lines already issued keep their inputs; later runs use the new values."""
    unknown = set(values) - set(FEEITEM_FIELDS)
    if unknown:
        raise ValueError(unknown)
    item = FeeItem.objects.select_for_update().get(pk=fee_item.pk)
    before = _feeitem_snapshot(item)
    for key, value in values.items():
        setattr(item, key, value)
    _feeitem_check(item)
    changes = diff(before, _feeitem_snapshot(item))
    if changes:
        _save(item)
        log_action("billing.feeitem.changed", actor=actor, obj=item, changes=changes)
    return item


@transaction.atomic
def feeitem_deactivate(*, fee_item: FeeItem, actor) -> FeeItem:
    """Stop billing a fee item (runs skip inactive items); its assignments and lines stay."""
    item = FeeItem.objects.select_for_update().get(pk=fee_item.pk)
    if item.is_active:
        item.is_active = False
        item.save(update_fields=["is_active"])
        log_action("billing.feeitem.deactivated", actor=actor, obj=item, changes={"name": item.name})
    return item


@transaction.atomic
def feeitem_reactivate(*, fee_item: FeeItem, actor) -> FeeItem:
    item = FeeItem.objects.select_for_update().get(pk=fee_item.pk)
    if not item.is_active:
        item.is_active = True
        item.save(update_fields=["is_active"])
        log_action("billing.feeitem.reactivated", actor=actor, obj=item, changes={"name": item.name})
    return item


# Assignments ---------------------------------------------------------------------------------------


def _discount_checked(
    *, community_id: int, percent: Decimal, fixed_fen: int, reason: str, approved_by
) -> dict[str, Any]:
    """The discount fields of an assignment, or TariffError. No discount clears reason and approver."""
    percent = Decimal(percent or 0)
    fixed_fen = int(fixed_fen or 0)
    reason = (reason or "").strip()
    if not percent.is_finite() or percent < 0 or percent > 100:
        raise TariffError(_("A discount percentage is between 0 and 100."))
    try:
        compute.percent_bp(percent)
    except ValueError:
        raise TariffError(_("A discount percentage has at most two decimals.")) from None
    if fixed_fen < 0:
        raise TariffError(_("A fixed discount cannot be negative."))
    if not percent and not fixed_fen:
        return {
            "discount_percent": Decimal(0),
            "discount_fen": 0,
            "discount_reason": "",
            "discount_approved_by": None,
        }
    if not reason:
        raise TariffError(_("A discount or exemption needs a reason."))
    if len(reason) > 200:
        raise TariffError(_("The reason is longer than 200 characters."))
    if approved_by is None:
        raise TariffError(_("A discount or exemption needs the staff member who approved it."))
    if not user_can(approved_by, community_id, Permission.BILLING_MANAGE):
        raise TariffError(
            _(
                "%(user)s may not approve discounts: approving needs the right to manage billing in this community."
            )
            % {"user": approved_by.get_full_name() or approved_by.get_username()}
        )
    return {
        "discount_percent": percent,
        "discount_fen": fixed_fen,
        "discount_reason": reason,
        "discount_approved_by": approved_by,
    }


def _discount_log(values: dict[str, Any]) -> dict[str, Any]:
    approver = values.get("discount_approved_by")
    return {
        "discount_percent": str(values["discount_percent"]),
        "discount_fen": values["discount_fen"],
        "discount_reason": values["discount_reason"],
        "discount_approved_by": (approver.get_full_name() or approver.get_username()) if approver else "",
    }


def _overlapping(*, fee_item_id: int, starts_on: datetime.date, ends_on: datetime.date | None) -> Q:
    """Assignments of the item whose window meets [starts_on, ends_on] (a room bills an item once a day)."""
    condition = Q(fee_item_id=fee_item_id) & (Q(ends_on__isnull=True) | Q(ends_on__gte=starts_on))
    if ends_on is not None:
        condition &= Q(starts_on__lte=ends_on)
    return condition


def _window_checked(*, fee_item: FeeItem, starts_on: datetime.date, ends_on: datetime.date | None) -> None:
    if ends_on is not None and ends_on < starts_on:
        raise TariffError(_("The assignment ends before it starts."))
    if fee_item.valid_to is not None and starts_on > fee_item.valid_to:
        raise TariffError(
            _("The fee item is valid only until %(date)s; the assignment would start after that.")
            % {"date": fee_item.valid_to}
        )
    if ends_on is not None and ends_on < fee_item.valid_from:
        raise TariffError(
            _("The fee item is valid only from %(date)s; the assignment would end before that.")
            % {"date": fee_item.valid_from}
        )


@transaction.atomic
def assignments_create(
    *,
    fee_item: FeeItem,
    rooms_queryset: QuerySet[Room],
    starts_on: datetime.date,
    ends_on: datetime.date | None = None,
    discount_percent: Decimal = Decimal(0),
    discount_fen: int = 0,
    discount_reason: str = "",
    discount_approved_by=None,
    assigned_to: str = "",
    actor,
) -> int:
    """Assign the fee item to every room of ``rooms_queryset`` (of its community). Returns how many.

    Set-based: one bulk INSERT whatever the number of rooms. Rooms that already have an assignment of
    this item overlapping the new window are left out (a room is billed an item once a day); the
    unique (fee item, room, start) index catches the rest. ``assigned_to`` says how the rooms were
    chosen (a building, a use, a tag) for the audit log.
    """
    # Lock the item: two assignments of the same item at once could both pass the overlap check.
    item = FeeItem.objects.select_for_update().get(pk=fee_item.pk)
    if not item.is_active:
        raise TariffError(_("The fee item %(name)s is inactive: reactivate it first.") % {"name": item.name})
    _window_checked(fee_item=item, starts_on=starts_on, ends_on=ends_on)
    discount = _discount_checked(
        community_id=item.community_id,
        percent=discount_percent,
        fixed_fen=discount_fen,
        reason=discount_reason,
        approved_by=discount_approved_by,
    )
    taken = FeeAssignment.objects.filter(
        _overlapping(fee_item_id=item.pk, starts_on=starts_on, ends_on=ends_on), room_id=OuterRef("pk")
    )
    room_pks = list(
        Room.objects.filter(community_id=item.community_id, pk__in=rooms_queryset.order_by().values("pk"))
        .exclude(Exists(taken))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    last_pk = FeeAssignment.objects.aggregate(last=Max("pk"))["last"] or 0
    FeeAssignment.objects.bulk_create(
        [
            FeeAssignment(
                community_id=item.community_id,
                fee_item=item,
                room_id=pk,
                starts_on=starts_on,
                ends_on=ends_on,
                **discount,
            )
            for pk in room_pks
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )
    created = FeeAssignment.objects.filter(fee_item=item, starts_on=starts_on, pk__gt=last_pk)
    count = created.count()
    if not count:
        return 0
    window = {"starts_on": str(starts_on), "ends_on": str(ends_on) if ends_on else ""}
    log_action(
        "billing.assignments.created",
        actor=actor,
        obj=item,
        changes={"rooms_assigned": count, "assigned_to": assigned_to, **window, **_discount_log(discount)},
    )
    # One timeline entry per household that holds any of the rooms, in one INSERT.
    rooms_by_household: dict[int, list[str]] = {}
    for link in (
        HouseholdRoom.objects.filter(room_id__in=created.values("room_id"))
        .select_related("room__building", "room__unit")
        .order_by("household_id", "room_id")
    ):
        rooms_by_household.setdefault(link.household_id, []).append(str(link.room))
    log_bulk(
        [
            AuditLog(
                community_id=item.community_id,
                actor=actor if getattr(actor, "is_authenticated", False) else None,
                action="billing.assignment.created",
                object_type=FeeItem._meta.label_lower,
                object_pk=item.pk,
                object_repr=item.name[:200],
                household_id=household_pk,
                changes={"fee_item": item.name, "room": "、".join(labels), **window},
            )
            for household_pk, labels in rooms_by_household.items()
        ]
    )
    return count


def _household_pk(room_id: int) -> int | None:
    return HouseholdRoom.objects.filter(room_id=room_id).values_list("household_id", flat=True).first()


@transaction.atomic
def assignment_end(*, assignment: FeeAssignment, ends_on: datetime.date, actor) -> FeeAssignment:
    """End (or move the end of) an assignment. Refused before the end of a month already billed."""
    locked = (
        FeeAssignment.objects.select_for_update().select_related("fee_item", "room").get(pk=assignment.pk)
    )
    if ends_on < locked.starts_on:
        raise TariffError(_("The assignment ends before it starts."))
    billed = (
        BillLine.objects.filter(room_id=locked.room_id, fee_item_id=locked.fee_item_id, is_void=False)
        .filter(period__gte=compute.month_start(locked.starts_on))
        .aggregate(last=Max("period"))["last"]
    )
    if billed is not None and ends_on < compute.month_end(billed):
        raise TariffError(
            _(
                "%(room)s is already billed for %(item)s until %(date)s: end the assignment on that day or later, or void those lines first."
            )
            % {"room": locked.room, "item": locked.fee_item, "date": compute.month_end(billed)}
        )
    if locked.ends_on == ends_on:
        return locked
    others = FeeAssignment.objects.filter(
        _overlapping(fee_item_id=locked.fee_item_id, starts_on=locked.starts_on, ends_on=ends_on),
        room_id=locked.room_id,
    ).exclude(pk=locked.pk)
    if others.exists():
        raise TariffError(_("Another assignment of this fee item to the room starts before that day."))
    before = locked.ends_on
    locked.ends_on = ends_on
    locked.save(update_fields=["ends_on"])
    log_action(
        "billing.assignment.ended",
        actor=actor,
        obj=locked,
        household_id=_household_pk(locked.room_id),
        changes={"fee_item": locked.fee_item.name, "room": str(locked.room), "ends_on": [before, ends_on]},
    )
    return locked


@transaction.atomic
def assignment_set_discount(
    *,
    assignment: FeeAssignment,
    discount_percent: Decimal,
    discount_fen: int,
    discount_reason: str,
    discount_approved_by,
    actor,
) -> FeeAssignment:
    """Give, change or remove an assignment's discount (100 % is an exemption) for lines issued after."""
    locked = (
        FeeAssignment.objects.select_for_update().select_related("fee_item", "room").get(pk=assignment.pk)
    )
    values = _discount_checked(
        community_id=locked.community_id,
        percent=discount_percent,
        fixed_fen=discount_fen,
        reason=discount_reason,
        approved_by=discount_approved_by,
    )
    before = _discount_log(
        {
            "discount_percent": locked.discount_percent,
            "discount_fen": locked.discount_fen,
            "discount_reason": locked.discount_reason,
            "discount_approved_by": locked.discount_approved_by,
        }
    )
    changes = diff(before, _discount_log(values))
    if not changes:
        return locked
    for key, value in values.items():
        setattr(locked, key, value)
    locked.save(update_fields=list(values))
    log_action(
        "billing.assignment.discount_changed",
        actor=actor,
        obj=locked,
        household_id=_household_pk(locked.room_id),
        changes={"fee_item": locked.fee_item.name, "room": str(locked.room), **changes},
    )
    return locked


# The household page lists the fee items of the household's rooms (extension point of households).


def _household_section(household, request) -> dict[str, Any]:
    return {"assignments": list(assignments_for_household(household=household))}


register_section(
    Section(
        key="billing_tariffs",
        template="console/tariffs/household_section.html",
        context=_household_section,
        permission=Permission.BILLING_VIEW,
        order=40,
    )
)
