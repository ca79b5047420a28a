"""A visitor's car pays at the exit through the payments core against paysim (the real SDKs): the gate asks
for payment, the driver opens the pay page from the gate's QR code, pays, and the car leaves within the
grace minutes; a car that dawdles past them pays the difference. Every fen lands once: the income account
equals what the visits record, receipts are numbered with the community's, and the books balance."""

from __future__ import annotations

import datetime

import pytest
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from tests.paysim.fixtures import _paysim_server, paysim  # noqa: F401
from wuye.ledger.enums import Account
from wuye.ledger.models import Posting
from wuye.parking.enums import VisitState
from wuye.parking.models import ParkingVisit
from wuye.payments.domain.checks import ledger_check
from wuye.payments.domain.payments import PaymentError
from wuye.payments.domain.refunds import refund_approve, refund_request, refundable_fen, refunds_sweep
from wuye.payments.enums import OrderKind, ReceiptKind
from wuye.payments.models import PaymentAttempt, PaymentOrder, Receipt, Refund
from wuye.paysim.seed import paysim_accounts

pytestmark = pytest.mark.django_db


@pytest.fixture
def channels(community, paysim, settings):  # noqa: F811
    paysim_accounts(community, base_url=paysim.base_url)
    settings.WUYE_PAYSIM_URL = paysim.base_url


def _parked(gates, minutes: int, plate="京A00001"):
    """A visitor's car that came in ``minutes`` ago, at the exit now: the gate asks for payment."""
    entry, exit_, session = gates
    entry.car(plate, session=session)
    ParkingVisit.objects.filter(plate=plate).update(
        entered_at=timezone.now() - datetime.timedelta(minutes=minutes)
    )
    answer = exit_.car(plate, session=session)
    assert answer["action"] == "pay"
    return ParkingVisit.objects.get(plate=plate, state=VisitState.INSIDE), answer


def _pay(client, visit, paysim, method="alipay"):  # noqa: F811
    response = client.post(reverse("portal:park_visit", args=[visit.token]), {"method": method})
    attempt = PaymentAttempt.objects.latest("pk")
    assert response.status_code == 302
    assert response.url == reverse("portal:pay_attempt", kwargs={"attempt_pk": attempt.pk})
    paysim.pay(attempt.out_trade_no, method=method, notify=False)
    PaymentAttempt.objects.filter(pk=attempt.pk).update(
        created_at=timezone.now() - datetime.timedelta(seconds=6)
    )
    client.get(reverse("portal:pay_attempt_status", kwargs={"attempt_pk": attempt.pk}))  # settles by query
    attempt.refresh_from_db()
    return attempt


