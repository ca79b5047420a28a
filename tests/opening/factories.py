"""An estate to bring opening balances into, and workbooks of opening balances written as an office would."""

import io
from dataclasses import dataclass

import openpyxl

from tests.billing.factories import FeeItemFactory
from tests.factories import BuildingFactory, HouseholdFactory, HouseholdRoomFactory, RoomFactory, UnitFactory
from wuye.opening.enums import HEADERS


@dataclass
class Estate:
    community: object
    rooms: dict  # "101" → Room (1栋-1单元-101 …), "2-201" → a room of 2栋
    households: dict  # same keys → Household
    property_fee: object  # 物业费
    water: object  # 水费


def estate(community) -> Estate:
    """1栋-1单元-101, -102, -103 and 2栋-1单元-201, each with a household but 103; fee items 物业费 and 水费."""
    one = UnitFactory(building=BuildingFactory(community=community, name="1栋"), name="1单元")
    two = UnitFactory(building=BuildingFactory(community=community, name="2栋"), name="1单元")
    rooms = {number: RoomFactory(unit=one, number=number) for number in ("101", "102", "103")}
    rooms["2-201"] = RoomFactory(unit=two, number="201")
    households = {}
    for key, name in (("101", "王小明"), ("102", "李四"), ("2-201", "赵六")):
        household = HouseholdFactory(community=community, name=name)
        HouseholdRoomFactory(household=household, room=rooms[key])
        households[key] = household
    return Estate(
        community=community,
        rooms=rooms,
        households=households,
        property_fee=FeeItemFactory(community=community, name="物业费", due_day=15),
        water=FeeItemFactory(community=community, name="水费", due_day=20),
    )


# The file of the tests: 3 arrears (2 of 101, 1 of 2栋), a prepayment (102), a deposit (101).
ROWS = [
    ["1栋-1单元-101", "欠费", "物业费", "2026-03", 256.8, ""],
    ["1-1-101", "欠费", "水费", "2026年3月", "35.20元", ""],
    ["2栋-1单元-201", "欠费", "物业费", "2026-04", 300, ""],
    ["1栋1单元102", "预存", None, None, 500, ""],
    ["1栋-1单元-101", "押金", None, None, "2000", "装修押金"],
]
ARREARS_FEN, PREPAYMENT_FEN, DEPOSIT_FEN = 25680 + 3520 + 30000, 50000, 200000


def workbook(rows=ROWS, *, headers=None, title_rows=(), hidden_first=None) -> bytes:
    """An .xlsx of opening balances: optional title rows above the headers, optionally a hidden sheet first."""
    book = openpyxl.Workbook()
    sheet = book.active
    if hidden_first is not None:
        sheet.title = "旧数据"
        sheet.sheet_state = "hidden"
        sheet.append(list(HEADERS.values()))
        for row in hidden_first:
            sheet.append(row)
        sheet = book.create_sheet("期初余额")
    for title in title_rows:
        sheet.append([title])
    sheet.append(list(headers or HEADERS.values()))
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
