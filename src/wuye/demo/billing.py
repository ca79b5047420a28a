"""The demo's billing: fee items, meters and readings, and eight months of bills (the seven months
before this one and this one). Who paid them, and how, is ``demo.history``'s.

Idempotent: a community that already has fee items is left alone. Deterministic: amounts and
choices come from a seeded random generator; months count back from the current month.
"""

from __future__ import annotations

import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from wuye.billing.domain import compute
from wuye.billing.domain.feeitems import assignments_create, feeitem_create
from wuye.billing.domain.runs import run_issue, run_preview
from wuye.billing.models import FeeItem, Meter
from wuye.core import sql
from wuye.core.models import Community
from wuye.estate.enums import RoomUse
from wuye.estate.models import Room

FEE_ITEMS = [
    {
        "name": "物业费",
        "category": "property",
        "method": "built_area",
        "price": Decimal("2.2"),
        "late_fee_method": "daily_rate",
        "late_fee_grace_days": 15,
        "late_fee_rate": Decimal("0.0005"),
        "late_fee_cap_fen": 10000,
        "uses": [RoomUse.RESIDENTIAL, RoomUse.SHOP],
    },
    {
        "name": "卫生费",
        "category": "sanitation",
        "method": "fixed",
        "price": Decimal("10"),
        "uses": [RoomUse.RESIDENTIAL, RoomUse.SHOP],
    },
    {
        "name": "水费",
        "category": "water",
        "method": "metered",
        "price": Decimal("3.2"),
        "meter_kind": "water",
        "timing": "postpaid",
        "tiers": [
            {"up_to": "15", "price": "3.2"},
            {"up_to": "25", "price": "4.2"},
            {"up_to": None, "price": "5.8"},
        ],
        "uses": [RoomUse.RESIDENTIAL],
    },
    {
        "name": "电费",
        "category": "electricity",
        "method": "metered",
        "price": Decimal("0.56"),
        "meter_kind": "electricity",
        "timing": "postpaid",
        "uses": [RoomUse.RESIDENTIAL],
    },
    {
        "name": "车位管理费",
        "category": "parking",
        "method": "fixed",
        "price": Decimal("80"),
        "uses": [RoomUse.PARKING],
    },
]
MONTHS = 8  # bills for the seven months before this one and for this one


def seed_billing(*, community: Community, actor, rng_seed: int = 7) -> bool:
    """Returns whether anything was seeded."""
    if FeeItem.objects.filter(community=community).exists():
        return False
    rng = random.Random(f"{rng_seed}:{community.name}")
    this_month = compute.month_start(timezone.localdate())
    now = timezone.now()
    first = compute.add_months(this_month, -MONTHS + 1)
    with transaction.atomic():
        for spec in FEE_ITEMS:
            values = {key: value for key, value in spec.items() if key != "uses"}
            item = feeitem_create(
                community=community, actor=actor, valid_from=compute.add_months(first, -12), **values
            )
            rooms = Room.objects.filter(community=community, use__in=spec["uses"])
            assignments_create(
                fee_item=item, rooms_queryset=rooms, starts_on=compute.add_months(first, -12), actor=actor
            )
        residential = list(Room.objects.filter(community=community, use=RoomUse.RESIDENTIAL).order_by("pk"))
        meters = Meter.objects.bulk_create(
            [
                Meter(community=community, kind=kind, number=f"{kind[0].upper()}{room.pk:06d}", room=room)
                for room in residential
                for kind in ("water", "electricity")
            ],
            batch_size=1000,
        )
        readings = []
        for meter in meters:
            value = Decimal(rng.randint(100, 900))
            for index in range(-MONTHS, 0):  # readings of the months before this one
                usage = (
                    Decimal(rng.randint(500, 3500) if meter.kind == "water" else rng.randint(8000, 40000))
                    / 100
                )
                value += usage
                period = compute.add_months(this_month, index)
                readings.append((community.pk, meter.pk, period, str(value), str(usage), False, now))
        # Months of two meters per flat, tens of thousands of rows: plain rows, set-based.
        sql.copy_rows(
            "billing_meterreading",
            ("community_id", "meter_id", "period", "value", "usage", "replaced", "created_at"),
            readings,
        )
    for index in range(MONTHS):
        month = compute.add_months(first, index)
        run_issue(run=run_preview(community=community, period=month, actor=actor), actor=actor)
    return True  # the 欠费 tag is refreshed once the year is paid (demo.history)
