"""Reads of the archive: the household filter (shared by the console, the export and the API)."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Prefetch, Q, QuerySet

from wuye.core.models import AuditLog, Community
from wuye.estate.domain.queries import room_label_q
from wuye.estate.enums import RoomState
from wuye.households.models import Household, HouseholdRoom, HouseholdTag


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
