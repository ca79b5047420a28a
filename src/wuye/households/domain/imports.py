"""Importing rooms and households from Excel, and the rows of the export.

``import_preview`` reads an uploaded file, works out what applying it would do and stores that as the
report of an ``ImportBatch``; it writes nothing else. ``import_apply`` works it out again against the
estate as it is now (someone may have changed a room since the preview) and writes every row or
none, set-based: a handful of bulk statements whatever the number of rows, one audit row per change,
then one refresh of the rule-based tags.

Rows match existing rooms on community + building + unit + room number. A blank cell keeps what is
there; a value that equals what is there is no change. So an exported file imports with zero writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.core.audit import log_action, log_bulk, register_actions, snapshot
from wuye.core.excel import TOO_LARGE, Problem
from wuye.core.models import AuditLog, Community
from wuye.estate.domain.estate import ROOM_FIELDS
from wuye.estate.enums import RoomState, RoomUse
from wuye.estate.models import Building, Room, Unit
from wuye.households.domain.households import HOUSEHOLD_FIELDS, PERSON_FIELDS
from wuye.households.domain.queries import HouseholdFilter, households_filtered
from wuye.households.domain.tagrules import tags_refresh
from wuye.households.enums import ImportState, PersonKind
from wuye.households.interfaces.excel import (
    BUILT_AREA,
    FLOOR,
    HEADERS,
    HOUSEHOLD_NAME,
    INNER_AREA,
    NOTES,
    OWNER_NAME,
    OWNER_PHONE,
    ExportRow,
    RoomRow,
    Sheet,
    read_rooms,
)
from wuye.households.models import Household, HouseholdRoom, ImportBatch, Person
from wuye.households.validators import normalise_phone

register_actions({"households.import.applied": gettext_lazy("Excel import applied")})

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
}


class ImportRefusedError(Exception):
    """An import that cannot be applied; the message is translated and shown to the user."""


@dataclass
class _NewHousehold:
    name: str
    notes: str
    owner_name: str
    owner_phone: str
    household: Household | None = None


@dataclass
class _Wanted:
    """What the rows of the file say about one existing household: {field: (value, first row)}."""

    values: dict[str, tuple[str, int]] = field(default_factory=dict)
    rows_by_field: dict[str, list[int]] = field(default_factory=dict)


@dataclass
class Plan:
    """What applying a file would write. Built by ``_plan``; written only by ``_write``."""

    problems: list[Problem] = field(default_factory=list)
    status: dict[int, str] = field(default_factory=dict)
    columns: dict[int, list[str]] = field(default_factory=dict)
    labels: dict[int, str] = field(default_factory=dict)
    household_labels: dict[int, str] = field(default_factory=dict)
    new_units: dict[tuple[int, str], Unit] = field(default_factory=dict)
    new_rooms: list[Room] = field(default_factory=list)
    # (room, {field: new value}, the household that holds the room now or None)
    room_changes: list[tuple[Room, dict[str, Any], Household | None]] = field(default_factory=list)
    new_households: dict[tuple[str, str, str], _NewHousehold] = field(default_factory=dict)
    # (room, existing household or _NewHousehold): rooms that get a household.
    bindings: list[tuple[Room, Household | _NewHousehold]] = field(default_factory=list)
    household_changes: list[tuple[Household, dict[str, Any]]] = field(default_factory=list)
    owner_changes: list[tuple[Person, dict[str, Any]]] = field(default_factory=list)
    owners_added: list[tuple[Household, str, str]] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for value in self.status.values() if value == status)

    @property
    def has_writes(self) -> bool:
        return bool(
            self.new_rooms
            or self.room_changes
            or self.bindings
            or self.household_changes
            or self.owner_changes
            or self.owners_added
        )


def _lines(text: str) -> str:
    """Notes typed in a browser have CRLF line ends; a cell in an .xlsx file can only hold LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _mark(plan: Plan, row: int, status: str, *columns: str) -> None:
    if plan.status.get(row) != NEW:
        plan.status[row] = status
    plan.columns.setdefault(row, [])
    plan.columns[row] += [c for c in columns if c not in plan.columns[row]]


