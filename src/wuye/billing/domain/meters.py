"""Meters (表具) and their monthly readings (抄表), with the usage each reading fixes.

A reading is the meter's value at the end of a month; its usage is fixed when it is entered, so a
metered bill line can always be explained from stored numbers:

- usage = value − the previous reading's value; a value below the previous one is refused unless
  the meter was marked replaced (换表);
- replaced: the new meter counts from its start value, so usage = value − start, the start being
  0 unless given (a new meter starts at 0). What the old meter ran since its last reading is not
  read again: enter it as a bill adjustment if it matters;
- the first reading of a meter has usage 0 (it is the baseline), unless the meter's start value is
  given: then usage = value − start;
- a shared meter (no room) has its usage apportioned to the rooms of its building by built-up area,
  in 0.01 units by largest remainder, so the shares add up to the usage exactly (``SharedUsage``).

Entering readings is all or nothing: every row is checked first, and one bad row refuses them all
with each row's reason. Entering the same value again for the same month changes nothing; changing
a month's reading is refused once a bill line bills it, and when the meter has a later reading
(readings are entered month by month, so a later usage never goes stale).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.billing.domain import compute
from wuye.billing.domain.queries_tariffs import readings_billed
from wuye.billing.enums import MeterKind
from wuye.billing.models import Meter, MeterReading, SharedUsage
from wuye.core.audit import log_action, log_bulk, register_actions, register_field_labels
from wuye.core.models import AuditLog, Community
from wuye.estate.models import Building, Room
from wuye.households.models import HouseholdRoom

register_actions(
    {
        "billing.meter.created": gettext_lazy("Meter added"),
        "billing.meter.deactivated": gettext_lazy("Meter deactivated"),
        "billing.meter.reactivated": gettext_lazy("Meter reactivated"),
        "billing.reading.entered": gettext_lazy("Meter reading entered"),
        "billing.reading.changed": gettext_lazy("Meter reading changed"),
    }
)
register_field_labels(
    {
        "meter_number": gettext_lazy("meter number"),
        "meter_kind": (gettext_lazy("meter"), MeterKind),
        "reading_month": gettext_lazy("month"),
        "reading_value": gettext_lazy("reading"),
        "reading_usage": gettext_lazy("usage"),
        "meter_replaced": gettext_lazy("meter replaced"),
        "building": gettext_lazy("building"),
    }
)

# The reading column holds 14 digits, 2 of them decimals.
MAX_VALUE = Decimal("1000000000000")


class MeterError(Exception):
    """A refused change to meters; the message is translated."""


@dataclass(frozen=True)
class RowProblem:
    """Why one row of a batch of readings is refused; ``index`` is the row's position in the batch."""

    index: int
    message: str


class ReadingsRefusedError(Exception):
    """Readings refused as a whole: nothing was written. ``problems`` lists every bad row."""

    def __init__(self, problems: list[RowProblem]):
        self.problems = problems
        super().__init__("; ".join(problem.message for problem in problems))


@dataclass(frozen=True)
class ReadingInput:
    """One reading to enter: ``start`` is the new meter's start value (replaced or first reading)."""

    meter: Meter
    period: datetime.date
    value: Decimal
    replaced: bool = False
    start: Decimal | None = None


@dataclass
class ReadingsResult:
    created: int = 0
    changed: int = 0
    unchanged: int = 0


@dataclass
class _Write:
    index: int
    reading: MeterReading
    before: dict[str, Any] | None = None  # None: a new reading


@dataclass
class ReadingsPlan:
    """What entering a batch would write. Built by ``readings_check``; written by ``readings_apply``."""

    problems: list[RowProblem] = field(default_factory=list)
    writes: list[_Write] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    shares: dict[int, list[tuple[int, Decimal]]] = field(
        default_factory=dict
    )  # write index → [(room, usage)]

    @property
    def created(self) -> int:
        return sum(1 for write in self.writes if write.before is None)

    @property
    def changed(self) -> int:
        return sum(1 for write in self.writes if write.before is not None)


def _month(period: datetime.date) -> str:
    return f"{period:%Y-%m}"


def _household_pk(room_id: int | None) -> int | None:
    if room_id is None:
        return None
    return HouseholdRoom.objects.filter(room_id=room_id).values_list("household_id", flat=True).first()


