"""Importing the household archive from Excel, and the rows of the export.

``import_preview`` reads an uploaded workbook (its sheets: ``wuye.households.interfaces.excel``),
works out what applying it would do and stores that as the report of an ``ImportBatch``, with the list
of every building, unit, room and tag it would create; it writes nothing else. ``import_apply`` works
it out again against the estate as it is now (someone may have changed a room since the preview),
refuses if it would now create anything the preview did not list, and writes every row or none,
set-based: a handful of bulk statements whatever the number of rows, one audit row per change, then
one refresh of the rule-based tags.

Rows match existing rooms on community + building + unit + room number, each compared after
normalising (``estate.domain.queries.label_key``: １２０１ is 1201, 1 is 1单元, 1栋 is 1号楼); the exact
spelling wins, and a label fitting several existing ones is refused. People match by name within their
household, contacts by name, vehicles by plate, fee items by room, item and start. A blank cell keeps
what is there; a value that equals what is there is no change; nothing is deleted. So an exported file
imports with zero writes.

Fee items belong to billing, which builds on the archive; the import reads them and adds assignments
(``_plan_fees``, ``_write_assignments``) with imports inside the functions, the one place the archive
reaches into billing.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _lazy

from wuye.core.audit import diff, log_action, log_bulk, register_actions, snapshot
from wuye.core.crypto import mask
from wuye.core.excel import TOO_LARGE, Problem, register_messages
from wuye.core.models import AuditLog, Community
from wuye.estate.domain.estate import ROOM_FIELDS
from wuye.estate.domain.queries import building_key, label_key, unit_key
from wuye.estate.enums import RoomState, RoomUse
from wuye.estate.models import Building, Room, Unit
from wuye.households.domain.households import HOUSEHOLD_FIELDS, PERSON_FIELDS
from wuye.households.domain.queries import HouseholdFilter, households_filtered
from wuye.households.domain.tagrules import tags_refresh
from wuye.households.enums import ImportState, PersonKind, TagKind
from wuye.households.interfaces.excel import (
    BUILDING,
    BUILT_AREA,
    CONTACT_HEADERS,
    CONTACTS_SHEET,
    FEE_HEADERS,
    FEE_ITEM,
    FEES_SHEET,
    FLOOR,
    HEADERS,
    HOUSEHOLD_NAME,
    ID_NUMBER,
    INNER_AREA,
    KIND_LABELS,
    MODEL,
    NOTES,
    NUMBER,
    OWNER_NAME,
    OWNER_PHONE,
    PEOPLE_HEADERS,
    PEOPLE_SHEET,
    PHONE,
    ROOM,
    ROOMS_SHEET,
    TAGS,
    UNIT,
    VEHICLE_HEADERS,
    VEHICLES_SHEET,
    Archive,
    ArchiveRow,
    ContactRow,
    ExportRow,
    FeeRow,
    PersonRow,
    RoomRow,
    VehicleRow,
    read_archive,
)
from wuye.households.models import (
    EmergencyContact,
    Household,
    HouseholdRoom,
    HouseholdTag,
    ImportBatch,
    Person,
    Tag,
    Vehicle,
)
from wuye.households.signals import people_left
from wuye.households.validators import normalise_phone

register_actions(
    {
        "households.import.applied": gettext_lazy("Excel import applied"),
        "households.vehicle.changed": gettext_lazy("Vehicle changed"),
        "households.contact.changed": gettext_lazy("Emergency contact changed"),
    }
)

register_messages(
    {
        "unknown_room": _lazy(
            "%(column)s “%(value)s”: no such room in this community nor on the 房屋住户 sheet."
        ),
        "room_without_household": _lazy(
            "%(column)s “%(value)s”: the room belongs to no household; give its owner on the 房屋住户 sheet first."
        ),
        "ambiguous_person": _lazy(
            "The household of %(room)s has several people named %(name)s; change one of them in the console first."
        ),
        "owner_kind": _lazy(
            "%(name)s is the owner of %(room)s on the 房屋住户 sheet (业主姓名), so 身份 must be 业主, not “%(value)s”."
        ),
        "person_conflict": _lazy(
            "%(column)s of %(name)s (“%(value)s”) differs from the 房屋住户 sheet's “%(other)s”."
        ),
        "masked_id_number": _lazy(
            "%(column)s “%(value)s” is masked and does not match the archive: write the full ID number or leave it blank."
        ),
        "plate_taken": _lazy("Plate %(plate)s belongs to another household (%(household)s)."),
        "system_tag": _lazy("%(column)s: %(tag)s is set by its rule and cannot be imported."),
        "unknown_fee_item": _lazy("%(column)s: there is no fee item %(value)s in this community."),
        "inactive_fee_item": _lazy("%(column)s: the fee item %(value)s is inactive; reactivate it first."),
        "fee_window": _lazy(
            "%(column)s: the fee item %(value)s is valid from %(valid_from)s to %(valid_to)s; the assignment lies outside."
        ),
        "assignment_differs": _lazy(
            "Room %(room)s already has %(item)s from %(starts)s, ending %(current)s; change its end on the fee item's page."
        ),
        "assignment_overlaps": _lazy(
            "Room %(room)s already has %(item)s from %(other)s in this period: a room is billed an item once a day."
        ),
        "creations_changed": _lazy(
            "The buildings, units, rooms or tags this file would create are not those the preview listed; upload the file again."
        ),
    }
)

NEW, CHANGED, UNCHANGED = "new", "changed", "unchanged"
# How many changed rows the report lists one by one; the counts always cover every row.
REPORT_MAX_DETAILS = 1000

# Room fields a row can set, with the column each comes from.
_ROOM_COLUMNS = {
    "floor": FLOOR,
    "built_area": BUILT_AREA,
    "inner_area": INNER_AREA,
    "use": "use",
    "state": "state",
}
# Household-level values a row can set, with their column.
_HOUSEHOLD_COLUMNS = {
    "name": HOUSEHOLD_NAME,
    "notes": NOTES,
    "owner_name": OWNER_NAME,
    "owner_phone": OWNER_PHONE,
    "tags": TAGS,
}
_PERSON_VALUES = ("kind", "relation", "phone", "id_number", "moved_in_on", "moved_out_on")


class ImportRefusedError(Exception):
    """An import that cannot be applied; the message is translated and shown to the user."""


@dataclass(eq=False)
class _NewHousehold:
    name: str
    notes: str
    owner_name: str
    owner_phone: str
    household: Household | None = None


Target = Household | _NewHousehold


@dataclass(eq=False)
class _NewPerson:
    target: Target
    name: str
    kind: str
    phone: str = ""
    relation: str = ""
    id_number: str = ""
    moved_in_on: datetime.date | None = None
    moved_out_on: datetime.date | None = None
    owner_row: int | None = None  # the 房屋住户 row that names this person as the owner


@dataclass
class _Wanted:
    """What the rows of the file say about one existing household: {field: (value, first row)}."""

    values: dict[str, tuple[Any, int]] = field(default_factory=dict)
    rows_by_field: dict[str, list[int]] = field(default_factory=dict)


@dataclass
class Plan:
    """What applying a file would write. Built by ``_plan``; written only by ``_write``."""

    problems: list[Problem] = field(default_factory=list)
    status: dict[int, str] = field(default_factory=dict)
    columns: dict[int, list[str]] = field(default_factory=dict)
    labels: dict[int, str] = field(default_factory=dict)
    household_labels: dict[int, str] = field(default_factory=dict)
    new_buildings: dict[str, Building] = field(default_factory=dict)
    new_units: dict[tuple[int, str], Unit] = field(default_factory=dict)
    new_rooms: list[Room] = field(default_factory=list)
    # (room, {field: new value}, the household that holds the room now or None)
    room_changes: list[tuple[Room, dict[str, Any], Household | None]] = field(default_factory=list)
    new_households: dict[tuple[str, str, str], _NewHousehold] = field(default_factory=dict)
    # (room, existing household or _NewHousehold): rooms that get a household.
    bindings: list[tuple[Room, Target]] = field(default_factory=list)
    household_changes: list[tuple[Household, dict[str, Any]]] = field(default_factory=list)
    people_new: list[_NewPerson] = field(default_factory=list)
    # {person pk: (person, {field: new value})}
    person_changes: dict[int, tuple[Person, dict[str, Any]]] = field(default_factory=dict)
    vehicles_new: list[tuple[Target, str, str]] = field(default_factory=list)
    vehicle_changes: list[tuple[Vehicle, dict[str, Any]]] = field(default_factory=list)
    contacts_new: list[tuple[Target, str, str, str]] = field(default_factory=list)
    contact_changes: list[tuple[EmergencyContact, dict[str, Any]]] = field(default_factory=list)
    new_tags: dict[str, Tag] = field(default_factory=dict)
    tag_links: list[tuple[Target, Tag]] = field(default_factory=list)
    # (room, fee item, starts on, ends on)
    assignments_new: list[tuple[Room, Any, datetime.date, datetime.date | None]] = field(default_factory=list)
    # The other sheets' rows: {sheet: {row: status}}, and their details.
    archive_status: dict[str, dict[int, str]] = field(default_factory=dict)
    archive_details: list[dict[str, Any]] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for value in self.status.values() if value == status)

    def archive_count(self, sheet: str, status: str) -> int:
        return sum(1 for value in self.archive_status.get(sheet, {}).values() if value == status)

    @property
    def has_writes(self) -> bool:
        return bool(
            self.new_rooms
            or self.room_changes
            or self.bindings
            or self.household_changes
            or self.people_new
            or self.person_changes
            or self.vehicles_new
            or self.vehicle_changes
            or self.contacts_new
            or self.contact_changes
            or self.tag_links
            or self.assignments_new
        )

    def creations(self) -> dict[str, list[str]]:
        """Every building, unit, room and tag applying the plan creates, by label, in a stable order."""
        return {
            "buildings": sorted(b.name for b in self.new_buildings.values()),
            "units": sorted(str(unit) for unit in self.new_units.values()),
            "rooms": sorted(str(room) for room in self.new_rooms),
            "tags": sorted(self.new_tags),
        }


def _lines(text: str) -> str:
    """Notes typed in a browser have CRLF line ends; a cell in an .xlsx file can only hold LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _mark(plan: Plan, row: int, status: str, *columns: str) -> None:
    if plan.status.get(row) != NEW:
        plan.status[row] = status
    plan.columns.setdefault(row, [])
    plan.columns[row] += [c for c in columns if c not in plan.columns[row]]