def _plan(community: Community, sheet: Sheet) -> Plan:
    """Match every row with the estate and archive as they are now, and list what would change."""
    plan = Plan(problems=list(sheet.problems))
    names = {row.building for row in [*sheet.rows, *sheet.rejected] if row.building}
    buildings = {b.name: b for b in Building.objects.filter(community=community, name__in=names)}
    # Rows already refused for their cells are still checked for their building: every problem is listed.
    plan.problems += [
        Problem(row.row, "unknown_building", {"building": row.building})
        for row in sheet.rejected
        if row.building and row.building not in buildings
    ]
    units = {(u.building_id, u.name): u for u in Unit.objects.filter(building__in=buildings.values())}
    rooms = {
        (r.building_id, r.unit.name, r.number): r
        for r in Room.objects.filter(community=community, building__in=buildings.values()).select_related(
            "building", "unit"
        )
    }
    links = HouseholdRoom.objects.filter(community=community, room__building__in=buildings.values())
    holders = {link.room_id: link.household for link in links.select_related("household")}
    owners: dict[int, Person] = {}
    for person in Person.objects.filter(
        community=community, kind=PersonKind.OWNER, household_id__in=links.values("household_id")
    ).order_by("-pk"):
        owners[person.household_id] = person  # descending, so the first owner (lowest pk) wins

    wanted: dict[int, _Wanted] = {}
    households: dict[int, Household] = {}
    group_holders: dict[tuple[str, str, str], set[int]] = {}
    unbound: list[tuple[RoomRow, Room, tuple[str, str, str]]] = []
    bad_rows = {p.row for p in plan.problems}

    def want(household: Household, row: RoomRow) -> bool:
        """Record what ``row`` says of an existing household; False on a conflict with an earlier row."""
        households[household.pk] = household
        entry = wanted.setdefault(household.pk, _Wanted())
        for name, column in _HOUSEHOLD_COLUMNS.items():
            value = getattr(row, column)
            if not value:
                continue
            first = entry.values.setdefault(name, (value, row.row))
            if first[0] != value:
                plan.problems.append(
                    Problem(
                        row.row,
                        "household_conflict",
                        {
                            "household": household.name,
                            "column": HEADERS[column],
                            "first": first[1],
                            "value": value,
                            "other": first[0],
                        },
                    )
                )
                return False
            entry.rows_by_field.setdefault(name, []).append(row.row)
        return True

    for row in sheet.rows:
        building = buildings.get(row.building)
        if building is None:
            plan.problems.append(Problem(row.row, "unknown_building", {"building": row.building}))
            continue
        plan.labels[row.row] = row.room_label
        room = rooms.get((building.pk, row.unit, row.number))
        if room is None:
            missing = [
                HEADERS[key]
                for key, value in ((FLOOR, row.floor), (BUILT_AREA, row.built_area))
                if value is None
            ]
            for column in missing:
                plan.problems.append(
                    Problem(row.row, "missing_for_new", {"column": column, "room": row.room_label})
                )
            if missing:
                continue
            unit = units.get((building.pk, row.unit))
            if unit is None:
                unit = plan.new_units.setdefault(
                    (building.pk, row.unit), Unit(community=community, building=building, name=row.unit)
                )
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
            plan.new_rooms.append(room)
            _mark(plan, row.row, NEW)
            holder = None
        else:
            values = {name: getattr(row, name) for name in _ROOM_COLUMNS if getattr(row, name) is not None}
            built = values.get("built_area", room.built_area)
            inner = values.get("inner_area", room.inner_area)
            if inner > built:
                plan.problems.append(
                    Problem(row.row, "inner_larger", {"inner": str(inner), "built": str(built)})
                )
                continue
            holder = holders.get(room.pk)
            changes = {name: value for name, value in values.items() if getattr(room, name) != value}
            if changes:
                plan.room_changes.append((room, changes, holder))
                _mark(plan, row.row, CHANGED, *(HEADERS[_ROOM_COLUMNS[name]] for name in changes))
            else:
                _mark(plan, row.row, UNCHANGED)

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
        elif row.household_name or row.notes:
            plan.problems.append(
                Problem(
                    row.row, "household_needs_owner", {"room": row.room_label, "owner": HEADERS[OWNER_NAME]}
                )
            )

    # Rooms without a household join the household of the rows with the same 户名, owner and phone, or
    # a new one made for them (one household for all its rooms: a flat, its parking space, its storage).
    for row, room, key in unbound:
        existing = group_holders.get(key, set())
        if len(existing) == 1:
            target: Household | _NewHousehold = households[next(iter(existing))]
            if not want(target, row):
                continue
        else:
            target = plan.new_households.setdefault(
                key, _NewHousehold(name=key[0], notes=row.notes, owner_name=key[1], owner_phone=key[2])
            )
            target.notes = target.notes or row.notes
        plan.bindings.append((room, target))
        plan.household_labels[row.row] = target.name
        _mark(plan, row.row, CHANGED, HEADERS[OWNER_NAME])

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
        owner = owners.get(pk)
        if "owner_name" in entry.values:
            owner_name = entry.values["owner_name"][0]
            owner_phone = entry.values.get("owner_phone", ("", 0))[0]
            if owner is None:
                plan.owners_added.append((household, owner_name, owner_phone))
                changed_fields += ["owner_name", "owner_phone"]
            else:
                person_changes = {}
                if owner.name.strip() != owner_name:
                    person_changes["name"] = owner_name
                if owner_phone and normalise_phone(owner.phone) != owner_phone:
                    person_changes["phone"] = owner_phone
                if person_changes:
                    plan.owner_changes.append((owner, person_changes))
                    changed_fields += [f"owner_{name}" for name in person_changes]
        for name in changed_fields:
            for row_number in entry.rows_by_field.get(name, []):
                _mark(plan, row_number, CHANGED, HEADERS[_HOUSEHOLD_COLUMNS[name]])

    bad_rows |= {p.row for p in plan.problems}
    for row_number in bad_rows:
        plan.status.pop(row_number, None)
    plan.problems.sort(key=lambda p: (p.row or 0, p.code))
    return plan