# Meters ---------------------------------------------------------------------------------------------


@transaction.atomic
def meter_create(
    *,
    community: Community,
    kind: str,
    number: str,
    room: Room | None = None,
    building: Building | None = None,
    actor,
) -> Meter:
    """Add a room's meter, or a shared meter of a building (``room`` None, ``building`` given)."""
    number = (number or "").strip()
    if not number:
        raise MeterError(_("Give the meter number."))
    if len(number) > 40:
        raise MeterError(_("The meter number is longer than 40 characters."))
    if kind not in MeterKind.values:
        raise MeterError(_("Choose water, electricity or gas."))
    if room is not None:
        if room.community_id != community.pk:
            raise MeterError(_("The room is in another community."))
        building = room.building
    elif building is None:
        raise MeterError(_("A meter belongs to a room, or is shared by a building."))
    if building.community_id != community.pk:
        raise MeterError(_("The building is in another community."))
    if Meter.objects.filter(community=community, number=number).exists():
        raise MeterError(_("Meter number %(number)s already exists in this community.") % {"number": number})
    try:
        with transaction.atomic():
            meter = Meter.objects.create(
                community=community, kind=kind, number=number, room=room, building=building
            )
    except IntegrityError:
        raise MeterError(
            _("Meter number %(number)s already exists in this community.") % {"number": number}
        ) from None
    log_action(
        "billing.meter.created",
        actor=actor,
        obj=meter,
        household_id=_household_pk(meter.room_id),
        changes={
            "meter_number": meter.number,
            "meter_kind": meter.kind,
            "room": str(room) if room else "",
            "building": str(building),
        },
    )
    return meter


def _meter_set_active(*, meter: Meter, active: bool, action: str, actor) -> Meter:
    locked = Meter.objects.select_for_update().get(pk=meter.pk)
    if locked.is_active != active:
        locked.is_active = active
        locked.save(update_fields=["is_active"])
        log_action(
            action,
            actor=actor,
            obj=locked,
            household_id=_household_pk(locked.room_id),
            changes={"meter_number": locked.number},
        )
    return locked


@transaction.atomic
def meter_deactivate(*, meter: Meter, actor) -> Meter:
    """A removed meter takes no more readings; its readings stay (they may be billed)."""
    return _meter_set_active(meter=meter, active=False, action="billing.meter.deactivated", actor=actor)


@transaction.atomic
def meter_reactivate(*, meter: Meter, actor) -> Meter:
    return _meter_set_active(meter=meter, active=True, action="billing.meter.reactivated", actor=actor)


# Apportioning a shared meter ------------------------------------------------------------------------


