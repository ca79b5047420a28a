"""The demo's payment history: the bills of the months billed (``demo.billing``), most paid in the month they were issued, through every
channel the product has, and a realistic share left in arrears.

Who pays how is decided per household by a seeded random generator: most pay each month by WeChat Pay
or Alipay (QR), some at the counter (cash, bank card, transfer), elderly people living alone mostly in
cash; households with a bank direct-debit mandate paid by another way until the month before last,
which the debit batches (``demo.debit_batches``) collect. About one household in ten is behind: most by
a month or two, some by several months, a few for every month billed (vacant flats and owners who
dispute the fee most often). Some households paid a round sum ahead at the counter; their prepayment
settles this month's bill and waits for the next ones. The demo owners of the portal owe last month's
bill, so an owner can see an overdue bill with its late fee and pay it by QR.

The money goes the way of every payment: an order over the month's lines and an attempt at its channel
(written set-based, as a debit batch writes its own), settled by ``payments_apply_many``, the set-based
twin of ``payment_apply`` (allocations, ledger, receipts, audit); prepayments by ``prepayment_record``.
The ledger books them today, when the demo is seeded; the attempts, orders, receipts and timeline
entries carry the day each household paid, so receipts, payment lists and the takings reports read as
months of business. The cashier hands the counter takings over and the supervisor signs them off, so
the cashier's current shift starts empty.

Idempotent: a community that has the history's payments already is left alone.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from wuye.billing.domain import compute
from wuye.billing.enums import BillState
from wuye.billing.models import LINE_OUTSTANDING, BillLine
from wuye.core import sql
from wuye.core.models import AuditLog, Community
from wuye.debit.enums import MANDATE_LIVE_STATES
from wuye.debit.models import Mandate
from wuye.demo.debit_batches import DEBITED_MONTHS_AGO
from wuye.households.domain.tagrules import tags_refresh
from wuye.households.models import Household, HouseholdTag
from wuye.owners.models import HouseholdBinding
from wuye.payments.domain.bulk import Success, payments_apply_many
from wuye.payments.domain.prepayments import prepayment_record
from wuye.payments.enums import COUNTER_METHODS, AttemptState, Channel, OrderState, PaymentMethod
from wuye.payments.models import OrderLine, PaymentAttempt, PaymentOrder, Receipt
from wuye.recon.domain.shifts import shift_hand_over, shift_sign_off, shift_start, shift_takings
from wuye.recon.models import Shift

PREFIX = "DH"  # out_trade_no of the history's attempts: DH, the community, a sequence number

# (channel, method, weight): how households pay, most by QR.
CHANNELS: tuple[tuple[str, str, int], ...] = (
    (Channel.WECHAT_NATIVE, PaymentMethod.WECHAT, 46),
    (Channel.ALIPAY_QR, PaymentMethod.ALIPAY, 22),
    (Channel.COUNTER, PaymentMethod.CASH, 14),
    (Channel.COUNTER, PaymentMethod.CARD, 13),
    (Channel.COUNTER, PaymentMethod.TRANSFER, 5),
)
# Days of the month people pay on (a bill falls due on the 15th), and how many pay on each.
PAY_DAYS = ((2, 8), (5, 14), (8, 16), (11, 16), (14, 18), (19, 6), (24, 3))
# Share of households behind by (most of the year, several months, two months, one month).
ARREARS = (0.008, 0.018, 0.027, 0.042)
VACANT_LONG_TERM = 0.12  # an empty flat's owner far away pays least of all
DISPUTE_LONG_TERM = 0.5  # 重点关注: some dispute the fee itself
PAID_EARLY = 0.3  # share of the others who paid this month's bill already
PREPAID = 20  # households per community that paid a round sum ahead at the counter
PREPAID_AMOUNTS = (100000, 120000, 200000, 300000)


@dataclass
class _Payment:
    household_pk: int
    month: datetime.date  # of the bill paid
    lines: list[tuple[int, int]]  # (line pk, outstanding fen)
    channel: str
    method: str
    paid_on: datetime.date


def _open_lines(community: Community) -> dict[int, dict[datetime.date, list[tuple[int, int, datetime.date]]]]:
    """{household: {bill month: [(line, outstanding, due on)]}} of every line that owes something."""
    found: dict[int, dict[datetime.date, list]] = defaultdict(lambda: defaultdict(list))
    rows = (
        BillLine.objects.filter(community=community, is_void=False)
        .exclude(bill__state=BillState.VOID)
        .annotate(owed=LINE_OUTSTANDING)
        .filter(owed__gt=0)
        .order_by("household_id", "bill__period", "pk")
        .values_list("pk", "household_id", "bill__period", "bill__due_on", "owed")
    )
    for pk, household, period, due_on, owed in rows:
        found[household][period].append((pk, owed, due_on))
    return found


def _tagged(community: Community, *, name: str | None = None, rule: str | None = None) -> set[int]:
    links = HouseholdTag.objects.filter(community=community)
    links = links.filter(tag__name=name) if name else links.filter(tag__rule=rule)
    return set(links.values_list("household_id", flat=True))


def _pay_day(rng: random.Random, month: datetime.date, last: datetime.date) -> datetime.date | None:
    """The day a household paid the bill of ``month``: one of PAY_DAYS, not after ``last``."""
    days = [(day, weight) for day, weight in PAY_DAYS if month.replace(day=day) <= last]
    if not days:
        return None
    return month.replace(day=rng.choices([d for d, _w in days], [w for _d, w in days])[0])


def _channel(rng: random.Random, *, elderly: bool) -> tuple[str, str]:
    if elderly and rng.random() < 0.7:
        return Channel.COUNTER, PaymentMethod.CASH
    channel, method, _weight = rng.choices(CHANNELS, [weight for *_c, weight in CHANNELS])[0]
    return channel, method


def plan_payments(
    *, community: Community, lines: dict, rng: random.Random, today: datetime.date
) -> list[_Payment]:
    """Who paid which month's bill (of ``lines``, see ``_open_lines``), when and how (reads only)."""
    last_day = today - datetime.timedelta(days=2)  # yesterday's QR payments are demo.recon's
    vacant = _tagged(community, rule="vacant")
    disputing = _tagged(community, name="重点关注")
    elderly = _tagged(community, name="独居老人")
    bound = set(HouseholdBinding.objects.filter(community=community).values_list("household_id", flat=True))
    # Households with a live mandate paid another way until the months the debit batches collect.
    mandated = set(
        Mandate.objects.filter(community=community, state__in=MANDATE_LIVE_STATES).values_list(
            "household_id", flat=True
        )
    )
    debited_from = compute.add_months(compute.month_start(today), -DEBITED_MONTHS_AGO)
    payments = []
    for household in sorted(lines):
        months = lines[household]
        overdue = [month for month in sorted(months) if months[month][0][2] < today]
        long_term = (
            DISPUTE_LONG_TERM if household in disputing else VACANT_LONG_TERM if household in vacant else 0
        )
        draw = rng.random()
        if household in bound:
            behind = 1  # the portal's demo owners owe last month's bill
        elif draw < ARREARS[0] or rng.random() < long_term:
            behind = len(overdue) - rng.randint(0, 3)
        elif draw < sum(ARREARS[:2]):
            behind = rng.randint(3, 6)
        elif draw < sum(ARREARS[:3]):
            behind = 2
        elif draw < sum(ARREARS):
            behind = 1
        else:
            behind = 0
        paid = overdue[: max(0, len(overdue) - behind)]
        if not behind and rng.random() < PAID_EARLY:
            paid += [month for month in sorted(months) if month not in overdue]
        main = _channel(rng, elderly=household in elderly)
        for month in paid:
            if household in mandated and month >= debited_from:
                continue
            taken = [(pk, owed) for pk, owed, _due_on in months[month]]
            paid_on = _pay_day(rng, month, last_day)
            if not taken or paid_on is None:
                continue
            channel, method = main if rng.random() < 0.85 else _channel(rng, elderly=False)
            payments.append(_Payment(household, month, taken, channel, method, paid_on))
    return payments