class _Estate:
    """The community's buildings, units and rooms, and those the file creates, matched by their labels
    after normalising (``estate.domain.queries.label_key``): the exact spelling first, else the one
    existing label written another way; several are ambiguous."""

    def __init__(self, community: Community, names: set[str]):
        self.community = community
        keys = {building_key(name) for name in names}
        buildings = [b for b in Building.objects.filter(community=community) if building_key(b.name) in keys]
        self.buildings = _Index(buildings, building_key)
        self.units: dict[int, _Index] = {}
        for unit in Unit.objects.filter(building__in=buildings).order_by("pk"):
            self.units.setdefault(id(self.buildings.by_pk[unit.building_id]), _Index([], unit_key)).add(unit)
        self.rooms: dict[int, _Index] = {}
        units = {unit.pk: unit for index in self.units.values() for unit in index.items}
        for room in Room.objects.filter(community=community, building__in=buildings).order_by("pk"):
            room.building = self.buildings.by_pk[room.building_id]
            room.unit = units[room.unit_id]
            self.rooms.setdefault(id(room.unit), _Index([], label_key, "number")).add(room)

    def building(self, name: str):
        return self.buildings.find(name)

    def unit(self, building, name: str):
        return self.units.setdefault(id(building), _Index([], unit_key)).find(name)

    def room(self, unit, number: str):
        return self.rooms.setdefault(id(unit), _Index([], label_key, "number")).find(number)

    def room_of(self, parts: tuple[str, str, str]):
        """The room a label names (existing or created by the file), None, or a list when ambiguous."""
        building = self.building(parts[0])
        if not isinstance(building, Building):
            return building
        unit = self.unit(building, parts[1])
        if not isinstance(unit, Unit):
            return unit
        return self.room(unit, parts[2])


class _Index:
    def __init__(self, items, key, attribute: str = "name"):
        self.items: list = []
        self.key = key
        self.attribute = attribute
        self.by_name: dict[str, Any] = {}
        self.by_key: dict[str, list] = {}
        self.by_pk: dict[int, Any] = {}
        for item in items:
            self.add(item)

    def add(self, item) -> None:
        name = getattr(item, self.attribute)
        self.items.append(item)
        self.by_name.setdefault(name, item)
        self.by_key.setdefault(self.key(name), []).append(item)
        if item.pk is not None:
            self.by_pk[item.pk] = item

    def find(self, name: str):
        """The item named ``name``, else the one whose key is the same; None; or a list of several."""
        if name in self.by_name:
            return self.by_name[name]
        found = self.by_key.get(self.key(name), [])
        if len(found) == 1:
            return found[0]
        return found or None


def _ambiguous(
    row: int, column: str, value: str, found: list, attribute: str = "name", sheet: str = ""
) -> Problem:
    matches = "、".join(sorted(str(getattr(item, attribute)) for item in found))
    return Problem(
        row, "ambiguous_label", {"column": column, "value": value, "matches": matches}, sheet=sheet
    )


_ARCHIVE_ORDER = (PEOPLE_SHEET, VEHICLES_SHEET, CONTACTS_SHEET, FEES_SHEET)


def _tag(name: str, tags: dict[str, Tag], plan: Plan) -> Tag:
    return tags.get(name) or plan.new_tags[name]


