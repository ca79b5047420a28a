"""The receipts API: the list by household and Beijing days, one receipt with its items, its PDF."""

import datetime

import pytest

from tests.factories import HouseholdRoomFactory, staff
from tests.payments.factories import issue_bill, prepay
from wuye.billing.models import BillLine
from wuye.core import pdffonts
from wuye.core.enums import Role
from wuye.payments.domain.payments import counter_payment_take
from wuye.payments.models import Receipt

pytestmark = pytest.mark.django_db

JAN = datetime.date(2026, 1, 1)
# 2026-03-01 16:30 UTC is 2026-03-02 00:30 in Beijing: a receipt of the 2nd, not of the 1st.
JUST_AFTER_MIDNIGHT = datetime.datetime(2026, 3, 1, 16, 30, tzinfo=datetime.UTC)


@pytest.fixture
def api(api_as, community):
    return api_as(staff(community, Role.ACCOUNTANT))  # billing.view, no counter


@pytest.fixture
def paid(household):
    """A counter payment by card of two January lines (80 and 45.50 yuan): its receipt."""
    bill = issue_bill(household, JAN, [8000, 4550])
    taken = counter_payment_take(
        household=household,
        line_ids=list(bill.lines.values_list("pk", flat=True)),
        method="card",
        key="a" * 24,
        actor=None,
    )
    return taken.attempt.receipt


def test_receipt_detail_lists_what_it_paid(api, household, paid):
    response = api.get(f"/receipts/{paid.pk}")

    assert response.status_code == 200
    body = response.json()
    room = household.room_links.get().room
    assert {key: value for key, value in body.items() if key not in ("items", "issued_at", "verify_url")} == {
        "pk": paid.pk,
        "community": household.community_id,
        "number": "00000001",
        "household": {"pk": household.pk, "name": household.name},
        "kind": "payment",
        "method": "card",
        "amount_fen": 12550,
        "payer_name": paid.payer_name,
        "rooms": paid.rooms_label,
        "issued_by": None,
        "void_requested_at": None,
        "voided_at": None,
        "note": "CT" + "a" * 24,  # the payment's order number
        "void_reason": "",
        "pdf_url": f"/api/v1/receipts/{paid.pk}/pdf",
    }
    eighty, other = BillLine.objects.select_related("fee_item").order_by("pk")
    assert body["items"] == [
        {"description": f"2026-01 {eighty.fee_item.name} {room}", "amount_fen": 8000},
        {"description": f"2026-01 {other.fee_item.name} {room}", "amount_fen": 4550},
    ]
    assert body["verify_url"].endswith(f"/r/{paid.token}/")


def test_receipt_list_by_household_and_beijing_days(api, community, household, paid):
    other = HouseholdRoomFactory(household__community=community).household
    late = prepay(other, 30000)
    Receipt.objects.filter(pk=late.pk).update(issued_at=JUST_AFTER_MIDNIGHT)

    everything = api.get("/receipts").json()
    of_household = api.get("/receipts", {"household": household.pk}).json()
    second = api.get("/receipts", {"first": "2026-03-02", "last": "2026-03-02"}).json()
    first = api.get("/receipts", {"first": "2026-03-01", "last": "2026-03-01"}).json()

    assert [(item["number"], item["kind"], item["amount_fen"]) for item in everything["items"]] == [
        ("00000001", "payment", 12550),
        ("00000002", "prepayment", 30000),
    ]
    assert [item["pk"] for item in of_household["items"]] == [paid.pk]
    assert (second["count"], [item["pk"] for item in second["items"]]) == (1, [late.pk])
    assert (first["count"], first["items"]) == (0, [])


def test_receipt_list_with_the_days_the_wrong_way_round_is_refused(api, paid):
    response = api.get("/receipts", {"first": "2026-03-02", "last": "2026-03-01"})
    assert response.status_code == 400
    assert response.json() == {"detail": "The first day is after the last."}


def test_receipt_pdf(api, paid):
    response = api.get(f"/receipts/{paid.pk}/pdf")
    assert (response.status_code, response["Content-Type"], response.content[:4]) == (
        200,
        "application/pdf",
        b"%PDF",
    )
    assert response["Content-Disposition"] == 'inline; filename="receipt-00000001.pdf"'


def test_receipt_pdf_without_a_cjk_font_answers_503(api, paid, monkeypatch):
    def no_font():
        raise pdffonts.PdfFontError("No TrueType CJK font for PDF documents")

    monkeypatch.setattr(pdffonts, "font_chain", no_font)
    response = api.get(f"/receipts/{paid.pk}/pdf")
    assert (response.status_code, response.content) == (503, b"No TrueType CJK font for PDF documents")


def test_receipts_hidden_from_a_role_without_billing_view(api_as, community, paid):
    technician = api_as(staff(community, Role.TECHNICIAN))
    assert technician.get("/receipts").json()["count"] == 0
    assert technician.get(f"/receipts/{paid.pk}").status_code == 404
    assert technician.get(f"/receipts/{paid.pk}/pdf").status_code == 404


def test_receipts_of_another_community_answer_404(api, paid):
    foreign = prepay(HouseholdRoomFactory().household, 1000)
    assert api.get(f"/receipts/{foreign.pk}").status_code == 404
    assert api.get(f"/receipts/{foreign.pk}/pdf").status_code == 404
    assert api.get("/receipts", {"community": foreign.community_id}).json()["count"] == 0