def _write_attempts(community: Community, payments: list[_Payment], cashier) -> list[int]:
    """One order over each payment's lines and one attempt at its channel, as ``order_create`` and
    ``attempt_create`` (or the counter) write them, dated the day of the payment; set-based (plain rows:
    tens of thousands of them). The attempts' pks, in payment order."""
    order_pks = sql.reserve_ids(PaymentOrder, len(payments))
    attempt_pks = sql.reserve_ids(PaymentAttempt, len(payments))
    line_pks = iter(sql.reserve_ids(OrderLine, sum(len(payment.lines) for payment in payments)))
    orders, lines, attempts = [], [], []
    for number, (order_pk, attempt_pk, payment) in enumerate(
        zip(order_pks, attempt_pks, payments, strict=True), 1
    ):
        counter = payment.channel == Channel.COUNTER
        at = _paid_at(payment.paid_on, counter=counter)
        by = cashier.pk if counter and cashier is not None else None
        total = sum(owed for _pk, owed in payment.lines)
        orders.append((order_pk, community.pk, payment.household_pk, total, 0, OrderState.OPEN, by, at))
        lines += [(next(line_pks), order_pk, line_pk, owed, 0) for line_pk, owed in payment.lines]
        attempts.append(
            (
                attempt_pk,
                community.pk,
                order_pk,
                payment.household_pk,
                payment.channel,
                payment.method,
                f"{PREFIX}{community.pk:03d}{number:08d}",
                total,
                AttemptState.CREATED if counter else AttemptState.PENDING,
                "",
                "",
                "",
                "",
                0,
                by,
                at,
                at,
            )
        )
    sql.copy_rows(
        "payments_paymentorder",
        (
            "id",
            "community_id",
            "household_id",
            "total_fen",
            "late_fee_fen",
            "state",
            "created_by_id",
            "created_at",
        ),
        orders,
    )
    sql.copy_rows("payments_orderline", ("id", "order_id", "line_id", "amount_fen", "late_fee_fen"), lines)
    sql.copy_rows(
        "payments_paymentattempt",
        (
            "id",
            "community_id",
            "order_id",
            "household_id",
            "channel",
            "method",
            "out_trade_no",
            "amount_fen",
            "state",
            "channel_trade_no",
            "code_url",
            "payer_ref",
            "failure_reason",
            "excess_fen",
            "created_by_id",
            "created_at",
            "updated_at",
        ),
        attempts,
    )
    return attempt_pks


