"""Takings reports (收费日报、周报、月报): what the community took in per day, week or month, by channel,
cashier, fee item and building; refunds; the suspense balance; the collection-rate trend.

Takings are the money we took, at the time we took it: every applied payment attempt (one with its
ledger transaction, counted at ``paid_at``: counter, QR, JSAPI and bank debit alike) and every counter
prepayment (a prepayment receipt, at ``issued_at``; it has no attempt). Days are cut at 00:00 Beijing
time, as the channels and reconciliation cut them; a week starts on Monday.

Every figure is an aggregate the database computes (GROUP BY through the ORM, periods truncated in
Beijing time), so a month of thousands of payments costs a handful of queries; Python only merges the
few grouped rows of the two sources (attempts and prepayment receipts).

A report has a period kind and a chosen day: the day report lists the days of that day's month, the
week and month reports the twelve weeks or months up to the chosen one. The breakdowns (channel,
cashier, fee item, building) are of the chosen period only.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Count, DateTimeField, F, Q, QuerySet, Sum
from django.db.models.functions import Trunc
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.billing.domain.arrears import CollectionTable, collection_rates
from wuye.billing.domain.compute import add_months, month_start
from wuye.core.models import Community
from wuye.payments.domain.queries import receipts_for_community
from wuye.payments.enums import ONLINE_METHODS, PaymentMethod, ReceiptKind, RefundState
from wuye.payments.models import Allocation, PaymentAttempt, Receipt, Refund
from wuye.recon.domain.queries import suspense_balance_fen
from wuye.recon.domain.runs import BEIJING, day_window

DAY, WEEK, MONTH = "day", "week", "month"
PERIODS = {
    DAY: gettext_lazy("Daily report"),
    WEEK: gettext_lazy("Weekly report"),
    MONTH: gettext_lazy("Monthly report"),
}
TREND_LENGTH = 12  # weeks or months in the week and month reports, billing months in the rate trend
ONLINE_CASHIER = "online"  # online payments nobody at the counter took (QR, JSAPI)
DEBIT_CASHIER = "debit"  # bank batch direct debit
NOT_ALLOCATED = "prepayment"  # money kept as prepayment: no fee item, no building (yet)


@dataclass(frozen=True)
class Window:
    """One period: its first day and the day after its last, in Beijing time."""

    first: datetime.date
    end: datetime.date

    @property
    def start_at(self) -> datetime.datetime:
        return day_window(self.first)[0]

    @property
    def end_at(self) -> datetime.datetime:
        return day_window(self.end)[0]

    @property
    def last(self) -> datetime.date:
        return self.end - datetime.timedelta(days=1)


def period_window(*, kind: str, day: datetime.date) -> Window:
    """The day, week (Monday to Sunday) or month that holds ``day``."""
    if kind == DAY:
        return Window(day, day + datetime.timedelta(days=1))
    if kind == WEEK:
        monday = day - datetime.timedelta(days=day.weekday())
        return Window(monday, monday + datetime.timedelta(days=7))
    first = month_start(day)
    return Window(first, add_months(first, 1))


def period_windows(*, kind: str, day: datetime.date) -> list[Window]:
    """The rows of a report: the days of the chosen day's month, or the twelve weeks or months up to
    the chosen one, oldest first."""
    if kind == DAY:
        month = period_window(kind=MONTH, day=day)
        return [
            period_window(kind=DAY, day=month.first + datetime.timedelta(days=offset))
            for offset in range((month.end - month.first).days)
        ]
    chosen = period_window(kind=kind, day=day)
    if kind == WEEK:
        return [
            period_window(kind=WEEK, day=chosen.first - datetime.timedelta(weeks=back))
            for back in range(TREND_LENGTH - 1, -1, -1)
        ]
    return [
        period_window(kind=MONTH, day=add_months(chosen.first, -back))
        for back in range(TREND_LENGTH - 1, -1, -1)
    ]


# The two sources of takings -------------------------------------------------------------------------


def applied_attempts(*, community: Community, window: Window) -> QuerySet[PaymentAttempt]:
    """Payment attempts applied to our books (they have their ledger transaction) paid in ``window``."""
    return PaymentAttempt.objects.filter(
        community=community,
        transaction__isnull=False,
        paid_at__gte=window.start_at,
        paid_at__lt=window.end_at,
    )


def counter_prepayments(*, community: Community, window: Window) -> QuerySet[Receipt]:
    """Prepayments taken at the counter (their receipts) in ``window``."""
    return Receipt.objects.filter(
        community=community,
        kind=ReceiptKind.PREPAYMENT,
        issued_at__gte=window.start_at,
        issued_at__lt=window.end_at,
    )


def _bucket(kind: str, column: str) -> Trunc:
    return Trunc(column, kind, output_field=DateTimeField(), tzinfo=BEIJING)


def _day(value) -> datetime.date:
    """A truncated period start as a Beijing date (SQLite hands back text, PostgreSQL a datetime)."""
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(BEIJING)
        return value.date()
    return value


# Reports --------------------------------------------------------------------------------------------


@dataclass
class Row:
    """One line of a table: a key, its label, and its figures in fen by column."""

    key: object
    label: str
    cells: dict[str, int] = field(default_factory=dict)

    @property
    def total_fen(self) -> int:
        return self.cells.get("total", 0)


@dataclass
class PeriodRow:
    window: Window
    by_method: dict[str, int]
    takings_fen: int
    reversal_count: int
    reversal_fen: int

    @property
    def net_fen(self) -> int:
        return self.takings_fen - self.reversal_fen


@dataclass
class Breakdown:
    """Takings of one period split one way; the rows add up to ``total_fen``."""

    rows: list[Row]
    total_fen: int
    count: int = 0


@dataclass
class TakingsReport:
    kind: str
    day: datetime.date
    window: Window  # the chosen period
    methods: list[tuple[str, str]]  # the channels that appear: (value, label)
    periods: list[PeriodRow]
    totals_by_method: dict[str, int]
    takings_fen: int
    reversal_count: int
    reversal_fen: int
    by_channel: Breakdown
    by_cashier: Breakdown
    by_fee_item: Breakdown
    by_building: Breakdown
    suspense_fen: int
    collection: CollectionTable

    @property
    def net_fen(self) -> int:
        return self.takings_fen - self.reversal_fen

    @property
    def is_empty(self) -> bool:
        return not any(period.takings_fen or period.reversal_count for period in self.periods)

    def method_cells(self, period: PeriodRow) -> list[int]:
        return [period.by_method.get(value, 0) for value, _label in self.methods]

    def period_rows(self):
        for period in self.periods:
            yield period, self.method_cells(period)

    def total_method_cells(self) -> list[int]:
        return [self.totals_by_method.get(value, 0) for value, _label in self.methods]


def takings_by_period(*, community: Community, kind: str, windows: list[Window]) -> dict:
    """{(period start, method): fen} of attempts and counter prepayments over ``windows``."""
    span = Window(windows[0].first, windows[-1].end)
    sums: dict[tuple[datetime.date, str], int] = defaultdict(int)
    attempts = (
        applied_attempts(community=community, window=span)
        .annotate(period=_bucket(kind, "paid_at"))
        .values("period", "method")
        .annotate(fen=Sum("amount_fen"))
    )
    prepayments = (
        counter_prepayments(community=community, window=span)
        .annotate(period=_bucket(kind, "issued_at"))
        .values("period", "method")
        .annotate(fen=Sum("amount_fen"))
    )
    for row in [*attempts, *prepayments]:
        sums[(_day(row["period"]), row["method"])] += row["fen"]
    return sums


def reversals_by_period(*, community: Community, kind: str, windows: list[Window]) -> dict:
    """{period start: (count, fen)} of money given back in each period: refunds that succeeded, at the
    time they settled, and receipts voided, at the time the void was approved. Takings stay gross (a
    payment counts on the day it was booked, a closed day never changes); the reversal counts on its
    own day."""
    span = Window(windows[0].first, windows[-1].end)
    found: dict = {}
    sources = (
        Refund.objects.filter(
            community=community,
            state=RefundState.SUCCEEDED,
            settle_transaction__created_at__gte=span.start_at,
            settle_transaction__created_at__lt=span.end_at,
        ).annotate(period=_bucket(kind, "settle_transaction__created_at")),
        Receipt.objects.filter(
            community=community, voided_at__gte=span.start_at, voided_at__lt=span.end_at
        ).annotate(period=_bucket(kind, "voided_at")),
    )
    for queryset in sources:
        for row in queryset.values("period").annotate(count=Count("pk"), fen=Sum("amount_fen")).order_by():
            count, fen = found.get(_day(row["period"]), (0, 0))
            found[_day(row["period"])] = (count + row["count"], fen + row["fen"])
    return found


def _method_label(value: str) -> str:
    return str(PaymentMethod(value).label) if value in PaymentMethod.values else value


def takings_by_channel(*, community: Community, window: Window) -> Breakdown:
    sums: dict[str, int] = defaultdict(int)
    counts: dict[str, int] = defaultdict(int)
    for source in (
        applied_attempts(community=community, window=window),
        counter_prepayments(community=community, window=window),
    ):
        for row in source.values("method").annotate(fen=Sum("amount_fen"), count=Count("pk")):
            sums[row["method"]] += row["fen"]
            counts[row["method"]] += row["count"]
    order = {value: index for index, value in enumerate(PaymentMethod.values)}
    rows = [
        Row(method, _method_label(method), {"total": fen, "count": counts[method]})
        for method, fen in sorted(sums.items(), key=lambda item: order.get(item[0], len(order)))
    ]
    return Breakdown(rows, sum(sums.values()), sum(counts.values()))


def takings_by_cashier(*, community: Community, window: Window) -> Breakdown:
    """By the staff member who took the money (who created the attempt, who issued the prepayment
    receipt); online payments nobody took at the counter are 线上自助, bank debits 银行代扣."""
    sums: dict[object, int] = defaultdict(int)
    counts: dict[object, int] = defaultdict(int)
    names: dict[object, str] = {}
    sources = (
        applied_attempts(community=community, window=window).values(
            "method",
            user=F("created_by_id"),
            first=F("created_by__first_name"),
            last=F("created_by__last_name"),
            username=F("created_by__username"),
        ),
        counter_prepayments(community=community, window=window).values(
            "method",
            user=F("issued_by_id"),
            first=F("issued_by__first_name"),
            last=F("issued_by__last_name"),
            username=F("issued_by__username"),
        ),
    )
    for source in sources:
        for row in source.annotate(fen=Sum("amount_fen"), count=Count("pk")):
            if row["user"] is not None:
                key = row["user"]
                names[key] = f"{row['first']} {row['last']}".strip() or row["username"]
            elif row["method"] in ONLINE_METHODS:
                key = ONLINE_CASHIER
                names[key] = _("Online self-service")
            elif row["method"] == PaymentMethod.DEBIT:
                key = DEBIT_CASHIER
                names[key] = str(PaymentMethod.DEBIT.label)
            else:
                key = None
                names[key] = _("System")
            sums[key] += row["fen"]
            counts[key] += row["count"]
    rows = [Row(key, names[key], {"total": sums[key], "count": counts[key]}) for key in sums]
    rows.sort(key=lambda row: (not isinstance(row.key, int), row.label, str(row.key)))
    return Breakdown(rows, sum(sums.values()), sum(counts.values()))


def _allocated(*, community: Community, window: Window, group: str, label: str) -> tuple[list[Row], int]:
    """What the period's payments paid of bill lines, grouped by ``group`` (a path from the allocation),
    with the group's label; the allocations are those of the payments' own ledger transactions."""
    transactions = applied_attempts(community=community, window=window).values("transaction_id")
    rows = (
        Allocation.objects.filter(community=community, transaction__in=transactions)
        .values(key=F(group), name=F(label))
        .annotate(fen=Sum("amount_fen"))
        .order_by("name", "key")
    )
    result = [Row(row["key"], row["name"], {"total": row["fen"]}) for row in rows]
    return result, sum(row.total_fen for row in result)


def _with_prepayment(rows: list[Row], allocated_fen: int, total_fen: int) -> Breakdown:
    """The money not allocated to bill lines (kept as prepayment, or a counter prepayment) gets a row of
    its own, so that every breakdown adds up to the same takings."""
    if total_fen != allocated_fen:
        rows = [
            *rows,
            Row(
                NOT_ALLOCATED, _("Prepayment (not allocated to bills)"), {"total": total_fen - allocated_fen}
            ),
        ]
    return Breakdown(rows, total_fen)


def takings_by_fee_item(*, community: Community, window: Window, total_fen: int) -> Breakdown:
    rows, allocated = _allocated(
        community=community, window=window, group="line__fee_item_id", label="line__fee_item__name"
    )
    return _with_prepayment(rows, allocated, total_fen)


def takings_by_building(*, community: Community, window: Window, total_fen: int) -> Breakdown:
    rows, allocated = _allocated(
        community=community,
        window=window,
        group="line__room__building_id",
        label="line__room__building__name",
    )
    return _with_prepayment(rows, allocated, total_fen)


def collection_trend(*, community: Community, day: datetime.date) -> CollectionTable:
    """收缴率 of the bills of the twelve billing months up to ``day``'s month, as the arrears pages
    compute it."""
    last = month_start(day)
    return collection_rates(
        community=community, months=[add_months(last, -back) for back in range(TREND_LENGTH - 1, -1, -1)]
    )


def takings_report(*, community: Community, kind: str, day: datetime.date) -> TakingsReport:
    """The whole report of a period kind (``DAY``, ``WEEK`` or ``MONTH``) around ``day``."""
    if kind not in PERIODS:
        raise ValueError(kind)
    windows = period_windows(kind=kind, day=day)
    sums = takings_by_period(community=community, kind=kind, windows=windows)
    reversals = reversals_by_period(community=community, kind=kind, windows=windows)
    periods = []
    totals: dict[str, int] = defaultdict(int)
    for window in windows:
        by_method = {method: fen for (first, method), fen in sums.items() if first == window.first}
        for method, fen in by_method.items():
            totals[method] += fen
        count, fen = reversals.get(window.first, (0, 0))
        periods.append(PeriodRow(window, by_method, sum(by_method.values()), count, fen))
    methods = [(value, label) for value, label in PaymentMethod.choices if value in totals]
    chosen = period_window(kind=kind, day=day)
    by_channel = takings_by_channel(community=community, window=chosen)
    return TakingsReport(
        kind=kind,
        day=day,
        window=chosen,
        methods=methods,
        periods=periods,
        totals_by_method=dict(totals),
        takings_fen=sum(totals.values()),
        reversal_count=sum(period.reversal_count for period in periods),
        reversal_fen=sum(period.reversal_fen for period in periods),
        by_channel=by_channel,
        by_cashier=takings_by_cashier(community=community, window=chosen),
        by_fee_item=takings_by_fee_item(community=community, window=chosen, total_fen=by_channel.total_fen),
        by_building=takings_by_building(community=community, window=chosen, total_fen=by_channel.total_fen),
        suspense_fen=suspense_balance_fen(community=community),
        collection=collection_trend(community=community, day=day),
    )


def chart_data(report: TakingsReport) -> dict:
    """What the page's charts draw (yuan as numbers, for the chart's axis only; the tables show fen
    through the ``yuan`` filter)."""
    return {
        "labels": [period_label(report.kind, period.window) for period in report.periods],
        "series": [
            {
                "label": str(label),
                "values": [period.by_method.get(value, 0) / 100 for period in report.periods],
            }
            for value, label in report.methods
        ],
        "rate_labels": [month.strftime("%Y-%m") for month in report.collection.months],
        "rate_values": [
            None if rate.permille is None else rate.permille / 10
            for _month, rate in report.collection.month_rows()
        ],
        "rate_label": str(_("Collection rate")),
    }


def period_label(kind: str, window: Window) -> str:
    if kind == MONTH:
        return window.first.strftime("%Y-%m")
    if kind == WEEK:
        return f"{window.first:%m-%d}–{window.last:%m-%d}"
    return window.first.strftime("%m-%d")


__all__ = [
    "DAY",
    "MONTH",
    "ONLINE_CASHIER",
    "PERIODS",
    "WEEK",
    "Breakdown",
    "TakingsFilter",
    "TakingsReport",
    "Window",
    "applied_attempts",
    "attempts_filtered",
    "cashiers_of",
    "chart_data",
    "counter_prepayments",
    "period_label",
    "period_window",
    "receipts_filtered",
    "reversals_by_period",
    "takings_report",
]


# The payments and receipts lists, filtered by Beijing days, channel and cashier ----------------------


@dataclass(frozen=True)
class TakingsFilter:
    """What the payments and receipts lists are narrowed to; empty fields do not filter. ``cashier`` is
    a staff member's pk, or ``ONLINE_CASHIER`` for what no staff member took (online self-service and
    bank debits)."""

    first: datetime.date | None = None
    last: datetime.date | None = None
    method: str = ""
    cashier: int | str | None = None


def _filtered(queryset: QuerySet, filter: TakingsFilter, *, time: str, user: str) -> QuerySet:
    if filter.first is not None:
        queryset = queryset.filter(**{f"{time}__gte": day_window(filter.first)[0]})
    if filter.last is not None:
        queryset = queryset.filter(**{f"{time}__lt": day_window(filter.last)[1]})
    if filter.method:
        queryset = queryset.filter(method=filter.method)
    if filter.cashier == ONLINE_CASHIER:
        queryset = queryset.filter(**{f"{user}__isnull": True})
    elif filter.cashier is not None:
        queryset = queryset.filter(**{f"{user}_id": filter.cashier})
    return queryset


def attempts_filtered(
    *, community: Community, filter: TakingsFilter, state: str = ""
) -> QuerySet[PaymentAttempt]:
    """The payments list: attempts of the community, by the day they were created (Beijing time), channel
    and who created them."""
    attempts = PaymentAttempt.objects.filter(community=community).select_related("household", "receipt")
    if state:
        attempts = attempts.filter(state=state)
    return _filtered(attempts, filter, time="created_at", user="created_by")


def receipts_filtered(*, community: Community, filter: TakingsFilter, void: str = "") -> QuerySet[Receipt]:
    """The receipts list: receipts of the community, by the day they were issued (Beijing time), method
    and who issued them, and by their void state (``receipts_for_community``)."""
    receipts = receipts_for_community(community=community, void=void)
    return _filtered(receipts, filter, time="issued_at", user="issued_by")


def cashiers_of(*, community: Community) -> list:
    """The staff members who took payments or issued receipts in the community, by name."""
    users = get_user_model().objects.filter(
        Q(pk__in=PaymentAttempt.objects.filter(community=community).values("created_by_id"))
        | Q(pk__in=Receipt.objects.filter(community=community).values("issued_by_id"))
    )
    return sorted(users, key=lambda user: (user.get_full_name() or user.get_username(), user.pk))