def _plan(community: Community, archive: Archive) -> Plan:
    """Match every row with the estate and archive as they are now, and list what would change."""
    sheet = archive.rooms
    title = sheet.title or ROOMS_SHEET
    plan = Plan(problems=list(archive.all_problems))
    other_rows: list[ArchiveRow] = [*archive.people, *archive.vehicles, *archive.contacts, *archive.fees]
    names = {row.building for row in sheet.rows if row.building}
    names |= {parts[0] for row in other_rows for parts in row.parts}
    estate = _Estate(community, names)

    def problem(row: int, code: str, **params) -> None:
        plan.problems.append(Problem(row, code, params, sheet=title))

    links = HouseholdRoom.objects.filter(
        community=community, room__building__in=[b.pk for b in estate.buildings.items]
    )
    households: dict[int, Household] = {}
    holders: dict[int, Household] = {}
    for link in links.select_related("household"):
        holders[link.room_id] = households.setdefault(link.household_id, link.household)
    tags = {tag.name: tag for tag in Tag.objects.filter(community=community)}

    wanted: dict[int, _Wanted] = {}
    group_holders: dict[tuple[str, str, str], set[int]] = {}
    unbound: list[tuple[RoomRow, Room, tuple[str, str, str]]] = []
    seen_rooms: dict[int, int] = {}
    _first_row: dict[int, int] = {}  # a building or unit the file creates: the row that names it first

    def tags_of(row: RoomRow) -> list[Tag] | None:
        found = []
        for name in row.tags:
            tag = tags.get(name) or plan.new_tags.get(name)
            if tag is None:
                tag = plan.new_tags[name] = Tag(community=community, name=name, kind=TagKind.MANUAL)
            if tag.is_system:
                problem(row.row, "system_tag", column=HEADERS[TAGS], tag=name)
                return None
            found.append(tag)
        return found

    def want(household: Household, row: RoomRow) -> bool:
        """Record what ``row`` says of an existing household; False on a conflict with an earlier row."""
        entry = wanted.setdefault(household.pk, _Wanted())
        for name, column in _HOUSEHOLD_COLUMNS.items():
            value = getattr(row, column)
            if not value:
                continue
            first = entry.values.setdefault(name, (value, row.row))
            if first[0] != value:
                _conflict(household.name, row, column, first)
                return False
            entry.rows_by_field.setdefault(name, []).append(row.row)
        return True

    def _conflict(name: str, row: RoomRow, column: str, first: tuple[Any, int]) -> None:
        def shown(value):
            return "、".join(value) if isinstance(value, tuple) else value

        problem(
            row.row,
            "household_conflict",
            household=name,
            column=HEADERS[column],
            first=first[1],
            value=shown(getattr(row, column)),
            other=shown(first[0]),
        )

    for row in sheet.rows:
        building = estate.building(row.building)
        if isinstance(building, list):
            plan.problems.append(_ambiguous(row.row, HEADERS[BUILDING], row.building, building, sheet=title))
            continue
        if building is None:
            building = Building(community=community, name=row.building, floors=0)
            plan.new_buildings[building_key(row.building)] = building
            estate.buildings.add(building)
            _first_row[id(building)] = row.row
        elif building.pk is None and building.name != row.building:
            problem(
                row.row,
                "label_variants",
                column=HEADERS[BUILDING],
                value=row.building,
                other=building.name,
                first=_first_row[id(building)],
                what=_("building"),
            )
            continue
        unit = estate.unit(building, row.unit)
        if isinstance(unit, list):
            plan.problems.append(_ambiguous(row.row, HEADERS[UNIT], row.unit, unit, sheet=title))
            continue
        if unit is None:
            unit = Unit(community=community, building=building, name=row.unit)
            plan.new_units[(id(building), unit_key(row.unit))] = unit
            estate.units[id(building)].add(unit)
            _first_row[id(unit)] = row.row
        elif unit.pk is None and unit.name != row.unit:
            problem(
                row.row,
                "label_variants",
                column=HEADERS[UNIT],
                value=row.unit,
                other=unit.name,
                first=_first_row[id(unit)],
                what=_("unit"),
            )
            continue
        room = estate.room(unit, row.number)
        if isinstance(room, list):
            plan.problems.append(_ambiguous(row.row, HEADERS[NUMBER], row.number, room, sheet=title))
            continue
        if room is not None and id(room) in seen_rooms:
            problem(row.row, "duplicate_room", room=row.room_label, first=seen_rooms[id(room)])
            continue
        plan.labels[row.row] = row.room_label
        row_tags = tags_of(row)
        if row_tags is None:
            continue
        if room is None:
            missing = [
                HEADERS[key]
                for key, value in ((FLOOR, row.floor), (BUILT_AREA, row.built_area))
                if value is None
            ]
            for column in missing:
                problem(row.row, "missing_for_new", column=column, room=row.room_label)
            if missing:
                continue
            room = Room(
                community=community,
                building=building,
                unit=unit,
                number=row.number,
                floor=row.floor,
                built_area=row.built_area,
                inner_area=row.inner_area if row.inner_area is not None else Decimal("0.00"),
                use=row.use or RoomUse.RESIDENTIAL,
                state=row.state or RoomState.VACANT,
            )
            if building.pk is None:
                building.floors = max(building.floors, row.floor)
            estate.rooms.setdefault(id(unit), _Index([], label_key, "number")).add(room)
            plan.new_rooms.append(room)
            _mark(plan, row.row, NEW)
            holder = None
        else:
            values = {name: getattr(row, name) for name in _ROOM_COLUMNS if getattr(row, name) is not None}
            built = values.get("built_area", room.built_area)
            inner = values.get("inner_area", room.inner_area)
            if inner > built:
                problem(row.row, "inner_larger", inner=str(inner), built=str(built))
                continue
            holder = holders.get(room.pk)
            changes = {name: value for name, value in values.items() if getattr(room, name) != value}
            if changes:
                plan.room_changes.append((room, changes, holder))
                _mark(plan, row.row, CHANGED, *(HEADERS[_ROOM_COLUMNS[name]] for name in changes))
            else:
                _mark(plan, row.row, UNCHANGED)
        seen_rooms[id(room)] = row.row

        if holder is not None:
            plan.household_labels[row.row] = holder.name
            if not want(holder, row):
                continue
            if row.owner_name:
                key = (row.household_name or row.owner_name, row.owner_name, row.owner_phone)
                group_holders.setdefault(key, set()).add(holder.pk)
        elif row.owner_name:
            unbound.append(
                (row, room, (row.household_name or row.owner_name, row.owner_name, row.owner_phone))
            )
        elif row.household_name or row.notes or row.tags:
            problem(row.row, "household_needs_owner", room=row.room_label, owner=HEADERS[OWNER_NAME])

    # Rooms without a household join the household of the rows with the same 户名, owner and phone, or
    # a new one made for them (one household for all its rooms: a flat, its parking space, its storage).
    new_first: dict[int, dict[str, tuple[Any, int]]] = {}
    new_owner_rows: dict[int, int] = {}
    for row, room, key in unbound:
        existing = group_holders.get(key, set())
        if len(existing) == 1:
            target: Target = households[next(iter(existing))]
            if not want(target, row):
                continue
        else:
            target = plan.new_households.get(key)
            if target is None:
                target = plan.new_households[key] = _NewHousehold(
                    name=key[0], notes=row.notes, owner_name=key[1], owner_phone=key[2]
                )
                new_owner_rows[id(target)] = row.row
            first = new_first.setdefault(id(target), {})
            conflict = False
            for name, column in (("notes", NOTES), ("tags", TAGS)):
                value = getattr(row, column)
                if value and first.setdefault(name, (value, row.row))[0] != value:
                    _conflict(target.name, row, column, first[name])
                    conflict = True
            if conflict:
                continue
            target.notes = target.notes or row.notes
        plan.bindings.append((room, target))
        plan.household_labels[row.row] = target.name
        _mark(plan, row.row, CHANGED, HEADERS[OWNER_NAME])
    for new in plan.new_households.values():
        plan.people_new.append(
            _NewPerson(
                target=new,
                name=new.owner_name,
                kind=PersonKind.OWNER,
                phone=new.owner_phone,
                owner_row=new_owner_rows[id(new)],
            )
        )
        if "tags" in new_first.get(id(new), {}):
            plan.tag_links += [(new, _tag(name, tags, plan)) for name in new_first[id(new)]["tags"][0]]

    # The people and manual tags of the households the file's rooms belong to, as they are now.
    people: dict[int, list[Person]] = {}
    for person in Person.objects.filter(
        community=community, household_id__in=links.values("household_id")
    ).order_by("pk"):
        people.setdefault(person.household_id, []).append(person)
    held: dict[int, set[int]] = {}
    for household_pk, tag_pk in HouseholdTag.objects.filter(
        community=community, household_id__in=list(wanted)
    ).values_list("household_id", "tag_id"):
        held.setdefault(household_pk, set()).add(tag_pk)
    # person pk: (the 房屋住户 row naming them the owner, the phone it gives them or "")
    owner_rows: dict[int, tuple[int, str]] = {}

    # Existing households: change only what a row states and differs.
    for pk, entry in wanted.items():
        household = households[pk]
        changes: dict[str, Any] = {}
        changed_fields: list[str] = []
        for name in ("name", "notes"):
            if name in entry.values:
                value = entry.values[name][0]
                current = household.name.strip() if name == "name" else _lines(household.notes)
                if _lines(value) != current:
                    changes[name] = value
                    changed_fields.append(name)
        if changes:
            plan.household_changes.append((household, changes))
        if "tags" in entry.values:
            wanted_tags = [_tag(name, tags, plan) for name in entry.values["tags"][0]]
            added = [tag for tag in wanted_tags if tag.pk is None or tag.pk not in held.get(pk, set())]
            if added:
                plan.tag_links += [(household, tag) for tag in added]
                changed_fields.append("tags")
        owner = next((p for p in people.get(pk, []) if p.kind == PersonKind.OWNER), None)
        if "owner_name" in entry.values:
            owner_name, row_number = entry.values["owner_name"]
            owner_phone = entry.values.get("owner_phone", ("", 0))[0]
            if owner is None:
                plan.people_new.append(
                    _NewPerson(
                        target=household,
                        name=owner_name,
                        kind=PersonKind.OWNER,
                        phone=owner_phone,
                        owner_row=row_number,
                    )
                )
                changed_fields += ["owner_name", "owner_phone"]
            else:
                owner_rows[owner.pk] = (row_number, owner_phone)
                person_changes = {}
                if owner.name.strip() != owner_name:
                    person_changes["name"] = owner_name
                if owner_phone and normalise_phone(owner.phone) != owner_phone:
                    person_changes["phone"] = owner_phone
                if person_changes:
                    plan.person_changes[owner.pk] = (owner, person_changes)
                    changed_fields += [f"owner_{name}" for name in person_changes]
        for name in changed_fields:
            for row_number in entry.rows_by_field.get(name, []):
                _mark(plan, row_number, CHANGED, HEADERS[_HOUSEHOLD_COLUMNS[name]])

    bad_rows = {p.row for p in plan.problems if p.sheet == title}
    for row_number in bad_rows:
        plan.status.pop(row_number, None)

    _plan_archive(plan, community, archive, estate, holders, people, owner_rows)
    # In the file's order: the whole file, then sheet by sheet as the template orders them, row by row.
    order = {title: 1} | {
        archive.titles[key]: n for n, key in enumerate(_ARCHIVE_ORDER, 2) if key in archive.titles
    }
    plan.problems.sort(key=lambda p: (order.get(p.sheet, 0) if p.row is not None else 0, p.row or 0, p.code))
    return plan


