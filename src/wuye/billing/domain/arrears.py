"""Reads of bills and arrears (欠费): bill lists, aging, dunning notices and the collection rate.

Words used here:

- *outstanding* (of a line): amount + adjusted − waived − paid, what it still asks for now;
- *overdue* as of a date: outstanding on a line whose bill was due before that date (a bill due on
  the 15th is overdue from the 16th). Amounts are what is owed now; ``as_of`` is the day the days
  past due are counted to;
- *aging buckets* by days past due: 0–30, 31–90, 91–180, over 180.

Sums are done in SQL (conditional aggregation on date comparisons worked out in Python, so both
databases run the same portable SQL); late fees, which need exact fraction rounding per line, are
computed in Python over the overdue lines of fee items that charge them (see ``latefees``).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import BigIntegerField, Case, Count, F, Min, Prefetch, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from wuye.billing.domain.latefees import LateFeeTerms, late_fee_compute, late_fee_due, late_fee_fen
from wuye.billing.enums import BillState
from wuye.billing.models import LINE_OUTSTANDING, Bill, BillLine, FeeItem
from wuye.billing.tagrules import ARREARS_RULE
from wuye.core.enums import Permission
from wuye.core.models import Community
from wuye.estate.models import Building
from wuye.households.domain.queries import HouseholdFilter
from wuye.households.domain.tagrules import TagRule, register_tag_rule
from wuye.households.enums import TagColour
from wuye.households.models import Household, HouseholdRoom, Person
from wuye.households.sections import Section, register_section

DUE = F("amount_fen") + F("adjusted_fen") - F("waived_fen")

# (key, first day past due, last day past due or None): the aging buckets, as data.
BUCKETS: list[tuple[str, int, int | None]] = [
    ("days_0_30", 0, 30),
    ("days_31_90", 31, 90),
    ("days_91_180", 91, 180),
    ("days_over_180", 181, None),
]


def bucket_of(days_past_due: int) -> str:
    for key, first, last in BUCKETS:
        if days_past_due >= first and (last is None or days_past_due <= last):
            return key
    raise ValueError(days_past_due)


def _sum(expression) -> Coalesce:
    return Coalesce(Sum(expression, output_field=BigIntegerField()), Value(0))


def _bucket_sums(as_of: datetime.date) -> dict[str, Coalesce]:
    """Sum of outstanding per bucket: days past due = as_of − due_on, as date bounds on due_on."""
    sums = {}
    for key, first, last in BUCKETS:
        condition = Q(bill__due_on__lte=as_of - datetime.timedelta(days=first))
        if last is not None:
            condition &= Q(bill__due_on__gte=as_of - datetime.timedelta(days=last))
        sums[key] = _sum(
            Case(When(condition, then=LINE_OUTSTANDING), default=Value(0), output_field=BigIntegerField())
        )
    return sums


def live_lines(community: Community) -> QuerySet[BillLine]:
    """Lines that count: not void, on bills that are not void."""
    return BillLine.objects.filter(community=community, is_void=False).exclude(bill__state=BillState.VOID)


def overdue_lines(*, community: Community, as_of: datetime.date) -> QuerySet[BillLine]:
    return (
        live_lines(community)
        .filter(bill__due_on__lt=as_of)
        .filter(amount_fen__gt=F("waived_fen") + F("paid_fen") - F("adjusted_fen"))
    )


def overdue_household_pks(*, community: Community, as_of: datetime.date) -> QuerySet:
    """The pks of the households that owe anything overdue (the 欠费 tag's rule)."""
    return overdue_lines(community=community, as_of=as_of).order_by().values("household_id").distinct()


@dataclass
class Aging:
    """Overdue amounts of one household, building or community, in fen."""

    total_fen: int = 0
    days_0_30: int = 0
    days_31_90: int = 0
    days_91_180: int = 0
    days_over_180: int = 0
    late_fee_fen: int = 0
    lines: int = 0
    households: int = 0

    @classmethod
    def from_row(cls, row: dict) -> Aging:
        return cls(
            total_fen=row["total_fen"],
            lines=row["lines"],
            **{key: row[key] for key, _first, _last in BUCKETS},
        )

    def add(self, other: Aging) -> None:
        for name in ("total_fen", "late_fee_fen", "lines", "households", *(key for key, _f, _l in BUCKETS)):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def buckets(self) -> list[int]:
        return [getattr(self, key) for key, _first, _last in BUCKETS]


def _aggregates(as_of: datetime.date) -> dict:
    return {"total_fen": _sum(LINE_OUTSTANDING), "lines": Count("pk"), **_bucket_sums(as_of)}


def _late_fees(lines: QuerySet[BillLine], as_of: datetime.date, key: str | None) -> dict:
    """{value of ``key`` (or None): late fee fen} over the given overdue lines."""
    charging = lines.filter(late_fee_waived_at__isnull=True).exclude(fee_item__late_fee_method="")
    terms = {
        item.pk: LateFeeTerms.of(item)
        for item in FeeItem.objects.filter(pk__in=charging.values("fee_item_id").distinct())
    }
    fees: dict = defaultdict(int)
    fields = [
        "fee_item_id",
        "bill__due_on",
        "amount_fen",
        "adjusted_fen",
        "waived_fen",
        "paid_fen",
        "late_fee_paid_fen",
    ]
    for row in charging.values(*fields, *([key] if key else [])).iterator(chunk_size=2000):
        outstanding = row["amount_fen"] + row["adjusted_fen"] - row["waived_fen"] - row["paid_fen"]
        fees[row[key] if key else None] += late_fee_due(
            accrued_fen=late_fee_compute(
                outstanding_fen=outstanding,
                due_on=row["bill__due_on"],
                as_of=as_of,
                terms=terms[row["fee_item_id"]],
                waived=False,
            ),
            paid_fen=row["late_fee_paid_fen"],
        )
    return fees


def arrears_totals(*, community: Community, as_of: datetime.date, building_id: int | None = None) -> Aging:
    lines = overdue_lines(community=community, as_of=as_of)
    if building_id:
        lines = lines.filter(room__building_id=building_id)
    aging = Aging.from_row(lines.aggregate(**_aggregates(as_of)))
    aging.late_fee_fen = _late_fees(lines, as_of, None).get(None, 0)
    aging.households = lines.order_by().values("household_id").distinct().count()
    return aging


@dataclass
class BuildingArrears:
    building: Building
    aging: Aging
    households: int


def arrears_by_building(*, community: Community, as_of: datetime.date) -> list[BuildingArrears]:
    """One row per building with anything overdue, by building name."""
    lines = overdue_lines(community=community, as_of=as_of)
    rows = {
        row["room__building_id"]: row
        for row in lines.values("room__building_id").annotate(
            households=Count("household_id", distinct=True), **_aggregates(as_of)
        )
    }
    fees = _late_fees(lines, as_of, "room__building_id")
    result = []
    for building in Building.objects.filter(pk__in=rows).order_by("name"):
        row = rows[building.pk]
        aging = Aging.from_row(row)
        aging.late_fee_fen = fees.get(building.pk, 0)
        result.append(BuildingArrears(building=building, aging=aging, households=row["households"]))
    return result


@dataclass
class HouseholdArrears:
    household: Household
    aging: Aging
    oldest_due_on: datetime.date
    rooms: list = field(default_factory=list)


def arrears_by_household(
    *, community: Community, as_of: datetime.date, building_id: int | None = None
) -> list[HouseholdArrears]:
    """One row per household with anything overdue (in ``building_id``'s rooms only, if given),
    the largest amounts first."""
    lines = overdue_lines(community=community, as_of=as_of)
    if building_id:
        lines = lines.filter(room__building_id=building_id)
    rows = {
        row["household_id"]: row
        for row in lines.values("household_id").annotate(oldest=Min("bill__due_on"), **_aggregates(as_of))
    }
    fees = _late_fees(lines, as_of, "household_id")
    households = Household.objects.filter(pk__in=rows).prefetch_related(
        Prefetch("room_links", HouseholdRoom.objects.select_related("room__building", "room__unit"))
    )
    result = []
    for household in households:
        row = rows[household.pk]
        aging = Aging.from_row(row)
        aging.late_fee_fen = fees.get(household.pk, 0)
        result.append(
            HouseholdArrears(
                household=household,
                aging=aging,
                oldest_due_on=row["oldest"],
                rooms=[link.room for link in household.room_links.all()],
            )
        )
    result.sort(key=lambda r: (-r.aging.total_fen, r.household.pk))
    return result


@dataclass
class OverdueLine:
    line: BillLine
    days_past_due: int
    bucket: str
    outstanding_fen: int
    late_fee_fen: int


def household_overdue_lines(*, household: Household, as_of: datetime.date) -> list[OverdueLine]:
    """A household's overdue lines, oldest first, each with its days past due, bucket and late fee."""
    lines = (
        overdue_lines(community=household.community, as_of=as_of)
        .filter(household=household)
        .select_related("bill", "fee_item", "room__building", "room__unit")
        .order_by("bill__due_on", "period", "fee_item_id", "pk")
    )
    return [_overdue(line, as_of) for line in lines]


def _overdue(line: BillLine, as_of: datetime.date) -> OverdueLine:
    days = (as_of - line.bill.due_on).days
    return OverdueLine(
        line=line,
        days_past_due=days,
        bucket=bucket_of(days),
        outstanding_fen=line.outstanding_fen,
        late_fee_fen=late_fee_fen(line=line, as_of=as_of),
    )


@dataclass
class DunningNotice:
    """A 催缴单: one household's overdue lines and what they come to."""

    household: Household
    rooms: list
    owners: list
    lines: list[OverdueLine]
    total_fen: int
    late_fee_fen: int

    @property
    def grand_total_fen(self) -> int:
        return self.total_fen + self.late_fee_fen


def dunning_notices(
    *, community: Community, as_of: datetime.date, building_id: int | None = None, min_days: int = 1
) -> list[DunningNotice]:
    """One notice per household owing anything at least ``min_days`` past due, by first room."""
    lines = overdue_lines(community=community, as_of=as_of).filter(
        bill__due_on__lte=as_of - datetime.timedelta(days=max(min_days, 1))
    )
    if building_id:
        lines = lines.filter(room__building_id=building_id)
    lines = lines.select_related("bill", "fee_item", "room__building", "room__unit").order_by(
        "household_id", "bill__due_on", "period", "fee_item_id", "pk"
    )
    by_household: dict[int, list[OverdueLine]] = defaultdict(list)
    for line in lines:
        by_household[line.household_id].append(_overdue(line, as_of))
    households = Household.objects.filter(pk__in=by_household).prefetch_related(
        Prefetch("room_links", HouseholdRoom.objects.select_related("room__building", "room__unit")),
        Prefetch("people", Person.objects.filter(kind="owner").order_by("pk"), to_attr="owners"),
    )
    notices = []
    for household in households:
        overdue = by_household[household.pk]
        notices.append(
            DunningNotice(
                household=household,
                rooms=[link.room for link in household.room_links.all()],
                owners=household.owners,
                lines=overdue,
                total_fen=sum(o.outstanding_fen for o in overdue),
                late_fee_fen=sum(o.late_fee_fen for o in overdue),
            )
        )
    notices.sort(key=lambda n: (min((str(r) for r in n.rooms), default=""), n.household.pk))
    return notices


# Collection rate (收缴率) -------------------------------------------------------------------------


@dataclass
class Rate:
    """Collected over billed, both in fen; shown as a percentage with one decimal, half up."""

    collected_fen: int = 0
    billed_fen: int = 0

    def add(self, collected_fen: int, billed_fen: int) -> None:
        self.collected_fen += collected_fen
        self.billed_fen += billed_fen

    @property
    def permille(self) -> int | None:
        """Rounded half up, exactly: collected × 1000 / billed."""
        if self.billed_fen <= 0:
            return None
        return (2 * 1000 * self.collected_fen + self.billed_fen) // (2 * self.billed_fen)

    @property
    def percent(self) -> str:
        permille = self.permille
        return "—" if permille is None else f"{permille // 10}.{permille % 10}%"


@dataclass
class CollectionTable:
    months: list[datetime.date]
    by_month: dict[datetime.date, Rate]
    buildings: list[Building]
    by_building: dict[int, Rate]
    cells: dict[tuple[int, datetime.date], Rate]
    total: Rate

    def building_rows(self):
        for building in self.buildings:
            yield (
                building,
                [self.cells.get((building.pk, month), Rate()) for month in self.months],
                self.by_building[building.pk],
            )

    def month_rows(self):
        for month in self.months:
            yield month, self.by_month[month]


def collection_rates(*, community: Community, months: list[datetime.date]) -> CollectionTable:
    """收缴率 of the bills of each month: collected (paid) / billed (amount + adjusted − waived),
    per month, per building (of the line's room) and per building and month."""
    rows = (
        live_lines(community)
        .filter(bill__period__in=months)
        .values("bill__period", "room__building_id")
        .annotate(billed=_sum(DUE), collected=_sum(F("paid_fen")))
    )
    by_month = {month: Rate() for month in months}
    by_building: dict[int, Rate] = defaultdict(Rate)
    cells: dict[tuple[int, datetime.date], Rate] = defaultdict(Rate)
    total = Rate()
    for row in rows:
        month, building = row["bill__period"], row["room__building_id"]
        for rate in (by_month[month], by_building[building], cells[(building, month)], total):
            rate.add(row["collected"], row["billed"])
    buildings = list(Building.objects.filter(pk__in=list(by_building)).order_by("name"))
    return CollectionTable(
        months=months,
        by_month=by_month,
        buildings=buildings,
        by_building=dict(by_building),
        cells=dict(cells),
        total=total,
    )


# Bills ------------------------------------------------------------------------------------------


def bills_with_totals(queryset: QuerySet[Bill]) -> QuerySet[Bill]:
    """Each bill with due_fen, paid_fen_total and outstanding_fen summed over its live lines."""
    live = Q(lines__is_void=False)
    return queryset.annotate(
        due_fen=Coalesce(
            Sum(
                F("lines__amount_fen") + F("lines__adjusted_fen") - F("lines__waived_fen"),
                filter=live,
                output_field=BigIntegerField(),
            ),
            Value(0),
        ),
        paid_fen_total=Coalesce(Sum("lines__paid_fen", filter=live), Value(0)),
        waived_fen_total=Coalesce(Sum("lines__waived_fen", filter=live), Value(0)),
        outstanding_fen=Coalesce(
            Sum(
                F("lines__amount_fen")
                + F("lines__adjusted_fen")
                - F("lines__waived_fen")
                - F("lines__paid_fen"),
                filter=live,
                output_field=BigIntegerField(),
            ),
            Value(0),
        ),
    )


@dataclass
class BillFilter:
    month: datetime.date | None = None
    state: str = ""
    building: int | None = None
    text: str = ""
    household: int | None = None


def bills_filtered(*, community: Community, filter: BillFilter) -> QuerySet[Bill]:
    """Bills of a month, in a state, with a line in a building, of households matching a text."""
    bills = Bill.objects.filter(community=community)
    if filter.month:
        bills = bills.filter(period=filter.month)
    if filter.state:
        bills = bills.filter(state=filter.state)
    if filter.household:
        bills = bills.filter(household_id=filter.household)
    if filter.building:
        bills = bills.filter(
            pk__in=BillLine.objects.filter(community=community, room__building_id=filter.building).values(
                "bill_id"
            )
        )
    if filter.text:
        matching = HouseholdFilter(text=filter.text).apply(Household.objects.filter(community=community))
        bills = bills.filter(household_id__in=matching.values("pk"))
    return bills_with_totals(bills.select_related("household")).order_by("-period", "household_id", "pk")


def bill_lines(*, bill: Bill) -> QuerySet[BillLine]:
    return (
        bill.lines.select_related(
            "fee_item",
            "room__building",
            "room__unit",
            "bill",
            "late_fee_waived_by",
            "late_fee_waiver_requested_by",
        )
        .prefetch_related("adjustments__approved_by", "adjustments__created_by")
        .order_by("is_void", "fee_item_id", "room_id", "pk")
    )


def household_bills(*, household: Household, limit: int | None = 24):
    """The household's latest bills with their lines and totals, newest first (``limit=None``: all of
    them, as a queryset to paginate)."""
    bills = (
        bills_with_totals(Bill.objects.filter(household=household))
        .prefetch_related(
            Prefetch(
                "lines",
                BillLine.objects.select_related("fee_item", "room__building", "room__unit").order_by(
                    "fee_item_id", "room_id", "pk"
                ),
            )
        )
        .order_by("-period", "-pk")
    )
    return bills if limit is None else list(bills[:limit])


def _bills_section(household: Household, request) -> dict:
    today = timezone.localdate()
    overdue = household_overdue_lines(household=household, as_of=today)
    return {
        "bills": household_bills(household=household),
        "household": household,
        "overdue_fen": sum(o.outstanding_fen for o in overdue),
        "late_fee_fen": sum(o.late_fee_fen for o in overdue),
        "today": today,
    }


register_section(
    Section(
        key="bills",
        template="console/bills/household_section.html",
        context=_bills_section,
        permission=Permission.BILLING_VIEW,
        order=20,
    )
)


def _households_in_arrears(community: Community):
    return overdue_household_pks(community=community, as_of=timezone.localdate())


register_tag_rule(
    TagRule(
        key=ARREARS_RULE,
        name=pgettext_lazy("system tag", "In arrears"),
        colour=TagColour.RED,
        description=pgettext_lazy("system tag", "Owes an amount past its due date"),
        households=_households_in_arrears,
    )
)
