"""Paying from the self-service pages against paysim (the real SDKs, no mocks): the order is the chosen
lines, the attempt is started at the channel, the page shows its QR code, and the status view settles
a paid attempt by querying when the notification does not come."""

import datetime

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from tests.factories import HouseholdRoomFactory
from tests.payments.factories import issue_bill
from tests.paysim.fixtures import _paysim_server, paysim  # noqa: F401
from wuye.billing.models import BillLine
from wuye.core.models import AuditLog
from wuye.payments.enums import AttemptState, Channel, OrderState
from wuye.payments.models import ChannelAccount, OrderLine, PaymentAttempt, PaymentOrder, Receipt
from wuye.paysim.seed import paysim_accounts
from wuye.portal.domain.poster import payposter_ensure
from wuye.portal.views.pay import SESSION_PAY_ATTEMPTS

JAN, FEB = datetime.date(2026, 1, 1), datetime.date(2026, 2, 1)


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def home(household, paysim):  # noqa: F811
    """王小明's household with two bills, in a community whose channels are paysim's; identified."""
    issue_bill(household, JAN, [12345, 500])
    issue_bill(household, FEB, [20000])
    paysim_accounts(household.community, base_url=paysim.base_url)
    return household


@pytest.fixture
def payer(client, home):
    poster = payposter_ensure(community=home.community)
    room = home.room_links.get().room
    response = client.post(
        reverse("portal:pay_entry", kwargs={"token": poster.token}), {"room": room.pk, "answer": "5678"}
    )
    assert response.status_code == 302
    return client


def lines_of(household):
    return list(BillLine.objects.filter(household=household).order_by("period", "pk"))


def pay(client, line_pks, method="wechat"):
    return client.post(reverse("portal:pay_bills"), {"lines": line_pks, "method": method})


def attempt_page(attempt):
    return reverse("portal:pay_attempt", kwargs={"attempt_pk": attempt.pk})


def status_page(attempt):
    return reverse("portal:pay_attempt_status", kwargs={"attempt_pk": attempt.pk})


def test_bills_page_offers_the_enabled_channels(payer, home):
    assert payer.get(reverse("portal:pay_bills")).context["methods"] == ["wechat", "alipay"]
    ChannelAccount.objects.filter(method="alipay").update(enabled=False)
    assert payer.get(reverse("portal:pay_bills")).context["methods"] == ["wechat"]


def test_pay_orders_exactly_the_chosen_lines_and_starts_the_attempt(payer, home, paysim):  # noqa: F811
    jan_first, _jan_second, feb = lines_of(home)

    response = pay(payer, [jan_first.pk, feb.pk])

    order = PaymentOrder.objects.get()
    attempt = PaymentAttempt.objects.get()
    assert response.status_code == 302
    assert response.url == attempt_page(attempt)
    assert order.total_fen == 12345 + 20000
    assert sorted(OrderLine.objects.filter(order=order).values_list("line_id", "amount_fen")) == sorted(
        [(jan_first.pk, 12345), (feb.pk, 20000)]
    )
    assert (attempt.order_id, attempt.household_id, attempt.amount_fen) == (order.pk, home.pk, 32345)
    assert (attempt.channel, attempt.state) == (Channel.WECHAT_NATIVE, AttemptState.PENDING)
    assert attempt.code_url.startswith(paysim.base_url + "/phone/")
    assert payer.session[SESSION_PAY_ATTEMPTS] == [attempt.pk]


def test_pay_by_alipay_asks_for_an_alipay_qr_code(payer, home, paysim):  # noqa: F811
    pay(payer, [line.pk for line in lines_of(home)], method="alipay")
    attempt = PaymentAttempt.objects.get()
    assert (attempt.channel, attempt.amount_fen, attempt.state) == (Channel.ALIPAY_QR, 32845, "pending")
    assert paysim.order(attempt.out_trade_no, method="alipay").out_trade_no == attempt.out_trade_no