def _plan_archive(
    plan: Plan,
    community: Community,
    archive: Archive,
    estate: _Estate,
    holders: dict[int, Household],
    people: dict[int, list[Person]],
    owner_rows: dict[int, tuple[int, str]],
) -> None:
    """The rows of the 人员, 车辆, 紧急联系人 and 收费项目 sheets, matched with the households and
    rooms as they are now and as the 房屋住户 sheet makes them."""
    bound: dict[int, Target] = {id(room): target for room, target in plan.bindings}

    def problem(sheet: str, row: int, code: str, **params) -> None:
        plan.problems.append(Problem(row, code, params, sheet=archive.titles.get(sheet, sheet)))

    def mark(sheet: str, row: ArchiveRow, status: str, target: Target | None, *columns: str) -> None:
        plan.archive_status.setdefault(sheet, {})[row.row] = status
        if status != UNCHANGED:
            plan.archive_details.append(
                {
                    "sheet": archive.titles.get(sheet, sheet),
                    "row": row.row,
                    "room": row.room,
                    "status": status,
                    "columns": list(columns),
                    "household": target.name if target is not None else "",
                }
            )

    def room_of(sheet: str, row: ArchiveRow, headers: dict[str, str]) -> Room | None:
        rooms: list = []
        for parts in row.parts:
            for room in found if isinstance(found := estate.room_of(parts), list) else [found]:
                if room is not None and all(room is not other for other in rooms):
                    rooms.append(room)
        found = rooms[0] if len(rooms) == 1 else rooms or None
        if isinstance(found, list):
            plan.problems.append(
                _ambiguous(
                    row.row,
                    headers[ROOM],
                    row.room,
                    found,
                    sheet=archive.titles[sheet],
                )
            )
            return None
        if found is None:
            problem(sheet, row.row, "unknown_room", column=headers[ROOM], value=row.room)
        return found

    def target_of(sheet: str, row: ArchiveRow, headers: dict[str, str]) -> Target | None:
        room = room_of(sheet, row, headers)
        if room is None:
            return None
        target = holders.get(room.pk) if room.pk else None
        target = target or bound.get(id(room))
        if target is None:
            problem(sheet, row.row, "room_without_household", column=headers[ROOM], value=row.room)
        return target

    # People, matched by name within their household (the owner of the 房屋住户 sheet among them).
    names: dict[int, dict[str, list[Person | _NewPerson]]] = {}

    def people_of(target: Target) -> dict[str, list[Person | _NewPerson]]:
        if id(target) not in names:
            index: dict[str, list[Person | _NewPerson]] = {}
            if isinstance(target, Household):
                for person in people.get(target.pk, []):
                    name = plan.person_changes.get(person.pk, (person, {}))[1].get(
                        "name", person.name.strip()
                    )
                    index.setdefault(name, []).append(person)
            for new in plan.people_new:
                if new.target is target:
                    index.setdefault(new.name, []).append(new)
            names[id(target)] = index
        return names[id(target)]

    seen: dict[tuple[int, str], int] = {}
    for row in archive.people:
        target = target_of(PEOPLE_SHEET, row, PEOPLE_HEADERS)
        if target is None:
            continue
        first = seen.setdefault((id(target), row.name), row.row)
        if first != row.row:
            problem(PEOPLE_SHEET, row.row, "duplicate_person", name=row.name, room=row.room, first=first)
            continue
        found = people_of(target).get(row.name, [])
        if len(found) > 1:
            problem(PEOPLE_SHEET, row.row, "ambiguous_person", name=row.name, room=row.room)
            continue
        values = {key: getattr(row, key) for key in _PERSON_VALUES if getattr(row, key) not in ("", None)}
        slot = found[0] if found else None
        if row.id_masked:
            stored = slot.id_number if isinstance(slot, Person) else ""
            if not stored or mask(stored) != row.id_number:
                problem(
                    PEOPLE_SHEET,
                    row.row,
                    "masked_id_number",
                    column=PEOPLE_HEADERS[ID_NUMBER],
                    value=row.id_number,
                )
                continue
            values.pop("id_number")
        if isinstance(slot, _NewPerson):
            owner_row, stated_phone = slot.owner_row, slot.phone
        else:
            owner_row, stated_phone = owner_rows.get(getattr(slot, "pk", 0), (None, ""))
        if owner_row is not None:
            if row.kind != PersonKind.OWNER:
                problem(
                    PEOPLE_SHEET,
                    row.row,
                    "owner_kind",
                    name=row.name,
                    room=row.room,
                    value=KIND_LABELS.get(row.kind, row.kind),
                )
                continue
            pending = stated_phone
            if pending and row.phone and pending != row.phone:
                problem(
                    PEOPLE_SHEET,
                    row.row,
                    "person_conflict",
                    column=PEOPLE_HEADERS[PHONE],
                    name=row.name,
                    value=row.phone,
                    other=pending,
                )
                continue
        if slot is None:
            new = _NewPerson(target=target, name=row.name, **values)
            plan.people_new.append(new)
            people_of(target)[row.name] = [new]
            mark(PEOPLE_SHEET, row, NEW, target)
        elif isinstance(slot, _NewPerson):
            for key, value in values.items():
                setattr(slot, key, value)
            mark(PEOPLE_SHEET, row, NEW, target)
        else:
            person, pending_changes = plan.person_changes.get(slot.pk, (slot, {}))
            changes = {}
            for key, value in values.items():
                current = pending_changes.get(key, getattr(person, key))
                if key == "phone":
                    current = normalise_phone(current)
                if key == "id_number":
                    current = (current or "").upper()
                if current != value:
                    changes[key] = value
            if changes:
                plan.person_changes[person.pk] = (person, {**pending_changes, **changes})
                mark(PEOPLE_SHEET, row, CHANGED, target, *(PEOPLE_HEADERS[key] for key in changes))
            else:
                mark(PEOPLE_SHEET, row, UNCHANGED, target)

    # Vehicles, matched by plate in the whole community (a plate belongs to one household).
    vehicles = {
        v.plate.upper(): v for v in Vehicle.objects.filter(community=community).select_related("household")
    }
    plates: dict[str, int] = {}
    for row in archive.vehicles:
        target = target_of(VEHICLES_SHEET, row, VEHICLE_HEADERS)
        if target is None:
            continue
        first = plates.setdefault(row.plate, row.row)
        if first != row.row:
            problem(VEHICLES_SHEET, row.row, "duplicate_plate", plate=row.plate, first=first)
            continue
        vehicle = vehicles.get(row.plate)
        if vehicle is None:
            plan.vehicles_new.append((target, row.plate, row.model))
            mark(VEHICLES_SHEET, row, NEW, target)
        elif not isinstance(target, Household) or vehicle.household_id != target.pk:
            problem(VEHICLES_SHEET, row.row, "plate_taken", plate=row.plate, household=vehicle.household.name)
        elif row.model and row.model != vehicle.model:
            plan.vehicle_changes.append((vehicle, {"model": row.model}))
            mark(VEHICLES_SHEET, row, CHANGED, target, VEHICLE_HEADERS[MODEL])
        else:
            mark(VEHICLES_SHEET, row, UNCHANGED, target)

    # Emergency contacts, matched by name within their household.
    contacts: dict[int, dict[str, list[EmergencyContact]]] = {}
    for contact in EmergencyContact.objects.filter(
        community=community, household_id__in=[h.pk for h in {id(h): h for h in holders.values()}.values()]
    ).order_by("pk"):
        contacts.setdefault(contact.household_id, {}).setdefault(contact.name.strip(), []).append(contact)
    seen = {}
    for row in archive.contacts:
        target = target_of(CONTACTS_SHEET, row, CONTACT_HEADERS)
        if target is None:
            continue
        first = seen.setdefault((id(target), row.name), row.row)
        if first != row.row:
            problem(CONTACTS_SHEET, row.row, "duplicate_person", name=row.name, room=row.room, first=first)
            continue
        found = contacts.get(target.pk, {}).get(row.name, []) if isinstance(target, Household) else []
        if len(found) > 1:
            problem(CONTACTS_SHEET, row.row, "ambiguous_person", name=row.name, room=row.room)
            continue
        if not found:
            plan.contacts_new.append((target, row.name, row.phone, row.relation))
            mark(CONTACTS_SHEET, row, NEW, target)
            continue
        contact = found[0]
        changes = {}
        if normalise_phone(contact.phone) != row.phone:
            changes["phone"] = row.phone
        if row.relation and row.relation != contact.relation:
            changes["relation"] = row.relation
        if changes:
            plan.contact_changes.append((contact, changes))
            mark(CONTACTS_SHEET, row, CHANGED, target, *(CONTACT_HEADERS[key] for key in changes))
        else:
            mark(CONTACTS_SHEET, row, UNCHANGED, target)

    # Fee items assigned to rooms, matched by room, item and start date.
    if archive.fees:
        _plan_fees(plan, community, archive, room_of, problem, mark, holders, bound)

    for sheet, statuses in plan.archive_status.items():
        bad = {p.row for p in plan.problems if p.sheet == archive.titles.get(sheet)}
        for row_number in bad:
            statuses.pop(row_number, None)
    plan.archive_details = [
        d
        for d in plan.archive_details
        if d["row"] in plan.archive_status.get(_sheet_key(archive, d["sheet"]), {})
    ]