def _paid_at(day: datetime.date, *, counter: bool) -> datetime.datetime:
    """Counter payments in office hours, QR payments in the evening, when people are home."""
    hour, minute = (10, 20) if counter else (20, 40)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _backdate(attempt_pks: list[int]) -> None:
    """The receipt and timeline entry of each past payment carry the day it was made, as its order and
    attempt do (three reads and two writes by primary key, whatever the number)."""
    paid: dict[int, datetime.datetime] = {}
    receipts = []
    for part in sql.chunks(attempt_pks):
        for pk, receipt, paid_at in PaymentAttempt.objects.filter(pk__in=part).values_list(
            "pk", "receipt_id", "paid_at"
        ):
            paid[pk] = paid_at
            receipts.append((receipt, paid_at))
    entries = AuditLog.objects.filter(
        action="payments.payment.received",
        object_type="payments.paymentattempt",
        object_pk__gte=min(attempt_pks),
        object_pk__lte=max(attempt_pks),
    ).values_list("pk", "object_pk")
    with connection.cursor() as cursor:
        adapt = connection.ops.adapt_datetimefield_value
        cursor.executemany(
            f"UPDATE {Receipt._meta.db_table} SET issued_at = %s WHERE id = %s",  # noqa: S608 (a model's table)
            [(adapt(at), pk) for pk, at in receipts],
        )
        cursor.executemany(
            f"UPDATE {AuditLog._meta.db_table} SET created_at = %s WHERE id = %s",  # noqa: S608 (a model's table)
            [(adapt(paid[attempt]), pk) for pk, attempt in entries if attempt in paid],
        )


