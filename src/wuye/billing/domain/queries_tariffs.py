"""Reads of fee items, assignments, meters and readings (selectors for the console and the importer)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from wuye.billing.enums import Method
from wuye.billing.models import BillLine, FeeAssignment, FeeItem, Meter, MeterReading, SharedUsage
from wuye.core.enums import Permission
from wuye.core.models import Community
from wuye.core.rules import roles_granting
from wuye.estate.domain.queries import room_by_label
from wuye.estate.models import Building, Room
from wuye.households.models import Household, HouseholdTag, Tag


def _current(today: datetime.date) -> Q:
    return Q(assignments__ends_on__isnull=True) | Q(assignments__ends_on__gte=today)


def fee_items_for_list(*, community: Community) -> QuerySet[FeeItem]:
    """The community's fee items with how many rooms each applies to today (and ever)."""
    today = timezone.localdate()
    return (
        FeeItem.objects.filter(community=community)
        .annotate(
            rooms_current=Count(
                "assignments", filter=_current(today) & Q(assignments__starts_on__lte=today), distinct=True
            ),
            rooms_total=Count("assignments", distinct=True),
        )
        .order_by("-is_active", "category", "name")
    )


def assignments_of(*, fee_item: FeeItem, building: Building | None = None) -> QuerySet[FeeAssignment]:
    assignments = FeeAssignment.objects.filter(fee_item=fee_item)
    if building is not None:
        assignments = assignments.filter(room__building=building)
    return assignments.select_related("room__building", "room__unit", "discount_approved_by").order_by(
        "room__building__name", "room__unit__name", "room__floor", "room__number", "starts_on"
    )


def assignments_for_household(*, household: Household) -> QuerySet[FeeAssignment]:
    """Every assignment of the household's rooms, with the fee item and who approved a discount."""
    return (
        FeeAssignment.objects.filter(
            community_id=household.community_id, room__household_links__household=household
        )
        .select_related("fee_item", "room__building", "room__unit", "discount_approved_by")
        .order_by("room__building__name", "room__unit__name", "room__number", "fee_item__name", "starts_on")
    )


# Choosing rooms for an assignment -------------------------------------------------------------------


def rooms_in_building(*, community: Community, building: Building) -> QuerySet[Room]:
    return Room.objects.filter(community=community, building=building)


def rooms_of_use(*, community: Community, use: str) -> QuerySet[Room]:
    return Room.objects.filter(community=community, use=use)


def rooms_of_tag(*, community: Community, tag: Tag) -> QuerySet[Room]:
    """The rooms of the households that carry the tag (as it is now)."""
    households = HouseholdTag.objects.filter(community=community, tag=tag).values("household_id")
    return Room.objects.filter(community=community, household_links__household_id__in=households)


def rooms_by_labels(*, community: Community, labels: Iterable[str]) -> tuple[QuerySet[Room], list[str]]:
    """Rooms named one per line ("1栋-1单元-101"), and the labels that name no room."""
    pks, unknown = [], []
    for label in labels:
        label = label.strip()
        if not label:
            continue
        room = room_by_label(community=community, label=label)
        if room is None:
            unknown.append(label)
        else:
            pks.append(room.pk)
    return Room.objects.filter(community=community, pk__in=pks), unknown


def discount_approvers(*, community: Community) -> QuerySet:
    """Staff who may approve a discount or exemption: those who manage billing in the community."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            staff_roles__community=community,
            staff_roles__role__in=roles_granting(Permission.BILLING_MANAGE),
        )
        .distinct()
        .order_by("username")
    )


# Meters and readings ---------------------------------------------------------------------------------


def meters_of_building(*, building: Building) -> QuerySet[Meter]:
    """The building's room meters and shared meters, with the latest reading of each."""
    latest = MeterReading.objects.filter(meter=OuterRef("pk")).order_by("-period")
    return (
        Meter.objects.filter(community_id=building.community_id)
        .filter(Q(room__building=building) | Q(room__isnull=True, building=building))
        .select_related("room__building", "room__unit")
        .annotate(
            latest_period=Subquery(latest.values("period")[:1]),
            latest_value=Subquery(latest.values("value")[:1]),
        )
        .order_by(  # the rooms' meters unit by unit, floor by floor; the shared meters last
            F("room__unit__name").asc(nulls_last=True),
            F("room__floor").asc(nulls_last=True),
            F("room__number").asc(nulls_last=True),
            "kind",
            "number",
        )
    )