def _sheet_key(archive: Archive, title: str) -> str:
    return next((key for key, value in archive.titles.items() if value == title), title)


def _plan_fees(plan, community, archive, room_of, problem, mark, holders, bound) -> None:
    # Billing owns fee items; the archive import only reads them and adds assignments (see the module).
    from wuye.billing.models import FeeAssignment, FeeItem

    items = {item.name: item for item in FeeItem.objects.filter(community=community)}
    existing: dict[tuple[int, int], list[tuple[datetime.date, datetime.date | None]]] = {}
    for room_pk, item_pk, starts_on, ends_on in FeeAssignment.objects.filter(community=community).values_list(
        "room_id", "fee_item_id", "starts_on", "ends_on"
    ):
        existing.setdefault((room_pk, item_pk), []).append((starts_on, ends_on))
    planned: dict[tuple[int, int], list[tuple[datetime.date, datetime.date | None, int]]] = {}
    column = FEE_HEADERS[FEE_ITEM]

    def overlaps(a_start, a_end, b_start, b_end) -> bool:
        return (a_end is None or a_end >= b_start) and (b_end is None or b_end >= a_start)

    for row in archive.fees:
        room = room_of(FEES_SHEET, row, FEE_HEADERS)
        if room is None:
            continue
        item = items.get(row.fee_item)
        if item is None:
            problem(FEES_SHEET, row.row, "unknown_fee_item", column=column, value=row.fee_item)
            continue
        if not item.is_active:
            problem(FEES_SHEET, row.row, "inactive_fee_item", column=column, value=row.fee_item)
            continue
        if (item.valid_to is not None and row.starts_on > item.valid_to) or (
            row.ends_on is not None and row.ends_on < item.valid_from
        ):
            problem(
                FEES_SHEET,
                row.row,
                "fee_window",
                column=column,
                value=item.name,
                valid_from=str(item.valid_from),
                valid_to=str(item.valid_to or "—"),
            )
            continue
        target = (holders.get(room.pk) if room.pk else None) or bound.get(id(room))
        label = str(room)
        windows = planned.setdefault((id(room), item.pk), [])
        duplicate = next((w for w in windows if w[0] == row.starts_on), None)
        if duplicate:
            problem(
                FEES_SHEET,
                row.row,
                "duplicate_fee",
                item=item.name,
                room=label,
                starts=str(row.starts_on),
                first=duplicate[2],
            )
            continue
        current = existing.get((room.pk, item.pk), []) if room.pk else []
        same = next((w for w in current if w[0] == row.starts_on), None)
        windows.append((row.starts_on, row.ends_on, row.row))
        if same is not None:
            if same[1] != row.ends_on:
                problem(
                    FEES_SHEET,
                    row.row,
                    "assignment_differs",
                    room=label,
                    item=item.name,
                    starts=str(row.starts_on),
                    current=str(same[1] or "—"),
                )
            else:
                mark(FEES_SHEET, row, UNCHANGED, target)
            continue
        clash = [w[0] for w in current if overlaps(w[0], w[1], row.starts_on, row.ends_on)]
        clash += [w[0] for w in windows[:-1] if overlaps(w[0], w[1], row.starts_on, row.ends_on)]
        if clash:
            problem(
                FEES_SHEET, row.row, "assignment_overlaps", room=label, item=item.name, other=str(min(clash))
            )
            continue
        plan.assignments_new.append((room, item, row.starts_on, row.ends_on))
        mark(FEES_SHEET, row, NEW, target)


