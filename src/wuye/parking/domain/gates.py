"""What a gate does with a car: the one decision for entries and exits (``gate_event``), recorded once.

Entry: a blocked plate is refused; a car of a space of the area (its plate is one of the space's
vehicles, or of the space's household, while the space is theirs) enters as a resident; any other car
enters as a visitor while the area has room for visitors. A car still recorded inside (its exit was never
reported) has that stay closed first, with no exit gate.

Exit: a resident leaves; a visitor leaves when it owes nothing (``fees.due_at_exit_fen``: within the free
minutes, or within the grace minutes after paying), otherwise the gate shows what is due and the pay
page's address, and the car leaves once paid. A car with no entry on record is refused (an attendant
lets it out).

A device repeats an event it got no answer to: the same event id gets the same answer, and nothing is
written twice (unique per gate and event id).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from wuye.households.models import Vehicle
from wuye.parking.domain.fees import Rate, due_at_exit_fen
from wuye.parking.enums import GateAction, GateDirection, SpaceKind, VisitKind, VisitState
from wuye.parking.models import Gate, ParkingArea, ParkingSpace, ParkingVisit, PlateBlock


@dataclass(frozen=True)
class GateDecision:
    action: str  # GateAction
    reason: str = ""
    visit: ParkingVisit | None = None
    due_fen: int = 0


def plate_clean(plate: str) -> str:
    """A plate as the gates and the archive compare it: upper case, no spaces or dots (粤B·12345)."""
    return "".join(ch for ch in str(plate or "").upper() if ch not in " ·.-\t")[:12]


def resident_space(*, area, plate: str, on: datetime.date) -> ParkingSpace | None:
    """The space of ``area`` this plate parks on as of ``on``: one the vehicle is linked to, or one of its
    household's (a space held by a household serves every car of the household)."""
    vehicle = Vehicle.objects.filter(community_id=area.community_id, plate=plate).first()
    if vehicle is None:
        return None
    current = (Q(starts_on__isnull=True) | Q(starts_on__lte=on)) & (
        Q(ends_on__isnull=True) | Q(ends_on__gte=on)
    )
    spaces = ParkingSpace.objects.filter(current, area=area).exclude(kind=SpaceKind.TEMPORARY)
    return (
        spaces.filter(vehicles=vehicle).order_by("pk").first()
        or spaces.filter(household_id=vehicle.household_id).order_by("pk").first()
    )


def is_blocked(*, community_id: int, plate: str, on: datetime.date) -> PlateBlock | None:
    return (
        PlateBlock.objects.filter(community_id=community_id, plate=plate)
        .filter(Q(until__isnull=True) | Q(until__gte=on))
        .first()
    )


def gate_event(
    *, gate: Gate, plate: str, event_id: str, at: datetime.datetime | None = None, photo: str = ""
) -> GateDecision:
    """Decide and record what ``gate`` does with the car ``plate`` (see the module's docstring)."""
    plate = plate_clean(plate)
    at = at or timezone.now()
    if not plate:
        return GateDecision(GateAction.REFUSE, _("The plate could not be read."))
    if not event_id:
        return GateDecision(GateAction.REFUSE, _("The event has no id."))
    repeated = _repeated(gate, event_id[:64])
    if repeated is not None:
        return repeated
    try:
        with transaction.atomic():
            if gate.direction == GateDirection.ENTRY:
                return _entry(gate, plate, event_id[:64], at, photo[:200])
            return _exit(gate, plate, event_id[:64], at, photo[:200])
    except IntegrityError:
        # The same event raced in twice, or the car's stay was written meanwhile: answer as recorded.
        return _repeated(gate, event_id[:64]) or GateDecision(
            GateAction.REFUSE, _("Try again: the gate's event crossed another.")
        )


def _repeated(gate: Gate, event_id: str) -> GateDecision | None:
    if gate.direction == GateDirection.ENTRY:
        visit = ParkingVisit.objects.filter(entry_gate=gate, entry_event_id=event_id).first()
    else:
        visit = ParkingVisit.objects.filter(exit_gate=gate, exit_event_id=event_id).first()
    return GateDecision(GateAction.OPEN, visit=visit) if visit is not None else None


def _entry(gate: Gate, plate: str, event_id: str, at: datetime.datetime, photo: str) -> GateDecision:
    area = gate.area
    today = timezone.localdate(at)
    block = is_blocked(community_id=gate.community_id, plate=plate, on=today)
    if block is not None:
        return GateDecision(
            GateAction.REFUSE, _("This plate is blocked: %(reason)s") % {"reason": block.reason}
        )
    # A stay whose exit was never reported ends here, so that the car can enter again.
    ParkingVisit.objects.filter(area=area, plate=plate, state=VisitState.INSIDE).update(
        state=VisitState.LEFT, exited_at=at
    )
    space = resident_space(area=area, plate=plate, on=today)
    if space is None and area.temporary_capacity:
        # Visitors enter a car park one at a time (its row locked until the entry commits), so two cars
        # at two gates cannot both take the last space.
        area_lock(area)
        if visitors_inside(area) >= area.temporary_capacity:
            return GateDecision(GateAction.REFUSE, _("No space left for visitors."))
    visit = ParkingVisit.objects.create(
        community_id=gate.community_id,
        area=area,
        plate=plate,
        kind=VisitKind.RESIDENT if space is not None else VisitKind.TEMPORARY,
        space=space,
        entered_at=at,
        entry_gate=gate,
        entry_event_id=event_id,
        entry_photo=photo,
    )
    return GateDecision(GateAction.OPEN, visit=visit)


def area_lock(area: ParkingArea) -> None:
    ParkingArea.objects.select_for_update().filter(pk=area.pk).values_list("pk", flat=True).first()


def visitors_inside(area: ParkingArea) -> int:
    return ParkingVisit.objects.filter(area=area, kind=VisitKind.TEMPORARY, state=VisitState.INSIDE).count()


def _exit(gate: Gate, plate: str, event_id: str, at: datetime.datetime, photo: str) -> GateDecision:
    visit = (
        ParkingVisit.objects.select_for_update()
        .filter(area=gate.area, plate=plate, state=VisitState.INSIDE)
        .select_related("area")
        .first()
    )
    if visit is None:
        return GateDecision(
            GateAction.REFUSE, _("No entry on record for this car: please see the attendant.")
        )
    due = visit_due_fen(visit, at=at)
    if due:
        visit.fee_fen = visit.paid_fen + due
        visit.save(update_fields=["fee_fen"])
        return GateDecision(GateAction.PAY, _("Please pay before leaving."), visit=visit, due_fen=due)
    visit.fee_fen = visit.paid_fen  # owing nothing: free minutes, a resident, or paid (within the grace)
    visit.state, visit.exited_at, visit.exit_gate, visit.exit_event_id = VisitState.LEFT, at, gate, event_id
    visit.exit_photo = photo
    visit.save(update_fields=["state", "exited_at", "exit_gate", "exit_event_id", "exit_photo", "fee_fen"])
    return GateDecision(GateAction.OPEN, visit=visit)


def visit_due_fen(visit: ParkingVisit, *, at: datetime.datetime | None = None) -> int:
    """What the car of ``visit`` must still pay to leave at ``at`` (0 for a resident's car)."""
    if visit.kind != VisitKind.TEMPORARY or visit.state != VisitState.INSIDE:
        return 0
    return due_at_exit_fen(
        Rate.of(visit.area),
        entered_at=visit.entered_at,
        paid_fen=visit.paid_fen,
        paid_at=visit.paid_at,
        grace_minutes=visit.area.grace_minutes,
        at=at or timezone.now(),
    )