def _report(plan: Plan, sheet: Sheet) -> dict[str, Any]:
    details = [
        {
            "row": row,
            "room": plan.labels.get(row, ""),
            "status": status,
            "columns": plan.columns.get(row, []),
            "household": plan.household_labels.get(row, ""),
        }
        for row, status in sorted(plan.status.items())
        if status != UNCHANGED
    ]
    return {
        "rows": sheet.data_rows,
        "new": plan.count(NEW),
        "changed": plan.count(CHANGED),
        "unchanged": plan.count(UNCHANGED),
        "households_new": len(plan.new_households),
        "problems": [p.as_json() for p in plan.problems],
        "details": details[:REPORT_MAX_DETAILS],
        "details_omitted": max(len(details) - REPORT_MAX_DETAILS, 0),
    }


def import_preview(*, community: Community, file_name: str, content: bytes, actor) -> ImportBatch:
    """Store an uploaded file with the report of what applying it would do. Writes nothing else.

    A file with problems is stored as refused: it can be read but never applied; the user fixes the
    file and uploads it again.
    """
    sheet = read_rooms(content)
    plan = _plan(community, sheet)
    # A file refused for its size (packed or unpacked) is not kept.
    too_large = any(p.code in TOO_LARGE for p in sheet.problems)
    return ImportBatch.objects.create(
        community=community,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        file_name=(file_name or "import.xlsx")[:200],
        content=b"" if too_large else content,
        state=ImportState.REFUSED if plan.problems else ImportState.PREVIEWED,
        report=_report(plan, sheet),
    )


def import_apply(*, batch: ImportBatch, actor) -> dict[str, int]:
    """Apply a previewed import: check, write all rows or none, log, refresh the rule-based tags.

    Steps: lock the batch (two clicks on "apply" queue here and the second finds it applied); re-plan
    against the estate as it is now; refuse if the batch is not previewed or has problems (then or
    now); write set-based; log one audit row per change; refresh the system tags once; mark applied.
    """
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().select_related("community").get(pk=batch.pk)
        if locked.state == ImportState.APPLIED:
            raise ImportRefusedError(_("This import has already been applied."))
        if locked.state != ImportState.PREVIEWED or locked.report.get("problems"):
            raise ImportRefusedError(
                _("This file has problems and cannot be applied. Correct the file and upload it again.")
            )
        sheet = read_rooms(bytes(locked.content))
        plan = _plan(locked.community, sheet)
        if not plan.problems:
            entries = _write(plan, community=locked.community, actor=actor)
            result = {
                "new": plan.count(NEW),
                "changed": plan.count(CHANGED),
                "unchanged": plan.count(UNCHANGED),
                "households_new": len(plan.new_households),
                "audit_entries": entries,
            }
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
        locked.report = _report(plan, sheet)
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

    def log(action: str, obj, household_id: int | None, changes: dict) -> None:
        entries.append(_entry(community, actor, action, obj, household_id, changes))

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
            household=new.household,
            kind=PersonKind.OWNER,
            name=new.owner_name,
            phone=new.owner_phone,
        )
        for new in new_households
    ] + [
        Person(community=community, household=household, kind=PersonKind.OWNER, name=name, phone=phone)
        for household, name, phone in plan.owners_added
    ]
    Person.objects.bulk_create(people)
    for person in people:
        log(
            "households.person.added",
            person,
            person.household_id,
            {**snapshot(person, PERSON_FIELDS), "id_number": ""},
        )

    for person, changes in plan.owner_changes:
        before = snapshot(person, changes)
        for name, value in changes.items():
            setattr(person, name, value)
        log(
            "households.person.changed",
            person,
            person.household_id,
            _plain_changes(before, snapshot(person, changes)),
        )
    if plan.owner_changes:
        Person.objects.bulk_update([person for person, _changes in plan.owner_changes], ["name", "phone"])

    log_bulk(entries)
    return len(entries)


# Export ---------------------------------------------------------------------------------------------


def rooms_for_export(*, community: Community, filter: HouseholdFilter) -> Iterator[ExportRow]:
    """The rooms of the households a household-list filter shows, one row per room, in one query.

    Rooms that belong to no household are included when the filter says nothing about households
    (no text, no tags): "export building 3" is every room of building 3, so that an export of the
    whole estate imports back unchanged.
    """
    rooms = Room.objects.filter(community=community)
    if filter.text or filter.tags or filter.without_tags:
        households = households_filtered(community=community, filter=filter)
        rooms = rooms.filter(household_links__household__in=households.values("pk"))
    if filter.building:
        rooms = rooms.filter(building_id=filter.building)
    if filter.state:
        rooms = rooms.filter(state=filter.state)
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
        )
