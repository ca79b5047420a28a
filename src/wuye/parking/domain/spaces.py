"""Spaces and their holders: a household and the vehicles that park on a space, and plates blocked at
the gates. Every change is audited (on the household's timeline when a household is involved)."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.core.audit import log_action, register_actions
from wuye.households.models import Household
from wuye.parking.domain.errors import ParkingError
from wuye.parking.domain.gates import plate_clean
from wuye.parking.enums import SpaceKind
from wuye.parking.models import ParkingSpace, PlateBlock

register_actions(
    {
        "parking.space.assigned": gettext_lazy("Parking space assigned"),
        "parking.space.released": gettext_lazy("Parking space released"),
        "parking.plate.blocked": gettext_lazy("Plate blocked at the gates"),
        "parking.plate.unblocked": gettext_lazy("Plate unblocked"),
    }
)


@transaction.atomic
def space_assign(
    *,
    space: ParkingSpace,
    household: Household,
    vehicle_ids=(),
    starts_on: datetime.date | None = None,
    ends_on: datetime.date | None = None,
    actor,
) -> ParkingSpace:
    """Give ``space`` to ``household`` (owned or rented monthly), with the household's vehicles that park
    on it (all of its vehicles serve the space when none are named)."""
    space = ParkingSpace.objects.select_for_update().get(pk=space.pk)
    if space.kind == SpaceKind.TEMPORARY:
        raise ParkingError(_("A space for visitors is not given to a household."))
    if household.community_id != space.community_id:
        raise ParkingError(_("The household is not of this community."))
    if space.household_id is not None and space.household_id != household.pk:
        raise ParkingError(_("This space is held by another household: release it first."))
    if starts_on and ends_on and ends_on < starts_on:
        raise ParkingError(_("The end date is before the start date."))
    vehicles = list(household.vehicles.filter(pk__in=list(vehicle_ids)))
    if len(vehicles) != len(set(vehicle_ids)):
        raise ParkingError(_("Some of the vehicles are not this household's."))
    space.household, space.starts_on, space.ends_on = household, starts_on, ends_on
    space.save(update_fields=["household", "starts_on", "ends_on"])
    space.vehicles.set(vehicles)
    log_action(
        "parking.space.assigned",
        actor=actor,
        obj=space,
        household_id=household.pk,
        changes={"space": space.number, "plates": "、".join(v.plate for v in vehicles)},
    )
    return space


@transaction.atomic
def space_release(*, space: ParkingSpace, actor) -> ParkingSpace:
    space = ParkingSpace.objects.select_for_update().get(pk=space.pk)
    if space.household_id is None:
        return space
    household_id = space.household_id
    space.household, space.starts_on, space.ends_on = None, None, None
    space.save(update_fields=["household", "starts_on", "ends_on"])
    space.vehicles.clear()
    log_action(
        "parking.space.released",
        actor=actor,
        obj=space,
        household_id=household_id,
        changes={"space": space.number},
    )
    return space


@transaction.atomic
def plate_block(
    *, community, plate: str, reason: str, until: datetime.date | None = None, actor
) -> PlateBlock:
    plate = plate_clean(plate)
    reason = (reason or "").strip()
    if not plate:
        raise ParkingError(_("Enter the plate."))
    if not reason:
        raise ParkingError(_("Give the reason."))
    block, _created = PlateBlock.objects.update_or_create(
        community=community, plate=plate, defaults={"reason": reason[:200], "until": until}
    )
    log_action("parking.plate.blocked", actor=actor, obj=block, changes={"plate": plate, "reason": reason})
    return block


@transaction.atomic
def plate_unblock(*, block: PlateBlock, actor) -> None:
    log_action("parking.plate.unblocked", actor=actor, obj=block, changes={"plate": block.plate})
    block.delete()
