"""Meters (表具) and their monthly readings (抄表).

Permissions are the console's: ``billing.view`` to read, ``billing.manage`` to enter a reading, in the
meter's community; any other meter answers 404. A reading goes through the same check as the console's
grid (``wuye.billing.domain.meters.readings_enter``): a value below the previous one, a future month, an
inactive meter or a month already billed answers 400 and writes nothing.
"""

from __future__ import annotations

import datetime

from django.db.models import Q
from django.utils import timezone
from ninja import Query, Router

from wuye.api.pagination import page_of
from wuye.api.schemas import ErrorOut, PageQuery
from wuye.api.schemas_work import (
    MeterListQuery,
    MeterOut,
    MeterPageOut,
    ReadingEnteredOut,
    ReadingIn,
    ReadingPageOut,
)
from wuye.billing.domain.meters import readings_enter
from wuye.billing.domain.queries_tariffs import readings_of_meter
from wuye.billing.models import Meter
from wuye.core.enums import Permission
from wuye.core.tenancy import scoped_get

router = Router(tags=["meters"])

VIEW, MANAGE = Permission.BILLING_VIEW, Permission.BILLING_MANAGE


def _meters():
    return Meter.objects.select_related("room__building", "room__unit", "building")


@router.get("/meters", response=MeterPageOut, operation_id="meter_list")
def meter_list(request, filters: Query[MeterListQuery]):
    """Meters by community, then pk: the rooms' meters and the buildings' shared meters."""
    meters = _meters().for_user(request.user, VIEW)
    if filters.community is not None:
        meters = meters.filter(community_id=filters.community)
    if filters.building is not None:
        # As the console's building page: its rooms' meters and its own shared meters.
        meters = meters.filter(
            Q(room__building_id=filters.building) | Q(room__isnull=True, building_id=filters.building)
        )
    if filters.kind is not None:
        meters = meters.filter(kind=filters.kind)
    if filters.active is not None:
        meters = meters.filter(is_active=filters.active)
    return page_of(meters.order_by("community_id", "pk"), page=filters.page, limit=filters.limit)


@router.get("/meters/{meter_pk}", response={200: MeterOut, 404: ErrorOut}, operation_id="meter_detail")
def meter_detail(request, meter_pk: int):
    return scoped_get(_meters(), request, VIEW, pk=meter_pk)


@router.get(
    "/meters/{meter_pk}/readings",
    response={200: ReadingPageOut, 404: ErrorOut},
    operation_id="meter_reading_list",
)
def meter_reading_list(request, meter_pk: int, paging: Query[PageQuery]):
    """The meter's readings, newest month first, each with the usage it fixed (and a shared meter's
    shares by room)."""
    meter = scoped_get(Meter.objects, request, VIEW, pk=meter_pk)
    return page_of(readings_of_meter(meter=meter), page=paging.page, limit=paging.limit)


@router.post(
    "/meters/{meter_pk}/readings",
    response={200: ReadingEnteredOut, 400: ErrorOut, 404: ErrorOut},
    operation_id="meter_reading_enter",
)
def meter_reading_enter(request, meter_pk: int, payload: ReadingIn):
    """Enter (or correct) the meter's reading of a month. Entering the same value again changes nothing
    (``unchanged: 1``), so a retry is harmless without an idempotency key."""
    meter = scoped_get(Meter.objects.select_related("community"), request, MANAGE, pk=meter_pk)
    year, month = (int(part) for part in payload.month.split("-"))
    period = datetime.date(year, month, 1)
    result = readings_enter(
        community=meter.community,
        period=period,
        rows=[(meter, payload.value, payload.replaced, payload.start)],
        actor=request.user,
        read_on=timezone.localdate(),
    )
    return {
        "created": result.created,
        "changed": result.changed,
        "unchanged": result.unchanged,
        "reading": readings_of_meter(meter=meter).get(period=period),
    }
