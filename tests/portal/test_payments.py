"""The owner's payments page: the prepayment balance and the household's receipts, each with what it
paid and its PDF; nobody else's receipts; pages of twenty."""

import datetime

import pytest
from django.urls import reverse

from tests.factories import HouseholdRoomFactory
from tests.payments.factories import issue_bill, prepay
from wuye.billing.models import BillLine
from wuye.payments.domain.payments import counter_payment_take

pytestmark = pytest.mark.django_db


def test_lists_the_households_receipts_with_what_each_paid_and_the_balance(
    owner_client, household, admin_user
):
    bill = issue_bill(household, datetime.date(2026, 10, 1), [12000, 3050])
    lines = list(BillLine.objects.filter(bill=bill).select_related("fee_item").order_by("pk"))
    paid = counter_payment_take(
        household=household,
        line_ids=[line.pk for line in lines],
        method="card",
        key="k" * 24,
        actor=admin_user,
    ).attempt.receipt
    prepaid = prepay(household, 5000, actor=admin_user)
    other = HouseholdRoomFactory(household__community=household.community).household
    foreign = prepay(other, 777, actor=admin_user)

    response = owner_client.get(reverse("portal:payments"))

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="receipt') == 2
    assert html.index(f'id="receipt-{prepaid.display_number}"') < html.index(
        f'id="receipt-{paid.display_number}"'
    )
    assert f'id="receipt-{foreign.display_number}"' not in html and "7.77" not in html
    assert '<dd id="prepayment-balance">¥50.00</dd>' in html
    assert "¥150.50" in html  # the counter payment, 120.00 + 30.50
    for line, amount in zip(lines, ["120.00", "30.50"], strict=True):
        assert f'2026-10 {line.fee_item.name} <span class="more">¥{amount}</span>' in html
    assert reverse("portal:pay_receipt_pdf", args=[paid.token]) in html
    assert reverse("portal:pay_receipt_pdf", args=[prepaid.token]) in html
    assert "我的缴费" in html and "收据" in html


def test_without_payments_it_says_so(owner_client):
    html = owner_client.get(reverse("portal:payments")).content.decode()

    assert "暂无缴费记录。" in html
    assert '<dd id="prepayment-balance">¥0.00</dd>' in html


def test_twenty_receipts_a_page(owner_client, household, admin_user):
    receipts = [prepay(household, 100 + index, actor=admin_user) for index in range(21)]

    first = owner_client.get(reverse("portal:payments")).content.decode()
    second = owner_client.get(reverse("portal:payments") + "?page=2").content.decode()

    assert first.count('class="receipt') == 20 and second.count('class="receipt') == 1
    assert f'id="receipt-{receipts[0].display_number}"' in second  # the oldest comes last
    assert "第 1 页，共 2 页" in first and "下一页" in first


def test_needs_a_logged_in_owner(client, household):
    response = client.get(reverse("portal:payments"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))