def _prepay(community: Community, rng: random.Random, lines: dict, payments: list[_Payment], cashier) -> int:
    """A few households that are up to date paid a round sum ahead at the counter, which settles this
    month's bill and waits for the next ones. Returns how many."""
    this_month = compute.month_start(timezone.localdate())
    paid = {(payment.household_pk, payment.month) for payment in payments}
    bound = set(HouseholdBinding.objects.filter(community=community).values_list("household_id", flat=True))
    mandated = set(Mandate.objects.filter(community=community).values_list("household_id", flat=True))
    candidates = [
        household
        for household, months in sorted(lines.items())
        if [month for month in months if (household, month) not in paid] == [this_month]
        and household not in bound | mandated
    ]
    chosen = rng.sample(candidates, k=min(PREPAID, len(candidates)))
    households = Household.objects.in_bulk(chosen)
    for pk in sorted(chosen):
        prepayment_record(
            household=households[pk],
            amount_fen=rng.choice(PREPAID_AMOUNTS),
            method=rng.choice(COUNTER_METHODS),
            key=f"demo:{community.pk}:{pk}",
            note="预存物业费",
            actor=cashier,
            refresh_tags=False,  # the 欠费 tag is refreshed once, at the end
        )
    return len(chosen)


def _hand_over(community: Community, cashier, supervisor) -> None:
    """The cashier hands the counter takings over, counted right, and the supervisor signs them off."""
    start = shift_start(community=community, cashier=cashier)
    takings = shift_takings(community=community, cashier=cashier, start=start, end=timezone.now())
    if not takings.payments and not Shift.objects.filter(community=community, cashier=cashier).exists():
        return
    shift = shift_hand_over(
        community=community, cashier=cashier, counted=dict(takings.by_method), note="演示：往期柜台收款"
    )
    if supervisor is not None:
        shift_sign_off(shift=shift, actor=supervisor)


def seed_history(*, community: Community, actor, rng_seed: int = 13) -> bool:
    """Pay a year of the community's bills as its households did; False when done before."""
    if PaymentAttempt.objects.filter(community=community, out_trade_no__startswith=PREFIX).exists():
        return False
    rng = random.Random(f"{rng_seed}:{community.name}")
    users = {
        user.username: user
        for user in get_user_model().objects.filter(username__in=("cashier", "supervisor"))
    }
    cashier = users.get("cashier", actor)
    today = timezone.localdate()
    lines = _open_lines(community)
    payments = plan_payments(community=community, lines=lines, rng=rng, today=today)
    if not payments:
        return False
    payments.sort(
        key=lambda payment: (payment.paid_on, payment.channel == Channel.COUNTER, payment.household_pk)
    )
    with transaction.atomic():
        attempt_pks = _write_attempts(community, payments, cashier)
        groups: dict[tuple[datetime.date, bool], list[tuple[int, int]]] = defaultdict(list)
        for pk, payment in zip(attempt_pks, payments, strict=True):
            groups[payment.paid_on, payment.channel == Channel.COUNTER].append(
                (pk, sum(owed for _line, owed in payment.lines))
            )
        for (day, counter), members in sorted(groups.items()):
            paid_at = _paid_at(day, counter=counter)
            payments_apply_many(
                successes=[
                    Success(
                        attempt_pk=pk, amount_fen=amount, channel_trade_no="" if counter else f"42{pk:026d}"
                    )
                    for pk, amount in members
                ],
                actor=cashier if counter else None,
                paid_at=paid_at,
            )
        _backdate(attempt_pks)
    _prepay(community, rng, lines, payments, cashier)
    _hand_over(community, cashier, users.get("supervisor"))
    tags_refresh(community=community)
    return True
