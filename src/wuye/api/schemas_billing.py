"""Input and output schemas of the billing operations of /api/v1 (收费): one explicit class per shape.

Amounts are integer fen in fields named ``*_fen``; rates, prices, areas and usage are decimals sent
as strings ("2.5000"), exactly as stored, so a client can recompute and explain every line.
Enumerated fields carry the stored value (``"built_area"``, ``"half_up"``), never a label.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Schema

from wuye.api.schemas import PageQuery, RoomBriefOut
from wuye.billing.enums import (
    BillState,
    Cycle,
    FeeCategory,
    LateFeeMethod,
    MeterKind,
    Method,
    RoundingMode,
    RoundingUnit,
    RunState,
    Timing,
)

MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


# --- inputs ------------------------------------------------------------------------------------------


class FeeItemListQuery(Schema):
    community: int | None = Field(None, description="Only this community (default: all you may see).")


class RunPreviewIn(Schema):
    community: int = Field(..., description="pk of a community where you may run billing.")
    month: str = Field(..., pattern=MONTH_PATTERN, description='The month to bill, "YYYY-MM".')


class BillListQuery(PageQuery):
    pass


class ArrearsQuery(PageQuery):
    community: int | None = Field(None, description="Only this community (default: all you may see).")
    as_of: date | None = Field(None, description="Count days past due up to this date (default: today).")
    building: int | None = Field(None, description="Only lines of rooms in this building.")


# --- fee items ---------------------------------------------------------------------------------------


class TierOut(Schema):
    up_to: Decimal | None = Field(
        ..., description="Usage per month up to which the tier applies; null: no ceiling."
    )
    price: Decimal = Field(..., description="Yuan per unit of usage in the tier.")


class FeeItemOut(Schema):
    pk: int
    community: int
    name: str
    category: FeeCategory
    method: Method
    price: Decimal = Field(
        ..., description="Yuan per m² per month, per room per month, per unit, or one-off."
    )
    tiers: list[TierOut] = Field(
        ..., description="Tiered prices (阶梯价) of a metered item; empty: one price."
    )
    meter_kind: MeterKind | None
    cycle: Cycle
    timing: Timing
    due_day: int
    valid_from: date
    valid_to: date | None
    rounding_unit: RoundingUnit
    rounding_mode: RoundingMode
    late_fee_method: LateFeeMethod | None
    late_fee_grace_days: int
    late_fee_rate: Decimal = Field(..., description="Per day, as a fraction of the amount overdue.")
    late_fee_fixed_fen: int
    late_fee_cap_fen: int | None
    is_active: bool

    @staticmethod
    def resolve_community(item) -> int:
        return item.community_id

    @staticmethod
    def resolve_meter_kind(item) -> str | None:
        return item.meter_kind or None

    @staticmethod
    def resolve_late_fee_method(item) -> str | None:
        return item.late_fee_method or None


# --- billing runs ------------------------------------------------------------------------------------


class PieceOut(Schema):
    fee_item: str
    month: str


class ItemTotalOut(Schema):
    fee_item: str
    lines: int
    gross_fen: int
    discount_fen: int
    amount_fen: int


class BuildingTotalOut(Schema):
    building: str
    lines: int
    amount_fen: int


class ProblemOut(Schema):
    code: str = Field(..., description='"no_household" or "no_reading".')
    fee_item: str
    month: str
    count: int = Field(..., description="How many rooms have the problem.")
    rooms: list[str] = Field(..., description="The first 20 of those rooms.")


class RunPreviewOut(Schema):
    lines: int = 0
    households: int = 0
    total_fen: int = 0
    pieces: list[PieceOut] = Field(
        default_factory=list, description="Which fee items and months the run bills."
    )
    by_item: list[ItemTotalOut] = Field(default_factory=list)
    by_building: list[BuildingTotalOut] = Field(default_factory=list)
    problems: list[ProblemOut] = Field(default_factory=list, description="Rooms that cannot be billed.")


class RunOut(Schema):
    pk: int
    community: int
    month: str = Field(..., description='"YYYY-MM".')
    state: RunState
    progress_done: int = Field(..., description="Rooms done while issuing.")
    progress_total: int
    lines_issued: int
    total_fen: int = Field(..., description="Sum of the lines this run issued.")
    created_by: str | None
    created_at: datetime
    issued_at: datetime | None
    voided_at: datetime | None
    void_reason: str
    preview: RunPreviewOut = Field(..., description="What the run computed when it was previewed.")

    @staticmethod
    def resolve_community(run) -> int:
        return run.community_id

    @staticmethod
    def resolve_month(run) -> str:
        return f"{run.period:%Y-%m}"

    @staticmethod
    def resolve_created_by(run) -> str | None:
        return run.created_by.get_username() if run.created_by_id else None

    @staticmethod
    def resolve_preview(run) -> dict:
        # The stored preview keeps its problems under {"items": [...]}; the API lists them directly.
        preview = dict(run.preview or {})
        preview["problems"] = (preview.get("problems") or {}).get("items", [])
        return preview


# --- bills -------------------------------------------------------------------------------------------


class FeeItemRefOut(Schema):
    pk: int
    name: str
    category: FeeCategory


class BillLineOut(Schema):
    """A line with every input of its charge: gross_fen is recomputable from quantity, price, tiers,
    days and rounding; amount_fen = gross_fen − discount_fen; outstanding_fen = amount_fen +
    adjusted_fen − waived_fen − paid_fen (0 for a void line)."""

    pk: int
    room: RoomBriefOut
    fee_item: FeeItemRefOut
    month: str = Field(..., description='The month the line charges for, "YYYY-MM".')
    method: Method
    quantity: Decimal = Field(..., description="m² (area methods), usage (metered), or 1.")
    price: Decimal
    tiers: list[TierOut]
    billable_days: int
    period_days: int
    rounding_unit: RoundingUnit
    rounding_mode: RoundingMode
    gross_fen: int
    discount_percent: Decimal
    discount_fixed_fen: int
    discount_fen: int
    amount_fen: int
    adjusted_fen: int
    waived_fen: int
    paid_fen: int
    outstanding_fen: int
    is_void: bool

    @staticmethod
    def resolve_month(line) -> str:
        return f"{line.period:%Y-%m}"


class BillOut(Schema):
    pk: int
    community: int
    household: int
    month: str = Field(..., description='The month the bill was issued for, "YYYY-MM".')
    run: int | None = Field(..., description="pk of the billing run that created the bill.")
    state: BillState
    due_on: date
    total_fen: int = Field(..., description="Sum of the amount_fen of its lines that are not void.")
    due_fen: int = Field(..., description="What it asks for now: amounts + adjustments − waivers.")
    paid_fen: int
    waived_fen: int
    outstanding_fen: int
    created_at: datetime
    lines: list[BillLineOut]

    @staticmethod
    def resolve_community(bill) -> int:
        return bill.community_id

    @staticmethod
    def resolve_household(bill) -> int:
        return bill.household_id

    @staticmethod
    def resolve_month(bill) -> str:
        return f"{bill.period:%Y-%m}"

    @staticmethod
    def resolve_run(bill) -> int | None:
        return bill.run_id

    @staticmethod
    def resolve_paid_fen(bill) -> int:
        return bill.paid_fen_total

    @staticmethod
    def resolve_waived_fen(bill) -> int:
        return bill.waived_fen_total

    @staticmethod
    def resolve_lines(bill) -> list:
        return list(bill.lines.all())


class BillPageOut(Schema):
    count: int
    page: int
    limit: int
    items: list[BillOut]


# --- arrears -----------------------------------------------------------------------------------------


class AgingOut(Schema):
    """Overdue amounts (outstanding on lines whose bill was due before ``as_of``) by days past due."""

    total_fen: int
    days_0_30_fen: int
    days_31_90_fen: int
    days_91_180_fen: int
    days_over_180_fen: int
    late_fee_fen: int = Field(
        ..., description="Late fees (滞纳金) as of the date, not included in total_fen."
    )
    lines: int


class ArrearsTotalsOut(AgingOut):
    households: int


class HouseholdRefOut(Schema):
    pk: int
    name: str


class HouseholdArrearsOut(AgingOut):
    household: HouseholdRefOut
    community: int
    rooms: list[RoomBriefOut]
    oldest_due_on: date
    days_past_due: int = Field(..., description="Of the oldest overdue line.")


class ArrearsPageOut(Schema):
    as_of: date
    count: int
    page: int
    limit: int
    totals: ArrearsTotalsOut = Field(
        ..., description="Over every household of the result, not just this page."
    )
    items: list[HouseholdArrearsOut]
