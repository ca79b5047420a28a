"""The payments API: attempts listed and shown, a counter payment of chosen lines, refunds asked for,
approved (four eyes) and rejected; the ledger stays green."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import HouseholdRoomFactory, staff
from tests.payments.factories import issue_bill
from wuye.billing.models import BillLine
from wuye.core.enums import Role
from wuye.core.models import AuditLog
from wuye.ledger.models import LedgerTransaction
from wuye.payments.domain.checks import ledger_check
from wuye.payments.domain.payments import counter_payment_take
from wuye.payments.domain.refunds import refund_request
from wuye.payments.models import PaymentAttempt, Receipt, Refund

pytestmark = pytest.mark.django_db

JAN, FEB = datetime.date(2026, 1, 1), datetime.date(2026, 2, 1)
KEY = "0123456789abcdef01234567"


@pytest.fixture
def cashier(community):
    return staff(community, Role.CASHIER)


@pytest.fixture
def supervisor(community):
    return staff(community, Role.SUPERVISOR)


@pytest.fixture
def two_months(household):
    """Bills of January (123.45 yuan) and February (200 yuan); returns their lines, oldest first."""
    issue_bill(household, JAN, [12345])
    issue_bill(household, FEB, [20000])
    return list(
        BillLine.objects.filter(household=household).select_related("fee_item", "room").order_by("period")
    )


def _paid(household, fen, *, actor=None, method="card") -> PaymentAttempt:
    """A counter payment of the household's only line (of ``fen``), through the domain."""
    line = issue_bill(household, JAN, [fen]).lines.get()
    taken = counter_payment_take(household=household, line_ids=[line.pk], method=method, key=KEY, actor=actor)
    return taken.attempt


def _money() -> tuple[int, int, int]:
    return PaymentAttempt.objects.count(), Receipt.objects.count(), LedgerTransaction.objects.count()


# --- counter payment -------------------------------------------------------------------------------


def test_payment_take_pays_the_chosen_line_and_gives_change(api_as, cashier, household, two_months):
    january, _february = two_months

    response = api_as(cashier).post(
        f"/households/{household.pk}/payments",
        {"lines": [january.pk], "method": "cash", "tendered_fen": 20000},
    )

    assert response.status_code == 200
    body = response.json()
    attempt = PaymentAttempt.objects.get()
    assert (body["created"], body["change_fen"]) == (True, 20000 - 12345)
    payment = body["payment"]
    assert {key: payment[key] for key in ("pk", "community", "household", "channel", "method", "state")} == {
        "pk": attempt.pk,
        "community": household.community_id,
        "household": {"pk": household.pk, "name": household.name},
        "channel": "counter",
        "method": "cash",
        "state": "succeeded",
    }
    assert (payment["amount_fen"], payment["tendered_fen"], payment["late_fee_fen"]) == (12345, 20000, 0)
    assert (payment["excess_fen"], payment["refundable_fen"], payment["refunds"]) == (0, 12345, [])
    assert payment["created_by"] == cashier.username
    assert payment["receipt"] == {"pk": attempt.receipt_id, "number": attempt.receipt.display_number}
    assert payment["items"] == [
        {"description": f"2026-01 {january.fee_item.name} {january.room}", "amount_fen": 12345}
    ]
    assert [line.paid_fen for line in BillLine.objects.order_by("period")] == [12345, 0]
    assert Receipt.objects.get().amount_fen == 12345
    assert ledger_check(community=household.community) == []


def test_payment_take_with_the_same_key_records_once(api_as, cashier, household, two_months):
    api = api_as(cashier)
    lines = [line.pk for line in two_months]
    first = api.post(f"/households/{household.pk}/payments", {"lines": lines, "method": "card", "key": KEY})
    money = _money()

    again = api.post(f"/households/{household.pk}/payments", {"lines": lines, "method": "card", "key": KEY})

    assert (first.status_code, again.status_code) == (200, 200)
    assert (first.json()["created"], again.json()["created"]) == (True, False)
    assert again.json()["payment"]["pk"] == first.json()["payment"]["pk"]
    assert again.json()["payment"]["amount_fen"] == 12345 + 20000
    assert _money() == money == (1, 1, money[2])


def test_payment_take_with_the_same_idempotency_key_is_replayed(api_as, cashier, household, two_months):
    api = api_as(cashier)
    api.headers["X-Idempotency-Key"] = "counter-1"
    body = {"lines": [two_months[0].pk], "method": "transfer"}
    first = api.post(f"/households/{household.pk}/payments", body)
    again = api.post(f"/households/{household.pk}/payments", body)
    assert (first.status_code, again.status_code, again["Idempotent-Replayed"]) == (200, 200, "true")
    assert again.json() == first.json()
    assert PaymentAttempt.objects.count() == 1