def buildings_with_meters(*, community: Community) -> QuerySet[Building]:
    room_meters = Meter.objects.filter(room__building=OuterRef("pk"), is_active=True)
    shared_meters = Meter.objects.filter(room__isnull=True, building=OuterRef("pk"), is_active=True)
    return Building.objects.filter(community=community).annotate(
        room_meters=Subquery(
            room_meters.order_by().values("room__building").annotate(n=Count("pk")).values("n")
        ),
        shared_meters=Subquery(
            shared_meters.order_by().values("building").annotate(n=Count("pk")).values("n")
        ),
    )


@dataclass
class GridRow:
    """One meter of the reading grid: its previous reading and this month's, if any."""

    meter: Meter
    previous: MeterReading | None
    current: MeterReading | None


def reading_grid(*, building: Building, period: datetime.date) -> list[GridRow]:
    """Every active meter of the building (and inactive ones read this month) for the month's grid."""
    meters = list(
        meters_of_building(building=building)
        .filter(Q(is_active=True) | Q(readings__period=period))
        .distinct()
    )
    pks = [meter.pk for meter in meters]
    current = {r.meter_id: r for r in MeterReading.objects.filter(meter_id__in=pks, period=period)}
    previous_pk = Subquery(
        MeterReading.objects.filter(meter=OuterRef("meter_id"), period__lt=period)
        .order_by("-period")
        .values("pk")[:1]
    )
    previous = {
        r.meter_id: r
        for r in MeterReading.objects.filter(meter_id__in=pks, period__lt=period).filter(pk=previous_pk)
    }
    return [GridRow(meter, previous.get(meter.pk), current.get(meter.pk)) for meter in meters]


def readings_of_meter(*, meter: Meter) -> QuerySet[MeterReading]:
    return meter.readings.select_related("entered_by").prefetch_related("shares").order_by("-period")


def readings_billed(readings: Iterable[MeterReading]) -> set[int]:
    """The pks of the readings whose month a non-void metered bill line of the same room and kind bills.

    A metered line of a month bills the usage of that month's readings (the room's own meters and its
    shares of shared meters), so such a reading can no longer change.
    """
    readings = [r for r in readings if r.pk is not None]
    if not readings:
        return set()
    # (room, kind, month) of every reading: the meter's room, or the rooms it was shared among.
    wanted: dict[tuple[int, str, datetime.date], set[int]] = {}
    shared = [r for r in readings if r.meter.room_id is None]
    for reading in readings:
        if reading.meter.room_id is not None:
            wanted.setdefault((reading.meter.room_id, reading.meter.kind, reading.period), set()).add(
                reading.pk
            )
    for share in SharedUsage.objects.filter(reading__in=[r.pk for r in shared]).values(
        "room_id", "kind", "period", "reading_id"
    ):
        wanted.setdefault((share["room_id"], share["kind"], share["period"]), set()).add(share["reading_id"])
    if not wanted:
        return set()
    lines = BillLine.objects.filter(
        community_id=readings[0].community_id,
        is_void=False,
        method=Method.METERED,
        period__in={key[2] for key in wanted},
        room_id__in={key[0] for key in wanted},
    ).values_list("room_id", "fee_item__meter_kind", "period")
    billed: set[int] = set()
    for key in lines:
        billed |= wanted.get(key, set())
    return billed