def _report(plan: Plan, archive: Archive) -> dict[str, Any]:
    sheet = archive.rooms
    details = [
        {
            "sheet": sheet.title,
            "row": row,
            "room": plan.labels.get(row, ""),
            "status": status,
            "columns": plan.columns.get(row, []),
            "household": plan.household_labels.get(row, ""),
        }
        for row, status in sorted(plan.status.items())
        if status != UNCHANGED
    ] + plan.archive_details
    sheets = {
        key: {
            "title": archive.titles[key],
            "rows": archive.data_rows.get(key, 0),
            "new": plan.archive_count(key, NEW),
            "changed": plan.archive_count(key, CHANGED),
            "unchanged": plan.archive_count(key, UNCHANGED),
        }
        for key in (PEOPLE_SHEET, VEHICLES_SHEET, CONTACTS_SHEET, FEES_SHEET)
        if key in archive.titles
    }
    return {
        "rows": sheet.data_rows,
        "new": plan.count(NEW),
        "changed": plan.count(CHANGED),
        "unchanged": plan.count(UNCHANGED),
        "households_new": len(plan.new_households),
        "sheets": sheets,
        "create": plan.creations(),
        "problems": [p.as_json() for p in plan.problems],
        "details": details[:REPORT_MAX_DETAILS],
        "details_omitted": max(len(details) - REPORT_MAX_DETAILS, 0),
    }


def _result(plan: Plan, entries: int) -> dict[str, int]:
    return {
        "new": plan.count(NEW),
        "changed": plan.count(CHANGED),
        "unchanged": plan.count(UNCHANGED),
        "households_new": len(plan.new_households),
        "buildings_new": len(plan.new_buildings),
        "units_new": len(plan.new_units),
        "people_new": len(plan.people_new),
        "people_changed": len(plan.person_changes),
        "vehicles_new": len(plan.vehicles_new),
        "contacts_new": len(plan.contacts_new),
        "tags_new": len(plan.new_tags),
        "tags_added": len(plan.tag_links),
        "assignments_new": len(plan.assignments_new),
        "audit_entries": entries,
    }


def import_preview(*, community: Community, file_name: str, content: bytes, actor) -> ImportBatch:
    """Store an uploaded file with the report of what applying it would do. Writes nothing else.

    The report lists every building, unit, room and tag applying would create (``create``): applying
    creates exactly those or refuses. A file with problems is stored as refused: it can be read but
    never applied; the user fixes the file and uploads it again.
    """
    archive = read_archive(content)
    plan = _plan(community, archive)
    # A file refused for its size (packed or unpacked) is not kept.
    too_large = any(p.code in TOO_LARGE for p in archive.all_problems)
    return ImportBatch.objects.create(
        community=community,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        file_name=(file_name or "import.xlsx")[:200],
        content=b"" if too_large else content,
        state=ImportState.REFUSED if plan.problems else ImportState.PREVIEWED,
        report=_report(plan, archive),
    )


def import_apply(*, batch: ImportBatch, actor) -> dict[str, int]:
    """Apply a previewed import: check, write all rows or none, log, refresh the rule-based tags.

    Steps: lock the batch (two clicks on "apply" queue here and the second finds it applied); re-plan
    against the estate as it is now; refuse if the batch is not previewed or has problems (then or
    now), or if it would now create other buildings, units, rooms or tags than the preview listed;
    write set-based; log one audit row per change; refresh the system tags once; mark applied.
    """
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().select_related("community").get(pk=batch.pk)
        if locked.state == ImportState.APPLIED:
            raise ImportRefusedError(_("This import has already been applied."))
        if locked.state != ImportState.PREVIEWED or locked.report.get("problems"):
            raise ImportRefusedError(
                _("This file has problems and cannot be applied. Correct the file and upload it again.")
            )
        archive = read_archive(bytes(locked.content))
        plan = _plan(locked.community, archive)
        if not plan.problems and plan.creations() != locked.report.get("create", plan.creations()):
            plan.problems.append(Problem(None, "creations_changed"))
        if not plan.problems:
            entries = _write(plan, community=locked.community, actor=actor)
            result = _result(plan, entries)
            if plan.has_writes:
                log_action("households.import.applied", actor=actor, obj=locked, changes=result)
                tags_refresh(community=locked.community)
            locked.state = ImportState.APPLIED
            locked.applied_at = timezone.now()
            locked.report = {**locked.report, "applied": result}
            locked.save(update_fields=["state", "applied_at", "report"])
            batch.state, batch.applied_at, batch.report = locked.state, locked.applied_at, locked.report
            return result
        # The estate changed since the preview in a way that makes the file wrong: keep the new report.
        locked.state = ImportState.REFUSED
        locked.report = _report(plan, archive)
        locked.save(update_fields=["state", "report"])
        batch.state, batch.report = locked.state, locked.report
    raise ImportRefusedError(
        _(
            "The rooms or households changed since the preview and the file now has problems; nothing was written."
        )
    )