def test_payment_take_with_too_little_cash_is_refused(api_as, cashier, household, two_months):
    money = _money()
    response = api_as(cashier).post(
        f"/households/{household.pk}/payments",
        {"lines": [two_months[0].pk], "method": "cash", "tendered_fen": 10000},
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "The cash handed over is less than the 123.45 yuan due."}
    assert _money() == money
    assert list(BillLine.objects.values_list("paid_fen", flat=True)) == [0, 0]


def test_payment_take_of_a_paid_line_is_refused(api_as, cashier, household, two_months):
    api = api_as(cashier)
    api.post(f"/households/{household.pk}/payments", {"lines": [two_months[0].pk], "method": "card"})
    money = _money()

    response = api.post(
        f"/households/{household.pk}/payments", {"lines": [two_months[0].pk], "method": "card"}
    )

    assert response.status_code == 400
    assert response.json()["detail"].startswith("Some of the chosen bills are paid already")
    assert _money() == money


def test_payment_take_of_another_households_line_answers_404(api_as, cashier, household, two_months):
    neighbour = HouseholdRoomFactory(household__community=household.community).household
    response = api_as(cashier).post(
        f"/households/{neighbour.pk}/payments", {"lines": [two_months[0].pk], "method": "card"}
    )
    assert response.status_code == 404
    assert _money() == (0, 0, 2)


def test_payment_take_needs_payments_take(api_as, supervisor, household, two_months):
    response = api_as(supervisor).post(  # a supervisor approves refunds but does not take money
        f"/households/{household.pk}/payments", {"lines": [two_months[0].pk], "method": "card"}
    )
    assert response.status_code == 404
    assert PaymentAttempt.objects.count() == 0


# --- payments list and detail ----------------------------------------------------------------------


def test_payment_list_filtered_by_household_state_and_method(api_as, cashier, household, community):
    _paid(household, 5000, actor=cashier)
    other = HouseholdRoomFactory(household__community=community).household
    line = issue_bill(other, FEB, [800]).lines.get()
    counter_payment_take(
        household=other, line_ids=[line.pk], method="cash", key="f" * 24, tendered_fen=800, actor=None
    )
    api = api_as(cashier)

    everything = api.get("/payments").json()
    by_household = api.get("/payments", {"household": household.pk}).json()
    cash = api.get("/payments", {"method": "cash"}).json()
    failed = api.get("/payments", {"state": "failed"}).json()
    second_page = api.get("/payments", {"limit": 1, "page": 2}).json()

    assert (everything["count"], [item["amount_fen"] for item in everything["items"]]) == (2, [800, 5000])
    assert [item["household"]["pk"] for item in by_household["items"]] == [household.pk]
    assert [(item["method"], item["created_by"]) for item in cash["items"]] == [("cash", None)]
    assert (failed["count"], failed["items"]) == (0, [])
    assert (second_page["count"], [item["amount_fen"] for item in second_page["items"]]) == (2, [5000])


def test_payment_detail_lists_its_refunds(api_as, cashier, household):
    attempt = _paid(household, 5000, actor=cashier)
    refund = refund_request(attempt=attempt, amount_fen=1500, reason="多收", actor=cashier)

    body = api_as(cashier).get(f"/payments/{attempt.pk}").json()

    assert (body["amount_fen"], body["refundable_fen"]) == (5000, 3500)
    assert [(r["pk"], r["amount_fen"], r["state"], r["requested_by"]) for r in body["refunds"]] == [
        (refund.pk, 1500, "requested", cashier.username)
    ]


def test_payments_hidden_from_a_role_without_billing_view(api_as, community, household):
    attempt = _paid(household, 5000)
    technician = api_as(staff(community, Role.TECHNICIAN))
    assert technician.get("/payments").json()["count"] == 0
    assert technician.get(f"/payments/{attempt.pk}").status_code == 404


# --- refunds ---------------------------------------------------------------------------------------


