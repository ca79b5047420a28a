"""What the partner bank sees (合作银行看板): households with a mandate, mandates and card referrals by
state, debit lines and their results per month, and the money collected per month by payment method,
for each community asked for and in total. Only counts and sums: no row here names a household.

Each figure is one GROUP BY query over all the communities asked for (grouped by community, and by month
and state or method where it has them); Python only adds the groups up, so the cost does not grow with
the number of households. Money is integer fen.

- Households, mandates and referrals are as they stand today.
- Debit lines count in the month of their batch's collection date, once the batch was sent (lines of a
  batch built but not sent, or cancelled, were never with the bank). ``unknown`` is a line without a
  final answer yet (awaiting the bank, or unknown and being checked); the success rate is succeeded
  over the lines with a final answer (succeeded, failed, returned after success).
- Money collected counts in the month it was paid: every applied payment (``PaymentAttempt`` with its
  ledger transaction) by its method, and the prepayments taken at the counter (their receipts), as
  ``wuye ledger check`` sums the money accounts. It is the money received; refunds and late returns of
  debits are not taken off.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, DateField, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from wuye.billing.domain.compute import add_months, month_start
from wuye.core.models import Community
from wuye.debit.enums import BatchState, LineState, MandateState, ReferralState
from wuye.debit.models import CardReferral, DebitLine, Mandate
from wuye.households.models import Household
from wuye.payments.enums import PaymentMethod, ReceiptKind
from wuye.payments.models import PaymentAttempt, Receipt

# The batches whose lines reached the bank.
SENT_BATCH_STATES = (BatchState.SENT, BatchState.PARTIAL, BatchState.SETTLED, BatchState.REJECTED)
FAILURE_REASONS_LISTED = 10
MONTHS_MAX = 24

# Payment methods in the order the dashboard shows them: the bank first, then the online channels,
# then the counter.
METHODS = (
    PaymentMethod.DEBIT,
    PaymentMethod.WECHAT,
    PaymentMethod.ALIPAY,
    PaymentMethod.CASH,
    PaymentMethod.CARD,
    PaymentMethod.TRANSFER,
)


def months_back(*, last: datetime.date, count: int) -> list[datetime.date]:
    """The first days of ``count`` months (1 to MONTHS_MAX) ending with the month of ``last``, oldest first."""
    count = min(max(count, 1), MONTHS_MAX)
    last = month_start(last)
    return [add_months(last, -offset) for offset in range(count - 1, -1, -1)]


@dataclass(frozen=True)
class Share:
    """``part`` of ``whole``, shown as a percentage with one decimal, rounded half up exactly."""

    part: int
    whole: int

    @property
    def permille(self) -> int | None:
        if self.whole <= 0:
            return None
        return (2 * 1000 * self.part + self.whole) // (2 * self.whole)

    @property
    def percent(self) -> str:
        permille = self.permille
        return "—" if permille is None else f"{permille // 10}.{permille % 10}%"


@dataclass
class LineCounts:
    """Debit lines sent to the bank, by result: counts and amounts in fen."""

    sent: int = 0
    sent_fen: int = 0
    succeeded: int = 0
    succeeded_fen: int = 0
    failed: int = 0
    failed_fen: int = 0
    unknown: int = 0  # no final answer yet: awaiting the bank, or unknown and being checked
    unknown_fen: int = 0
    returned: int = 0  # succeeded, then taken back by the bank
    returned_fen: int = 0

    _BY_STATE = {
        LineState.SUCCEEDED: "succeeded",
        LineState.FAILED: "failed",
        LineState.PENDING: "unknown",
        LineState.UNKNOWN: "unknown",
        LineState.RETURNED: "returned",
    }

    def add_state(self, state: str, count: int, amount_fen: int) -> None:
        self.sent += count
        self.sent_fen += amount_fen
        name = self._BY_STATE.get(state)
        if name is not None:
            setattr(self, name, getattr(self, name) + count)
            setattr(self, f"{name}_fen", getattr(self, f"{name}_fen") + amount_fen)

    def add(self, other: LineCounts) -> None:
        for name in ("sent", "succeeded", "failed", "unknown", "returned"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
            setattr(self, f"{name}_fen", getattr(self, f"{name}_fen") + getattr(other, f"{name}_fen"))

    @property
    def success(self) -> Share:
        return Share(self.succeeded, self.succeeded + self.failed + self.returned)


@dataclass
class Funds:
    """Money collected, in fen per payment method (every method of METHODS is a key)."""

    by_method: dict[str, int] = field(default_factory=lambda: dict.fromkeys(METHODS, 0))

    def add_method(self, method: str, amount_fen: int) -> None:
        self.by_method[method] = self.by_method.get(method, 0) + amount_fen

    def add(self, other: Funds) -> None:
        for method, amount in other.by_method.items():
            self.add_method(method, amount)

    @property
    def total_fen(self) -> int:
        return sum(self.by_method.values())

    @property
    def bank_fen(self) -> int:
        return self.by_method.get(PaymentMethod.DEBIT, 0)

    @property
    def bank_share(self) -> Share:
        return Share(self.bank_fen, self.total_fen)

    def amounts(self) -> list[int]:
        """Fen per method in the order of METHODS."""
        return [self.by_method.get(method, 0) for method in METHODS]


@dataclass
class CommunityFigures:
    """The figures of one community (``community`` None: the total of those shown)."""

    community: Community | None
    households: int = 0
    mandated: int = 0  # households with an active mandate
    mandates: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MandateState.values, 0))
    referrals: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ReferralState.values, 0))
    lines: LineCounts = field(default_factory=LineCounts)
    funds: Funds = field(default_factory=Funds)

    @property
    def mandated_share(self) -> Share:
        return Share(self.mandated, self.households)

    @property
    def mandates_total(self) -> int:
        return sum(self.mandates.values())

    @property
    def referrals_total(self) -> int:
        return sum(self.referrals.values())

    def mandate_counts(self) -> list[int]:
        """Mandates per state in the order of MandateState."""
        return [self.mandates.get(state, 0) for state in MandateState.values]

    def referral_counts(self) -> list[int]:
        """Card referrals per state in the order of ReferralState."""
        return [self.referrals.get(state, 0) for state in ReferralState.values]

    def add(self, other: CommunityFigures) -> None:
        self.households += other.households
        self.mandated += other.mandated
        for state, count in other.mandates.items():
            self.mandates[state] = self.mandates.get(state, 0) + count
        for state, count in other.referrals.items():
            self.referrals[state] = self.referrals.get(state, 0) + count
        self.lines.add(other.lines)
        self.funds.add(other.funds)


@dataclass
class MonthFigures:
    month: datetime.date
    lines: LineCounts = field(default_factory=LineCounts)
    funds: Funds = field(default_factory=Funds)


@dataclass(frozen=True)
class FailureReason:
    code: str
    message: str
    lines: int
    amount_fen: int


@dataclass
class Dashboard:
    months: list[datetime.date]
    communities: list[CommunityFigures]
    total: CommunityFigures
    by_month: list[MonthFigures]
    failure_reasons: list[FailureReason]


def _month_of(value) -> datetime.date:
    """A truncated month as a date (PostgreSQL and SQLite give a date; be lenient with datetimes)."""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.date()
    return value


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def partner_dashboard(*, communities: list[Community], months: list[datetime.date]) -> Dashboard:
    """Every figure of the dashboard for ``communities`` (the caller checked the user may see them)
    over ``months`` (consecutive first days of months, oldest first, as ``months_back`` gives)."""
    pks = sorted(community.pk for community in communities)
    first, end = months[0], add_months(months[-1], 1)
    figures = {
        community.pk: CommunityFigures(community=community)
        for community in sorted(communities, key=lambda c: c.pk)
    }
    by_month = {month: MonthFigures(month=month) for month in months}

    for row in Household.objects.filter(community_id__in=pks).values("community_id").annotate(n=Count("pk")):
        figures[row["community_id"]].households = row["n"]
    for row in (
        Mandate.objects.filter(community_id__in=pks, state=MandateState.ACTIVE)
        .values("community_id")
        .annotate(n=Count("household_id", distinct=True))
    ):
        figures[row["community_id"]].mandated = row["n"]
    for row in (
        Mandate.objects.filter(community_id__in=pks).values("community_id", "state").annotate(n=Count("pk"))
    ):
        figures[row["community_id"]].mandates[row["state"]] = row["n"]
    for row in (
        CardReferral.objects.filter(community_id__in=pks)
        .values("community_id", "state")
        .annotate(n=Count("pk"))
    ):
        figures[row["community_id"]].referrals[row["state"]] = row["n"]

    sent_lines = DebitLine.objects.filter(
        community_id__in=pks,
        batch__state__in=SENT_BATCH_STATES,
        batch__collection_on__gte=first,
        batch__collection_on__lt=end,
    )
    for row in (
        sent_lines.annotate(month=TruncMonth("batch__collection_on"))
        .values("community_id", "month", "state")
        .annotate(n=Count("pk"), fen=Sum("amount_fen"))
        .order_by()
    ):
        figures[row["community_id"]].lines.add_state(row["state"], row["n"], row["fen"])
        by_month[_month_of(row["month"])].lines.add_state(row["state"], row["n"], row["fen"])
    failure_reasons = [
        FailureReason(
            code=row["result_code"], message=row["result_message"], lines=row["n"], amount_fen=row["fen"]
        )
        for row in sent_lines.filter(state=LineState.FAILED)
        .values("result_code", "result_message")
        .annotate(n=Count("pk"), fen=Sum("amount_fen"))
        .order_by("-n", "-fen", "result_code", "result_message")[:FAILURE_REASONS_LISTED]
    ]

    start_at, end_at = _local_midnight(first), _local_midnight(end)
    money = (
        (
            PaymentAttempt.objects.filter(
                community_id__in=pks, transaction__isnull=False, paid_at__gte=start_at, paid_at__lt=end_at
            ),
            "paid_at",
        ),
        (
            Receipt.objects.filter(
                community_id__in=pks,
                kind=ReceiptKind.PREPAYMENT,
                issued_at__gte=start_at,
                issued_at__lt=end_at,
            ),
            "issued_at",
        ),
    )
    for queryset, moment in money:
        for row in (
            queryset.annotate(month=TruncMonth(moment, output_field=DateField()))
            .values("community_id", "month", "method")
            .annotate(fen=Sum("amount_fen"))
            .order_by()
        ):
            figures[row["community_id"]].funds.add_method(row["method"], row["fen"])
            by_month[_month_of(row["month"])].funds.add_method(row["method"], row["fen"])

    total = CommunityFigures(community=None)
    for item in figures.values():
        total.add(item)
    return Dashboard(
        months=months,
        communities=list(figures.values()),
        total=total,
        by_month=[by_month[month] for month in months],
        failure_reasons=failure_reasons,
    )