def _entry(
    community: Community, actor, action: str, obj, household_id: int | None, changes: dict
) -> AuditLog:
    """An audit row as ``log_action`` writes it, for one bulk INSERT of all of them."""
    return AuditLog(
        community=community,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_pk=obj.pk,
        object_repr=str(obj)[:200],
        household_id=household_id,
        changes=changes,
    )


def _plain_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {key: [before[key], after[key]] for key in after if before[key] != after[key]}


def _write(plan: Plan, *, community: Community, actor) -> int:
    """Write a plan with one bulk statement per kind of change. Returns the number of audit rows."""
    entries: list[AuditLog] = []
    entries_actor = actor if getattr(actor, "is_authenticated", False) else None

    def log(action: str, obj, household_id: int | None, changes: dict) -> None:
        entries.append(_entry(community, actor, action, obj, household_id, changes))

    Building.objects.bulk_create(plan.new_buildings.values())
    for building in plan.new_buildings.values():
        log("estate.building.created", building, None, snapshot(building, ("name", "floors")))
    Unit.objects.bulk_create(plan.new_units.values())

    new_households = list(plan.new_households.values())
    for new in new_households:
        new.household = Household(community=community, name=new.name, notes=new.notes)
    Household.objects.bulk_create([new.household for new in new_households])
    for new in new_households:
        log(
            "households.household.created",
            new.household,
            new.household.pk,
            snapshot(new.household, HOUSEHOLD_FIELDS),
        )

    def household_of(target: Household | _NewHousehold) -> Household:
        return target.household if isinstance(target, _NewHousehold) else target

    bound = {id(room): household_of(target) for room, target in plan.bindings}
    Room.objects.bulk_create(plan.new_rooms)
    for room in plan.new_rooms:
        holder = bound.get(id(room))
        log("estate.room.created", room, holder.pk if holder else None, snapshot(room, ROOM_FIELDS))

    changed_fields: set[str] = set()
    for room, changes, holder in plan.room_changes:
        before = snapshot(room, changes)
        for name, value in changes.items():
            setattr(room, name, value)
        changed_fields |= set(changes)
        holder = holder or bound.get(id(room))
        log(
            "estate.room.changed",
            room,
            holder.pk if holder else None,
            _plain_changes(before, snapshot(room, changes)),
        )
    if plan.room_changes:
        Room.objects.bulk_update(
            [room for room, _changes, _holder in plan.room_changes], sorted(changed_fields)
        )

    now = timezone.now()
    for household, changes in plan.household_changes:
        before = snapshot(household, changes)
        for name, value in changes.items():
            setattr(household, name, value)
        household.updated_at = now
        log(
            "households.household.changed",
            household,
            household.pk,
            _plain_changes(before, snapshot(household, changes)),
        )
    if plan.household_changes:
        Household.objects.bulk_update(
            [household for household, _changes in plan.household_changes], ["name", "notes", "updated_at"]
        )

    links = []
    for room, target in plan.bindings:
        household = household_of(target)
        links.append(HouseholdRoom(community=community, household=household, room=room))
        log("households.room.bound", household, household.pk, {"room": str(room)})
    HouseholdRoom.objects.bulk_create(links)

    people = [
        Person(
            community=community,
            household=household_of(new.target),
            kind=new.kind,
            name=new.name,
            phone=new.phone,
            relation=new.relation,
            id_number=new.id_number,
            moved_in_on=new.moved_in_on,
            moved_out_on=new.moved_out_on,
        )
        for new in plan.people_new
    ]
    Person.objects.bulk_create(people)
    for person in people:
        log("households.person.added", person, person.household_id, _person_changes(person))

    changed_fields = set()
    for person, changes in plan.person_changes.values():
        before = _person_changes(person)
        for name, value in changes.items():
            setattr(person, name, value)
        changed_fields |= set(changes)
        log("households.person.changed", person, person.household_id, diff(before, _person_changes(person)))
    if plan.person_changes:
        Person.objects.bulk_update(
            [person for person, _changes in plan.person_changes.values()], sorted(changed_fields)
        )
        if left := [
            person.pk for person, changes in plan.person_changes.values() if changes.get("moved_out_on")
        ]:
            people_left.send(sender=Person, community_id=community.pk, person_pks=left, actor=actor)

    vehicles = [
        Vehicle(community=community, household=household_of(target), plate=plate, model=model)
        for target, plate, model in plan.vehicles_new
    ]
    Vehicle.objects.bulk_create(vehicles)
    for vehicle in vehicles:
        log(
            "households.vehicle.added",
            vehicle,
            vehicle.household_id,
            {"plate": vehicle.plate, "model": vehicle.model},
        )
    for vehicle, changes in plan.vehicle_changes:
        log(
            "households.vehicle.changed",
            vehicle,
            vehicle.household_id,
            {"model": [vehicle.model, changes["model"]]},
        )
        vehicle.model = changes["model"]
    if plan.vehicle_changes:
        Vehicle.objects.bulk_update([vehicle for vehicle, _changes in plan.vehicle_changes], ["model"])

    contacts = [
        EmergencyContact(
            community=community, household=household_of(target), name=name, phone=phone, relation=relation
        )
        for target, name, phone, relation in plan.contacts_new
    ]
    EmergencyContact.objects.bulk_create(contacts)
    for contact in contacts:
        log(
            "households.contact.added",
            contact,
            contact.household_id,
            snapshot(contact, ("name", "phone", "relation")),
        )
    changed_fields = set()
    for contact, changes in plan.contact_changes:
        before = snapshot(contact, changes)
        for name, value in changes.items():
            setattr(contact, name, value)
        changed_fields |= set(changes)
        log(
            "households.contact.changed",
            contact,
            contact.household_id,
            diff(before, snapshot(contact, changes)),
        )
    if plan.contact_changes:
        EmergencyContact.objects.bulk_update(
            [contact for contact, _changes in plan.contact_changes], sorted(changed_fields)
        )

    Tag.objects.bulk_create(plan.new_tags.values())
    for tag in plan.new_tags.values():
        log("households.tag.created", tag, None, snapshot(tag, ("name", "colour")))
    tag_links = [
        HouseholdTag(community=community, household=household_of(target), tag=tag, created_by=entries_actor)
        for target, tag in plan.tag_links
    ]
    HouseholdTag.objects.bulk_create(tag_links)
    for link in tag_links:
        log("households.tag.applied", link.tag, link.household_id, {"tag": link.tag.name})

    if plan.assignments_new:
        _write_assignments(plan, community=community, log=log, bound=bound)

    log_bulk(entries)
    return len(entries)