def test_refund_asked_by_the_cashier_and_approved_by_a_supervisor(api_as, cashier, supervisor, household):
    attempt = _paid(household, 5000, actor=cashier)

    asked = api_as(cashier).post(f"/payments/{attempt.pk}/refunds", {"amount_fen": 2000, "reason": "多收"})

    assert asked.status_code == 200
    refund = Refund.objects.get()
    assert {key: asked.json()[key] for key in ("pk", "payment", "amount_fen", "state", "requested_by")} == {
        "pk": refund.pk,
        "payment": attempt.pk,
        "amount_fen": 2000,
        "state": "requested",
        "requested_by": cashier.username,
    }
    assert api_as(cashier).post(f"/refunds/{refund.pk}/approve", {}).status_code == 404  # not a supervisor

    approved = api_as(supervisor).post(f"/refunds/{refund.pk}/approve", {})

    assert approved.status_code == 200
    body = approved.json()
    assert (body["state"], body["approved_by"]) == ("succeeded", supervisor.username)
    assert (body["from_prepayment_fen"], body["from_lines_fen"]) == (0, 2000)
    assert BillLine.objects.get().paid_fen == 3000
    assert api_as(cashier).get(f"/payments/{attempt.pk}").json()["refundable_fen"] == 3000
    assert ledger_check(community=household.community) == []


def test_refund_approved_by_who_asked_for_it_is_refused(api_as, community, household):
    administrator = staff(community, Role.ADMINISTRATOR)  # may take payments and approve refunds
    api = api_as(administrator)
    attempt = _paid(household, 5000, actor=administrator)
    refund_pk = api.post(f"/payments/{attempt.pk}/refunds", {"amount_fen": 2000, "reason": "多收"}).json()[
        "pk"
    ]
    money, logs = _money(), AuditLog.objects.count()

    response = api.post(f"/refunds/{refund_pk}/approve", {})

    assert response.status_code == 400
    assert response.json() == {
        "detail": "A refund must be approved by someone other than the person who requested it."
    }
    refund = Refund.objects.get()
    assert (refund.state, refund.approved_by, refund.transaction_id) == ("requested", None, None)
    assert (_money(), AuditLog.objects.count()) == (money, logs)
    assert BillLine.objects.get().paid_fen == 5000
    assert ledger_check(community=household.community) == []


def test_refund_of_more_than_is_left_is_refused(api_as, cashier, household):
    attempt = _paid(household, 5000, actor=cashier)
    refund_request(attempt=attempt, amount_fen=4000, reason="多收", actor=cashier)

    response = api_as(cashier).post(f"/payments/{attempt.pk}/refunds", {"amount_fen": 1001, "reason": "再退"})

    assert response.status_code == 400
    assert response.json() == {"detail": "At most 10.00 yuan of this payment can still be refunded."}
    assert Refund.objects.count() == 1


def test_refund_rejected_and_not_twice(api_as, cashier, supervisor, household):
    refund = refund_request(attempt=_paid(household, 5000), amount_fen=2000, reason="多收", actor=cashier)
    api = api_as(supervisor)

    rejected = api.post(f"/refunds/{refund.pk}/reject", {"reason": "未多收"})
    again = api.post(f"/refunds/{refund.pk}/reject", {})

    assert rejected.status_code == 200
    assert (rejected.json()["state"], rejected.json()["failure_reason"]) == ("rejected", "未多收")
    assert again.status_code == 400
    assert again.json() == {"detail": "A refund that is Rejected cannot become Rejected."}
    assert BillLine.objects.get().paid_fen == 5000
    assert ledger_check(community=household.community) == []


def test_refund_list_and_detail_need_payments_refund(api_as, cashier, supervisor, household):
    refund = refund_request(attempt=_paid(household, 5000), amount_fen=2000, reason="多收", actor=cashier)
    api = api_as(supervisor)

    assert [item["pk"] for item in api.get("/refunds", {"state": "requested"}).json()["items"]] == [refund.pk]
    assert api.get("/refunds", {"state": "succeeded"}).json()["count"] == 0
    assert api.get(f"/refunds/{refund.pk}").json()["reason"] == "多收"
    assert api_as(cashier).get("/refunds").json()["count"] == 0
    assert api_as(cashier).get(f"/refunds/{refund.pk}").status_code == 404


def test_payment_list_query_count_does_not_grow_with_payments(api_as, cashier, household, community):
    api = api_as(cashier)
    _paid(household, 5000, actor=cashier)
    api.get("/payments")  # the token's first use is stamped once; keep it out of the counts
    with CaptureQueriesContext(connection) as one:
        assert api.get("/payments").json()["count"] == 1
    for number in range(3):
        other = HouseholdRoomFactory(household__community=community).household
        line = issue_bill(other, FEB, [800]).lines.get()
        counter_payment_take(
            household=other, line_ids=[line.pk], method="card", key=f"{number}" * 24, actor=cashier
        )
    with CaptureQueriesContext(connection) as four:
        assert api.get("/payments").json()["count"] == 4
    assert len(four) == len(one)
