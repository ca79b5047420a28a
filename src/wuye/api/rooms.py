"""Rooms (房屋). Reading them needs ``estate.view``; a room elsewhere answers 404."""

from __future__ import annotations

from django.db.models import Q
from ninja import Query, Router

from wuye.api.pagination import page_of
from wuye.api.schemas import ErrorOut, RoomListQuery, RoomOut, RoomPageOut
from wuye.core.enums import Permission
from wuye.core.tenancy import scoped_get
from wuye.estate.domain.queries import room_label_q
from wuye.estate.models import Room

router = Router(tags=["rooms"])


@router.get("", response=RoomPageOut, operation_id="room_list")
def room_list(request, filters: Query[RoomListQuery]):
    """Rooms ordered by building, unit, floor and number; ``q`` is a room's label (also the short forms
    1-1-101 and 1栋1单元101) or part of its number."""
    rooms = Room.objects.for_user(request.user, Permission.ESTATE_VIEW).select_related("building", "unit")
    if filters.community is not None:
        rooms = rooms.filter(community_id=filters.community)
    if filters.building is not None:
        rooms = rooms.filter(building_id=filters.building)
    if filters.state is not None:
        rooms = rooms.filter(state=filters.state)
    if filters.q.strip():
        label = room_label_q(filters.q.strip())  # 1栋-1单元-101, 1-1-101, 1栋1单元101
        rooms = rooms.filter(label if label is not None else Q(number__icontains=filters.q.strip()))
    return page_of(
        rooms.order_by("community_id", *Room._meta.ordering, "pk"), page=filters.page, limit=filters.limit
    )


@router.get("/{room_pk}", response={200: RoomOut, 404: ErrorOut}, operation_id="room_detail")
def room_detail(request, room_pk: int):
    """One room. Which household holds it is archive data, so it is on the household, not here."""
    return scoped_get(
        Room.objects.select_related("building", "unit"), request, Permission.ESTATE_VIEW, pk=room_pk
    )
