"""The owner's bills, paid ones too (我的账单), in the portal and the owner API: each bill with its lines,
what it asked, what is still owed and what paid it (a payment with its receipt, prepayment applied)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from tests.factories import HouseholdRoomFactory
from tests.payments.factories import issue_bill, prepay
from wuye.billing.models import BillLine
from wuye.owners.domain.accounts import owner_token_issue
from wuye.payments.domain.checks import ledger_check
from wuye.payments.domain.payments import counter_payment_take

pytestmark = pytest.mark.django_db

SEP, OCT = datetime.date(2026, 9, 1), datetime.date(2026, 10, 1)


@pytest.fixture
def books(household, admin_user):
    """September (120.00 + 30.50) paid at the counter by card; October (200.00) half paid from a
    counter prepayment of 100.00; a bill of another household."""
    september = issue_bill(household, SEP, [12000, 3050])
    paid = counter_payment_take(
        household=household,
        line_ids=list(BillLine.objects.filter(bill=september).values_list("pk", flat=True)),
        method="card",
        key="s" * 24,
        actor=admin_user,
    ).attempt.receipt
    october = issue_bill(household, OCT, [20000])
    prepay(household, 10000, actor=admin_user)
    other = HouseholdRoomFactory(household__community=household.community).household
    foreign = issue_bill(other, OCT, [777])
    assert ledger_check(community=household.community) == []
    return {"september": september, "october": october, "receipt": paid, "foreign": foreign}


def test_the_page_lists_every_bill_with_what_paid_it(owner_client, books):
    response = owner_client.get(reverse("portal:bills"))

    assert response.status_code == 200
    html = response.content.decode()
    september, october = books["september"], books["october"]
    assert html.index(f'id="bill-{october.pk}"') < html.index(f'id="bill-{september.pk}"')  # newest first
    assert f'id="bill-{books["foreign"].pk}"' not in html and "7.77" not in html
    section = html[html.index(f'id="bill-{september.pk}"') :]
    assert "已缴费" in section[:400] and "¥150.50" in section
    assert '银行卡（POS） <span class="more">¥150.50</span>' in section
    assert reverse("portal:pay_receipt_pdf", args=[books["receipt"].token]) in section
    october_part = html[html.index(f'id="bill-{october.pk}"') : html.index(f'id="bill-{september.pk}"')]
    assert "部分缴纳" in october_part
    assert '预存款抵扣账单 <span class="more">¥100.00</span>' in october_part
    assert '<dd class="error">¥100.00</dd>' in october_part  # still owed
    assert "我的账单" in html


def test_without_bills_it_says_so(owner_client):
    html = owner_client.get(reverse("portal:bills")).content.decode()

    assert "暂无账单。" in html


def test_twelve_bills_a_page(owner_client, household):
    for month in range(1, 14):
        issue_bill(household, datetime.date(2025, month, 1) if month <= 12 else OCT, [100])

    first = owner_client.get(reverse("portal:bills")).content.decode()
    second = owner_client.get(reverse("portal:bills") + "?page=2").content.decode()

    assert first.count('class="card bill ') == 12 and second.count('class="card bill ') == 1
    assert "第 1 页，共 2 页" in first


def test_needs_a_logged_in_owner(client, household):
    response = client.get(reverse("portal:bills"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))


def test_the_owner_api_gives_the_same_history(client, owner, books):
    key = owner_token_issue(account=owner.account)[1]
    household = owner.household

    response = client.get(
        f"/api/v1/owner/households/{household.pk}/bills/history",
        headers={"Authorization": f"Bearer {key}"},
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["count"], [item["period"] for item in body["items"]]) == (2, ["2026-10-01", "2026-09-01"])
    october, september = body["items"]
    assert (september["state"], september["due_fen"], september["paid_fen"]) == ("paid", 15050, 15050)
    assert [line["due_fen"] for line in september["lines"]] == [12000, 3050]
    [payment] = september["payments"]
    assert (payment["kind"], payment["amount_fen"], payment["receipt_number"]) == (
        "payment",
        15050,
        books["receipt"].display_number,
    )
    assert payment["receipt_pdf_url"].endswith(
        reverse("portal:pay_receipt_pdf", args=[books["receipt"].token])
    )
    assert (october["state"], october["outstanding_fen"]) == ("partial", 10000)
    assert [(p["kind"], p["amount_fen"], p["receipt_number"]) for p in october["payments"]] == [
        ("prepayment_use", 10000, None)
    ]


def test_the_owner_api_answers_404_for_a_household_not_bound(client, owner, books):
    key = owner_token_issue(account=owner.account)[1]

    response = client.get(
        f"/api/v1/owner/households/{books['foreign'].household_id}/bills/history",
        headers={"Authorization": f"Bearer {key}"},
    )

    assert response.status_code == 404
