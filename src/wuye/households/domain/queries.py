"""Reads of the archive: the household filter (shared by the console, the export and the API)."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Prefetch, Q, QuerySet

from wuye.core import sql
from wuye.core.models import AuditLog, Community
from wuye.estate.domain.queries import room_label_q
from wuye.estate.enums import RoomState
from wuye.estate.models import Building, Room, Unit
from wuye.households.models import Household, HouseholdRoom, HouseholdTag, Person, Vehicle


def _ints(values) -> list[int]:
    return [int(v) for v in values if str(v).strip().isdigit()]


@dataclass
class HouseholdFilter:
    """Any combination of text, tags (all of them), tags to exclude, building and room state."""

    text: str = ""
    tags: list[int] = field(default_factory=list)
    without_tags: list[int] = field(default_factory=list)
    building: int | None = None
    state: str = ""

    @classmethod
    def from_query(cls, query) -> HouseholdFilter:
        building = _ints([query.get("building", "")])
        state = query.get("state", "")
        return cls(
            text=(query.get("q") or "").strip()[:60],
            tags=_ints(query.getlist("tag")),
            without_tags=_ints(query.getlist("without")),
            building=building[0] if building else None,
            state=state if state in RoomState.values else "",
        )

    def to_query(self) -> str:
        pairs = [("q", self.text)] if self.text else []
        pairs += [("tag", pk) for pk in self.tags] + [("without", pk) for pk in self.without_tags]
        if self.building:
            pairs.append(("building", self.building))
        if self.state:
            pairs.append(("state", self.state))
        return urlencode(pairs)

    @property
    def is_empty(self) -> bool:
        return not self.to_query()

    def apply(self, queryset: QuerySet[Household]) -> QuerySet[Household]:
        if self.text:
            text = self.text
            query = (
                Q(name__icontains=text)
                | Q(people__name__icontains=text)
                | Q(people__phone__contains=text)
                | Q(room_links__room__number=text)
                | Q(vehicles__plate__icontains=text)
            )
            label = room_label_q(text, prefix="room_links__room__")  # 1栋-1单元-101, 1-1-101...
            queryset = queryset.filter(query | label if label is not None else query)
        for tag in self.tags:
            queryset = queryset.filter(pk__in=HouseholdTag.objects.filter(tag_id=tag).values("household_id"))
        if self.without_tags:
            queryset = queryset.exclude(
                pk__in=HouseholdTag.objects.filter(tag_id__in=self.without_tags).values("household_id")
            )
        if self.building:
            queryset = queryset.filter(
                pk__in=HouseholdRoom.objects.filter(room__building_id=self.building).values("household_id")
            )
        if self.state:
            queryset = queryset.filter(
                pk__in=HouseholdRoom.objects.filter(room__state=self.state).values("household_id")
            )
        return queryset.distinct()


def households_filtered(*, community: Community, filter: HouseholdFilter) -> QuerySet[Household]:
    return filter.apply(Household.objects.filter(community=community)).order_by("pk")


def households_for_list(queryset: QuerySet[Household]) -> QuerySet[Household]:
    """What a list row shows, in a fixed number of queries whatever the page size."""
    return queryset.prefetch_related(
        Prefetch("room_links", queryset=HouseholdRoom.objects.select_related("room__building", "room__unit")),
        Prefetch("tag_links", queryset=HouseholdTag.objects.select_related("tag")),
        "people",
    )


def household_timeline(*, household: Household) -> QuerySet[AuditLog]:
    return AuditLog.objects.filter(
        household_id=household.pk, community_id=household.community_id
    ).select_related("actor")


def room_links_of(household: Household) -> list[HouseholdRoom]:
    """The household's rooms (its HouseholdRoom links, each with its room, the room's building and unit
    loaded), by room: one fixed statement (wuye.core.sql), read on the pages owners open most."""
    found = sql.joined(
        [HouseholdRoom, Room, Building, Unit],
        f"SELECT {sql.columns(HouseholdRoom, 'hr')}, {sql.columns(Room, 'r')}, "  # noqa: S608
        f"{sql.columns(Building, 'bd')}, {sql.columns(Unit, 'u')} "
        f"FROM {HouseholdRoom._meta.db_table} hr JOIN {Room._meta.db_table} r ON r.id = hr.room_id "
        f"JOIN {Building._meta.db_table} bd ON bd.id = r.building_id JOIN {Unit._meta.db_table} u ON u.id = r.unit_id "
        "WHERE hr.household_id = %s ORDER BY r.id",
        [household.pk],
    )
    links = []
    for link, room, building, unit in found:
        room.building = building
        room.unit = unit
        link.room = room
        link.household = household
        links.append(link)
    return links


def people_living_in(household: Household) -> list[Person]:
    """The household's people who have not moved out, in the model's order (kind, then pk): one fixed
    statement (the owner's home page)."""
    return sql.instances(
        Person,
        f"SELECT {sql.columns(Person)} FROM {Person._meta.db_table} "  # noqa: S608
        "WHERE household_id = %s AND moved_out_on IS NULL ORDER BY kind, id",
        [household.pk],
    )


def vehicles_of(household: Household) -> list[Vehicle]:
    """The household's vehicles, by pk: one fixed statement (the owner's home page)."""
    return sql.instances(
        Vehicle,
        f"SELECT {sql.columns(Vehicle)} FROM {Vehicle._meta.db_table} WHERE household_id = %s ORDER BY id",  # noqa: S608
        [household.pk],
    )


def household_with_community(pk: int | None) -> Household | None:
    """The household with its community loaded, or None: one fixed statement (the pay pages)."""
    if pk is None:
        return None
    found = sql.joined(
        [Household, Community],
        f"SELECT {sql.columns(Household, 'h')}, {sql.columns(Community, 'c')} FROM {Household._meta.db_table} h "  # noqa: S608
        f"JOIN {Community._meta.db_table} c ON c.id = h.community_id WHERE h.id = %s",
        [pk],
    )
    if not found:
        return None
    household, community = found[0]
    household.community = community
    return household