def test_pay_refuses_a_line_of_another_household_and_creates_nothing(payer, home, community):
    other = HouseholdRoomFactory(household__community=community).household
    theirs = issue_bill(other, JAN, [999]).lines.get()
    before = (PaymentOrder.objects.count(), PaymentAttempt.objects.count(), AuditLog.objects.count())
    response = pay(payer, [lines_of(home)[0].pk, theirs.pk])
    assert response.status_code == 200
    assert response.context["form"].errors["lines"]
    assert (PaymentOrder.objects.count(), PaymentAttempt.objects.count(), AuditLog.objects.count()) == before


def test_pay_refuses_a_disabled_channel_and_creates_nothing(payer, home):
    ChannelAccount.objects.filter(method="wechat").update(enabled=False)
    response = pay(payer, [lines_of(home)[0].pk], method="wechat")
    assert response.status_code == 200
    assert (PaymentOrder.objects.count(), PaymentAttempt.objects.count()) == (0, 0)


def test_attempt_page_shows_the_qr_code_and_the_phone_link(payer, home):
    pay(payer, [line.pk for line in lines_of(home)])
    attempt = PaymentAttempt.objects.get()
    response = payer.get(attempt_page(attempt))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="pay-qr"' in html and html.count("<svg") == 1 and "<path" in html
    assert f'id="open-code-url" href="{attempt.code_url}"' in html
    assert 'data-final="0"' in html


def test_status_of_a_fresh_attempt_does_not_ask_the_channel(payer, home, paysim):  # noqa: F811
    pay(payer, [line.pk for line in lines_of(home)])
    attempt = PaymentAttempt.objects.get()
    paysim.pay(attempt.out_trade_no, notify=False)  # paid, the notification lost
    response = payer.get(status_page(attempt))
    assert 'data-final="0"' in response.content.decode()
    attempt.refresh_from_db()
    assert (attempt.state, attempt.queried_at) == (AttemptState.PENDING, None)


def test_status_settles_a_paid_attempt_by_query_when_the_notification_is_lost(payer, home, paysim):  # noqa: F811
    jan_first, _jan_second, feb = lines_of(home)
    pay(payer, [jan_first.pk, feb.pk])
    attempt = PaymentAttempt.objects.get()
    paysim.pay(attempt.out_trade_no, notify=False)
    PaymentAttempt.objects.filter(pk=attempt.pk).update(
        created_at=timezone.now() - datetime.timedelta(seconds=6)
    )

    status = payer.get(status_page(attempt))

    assert 'data-final="1"' in status.content.decode()
    attempt.refresh_from_db()
    receipt = Receipt.objects.get()
    assert (attempt.state, attempt.receipt_id, receipt.amount_fen) == ("succeeded", receipt.pk, 32345)
    assert attempt.order.state == OrderState.PAID
    assert [line.paid_fen for line in lines_of(home)] == [12345, 0, 20000]
    page = payer.get(attempt_page(attempt)).content.decode()
    assert f'id="receipt-number">{receipt.display_number}<' in page
    assert 'id="receipt-amount">¥323.45<' in page
    assert reverse("portal:pay_receipt_pdf", kwargs={"token": receipt.token}) in page
    assert reverse("payments:verify", kwargs={"token": receipt.token}) in page
    assert "<svg" not in page
    pdf = payer.get(reverse("portal:pay_receipt_pdf", kwargs={"token": receipt.token}))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_status_asks_the_channel_at_most_every_five_seconds(payer, home, paysim):  # noqa: F811
    pay(payer, [line.pk for line in lines_of(home)])
    attempt = PaymentAttempt.objects.get()
    asked = timezone.now() - datetime.timedelta(seconds=2)
    PaymentAttempt.objects.filter(pk=attempt.pk).update(
        created_at=timezone.now() - datetime.timedelta(seconds=30), queried_at=asked
    )
    paysim.pay(attempt.out_trade_no, notify=False)
    payer.get(status_page(attempt))
    attempt.refresh_from_db()
    assert (attempt.state, attempt.queried_at) == (AttemptState.PENDING, asked)


def test_receipt_pdf_with_an_unknown_token_answers_404(client, db):
    assert client.get(reverse("portal:pay_receipt_pdf", kwargs={"token": "nope" * 5})).status_code == 404