def apportion(usage: Decimal, weights: Sequence[tuple[int, Decimal]]) -> list[tuple[int, Decimal]]:
    """Split ``usage`` over [(key, weight)] in proportion, in 0.01 units by largest remainder.

    The parts add up to ``usage`` exactly. Ties in the remainder go to the smaller key, so the split
    is the same every time. Keys with weight 0 get 0.
    """
    total_centi = compute.to_centi(usage)
    weighted = [(key, compute.to_centi(weight)) for key, weight in weights]
    total_weight = sum(weight for _key, weight in weighted)
    if total_weight <= 0:
        raise ValueError("nothing to apportion by")
    parts = {key: total_centi * weight // total_weight for key, weight in weighted}
    left = total_centi - sum(parts.values())
    by_remainder = sorted(weighted, key=lambda kw: (-(total_centi * kw[1] % total_weight), kw[0]))
    for key, _weight in by_remainder[:left]:
        parts[key] += 1
    return [(key, Decimal(parts[key]) / 100) for key, _weight in weighted]


def _building_areas(building_ids: Iterable[int]) -> dict[int, list[tuple[int, Decimal]]]:
    areas: dict[int, list[tuple[int, Decimal]]] = {}
    for room_id, building_id, area in (
        Room.objects.filter(building_id__in=set(building_ids), built_area__gt=0)
        .order_by("pk")
        .values_list("pk", "building_id", "built_area")
    ):
        areas.setdefault(building_id, []).append((room_id, area))
    return areas


# Readings -------------------------------------------------------------------------------------------


def _number_problem(value: Any, label: str) -> str | None:
    """Why ``value`` cannot be a reading (None if it can)."""
    if not isinstance(value, Decimal):
        try:
            value = Decimal(str(value))
        except (InvalidOperation, ValueError):
            return _("%(what)s is not a number.") % {"what": label}
    if not value.is_finite():
        return _("%(what)s is not a number.") % {"what": label}
    if value < 0:
        return _("%(what)s cannot be negative.") % {"what": label}
    if value != value.quantize(compute.CENTI):
        return _("%(what)s has more than two decimals.") % {"what": label}
    if value >= MAX_VALUE:
        return _("%(what)s is too large.") % {"what": label}
    return None


def _previous_readings(meter_pks: list[int], before: datetime.date) -> dict[int, MeterReading]:
    """The latest reading of each meter before ``before``, in one query."""
    latest = Subquery(
        MeterReading.objects.filter(meter=OuterRef("meter_id"), period__lt=before)
        .order_by("-period")
        .values("pk")[:1]
    )
    return {
        reading.meter_id: reading
        for reading in MeterReading.objects.filter(meter_id__in=meter_pks, period__lt=before, pk=latest)
    }


def readings_check(*, community: Community, inputs: Sequence[ReadingInput]) -> ReadingsPlan:
    """Work out what entering ``inputs`` would write, and every row's problem. Writes nothing."""
    plan = ReadingsPlan()
    this_month = compute.month_start(timezone.localdate())

    def refuse(index: int, message: str) -> None:
        plan.problems.append(RowProblem(index, message))

    # 1. What each row says by itself.
    valid: dict[int, ReadingInput] = {}
    seen: dict[tuple[int, datetime.date], int] = {}
    for index, entry in enumerate(inputs):
        meter = entry.meter
        if meter is None or meter.community_id != community.pk:
            refuse(index, _("Unknown meter."))
            continue
        period = compute.month_start(entry.period)
        problem = _number_problem(entry.value, _("The reading"))
        if problem is None and entry.start is not None:
            problem = _number_problem(entry.start, _("The start value"))
        if problem is None and not meter.is_active:
            problem = _("Meter %(meter)s is inactive.") % {"meter": meter.number}
        if problem is None and period > this_month:
            problem = _("%(month)s is a month still to come.") % {"month": _month(period)}
        if problem is None and (meter.pk, period) in seen:
            problem = _("Meter %(meter)s is read twice for %(month)s.") % {
                "meter": meter.number,
                "month": _month(period),
            }
        if problem is not None:
            refuse(index, problem)
            continue
        seen[(meter.pk, period)] = index
        valid[index] = ReadingInput(
            meter=meter,
            period=period,
            value=Decimal(str(entry.value)).quantize(compute.CENTI),
            replaced=bool(entry.replaced),
            start=None if entry.start is None else Decimal(str(entry.start)).quantize(compute.CENTI),
        )
    if not valid:
        return plan

    # 2. Against the readings stored: each meter's months in order, the batch's rows in their place.
    meter_pks = sorted({entry.meter.pk for entry in valid.values()})
    earliest = min(entry.period for entry in valid.values())
    previous = _previous_readings(meter_pks, earliest)
    stored: dict[tuple[int, datetime.date], MeterReading] = {
        (r.meter_id, r.period): r
        for r in MeterReading.objects.filter(meter_id__in=meter_pks, period__gte=earliest)
    }
    rows_by_meter: dict[int, dict[datetime.date, int]] = {}
    for index, entry in valid.items():
        rows_by_meter.setdefault(entry.meter.pk, {})[entry.period] = index

    changed_readings: list[tuple[int, MeterReading]] = []
    for meter_pk in meter_pks:
        rows = rows_by_meter[meter_pk]
        months = sorted({*rows, *(period for (pk, period) in stored if pk == meter_pk)})
        last = previous.get(meter_pk)
        last_value = last.value if last is not None else None
        last_month = last.period if last is not None else None
        writing_from: int | None = None  # the first row of this meter that writes something
        for month in months:
            existing = stored.get((meter_pk, month))
            index = rows.get(month)
            if index is None:
                # A stored later month outside the batch: its usage counts from the value before it.
                if writing_from is not None:
                    refuse(
                        writing_from,
                        _(
                            "Meter %(meter)s already has a reading for the later month %(month)s: readings are entered month by month."
                        )
                        % {"meter": valid[writing_from].meter.number, "month": _month(month)},
                    )
                    writing_from = None
                last_value, last_month = existing.value, month
                continue
            entry = valid[index]
            number = entry.meter.number
            if entry.replaced:
                start = entry.start if entry.start is not None else Decimal(0)
                keep = (
                    entry.start is None
                    and existing is not None
                    and existing.replaced
                    and existing.value == entry.value
                )
                if entry.value < start:
                    refuse(
                        index,
                        _("The reading %(value)s of meter %(meter)s is below its start value %(start)s.")
                        % {"value": entry.value, "meter": number, "start": start},
                    )
                    last_value, last_month = entry.value, month
                    continue
                usage = existing.usage if keep else entry.value - start
            elif last_value is None:
                if entry.start is not None and entry.value < entry.start:
                    refuse(
                        index,
                        _("The reading %(value)s of meter %(meter)s is below its start value %(start)s.")
                        % {"value": entry.value, "meter": number, "start": entry.start},
                    )
                    last_value, last_month = entry.value, month
                    continue
                if entry.start is not None:
                    usage = entry.value - entry.start
                elif existing is not None and not existing.replaced and existing.value == entry.value:
                    usage = existing.usage
                else:
                    usage = Decimal(0)
            else:
                if entry.value < last_value:
                    refuse(
                        index,
                        _(
                            "The reading %(value)s of meter %(meter)s is below the previous one (%(previous)s in %(month)s); if the meter was replaced, mark it as replaced."
                        )
                        % {
                            "value": entry.value,
                            "meter": number,
                            "previous": last_value,
                            "month": _month(last_month),
                        },
                    )
                    last_value, last_month = entry.value, month
                    continue
                usage = entry.value - last_value
            last_value, last_month = entry.value, month
            usage = usage.quantize(compute.CENTI)
            if existing is not None and (existing.value, existing.replaced, existing.usage) == (
                entry.value,
                entry.replaced,
                usage,
            ):
                plan.unchanged.append(index)
                continue
            if writing_from is None:
                writing_from = index
            if existing is None:
                reading = MeterReading(
                    community_id=community.pk,
                    meter=entry.meter,
                    period=month,
                    value=entry.value,
                    usage=usage,
                    replaced=entry.replaced,
                )
                plan.writes.append(_Write(index, reading))
            else:
                before = {"value": existing.value, "usage": existing.usage, "replaced": existing.replaced}
                existing.meter = entry.meter
                changed_readings.append((index, existing))
                existing.value, existing.usage, existing.replaced = entry.value, usage, entry.replaced
                plan.writes.append(_Write(index, existing, before))

    # 3. A month that a bill line bills cannot change.
    billed = readings_billed([reading for _index, reading in changed_readings])
    for index, reading in changed_readings:
        if reading.pk in billed:
            refuse(
                index,
                _(
                    "The %(month)s reading of meter %(meter)s is already billed and cannot change; void or adjust the bill line first."
                )
                % {"month": _month(reading.period), "meter": reading.meter.number},
            )

    # 4. Shared meters: their building must have rooms with an area to share the usage by.
    shared = [write for write in plan.writes if write.reading.meter.room_id is None]
    areas = _building_areas(write.reading.meter.building_id for write in shared)
    for write in shared:
        weights = areas.get(write.reading.meter.building_id)
        if not weights:
            refuse(
                write.index,
                _(
                    "Shared meter %(meter)s: its building has no room with a built-up area to share the usage by."
                )
                % {"meter": write.reading.meter.number},
            )
            continue
        plan.shares[write.index] = apportion(write.reading.usage, weights)

    plan.problems.sort(key=lambda problem: problem.index)
    return plan


def _reading_log(write: _Write, actor) -> AuditLog:
    reading = write.reading
    changes: dict[str, Any] = {"meter_number": reading.meter.number, "reading_month": _month(reading.period)}
    if write.before is None:
        changes |= {"reading_value": str(reading.value), "reading_usage": str(reading.usage)}
        if reading.replaced:
            changes["meter_replaced"] = True
    else:
        for key, attribute in (
            ("reading_value", "value"),
            ("reading_usage", "usage"),
            ("meter_replaced", "replaced"),
        ):
            old, new = write.before[attribute], getattr(reading, attribute)
            if old != new:
                changes[key] = [
                    str(old) if isinstance(old, Decimal) else old,
                    str(new) if isinstance(new, Decimal) else new,
                ]
    return AuditLog(
        community_id=reading.community_id,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action="billing.reading.entered" if write.before is None else "billing.reading.changed",
        object_type=MeterReading._meta.label_lower,
        object_pk=reading.pk,
        object_repr=str(reading)[:200],
        household_id=None,
        changes=changes,
    )


@transaction.atomic
def readings_apply(
    *, community: Community, inputs: Sequence[ReadingInput], actor, read_on: datetime.date | None = None
) -> ReadingsResult:
    """Enter a batch of readings (any months): all of them, or none with ReadingsRefusedError.

    Steps: lock the meters (ordered by pk, so two batches never wait on each other in a circle),
    check every row against the readings as they are now, then write the new and changed readings,
    the shares of shared meters and one audit row per reading, set-based.
    """
    meter_pks = sorted({entry.meter.pk for entry in inputs if entry.meter is not None and entry.meter.pk})
    # Lock: a concurrent batch for the same meters waits here, then sees our readings.
    list(
        Meter.objects.select_for_update().filter(pk__in=meter_pks).order_by("pk").values_list("pk", flat=True)
    )
    plan = readings_check(community=community, inputs=inputs)
    if plan.problems:
        raise ReadingsRefusedError(plan.problems)
    entered_by = actor if getattr(actor, "is_authenticated", False) else None
    new = [write.reading for write in plan.writes if write.before is None]
    changed = [write.reading for write in plan.writes if write.before is not None]
    for reading in plan.writes:
        reading.reading.entered_by = entered_by
        reading.reading.read_on = read_on
    try:
        with transaction.atomic():
            MeterReading.objects.bulk_create(new, batch_size=1000)
    except IntegrityError:
        raise ReadingsRefusedError(
            [RowProblem(0, _("Someone else entered readings for these meters at the same time; try again."))]
        ) from None
    if any(reading.pk is None for reading in new):  # databases that return no keys from a bulk insert
        keys = {(r.meter_id, r.period): r.pk for r in MeterReading.objects.filter(meter_id__in=meter_pks)}
        for reading in new:
            reading.pk = keys[(reading.meter_id, reading.period)]
    MeterReading.objects.bulk_update(
        changed, ["value", "usage", "replaced", "entered_by", "read_on"], batch_size=1000
    )
    SharedUsage.objects.filter(
        reading__in=[write.reading.pk for write in plan.writes if write.index in plan.shares]
    ).delete()
    SharedUsage.objects.bulk_create(
        [
            SharedUsage(
                community_id=community.pk,
                reading_id=write.reading.pk,
                room_id=room_id,
                kind=write.reading.meter.kind,
                period=write.reading.period,
                usage=usage,
            )
            for write in plan.writes
            for room_id, usage in plan.shares.get(write.index, [])
        ],
        batch_size=1000,
    )
    entries = [_reading_log(write, actor) for write in plan.writes]
    rooms = {write.reading.meter.room_id for write in plan.writes if write.reading.meter.room_id}
    households = dict(HouseholdRoom.objects.filter(room_id__in=rooms).values_list("room_id", "household_id"))
    for entry, write in zip(entries, plan.writes, strict=True):
        entry.household_id = households.get(write.reading.meter.room_id)
    log_bulk(entries)
    return ReadingsResult(created=len(new), changed=len(changed), unchanged=len(plan.unchanged))


def readings_enter(
    *,
    community: Community,
    period: datetime.date,
    rows: Sequence[tuple],
    actor,
    read_on: datetime.date | None = None,
) -> ReadingsResult:
    """Enter one month's readings: rows of (meter, value, replaced) or (meter, value, replaced, start).

    All or nothing: ReadingsRefusedError lists every bad row by its position in ``rows``.
    """
    inputs = [
        ReadingInput(
            meter=row[0],
            period=period,
            value=row[1],
            replaced=bool(row[2]) if len(row) > 2 else False,
            start=row[3] if len(row) > 3 else None,
        )
        for row in rows
    ]
    return readings_apply(community=community, inputs=inputs, actor=actor, read_on=read_on)
