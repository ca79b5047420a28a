"""A bill line with its fee item and its room (with building and unit), read in one fixed statement
(wuye.core.sql) by the pages owners open most: the pay page's open lines, a receipt's paid lines.

A statement selects ``line_columns()`` after its own columns and joins ``line_joins()`` to a bill line
aliased ``l``; ``line_attach`` sets the relations on the instances ``sql.joined`` made from ``LINE_MODELS``.
"""

from __future__ import annotations

from functools import cache

from wuye.billing.models import BillLine, FeeItem
from wuye.core import sql
from wuye.estate.models import Building, Room, Unit

LINE_MODELS = (BillLine, FeeItem, Room, Building, Unit)


@cache
def line_columns() -> str:
    return ", ".join(
        sql.columns(model, alias)
        for model, alias in zip(LINE_MODELS, ("l", "f", "r", "bd", "u"), strict=True)
    )


@cache
def line_joins() -> str:
    return (
        f"JOIN {FeeItem._meta.db_table} f ON f.id = l.fee_item_id JOIN {Room._meta.db_table} r ON r.id = l.room_id "
        f"JOIN {Building._meta.db_table} bd ON bd.id = r.building_id JOIN {Unit._meta.db_table} u ON u.id = r.unit_id"
    )


def line_attach(line: BillLine, fee_item: FeeItem, room: Room, building: Building, unit: Unit) -> BillLine:
    room.building = building
    room.unit = unit
    line.fee_item = fee_item
    line.room = room
    return line
