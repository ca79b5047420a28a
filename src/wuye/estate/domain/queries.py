"""Reads of the estate."""

from __future__ import annotations

import re
import unicodedata

from django.db.models import Count, Q, QuerySet

from wuye.core.models import Community
from wuye.estate.models import Building, Room

LABEL_SEPARATORS = re.compile(r"[-－—/\s]+")
BUILDING_SUFFIXES = ("栋", "幢", "号楼", "楼", "座")
UNIT_SUFFIXES = ("单元",)
# "1栋1单元101": a building and a unit each closed by its suffix, then the room number.
_COMPACT = re.compile(r"^(?P<building>.+?(?:栋|幢|号楼|楼|座))(?P<unit>.+?单元)(?P<number>.+)$")


def _spellings(part: str, suffixes: tuple[str, ...]) -> list[str]:
    """The ways an office writes one building or unit: with or without its suffix (1, 1栋, 1幢...)."""
    base = next((part[: -len(s)] for s in suffixes if part.endswith(s) and len(part) > len(s)), part)
    return sorted({part, base, *(base + suffix for suffix in suffixes)})


def label_key(part: str, suffixes: tuple[str, ...] = ()) -> str:
    """How a building, unit or room number is compared: written any of the ways ``_spellings`` reads
    as one (１２０１ and 1201, 1 and 1单元, 1栋 and 1号楼, a01 and A01) it has one key."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(part))).upper()
    return next((text[: -len(s)] for s in suffixes if text.endswith(s) and len(text) > len(s)), text)


def building_key(name: str) -> str:
    return label_key(name, BUILDING_SUFFIXES)


def unit_key(name: str) -> str:
    return label_key(name, UNIT_SUFFIXES)


def room_label_parts(text: str) -> tuple[str, str, str] | None:
    """(building, unit, number) of a room label as the system prints it (1栋-1单元-101) or as offices
    write it (1-1-101, 1栋 1单元 101, 1栋1单元101, full-width digits); None if ``text`` is not one."""
    text = unicodedata.normalize("NFKC", text).strip()
    parts = [part for part in LABEL_SEPARATORS.split(text) if part]
    if len(parts) == 3:
        return parts[0], parts[1], parts[2]
    match = _COMPACT.match(text) if len(parts) == 1 else None
    return (match["building"], match["unit"], match["number"]) if match else None


def room_label_q(text: str, *, prefix: str = "") -> Q | None:
    """A filter for the rooms ``text`` names (see ``room_label_parts``), on ``prefix`` (e.g.
    ``room_links__room__``); None if ``text`` is not a room label."""
    parts = room_label_parts(text)
    if parts is None:
        return None
    building, unit, number = parts
    return Q(
        **{
            f"{prefix}number": number,
            f"{prefix}building__name__in": _spellings(building, BUILDING_SUFFIXES),
            f"{prefix}unit__name__in": _spellings(unit, UNIT_SUFFIXES),
        }
    )


def room_by_label(*, community: Community, label: str) -> Room | None:
    """The one room ``label`` names in the community (1栋-1单元-101, 1-1-101, 1栋1单元101...): the room
    printed exactly so, else the only room a short form fits; None if none or several fit."""
    query = room_label_q(label)
    if query is None:
        return None
    rooms = list(Room.objects.filter(query, community=community).select_related("building", "unit")[:10])
    exact = [room for room in rooms if room.label == "-".join(room_label_parts(label))]
    found = exact or rooms
    return found[0] if len(found) == 1 else None


def buildings_with_counts(*, community: Community) -> QuerySet[Building]:
    return Building.objects.filter(community=community).annotate(
        rooms_total=Count("rooms", distinct=True),
        rooms_vacant=Count("rooms", filter=Q(rooms__state="vacant"), distinct=True),
        units_total=Count("units", distinct=True),
    )
