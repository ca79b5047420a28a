"""Late fees (滞纳金) collected by payments: the late fee due the day the order is made is asked, shown,
collected with the principal, posted to late-fee income and printed on the receipt; waived (two people)
it is 0; it is never charged twice and never grows once the principal is paid."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from tests.factories import staff
from tests.payments.factories import issue_bill
from tests.payments.test_receipts import _pdf_text
from wuye.billing.domain.latefees import (
    late_fee_fen,
    line_late_fee_waiver_approve,
    line_late_fee_waiver_request,
)
from wuye.billing.enums import LateFeeMethod
from wuye.billing.models import BillLine, FeeItem
from wuye.core.enums import Role
from wuye.core.models import AuditLog
from wuye.ledger.enums import Account
from wuye.ledger.models import Posting
from wuye.payments import pdf
from wuye.payments.domain.checks import ledger_check
from wuye.payments.domain.payments import counter_payment_take, order_create, payment_apply
from wuye.payments.domain.prepayments import prepayment_balance_fen
from wuye.payments.domain.queries import receipt_items, receipt_view
from wuye.payments.domain.refunds import refund_approve, refund_request
from wuye.payments.models import Allocation, OrderLine, PaymentAttempt

DAYS_LATE = 20
DAILY = {"late_fee_method": LateFeeMethod.DAILY_RATE, "late_fee_rate": Decimal("0.0005")}
# 20 days at 0.05 % a day: 12345 fen → 123.45 → 123 fen; 500 fen → 5 fen.
LATE_FEES = {12345: 123, 500: 5}


def late_bill(household, amounts=(12345, 500), days_late=DAYS_LATE, **terms):
    """A bill of ``household`` due ``days_late`` days ago whose fee items charge a daily late fee."""
    bill = issue_bill(household, datetime.date(2026, 1, 1), list(amounts))
    bill.due_on = timezone.localdate() - datetime.timedelta(days=days_late)
    bill.save(update_fields=["due_on"])
    FeeItem.objects.filter(lines__bill=bill).update(**(terms or DAILY))
    return list(bill.lines.order_by("pk"))


def reload(line):
    return BillLine.objects.select_related("bill", "fee_item").get(pk=line.pk)


def take(household, lines, actor, method="card", tendered_fen=None):
    return counter_payment_take(
        household=household,
        line_ids=[line.pk for line in lines],
        method=method,
        tendered_fen=tendered_fen,
        key=uuid.uuid4().hex[:24],
        actor=actor,
    )


def postings(attempt):
    return sorted(
        Posting.objects.filter(transaction_id=attempt.transaction_id).values_list(
            "account", "household_id", "amount_fen"
        )
    )


def online_attempt(order):
    return PaymentAttempt.objects.create(
        community_id=order.community_id,
        order=order,
        household_id=order.household_id,
        channel="wechat_native",
        method="wechat",
        amount_fen=order.total_fen,
        state="pending",
    )


def test_counter_collects_the_late_fee_of_the_day_and_posts_it_to_late_fee_income(household):
    first, second = late_bill(household)
    cashier = staff(household.community, Role.CASHIER)

    result = take(household, [first, second], cashier, method="cash", tendered_fen=20000)

    attempt = result.attempt
    assert attempt.amount_fen == 12345 + 500 + 123 + 5
    assert result.change_fen == 20000 - 12973
    assert (attempt.order.total_fen, attempt.order.late_fee_fen) == (12973, 128)
    assert sorted(OrderLine.objects.filter(order=attempt.order).values_list("line_id", "late_fee_fen")) == [
        (first.pk, 123),
        (second.pk, 5),
    ]
    assert postings(attempt) == sorted(
        [
            (Account.CASH, None, 12973),
            (Account.RECEIVABLE, household.pk, -12845),
            (Account.LATE_FEE_INCOME, household.pk, -128),
        ]
    )
    assert sorted(
        Allocation.objects.filter(transaction_id=attempt.transaction_id).values_list(
            "line_id", "amount_fen", "late_fee_fen"
        )
    ) == [(first.pk, 12345, 123), (second.pk, 500, 5)]
    assert [(line.paid_fen, line.late_fee_paid_fen) for line in map(reload, (first, second))] == [
        (12345, 123),
        (500, 5),
    ]
    assert attempt.receipt.amount_fen == 12973
    assert attempt.excess_fen == 0
    assert prepayment_balance_fen(household=household) == 0
    entry = AuditLog.objects.get(action="payments.payment.received")
    assert entry.changes["late_fee_yuan"] == "1.28"
    assert ledger_check(community=household.community) == []


def test_late_fee_is_its_own_line_on_the_receipt_page_and_pdf(household, client, tmp_path):
    (first,) = late_bill(household, amounts=(12345,))
    cashier = staff(household.community, Role.CASHIER)
    receipt = take(household, [first], cashier, method="card").attempt.receipt

    with translation.override("zh-hans"):
        items = [(item.description, item.amount_fen) for item in receipt_items(receipt=receipt, rooms=False)]
        text = _pdf_text(pdf.receipt_pdf(receipt_view(receipt=receipt)), tmp_path)
    assert items[-1] == ("滞纳金", 123)
    assert [amount for _description, amount in items] == [12345, 123]
    assert "滞纳金" in text and "1.23" in text and "124.68" in text
    client.force_login(cashier)
    page = client.get(
        reverse("console:receipt", kwargs={"receipt_pk": receipt.pk}), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert page.status_code == 200
    assert [(item.description, item.amount_fen) for item in page.context["items"]][-1][1] == 123
    assert '<td>滞纳金</td><td class="num">1.23</td>' in page.content.decode()


def test_counter_page_shows_the_late_fee_before_paying(household, client):
    first, _second = late_bill(household)
    client.force_login(staff(household.community, Role.CASHIER))

    response = client.get(reverse("console:payment_new", kwargs={"household_pk": household.pk}))

    assert response.status_code == 200
    assert [line.late_fee_due_fen for line in response.context["lines"]] == [123, 5]
    assert (response.context["total_fen"], response.context["late_fee_fen"]) == (12973, 128)
    html = response.content.decode()
    assert f'id="late-fee-{first.pk}">1.23' in html
    assert f'data-fen="{12345 + 123}"' in html
    assert 'id="payment-total">129.73<' in html


def test_late_fee_waived_before_payment_is_not_charged(household):
    (first,) = late_bill(household, amounts=(12345,))
    asker, approver = staff(household.community, Role.SUPERVISOR), staff(household.community, Role.SUPERVISOR)
    line_late_fee_waiver_request(line=first, reason="首次逾期", actor=asker)
    assert late_fee_fen(line=reload(first), as_of=timezone.localdate()) == 123  # asked only: still due
    line_late_fee_waiver_approve(line=first, actor=approver)

    attempt = take(household, [first], staff(household.community, Role.CASHIER), method="card").attempt

    assert (attempt.amount_fen, attempt.order.late_fee_fen) == (12345, 0)
    assert postings(attempt) == sorted(
        [(Account.CLEARING, None, 12345), (Account.RECEIVABLE, household.pk, -12345)]
    )
    assert reload(first).late_fee_paid_fen == 0
    assert ledger_check(community=household.community) == []


def test_late_fee_waived_while_an_online_payment_is_open_is_kept_as_prepayment(household):
    """Waived at payment: the order asked 123 fen of late fee, the waiver was approved before the money
    arrived; the payment charges no late fee and keeps the 123 fen as prepayment."""
    (first,) = late_bill(household, amounts=(12345,))
    attempt = online_attempt(order_create(household=household))
    assert attempt.amount_fen == 12468
    line_late_fee_waiver_request(
        line=first, reason="物业原因", actor=staff(household.community, Role.SUPERVISOR)
    )
    line_late_fee_waiver_approve(line=first, actor=staff(household.community, Role.SUPERVISOR))

    applied = payment_apply(attempt=attempt, amount_fen=12468)

    assert (applied.allocated_fen, applied.late_fee_fen, applied.excess_fen) == (12345, 0, 123)
    assert reload(first).late_fee_paid_fen == 0
    assert prepayment_balance_fen(household=household) == 123
    assert not Posting.objects.filter(account=Account.LATE_FEE_INCOME).exists()
    assert ledger_check(community=household.community) == []


def test_late_fee_never_charged_twice_when_a_refund_reopens_the_line(household):
    (first,) = late_bill(household, amounts=(12345,))
    cashier, supervisor = (
        staff(household.community, Role.CASHIER),
        staff(household.community, Role.SUPERVISOR),
    )
    paid = take(household, [first], cashier).attempt
    refund = refund_request(attempt=paid, amount_fen=12345, reason="多收", actor=cashier)
    refund_approve(refund=refund, actor=supervisor)
    line = reload(first)
    assert (line.outstanding_fen, line.late_fee_paid_fen) == (12345, 123)
    assert late_fee_fen(line=line, as_of=timezone.localdate()) == 0  # 123 accrued, 123 collected

    again = take(household, [first], cashier).attempt

    assert (again.amount_fen, again.order.late_fee_fen) == (12345, 0)
    assert reload(first).late_fee_paid_fen == 123
    assert (
        sum(Posting.objects.filter(account=Account.LATE_FEE_INCOME).values_list("amount_fen", flat=True))
        == -123
    )
    assert ledger_check(community=household.community) == []


def test_late_fee_never_charged_twice_when_the_counter_pays_a_line_an_open_order_asked_for(household):
    """An online order asked the late fee; the counter took the line (and its late fee) meanwhile; the
    online money then arrives: it pays no line and no late fee, and is kept as prepayment."""
    (first,) = late_bill(household, amounts=(12345,))
    attempt = online_attempt(order_create(household=household))
    take(household, [first], staff(household.community, Role.CASHIER))

    applied = payment_apply(attempt=attempt, amount_fen=12468)

    assert (applied.allocated_fen, applied.late_fee_fen, applied.excess_fen) == (0, 0, 12468)
    assert reload(first).late_fee_paid_fen == 123
    assert Allocation.objects.filter(line=first).count() == 1
    assert ledger_check(community=household.community) == []


def test_late_fee_never_grows_after_the_principal_is_paid(household):
    (first,) = late_bill(household, amounts=(12345,))
    take(household, [first], staff(household.community, Role.CASHIER))
    line = reload(first)
    today = timezone.localdate()
    for later in (today, today + datetime.timedelta(days=1), today + datetime.timedelta(days=400)):
        assert late_fee_fen(line=line, as_of=later) == 0


def test_late_fee_of_a_partly_collected_line_is_what_accrues_less_what_was_collected(household):
    (first,) = late_bill(household, amounts=(12345,))
    line = reload(first)
    BillLine.objects.filter(pk=line.pk).update(late_fee_paid_fen=100)  # as if a payment had collected 100
    assert late_fee_fen(line=reload(first), as_of=timezone.localdate()) == 23
    BillLine.objects.filter(pk=line.pk).update(late_fee_paid_fen=200)
    assert late_fee_fen(line=reload(first), as_of=timezone.localdate()) == 0


@pytest.mark.parametrize(
    ("terms", "fee"),
    [
        ({"late_fee_method": LateFeeMethod.FIXED, "late_fee_fixed_fen": 2000}, 2000),
        ({**DAILY, "late_fee_cap_fen": 100}, 100),
        ({**DAILY, "late_fee_grace_days": DAYS_LATE}, 0),
        ({**DAILY, "late_fee_grace_days": DAYS_LATE - 1}, 6),  # 1 day: 6.1725 → 6
    ],
)
def test_counter_charges_the_late_fee_the_terms_give(household, terms, fee):
    (first,) = late_bill(household, amounts=(12345,), **terms)
    attempt = take(household, [first], staff(household.community, Role.CASHIER), method="card").attempt
    assert (attempt.amount_fen, attempt.order.late_fee_fen, reload(first).late_fee_paid_fen) == (
        12345 + fee,
        fee,
        fee,
    )
    assert ledger_check(community=household.community) == []


def test_ledger_check_finds_a_late_fee_collected_without_income(household):
    (first,) = late_bill(household, amounts=(12345,))
    take(household, [first], staff(household.community, Role.CASHIER))
    BillLine.objects.filter(pk=first.pk).update(
        late_fee_paid_fen=124
    )  # a line that says more than the ledger

    differences = ledger_check(community=household.community)

    assert [(d.check, d.ledger_fen, d.documents_fen) for d in differences] == [("late_fees", 123, 124)]
