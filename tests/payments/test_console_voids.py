"""Console: a cashier asks to void a receipt on its page, a supervisor approves or rejects it; the list
marks and filters void receipts; the household's timeline shows the void; roles without the right get 404."""

import datetime

import pytest
from django.urls import reverse

from tests.factories import staff
from tests.payments.factories import issue_bill
from wuye.billing.models import BillLine
from wuye.core.enums import Role
from wuye.payments.domain.checks import ledger_check
from wuye.payments.domain.payments import counter_payment_take
from wuye.payments.models import PaymentAttempt, Receipt, Refund

JAN = datetime.date(2026, 1, 1)


@pytest.fixture
def receipt(household):
    issue_bill(household, JAN, [12345])
    return counter_payment_take(
        household=household,
        line_ids=[BillLine.objects.get().pk],
        method="cash",
        tendered_fen=12345,
        key="c1",
        actor=staff(household.community, Role.CASHIER),
    ).attempt.receipt


def login(client, household, role):
    client.force_login(staff(household.community, role))
    return client


def void_state(receipt) -> tuple:
    receipt.refresh_from_db()
    return (receipt.void_requested_at is not None, receipt.voided_at is not None)


def test_a_cashier_asks_and_a_supervisor_approves_on_the_receipt_page(client, household, receipt):
    cashier = login(client, household, Role.CASHIER)
    page = cashier.get(reverse("console:receipt", kwargs={"receipt_pk": receipt.pk})).content.decode()
    assert 'id="void-form"' in page and 'id="void-decision"' not in page

    response = cashier.post(
        reverse("console:receipt_void", kwargs={"receipt_pk": receipt.pk}), {"reason": "收错户"}, follow=True
    )

    text = response.content.decode()
    assert "待主管审批" in text and 'id="receipt-void-requested"' in text
    assert 'id="void-decision"' not in text  # a cashier does not approve
    assert void_state(receipt) == (True, False)
    # A cashier may not approve: the supervisors' view answers 404.
    approve = reverse("console:receipt_void_approve", kwargs={"receipt_pk": receipt.pk})
    assert cashier.post(approve).status_code == 404
    assert void_state(receipt) == (True, False)

    supervisor = login(client, household, Role.SUPERVISOR)
    page = supervisor.get(reverse("console:receipt", kwargs={"receipt_pk": receipt.pk})).content.decode()
    assert 'id="void-decision"' in page and "收错户" in page
    response = supervisor.post(approve, follow=True)

    text = response.content.decode()
    assert "已作废" in text and 'id="receipt-void"' in text
    assert void_state(receipt) == (True, True)
    assert BillLine.objects.get().paid_fen == 0
    assert ledger_check(community=household.community) == []
    timeline = supervisor.get(reverse("console:household", args=[household.pk])).content.decode()
    timeline = timeline[timeline.index('id="timeline"') :]
    assert "收据作废，缴费冲红" in timeline and "收错户" in timeline


def test_a_supervisor_rejects_the_void(client, household, receipt):
    login(client, household, Role.CASHIER).post(
        reverse("console:receipt_void", kwargs={"receipt_pk": receipt.pk}), {"reason": "收错户"}
    )
    supervisor = login(client, household, Role.SUPERVISOR)
    response = supervisor.post(
        reverse("console:receipt_void_reject", kwargs={"receipt_pk": receipt.pk}), follow=True
    )
    assert "已驳回" in response.content.decode()
    assert void_state(receipt) == (False, False)
    assert BillLine.objects.get().paid_fen == 12345


def test_a_void_without_a_reason_is_refused_on_the_page(client, household, receipt):
    cashier = login(client, household, Role.CASHIER)
    response = cashier.post(
        reverse("console:receipt_void", kwargs={"receipt_pk": receipt.pk}), {"reason": ""}, follow=True
    )
    assert response.status_code == 200
    assert void_state(receipt) == (False, False)


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.TECHNICIAN, Role.BANK])
def test_roles_without_the_right_cannot_ask_or_approve(client, household, receipt, role):
    other = login(client, household, role)
    for name in ("console:receipt_void", "console:receipt_void_approve", "console:receipt_void_reject"):
        response = other.post(reverse(name, kwargs={"receipt_pk": receipt.pk}), {"reason": "x"})
        assert response.status_code == 404, name
    assert void_state(receipt) == (False, False)
    if role == Role.FRONT_DESK:  # sees the receipt, but not the void form
        page = other.get(reverse("console:receipt", kwargs={"receipt_pk": receipt.pk})).content.decode()
        assert 'id="void-form"' not in page


def test_voiding_an_online_receipt_requests_a_refund_instead(client, household):
    issue_bill(household, JAN, [5000])
    from wuye.payments.domain.payments import order_create, payment_apply

    order = order_create(household=household)
    attempt = PaymentAttempt.objects.create(
        community=household.community,
        order=order,
        household=household,
        channel="alipay_qr",
        method="alipay",
        amount_fen=5000,
    )
    receipt = payment_apply(attempt=attempt, amount_fen=5000).attempt.receipt
    cashier = login(client, household, Role.CASHIER)
    page = cashier.get(reverse("console:receipt", kwargs={"receipt_pk": receipt.pk})).content.decode()
    assert "申请全额退款" in page

    response = cashier.post(
        reverse("console:receipt_void", kwargs={"receipt_pk": receipt.pk}), {"reason": "业主退款"}
    )

    assert response.url == reverse("console:payment", kwargs={"paymentattempt_pk": attempt.pk})
    refund = Refund.objects.get()
    assert (refund.amount_fen, refund.state, refund.reason) == (5000, "requested", "业主退款")
    assert void_state(receipt) == (False, False)


def test_the_list_marks_and_filters_void_receipts(client, household, receipt):
    issue_bill(household, datetime.date(2026, 2, 1), [100])
    kept = counter_payment_take(
        household=household,
        line_ids=[BillLine.objects.order_by("pk").last().pk],
        method="cash",
        tendered_fen=100,
        key="c2",
        actor=None,
    ).attempt.receipt
    login(client, household, Role.CASHIER).post(
        reverse("console:receipt_void", kwargs={"receipt_pk": receipt.pk}), {"reason": "收错户"}
    )
    supervisor = login(client, household, Role.SUPERVISOR)
    supervisor.post(reverse("console:receipt_void_approve", kwargs={"receipt_pk": receipt.pk}))

    every = supervisor.get(reverse("console:receipts")).content.decode()
    assert every.count('class="tag tag-red receipt-void"') == 1
    void = supervisor.get(reverse("console:receipts") + "?void=void").content.decode()
    assert receipt.display_number in void and kept.display_number not in void
    valid = supervisor.get(reverse("console:receipts") + "?void=valid").content.decode()
    assert kept.display_number in valid and receipt.display_number not in valid
    assert Receipt.objects.count() == 2
