"""A small month of takings on known days (Beijing time) for the report tests.

2026-03-01 is a Sunday. Payments:
  1. cash 100.00 by cashier 甲, household h1 (1号楼), line 物业费 (fee item X), 03-08 23:59:59 (Sunday)
  2. WeChat Pay 200.00 online, h2 (2号楼), fee item Y, 03-09 00:00:00 (Monday; same UTC day as no. 1)
  3. card 50.00 by cashier 乙, h1, fee item Z, 03-09 10:00; refunded 20.00 at the counter on 03-10 12:00
  4. counter prepayment cash 30.00 by cashier 甲, h2, 03-09 11:00
  5. Alipay 70.00 online, h3 (1号楼), fee item W, 03-31 23:30 (its UTC month is March too)
  6. cash 15.00 by cashier 乙, h4 (2号楼), fee item V (an April bill), 04-01 00:10 (UTC: still March 31)
h3 also owes a February bill of 40.00 it never paid.
"""

from __future__ import annotations

import contextlib
import datetime
import uuid
from types import SimpleNamespace

from django.utils import timezone

from tests.factories import BuildingFactory, HouseholdRoomFactory, staff
from tests.payments.factories import issue_bill, prepay
from wuye.core.enums import Role
from wuye.payments.domain.payments import attempt_create, counter_payment_take, order_create, payment_apply
from wuye.payments.domain.refunds import refund_approve, refund_request
from wuye.payments.models import PaymentAttempt, Receipt
from wuye.recon.domain.runs import BEIJING

FEB, MAR, APR = datetime.date(2026, 2, 1), datetime.date(2026, 3, 1), datetime.date(2026, 4, 1)


def at(month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, minute, second, tzinfo=BEIJING)


@contextlib.contextmanager
def clock(when: datetime.datetime):
    """Django's clock (``timezone.now``, which auto_now_add reads) stands at ``when``."""
    real = timezone.now
    timezone.now = lambda: when
    try:
        yield
    finally:
        timezone.now = real


def _household(community, building):
    return HouseholdRoomFactory(household__community=community, room__unit__building=building).household


def _counter(household, line, method, actor, when, tendered=None):
    attempt = counter_payment_take(
        household=household,
        line_ids=[line.pk],
        method=method,
        key=uuid.uuid4().hex[:20],
        tendered_fen=tendered,
        actor=actor,
    ).attempt
    PaymentAttempt.objects.filter(pk=attempt.pk).update(paid_at=when, created_at=when)
    Receipt.objects.filter(pk=attempt.receipt_id).update(issued_at=when)
    return attempt


def build_takings(community) -> SimpleNamespace:
    one = BuildingFactory(community=community, name="1号楼")
    two = BuildingFactory(community=community, name="2号楼")
    cashier_a = staff(community, Role.CASHIER, first_name="甲", last_name="")
    cashier_b = staff(community, Role.CASHIER, first_name="乙", last_name="")
    supervisor = staff(community, Role.SUPERVISOR)
    h1, h2, h3, h4 = (_household(community, building) for building in (one, two, one, two))

    bill1 = issue_bill(h1, MAR, [10000, 5000])
    line_x, line_z = bill1.lines.order_by("pk")
    issue_bill(h2, MAR, [20000])
    issue_bill(h3, FEB, [4000])
    issue_bill(h3, MAR, [7000])
    bill4 = issue_bill(h4, APR, [1500])

    p1 = _counter(h1, line_x, "cash", cashier_a, at(3, 8, 23, 59, 59), tendered=10000)
    p2 = _online(h2, [h2_line(h2).pk], "wechat_native", at(3, 9, 0, 0, 0))
    p3 = _counter(h1, line_z, "card", cashier_b, at(3, 9, 10))
    refund = refund_request(attempt=p3, amount_fen=2000, reason="多收", actor=cashier_b)
    with clock(at(3, 10, 12)):  # the ledger is append-only: the refund is settled "then"
        refund_approve(refund=refund, actor=supervisor)
    refund.refresh_from_db()  # a counter refund is settled at approval
    assert refund.state == "succeeded"
    receipt = prepay(h2, 3000, actor=cashier_a)
    Receipt.objects.filter(pk=receipt.pk).update(issued_at=at(3, 9, 11))
    march_line = h3_march_line(h3)
    p5 = _online(h3, [march_line.pk], "alipay_qr", at(3, 31, 23, 30))
    p6 = _counter(h4, bill4.lines.get(), "cash", cashier_b, at(4, 1, 0, 10), tendered=2000)
    return SimpleNamespace(
        community=community,
        buildings=(one, two),
        cashiers=(cashier_a, cashier_b),
        households=(h1, h2, h3, h4),
        payments=(p1, p2, p3, p5, p6),
        prepayment=receipt,
        refund=refund,
        supervisor=supervisor,
        fee_items={
            "X": line_x.fee_item,
            "Z": line_z.fee_item,
            "Y": h2_line(h2).fee_item,
            "W": march_line.fee_item,
            "V": bill4.lines.get().fee_item,
        },
    )


def h3_march_line(h3):
    return h3.bills.get(period=MAR).lines.get()


def h2_line(h2):
    return h2.bills.get(period=MAR).lines.get()


def _online(household, line_ids, channel, when):
    """An online payment applied as the channel's notification applies it, paid at ``when``."""
    attempt = attempt_create(order=order_create(household=household, line_ids=line_ids), channel=channel)
    payment_apply(attempt=attempt, amount_fen=attempt.amount_fen, paid_at=when)
    PaymentAttempt.objects.filter(pk=attempt.pk).update(created_at=when)
    attempt.refresh_from_db()
    Receipt.objects.filter(pk=attempt.receipt_id).update(issued_at=when)
    return attempt