def test_a_visitor_pays_at_the_exit_and_leaves_within_the_grace(client, community, gates, channels, paysim):  # noqa: F811
    visit, answer = _parked(gates, minutes=125)
    due = answer["due_fen"]
    page = client.get(reverse("portal:park_visit", args=[visit.token])).content.decode()
    assert "京A00001" in page and f"¥{due // 100}.{due % 100:02d}" in page

    attempt = _pay(client, visit, paysim)

    order = attempt.order
    receipt = Receipt.objects.get()
    visit.refresh_from_db()
    assert (order.kind, order.household_id, order.total_fen, order.reference) == (
        OrderKind.PARKING,
        None,
        due,
        f"parking.visit:{visit.pk}",
    )
    assert (attempt.state, attempt.household_id, attempt.receipt_id) == ("succeeded", None, receipt.pk)
    assert (receipt.kind, receipt.household_id, receipt.amount_fen) == (ReceiptKind.PARKING, None, due)
    assert (receipt.payer_name, receipt.rooms_label) == ("京A00001", "地面停车场")
    assert (visit.paid_fen, visit.paid_at) == (due, attempt.paid_at)
    income = Posting.objects.filter(account=Account.PARKING_INCOME).values_list("amount_fen", flat=True)
    assert list(income) == [-due]
    assert ledger_check(community=community) == []
    done = client.get(reverse("portal:pay_attempt", kwargs={"attempt_pk": attempt.pk})).content.decode()
    assert 'id="park-done"' in done and 'id="back-to-visit"' in done
    pdf = client.get(reverse("portal:pay_receipt_pdf", args=[receipt.token]))
    verify = client.get(reverse("payments:verify", args=[receipt.token]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert verify.status_code == 200 and "临时停车" in verify.content.decode()

    _entry, exit_, session = gates
    leaving = exit_.car("京A00001", session=session)

    visit.refresh_from_db()
    assert leaving["action"] == "open" and exit_.is_open
    assert (visit.state, visit.fee_fen, visit.paid_fen) == (VisitState.LEFT, due, due)


def test_a_car_leaving_after_the_grace_pays_the_difference(client, community, gates, channels, paysim):  # noqa: F811
    visit, _answer = _parked(gates, minutes=125)
    first = _pay(client, visit, paysim).amount_fen
    # The car dawdles: its payment was 20 minutes ago, past the 15 minutes' grace, and 60 more minutes in.
    ParkingVisit.objects.filter(pk=visit.pk).update(
        paid_at=timezone.now() - datetime.timedelta(minutes=20),
        entered_at=timezone.now() - datetime.timedelta(minutes=185),
    )
    _entry, exit_, session = gates

    again = exit_.car("京A00001", session=session)

    assert again["action"] == "pay" and again["due_fen"] > 0 and not exit_.is_open
    visit.refresh_from_db()
    second = _pay(client, visit, paysim, method="wechat").amount_fen
    assert second == again["due_fen"]
    assert exit_.car("京A00001", session=session)["action"] == "open"
    visit.refresh_from_db()
    assert (visit.state, visit.paid_fen) == (VisitState.LEFT, first + second)
    assert Receipt.objects.count() == 2 and sorted(Receipt.objects.values_list("number", flat=True)) == [1, 2]
    assert ledger_check(community=community) == []


def test_nothing_to_pay_creates_no_order(client, gates, channels):
    entry, _exit, session = gates
    entry.car("京A00001", session=session)  # just in: within the free minutes
    visit = ParkingVisit.objects.get()

    response = client.post(reverse("portal:park_visit", args=[visit.token]), {"method": "wechat"})

    assert response.status_code == 200 and 'id="park-error"' not in response.content.decode()
    assert (PaymentOrder.objects.count(), PaymentAttempt.objects.count()) == (0, 0)


def test_the_poster_finds_the_car_by_its_plate(client, area, gates):
    entry, _exit, session = gates
    entry.car("京A00001", session=session)
    visit = ParkingVisit.objects.get()

    found = client.post(reverse("portal:park_find", args=[area.token]), {"plate": "京a 00001"})
    missing = client.post(reverse("portal:park_find", args=[area.token]), {"plate": "京A99999"})

    assert found.status_code == 302 and found.url == reverse("portal:park_visit", args=[visit.token])
    assert missing.status_code == 200 and 'id="park-error"' in missing.content.decode()


def test_unknown_tokens_answer_404(client, area):
    assert client.get(reverse("portal:park_visit", args=["x" * 22])).status_code == 404
    assert client.get(reverse("portal:park_find", args=["y" * 22])).status_code == 404


def _income() -> int:
    return -(
        Posting.objects.filter(account=Account.PARKING_INCOME).aggregate(total=Sum("amount_fen"))["total"]
        or 0
    )


def _leave(gates, plate="京A00001"):
    _entry, exit_, session = gates
    assert exit_.car(plate, session=session)["action"] == "open"


def test_a_visitors_payment_is_refunded_once_the_car_has_left(
    client,
    community,
    gates,
    channels,
    paysim,  # noqa: F811
    admin_user,
    django_capture_on_commit_callbacks,
):
    visit, _answer = _parked(gates, minutes=125)
    attempt = _pay(client, visit, paysim)
    due = attempt.amount_fen

    with pytest.raises(PaymentError, match="京A00001"):  # still inside: it would owe the amount again
        refund_request(attempt=attempt, amount_fen=100, reason="多收", actor=admin_user)
    assert Refund.objects.count() == 0

    _leave(gates)
    refund = refund_request(attempt=attempt, amount_fen=100, reason="多收", actor=None)
    with django_capture_on_commit_callbacks(execute=True):
        refund_approve(refund=refund)

    refund.refresh_from_db()
    visit.refresh_from_db()
    assert (refund.state, refund.household_id, refund.from_prepayment_fen, refund.from_lines_fen) == (
        "succeeded",
        None,
        0,
        0,
    )
    assert paysim.refunds[("alipay", refund.out_refund_no)].amount_fen == 100
    assert sorted(
        Posting.objects.filter(transaction=refund.transaction).values_list("account", "amount_fen")
    ) == [(Account.PARKING_INCOME, 100), ("refunds", -100)]
    assert (visit.paid_fen, visit.fee_fen, _income()) == (due - 100, due, due - 100)
    assert refundable_fen(attempt) == due - 100
    assert ledger_check(community=community) == []
    client.force_login(admin_user)
    listed = client.get(reverse("console:refunds") + "?state=succeeded").content.decode()
    assert refund.out_refund_no in listed and "临时停车" in listed  # the kind stands for the household
    detail = client.get(reverse("console:payment", args=[attempt.pk])).content.decode()
    assert refund.out_refund_no in detail and 'id="refund-form"' in detail  # the rest can still go back


def test_a_visitors_refund_the_channel_closes_puts_the_money_back(
    client,
    community,
    gates,
    channels,
    paysim,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    visit, _answer = _parked(gates, minutes=125)
    attempt = _pay(client, visit, paysim, method="wechat")
    due = attempt.amount_fen
    _leave(gates)
    paysim.refund_outcome = "CLOSED"
    refund = refund_request(attempt=attempt, amount_fen=due, reason="重复", actor=None)
    with django_capture_on_commit_callbacks(execute=True):
        refund_approve(refund=refund)
    visit.refresh_from_db()
    assert (Refund.objects.get().state, visit.paid_fen, _income()) == ("pending", 0, 0)

    refunds_sweep(older_than_minutes=0)
    refunds_sweep(older_than_minutes=0)

    refund.refresh_from_db()
    visit.refresh_from_db()
    assert refund.state == "failed"
    assert sorted(
        Posting.objects.filter(transaction=refund.settle_transaction).values_list("account", "amount_fen")
    ) == [(Account.PARKING_INCOME, -due), ("refunds", due)]
    assert (visit.paid_fen, _income()) == (due, due)
    assert refundable_fen(attempt) == due  # a failed refund frees its amount again
    assert ledger_check(community=community) == []


def test_the_staff_api_lists_a_visitors_payment_and_receipt(
    client,
    community,
    gates,
    channels,
    paysim,  # noqa: F811
    admin_user,
):
    from wuye.core.models import ApiToken

    visit, _answer = _parked(gates, minutes=125)
    attempt = _pay(client, visit, paysim)
    key = ApiToken.issue(user=admin_user, name="t")[1]
    headers = {"Authorization": f"Bearer {key}"}

    payments = client.get("/api/v1/payments", headers=headers)
    detail = client.get(f"/api/v1/payments/{attempt.pk}", headers=headers)
    receipts = client.get("/api/v1/receipts", headers=headers)

    assert payments.status_code == 200 and payments.json()["items"][0]["household"] is None
    assert detail.status_code == 200 and detail.json()["amount_fen"] == attempt.amount_fen
    assert receipts.status_code == 200
    [receipt] = receipts.json()["items"]
    assert (receipt["household"], receipt["kind"], receipt["payer_name"]) == (None, "parking", "京A00001")
