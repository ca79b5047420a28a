"""Console counter and receipts pages: permissions, the prepayment form, its idempotency, the PDF."""

import datetime
import re

import pytest
from django.urls import reverse

from tests.factories import HouseholdRoomFactory, PersonFactory, staff
from tests.payments.factories import issue_bill, prepay
from wuye.core.enums import Role
from wuye.ledger.models import LedgerTransaction
from wuye.payments.domain.prepayments import prepayment_balance_fen
from wuye.payments.models import Receipt


@pytest.fixture
def cashier_client(client, household):
    client.force_login(staff(household.community, Role.CASHIER))
    return client


def form_key(response) -> str:
    return re.search(r'name="key" value="([0-9a-f]{32})"', response.content.decode()).group(1)


def test_counter_finds_households_with_their_balance(cashier_client, household):
    prepay(household, 4200)
    HouseholdRoomFactory(household__community=household.community, household__name="别人")

    response = cashier_client.get(reverse("console:counter"), {"q": "13912345678"})

    assert response.status_code == 200
    page = response.content.decode()
    assert household.name in page and "别人" not in page
    assert "42.00" in page
    assert reverse("console:prepayment_new", kwargs={"household_pk": household.pk}) in page


def test_counter_finds_a_household_by_room_label(cashier_client, household):
    room = household.room_links.get().room
    response = cashier_client.get(reverse("console:counter"), {"q": str(room)})
    assert household.name in response.content.decode()


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.SUPERVISOR, Role.TECHNICIAN])
def test_counter_needs_payments_take(client, household, role):
    client.force_login(staff(household.community, role))
    url = reverse("console:prepayment_new", kwargs={"household_pk": household.pk})
    assert client.get(reverse("console:counter")).status_code == 404
    assert client.post(url, {"amount": "10", "method": "cash", "key": "a" * 32}).status_code == 404
    assert Receipt.objects.count() == 0


def test_prepayment_form_records_and_shows_the_receipt(cashier_client, household):
    issue_bill(household, datetime.date(2026, 1, 1), [3000])
    url = reverse("console:prepayment_new", kwargs={"household_pk": household.pk})
    page = cashier_client.get(url)
    assert page.status_code == 200
    assert "30.00" in page.content.decode()  # the open bill

    response = cashier_client.post(
        url, {"amount": "1,280.50", "method": "card", "note": "全年", "key": form_key(page)}, follow=True
    )

    receipt = Receipt.objects.get()
    assert response.redirect_chain == [(reverse("console:receipt", kwargs={"receipt_pk": receipt.pk}), 302)]
    assert (receipt.amount_fen, receipt.method, receipt.note) == (128050, "card", "全年")
    assert prepayment_balance_fen(household=household) == 125050
    content = response.content.decode()
    assert receipt.display_number in content
    assert reverse("console:receipt_pdf", kwargs={"receipt_pk": receipt.pk}) in content


def test_double_submit_of_the_prepayment_form_records_once(cashier_client, household):
    url = reverse("console:prepayment_new", kwargs={"household_pk": household.pk})
    data = {"amount": "100", "method": "cash", "key": form_key(cashier_client.get(url))}

    first = cashier_client.post(url, data)
    second = cashier_client.post(url, data)

    receipt = Receipt.objects.get()
    assert first.status_code == second.status_code == 302
    assert first.url == second.url == reverse("console:receipt", kwargs={"receipt_pk": receipt.pk})
    assert LedgerTransaction.objects.filter(kind="prepayment").count() == 1
    assert prepayment_balance_fen(household=household) == 10000


@pytest.mark.parametrize(
    ("amount", "message"),
    [("12.345", "two decimals"), ("0", "more than zero"), ("2000000", "too large"), ("abc", "like 1280")],
)
def test_prepayment_form_refuses_bad_amounts(cashier_client, household, amount, message):
    url = reverse("console:prepayment_new", kwargs={"household_pk": household.pk})
    response = cashier_client.post(
        url, {"amount": amount, "method": "cash", "key": "b" * 32}, headers={"Accept-Language": "en"}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Receipt.objects.count() == 0
    assert LedgerTransaction.objects.count() == 0


def test_receipt_pdf_is_served_inline(cashier_client, household):
    receipt = prepay(household, 100)
    response = cashier_client.get(reverse("console:receipt_pdf", kwargs={"receipt_pk": receipt.pk}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="receipt-{receipt.display_number}.pdf"'
    assert response.content.startswith(b"%PDF-")


def test_front_desk_sees_receipts_but_cannot_record(client, household):
    receipt = prepay(household, 100)
    client.force_login(staff(household.community, Role.FRONT_DESK))

    detail = client.get(reverse("console:household", kwargs={"household_pk": household.pk}))
    listing = client.get(reverse("console:receipts"))

    page = detail.content.decode()
    assert 'id="receipts-section"' in page
    assert reverse("console:receipt_pdf", kwargs={"receipt_pk": receipt.pk}) in page
    assert reverse("console:prepayment_new", kwargs={"household_pk": household.pk}) not in page
    assert receipt.display_number in listing.content.decode()
    assert client.get(reverse("console:receipt", kwargs={"receipt_pk": receipt.pk})).status_code == 200


def test_household_page_shows_balance_and_button_to_cashiers(cashier_client, household):
    prepay(household, 99999)
    page = cashier_client.get(
        reverse("console:household", kwargs={"household_pk": household.pk})
    ).content.decode()
    assert 'id="household-prepayment-balance">¥999.99<' in page
    assert reverse("console:prepayment_new", kwargs={"household_pk": household.pk}) in page


def test_technician_sees_no_receipts_section(client, household):
    prepay(household, 100)
    client.force_login(staff(household.community, Role.TECHNICIAN))
    page = client.get(reverse("console:household", kwargs={"household_pk": household.pk})).content.decode()
    assert 'id="receipts-section"' not in page
    assert client.get(reverse("console:receipts")).status_code == 404


def test_receipt_list_finds_a_number(cashier_client, household):
    other = HouseholdRoomFactory(household__community=household.community).household
    PersonFactory(household=other)
    prepay(household, 100)
    second = prepay(other, 200)
    response = cashier_client.get(reverse("console:receipts"), {"number": "2"})
    rows = re.findall(r"<tr>\s*<td><a href=\"/console/receipts/(\d+)/\">", response.content.decode())
    assert rows == [str(second.pk)]
