"""Reads of the estate."""

from __future__ import annotations

import re

from django.db.models import Count, Q, QuerySet

from wuye.core.models import Community
from wuye.estate.models import Building, Room

LABEL_SEPARATORS = re.compile(r"[-－—/\s]+")


def room_by_label(*, community: Community, label: str) -> Room | None:
    """Find a room by "1栋-1单元-101" (also "1栋 1单元 101" or "1栋/1单元/101")."""
    parts = [p for p in LABEL_SEPARATORS.split(label.strip()) if p]
    if len(parts) != 3:
        return None
    building, unit, number = parts
    return (
        Room.objects.filter(community=community, building__name=building, unit__name=unit, number=number)
        .select_related("building", "unit")
        .first()
    )


def buildings_with_counts(*, community: Community) -> QuerySet[Building]:
    return Building.objects.filter(community=community).annotate(
        rooms_total=Count("rooms", distinct=True),
        rooms_vacant=Count("rooms", filter=Q(rooms__state="vacant"), distinct=True),
        units_total=Count("units", distinct=True),
    )
