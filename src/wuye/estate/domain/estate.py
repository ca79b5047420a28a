"""Writing the estate: buildings, units, rooms, and the room generator."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.core.audit import diff, log_action, register_actions, register_field_labels, snapshot
from wuye.core.models import Community
from wuye.estate.enums import RoomState, RoomUse
from wuye.estate.models import Building, Room, Unit
from wuye.estate.signals import room_changed

ROOM_FIELDS = ("number", "floor", "built_area", "inner_area", "use", "state")

register_field_labels(
    {
        "number": gettext_lazy("room number"),
        "floor": gettext_lazy("floor"),
        "floors": gettext_lazy("floors"),
        "units": gettext_lazy("units"),
        "rooms_per_floor": gettext_lazy("rooms per floor"),
        "created": gettext_lazy("created"),
        "built_area": gettext_lazy("built-up area (m²)"),
        "inner_area": gettext_lazy("inner area (m²)"),
        "use": (gettext_lazy("use"), RoomUse),
        "state": (gettext_lazy("state"), RoomState),
    }
)

register_actions(
    {
        "estate.building.created": gettext_lazy("Building created"),
        "estate.building.changed": gettext_lazy("Building changed"),
        "estate.rooms.generated": gettext_lazy("Rooms generated"),
        "estate.room.created": gettext_lazy("Room created"),
        "estate.room.changed": gettext_lazy("Room changed"),
    }
)


class EstateError(Exception):
    """A refused estate change; the message is translated and shown to the user."""


def building_create(*, community: Community, name: str, floors: int = 0, note: str = "", actor) -> Building:
    name = name.strip()
    if Building.objects.filter(community=community, name=name).exists():
        raise EstateError(_("Building %(name)s already exists.") % {"name": name})
    building = Building.objects.create(community=community, name=name, floors=floors, note=note)
    log_action(
        "estate.building.created", actor=actor, obj=building, changes=snapshot(building, ["name", "floors"])
    )
    return building


def unit_get_or_create(*, building: Building, name: str) -> Unit:
    unit, _created = Unit.objects.get_or_create(
        building=building, name=name.strip(), defaults={"community_id": building.community_id}
    )
    return unit


def room_number(*, floor: int, position: int) -> str:
    """Room numbers the way Chinese buildings count them: floor then two-digit position, 1203."""
    return f"{floor}{position:02d}"


@transaction.atomic
def rooms_generate(
    *,
    building: Building,
    units: int,
    floors: int,
    rooms_per_floor: int,
    built_area: Decimal,
    inner_area: Decimal,
    use: str = RoomUse.RESIDENTIAL,
    actor,
) -> int:
    """Create every room of ``units × floors × rooms_per_floor`` that does not exist yet.

    Returns how many rooms were created; running it twice creates nothing the second time.
    """
    if not (1 <= units <= 50 and 1 <= floors <= 200 and 1 <= rooms_per_floor <= 50):
        raise EstateError(_("Units must be 1–50, floors 1–200 and rooms per floor 1–50."))
    if inner_area > built_area:
        raise EstateError(_("The inner area cannot be larger than the built-up area."))
    created = 0
    for unit_index in range(1, units + 1):
        unit = unit_get_or_create(building=building, name=_("Unit %(n)s") % {"n": unit_index})
        existing = set(Room.objects.filter(unit=unit).values_list("number", flat=True))
        new_rooms = [
            Room(
                community_id=building.community_id,
                building=building,
                unit=unit,
                number=room_number(floor=floor, position=position),
                floor=floor,
                built_area=built_area,
                inner_area=inner_area,
                use=use,
                state=RoomState.VACANT,
            )
            for floor in range(1, floors + 1)
            for position in range(1, rooms_per_floor + 1)
            if room_number(floor=floor, position=position) not in existing
        ]
        Room.objects.bulk_create(new_rooms, batch_size=1000)
        created += len(new_rooms)
    if created:
        room_changed.send(sender=Room, community_id=building.community_id, room_pks=None)
    if floors > building.floors:
        building.floors = floors
        building.save(update_fields=["floors"])
    log_action(
        "estate.rooms.generated",
        actor=actor,
        obj=building,
        changes={"units": units, "floors": floors, "rooms_per_floor": rooms_per_floor, "created": created},
    )
    return created


@transaction.atomic
def room_update(*, room: Room, actor, **values) -> Room:
    before = snapshot(room, ROOM_FIELDS)
    for key, value in values.items():
        if key not in ROOM_FIELDS:
            raise ValueError(key)
        setattr(room, key, value)
    if room.inner_area > room.built_area:
        raise EstateError(_("The inner area cannot be larger than the built-up area."))
    changes = diff(before, snapshot(room, ROOM_FIELDS))
    if changes:
        room.save()

        # The household that holds the room (the households app adds this reverse relation) gets the
        # change on its timeline; estate itself knows nothing of households.
        link = room.household_links.first() if hasattr(room, "household_links") else None
        log_action(
            "estate.room.changed",
            actor=actor,
            obj=room,
            changes=changes,
            household_id=link.household_id if link else None,
        )
        room_changed.send(sender=Room, community_id=room.community_id, room_pks=[room.pk])
    return room