def _person_changes(person: Person) -> dict[str, Any]:
    """A person as the audit log keeps it: the ID number masked, never in clear."""
    return {**snapshot(person, PERSON_FIELDS), "id_number": mask(person.id_number or "")}


def _write_assignments(plan: Plan, *, community: Community, log, bound: dict[int, Household]) -> None:
    from wuye.billing.models import FeeAssignment

    holders = dict(
        HouseholdRoom.objects.filter(room__in=[room.pk for room, *_rest in plan.assignments_new]).values_list(
            "room_id", "household_id"
        )
    )
    assignments = [
        FeeAssignment(community=community, fee_item=item, room=room, starts_on=starts_on, ends_on=ends_on)
        for room, item, starts_on, ends_on in plan.assignments_new
    ]
    FeeAssignment.objects.bulk_create(assignments)
    for assignment in assignments:
        household = holders.get(assignment.room_id) or getattr(bound.get(id(assignment.room)), "pk", None)
        log(
            "billing.assignment.created",
            assignment.fee_item,
            household,
            {
                "fee_item": assignment.fee_item.name,
                "room": str(assignment.room),
                "starts_on": str(assignment.starts_on),
                "ends_on": str(assignment.ends_on or ""),
            },
        )


# Export ---------------------------------------------------------------------------------------------


def _export_rooms(community: Community, filter: HouseholdFilter):
    rooms = Room.objects.filter(community=community)
    if filter.text or filter.tags or filter.without_tags:
        households = households_filtered(community=community, filter=filter)
        rooms = rooms.filter(household_links__household__in=households.values("pk"))
    if filter.building:
        rooms = rooms.filter(building_id=filter.building)
    if filter.state:
        rooms = rooms.filter(state=filter.state)
    return rooms


def rooms_for_export(
    *, community: Community, filter: HouseholdFilter, first_rooms: dict[int, str] | None = None
) -> Iterator[ExportRow]:
    """The rooms of the households a household-list filter shows, one row per room, in two queries.

    Rooms that belong to no household are included when the filter says nothing about households
    (no text, no tags): "export building 3" is every room of building 3, so that an export of the
    whole estate imports back unchanged. ``first_rooms`` is filled with {household pk: the label of its
    first room in the file}, which the other sheets name the household by.
    """
    rooms = _export_rooms(community, filter)
    tags: dict[int, list[str]] = {}
    for household_pk, name in (
        HouseholdTag.objects.filter(
            community=community,
            tag__kind=TagKind.MANUAL,
            household_id__in=rooms.values("household_links__household_id"),
        )
        .order_by("tag__name")
        .values_list("household_id", "tag__name")
    ):
        tags.setdefault(household_pk, []).append(name)
    owners = Person.objects.filter(household_id=OuterRef("household_pk"), kind=PersonKind.OWNER).order_by(
        "pk"
    )
    rooms = (
        rooms.annotate(
            household_pk=F("household_links__household_id"),
            household_name=F("household_links__household__name"),
            household_notes=F("household_links__household__notes"),
            owner_name=Subquery(owners.values("name")[:1]),
            owner_phone=Subquery(owners.values("phone")[:1]),
        )
        .select_related("building", "unit")
        .order_by("building__name", "unit__name", "floor", "number", "pk")
    )
    for room in rooms.iterator(chunk_size=2000):
        if first_rooms is not None and room.household_pk is not None:
            first_rooms.setdefault(room.household_pk, room.label)
        yield ExportRow(
            building=room.building.name,
            unit=room.unit.name,
            number=room.number,
            floor=room.floor,
            built_area=room.built_area,
            inner_area=room.inner_area,
            use=room.use,
            state=room.state,
            household_name=room.household_name or "",
            owner_name=room.owner_name or "",
            owner_phone=room.owner_phone or "",
            notes=room.household_notes or "",
            tags=tuple(tags.get(room.household_pk, ())),
        )


@dataclass
class ArchiveExport:
    rooms: list[ExportRow]
    people: list[PersonRow]
    vehicles: list[VehicleRow]
    contacts: list[ContactRow]
    fees: list[FeeRow]


def archive_for_export(*, community: Community, filter: HouseholdFilter, id_numbers: bool) -> ArchiveExport:
    """Every sheet of the import format for the rooms a household-list filter shows (a fixed number of
    queries): people, vehicles and contacts of their households, named by the household's first room
    in the file; fee items assigned to the rooms. ID numbers are written whole only if ``id_numbers``
    (the caller checks the right to see them), else masked (a masked number imports as no change)."""
    first_rooms: dict[int, str] = {}
    rooms = list(rooms_for_export(community=community, filter=filter, first_rooms=first_rooms))
    households = _export_rooms(community, filter).values("household_links__household_id")
    people = [
        PersonRow(
            row=0,
            room=first_rooms[person.household_id],
            parts=None,
            name=person.name,
            kind=person.kind,
            relation=person.relation,
            phone=person.phone,
            id_number=(person.id_number or "") if id_numbers else mask(person.id_number or ""),
            moved_in_on=person.moved_in_on,
            moved_out_on=person.moved_out_on,
        )
        for person in Person.objects.filter(community=community, household_id__in=households).order_by(
            "household_id", "pk"
        )
    ]
    vehicles = [
        VehicleRow(
            row=0,
            room=first_rooms[vehicle.household_id],
            parts=None,
            plate=vehicle.plate,
            model=vehicle.model,
        )
        for vehicle in Vehicle.objects.filter(community=community, household_id__in=households).order_by(
            "household_id", "pk"
        )
    ]
    contacts = [
        ContactRow(
            row=0,
            room=first_rooms[contact.household_id],
            parts=None,
            name=contact.name,
            phone=contact.phone,
            relation=contact.relation,
        )
        for contact in EmergencyContact.objects.filter(
            community=community, household_id__in=households
        ).order_by("household_id", "pk")
    ]
    from wuye.billing.models import FeeAssignment  # billing owns assignments (see ``_plan_fees``)

    fees = [
        FeeRow(
            row=0,
            room=str(assignment.room),
            parts=None,
            fee_item=assignment.fee_item.name,
            starts_on=assignment.starts_on,
            ends_on=assignment.ends_on,
        )
        for assignment in FeeAssignment.objects.filter(
            community=community, room__in=_export_rooms(community, filter).values("pk")
        )
        .select_related("fee_item", "room__building", "room__unit")
        .order_by(
            "room__building__name",
            "room__unit__name",
            "room__floor",
            "room__number",
            "fee_item__name",
            "starts_on",
        )
    ]
    return ArchiveExport(rooms=rooms, people=people, vehicles=vehicles, contacts=contacts, fees=fees)
