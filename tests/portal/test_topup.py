"""Online top-up (预存) by a signed-in owner, in the portal and through the owner API: an order of kind
prepayment with no lines, paid at paysim (the real SDKs), held as prepayment, applied to the open bills at
once as a counter prepayment is, never refunded as excess, an online-prepayment receipt; books balanced."""

from __future__ import annotations

import datetime
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.payments.factories import issue_bill
from tests.paysim.fixtures import _paysim_server, paysim  # noqa: F401
from tests.portal.conftest import log_in
from tests.portal.test_wechat import WECHAT_UA
from wuye.billing.models import BillLine
from wuye.core.models import AuditLog
from wuye.owners.domain.accounts import owner_token_issue
from wuye.owners.models import OwnerAccount
from wuye.payments.domain.checks import ledger_check
from wuye.payments.domain.payments import PaymentError, order_topup_create, payment_apply
from wuye.payments.domain.prepayments import prepayment_balance_fen
from wuye.payments.domain.refunds import refund_request
from wuye.payments.enums import AttemptState, Channel, ExcessPolicy, OrderKind, ReceiptKind
from wuye.payments.models import (
    Allocation,
    OrderLine,
    PaymentAttempt,
    PaymentOrder,
    PaymentSettings,
    Receipt,
    Refund,
)
from wuye.paysim import mp
from wuye.paysim.seed import paysim_accounts

JAN = datetime.date(2026, 1, 1)
OPENID = mp.openid_for(mp.APP_ID, "alice")

pytestmark = pytest.mark.django_db


@pytest.fixture
def home(owner, paysim, settings):  # noqa: F811
    """王小明's household owing 128.45 yuan (two lines), in a community whose channels are paysim's."""
    household = owner.household
    issue_bill(household, JAN, [12345, 500])
    paysim_accounts(household.community, base_url=paysim.base_url)
    settings.WUYE_PAYSIM_URL = paysim.base_url
    return household


def _settle_by_query(client, attempt, **headers):
    """The owner waits on the attempt page: a notification that does not come is replaced by a query."""
    PaymentAttempt.objects.filter(pk=attempt.pk).update(
        created_at=timezone.now() - datetime.timedelta(seconds=6)
    )
    client.get(reverse("portal:pay_attempt_status", kwargs={"attempt_pk": attempt.pk}), **headers)
    attempt.refresh_from_db()
    return attempt


def _nothing_written():
    return (PaymentOrder.objects.count(), PaymentAttempt.objects.count(), Receipt.objects.count())


def test_an_owner_tops_up_by_qr_and_the_balance_pays_the_open_bills(client, owner, home, paysim):  # noqa: F811
    log_in(client, owner.account)
    page = client.get(reverse("portal:pay_topup"))
    assert page.status_code == 200
    assert "预存" in page.content.decode() and 'id="topup-balance">¥0.00' in page.content.decode()

    response = client.post(reverse("portal:pay_topup"), {"amount": "200", "method": "alipay"})

    attempt = PaymentAttempt.objects.get()
    order = attempt.order
    assert response.status_code == 302
    assert response.url == reverse("portal:pay_attempt", kwargs={"attempt_pk": attempt.pk})
    assert (order.kind, order.total_fen, order.late_fee_fen) == (OrderKind.PREPAYMENT, 20000, 0)
    assert not OrderLine.objects.filter(order=order).exists()
    assert (attempt.channel, attempt.amount_fen, attempt.state) == (Channel.ALIPAY_QR, 20000, "pending")
    html = client.get(response.url).content.decode()
    assert "<svg" in html and 'id="back-to-payments"' in html and "预存" in html

    paysim.pay(attempt.out_trade_no, method="alipay", notify=False)
    attempt = _settle_by_query(client, attempt)

    receipt = Receipt.objects.get()
    assert (attempt.state, attempt.receipt_id, attempt.excess_fen) == ("succeeded", receipt.pk, 20000)
    assert (receipt.kind, receipt.amount_fen, receipt.method) == (ReceiptKind.TOPUP, 20000, "alipay")
    # Applied at once, oldest first, as a counter prepayment is: both lines paid, 71.55 left.
    assert sorted(BillLine.objects.filter(household=home).values_list("amount_fen", "paid_fen")) == [
        (500, 500),
        (12345, 12345),
    ]
    assert prepayment_balance_fen(household=home) == 20000 - 12845
    assert sum(Allocation.objects.filter(household=home).values_list("amount_fen", flat=True)) == 12845
    assert not Refund.objects.exists()
    assert AuditLog.objects.filter(action="payments.prepayment.received", household_id=home.pk).count() == 1
    assert ledger_check(community=home.community) == []

    done = client.get(reverse("portal:pay_attempt", kwargs={"attempt_pk": attempt.pk})).content.decode()
    assert 'id="topup-done"' in done and receipt.display_number in done
    history = client.get(reverse("portal:payments")).content.decode()
    assert '<dd id="prepayment-balance">¥71.55</dd>' in history
    assert "线上预存 ¥200.00" in history


def test_a_topup_is_never_refunded_as_excess(client, owner, home, paysim):  # noqa: F811
    """The community refunds what a payment pays beyond its bills; a top-up is not such an excess."""
    PaymentSettings.objects.update_or_create(
        community=home.community, defaults={"excess_policy": ExcessPolicy.REFUND}
    )
    log_in(client, owner.account)
    client.post(reverse("portal:pay_topup"), {"amount": "50.5", "method": "wechat"})
    attempt = PaymentAttempt.objects.get()
    paysim.pay(attempt.out_trade_no, notify=False)

    attempt = _settle_by_query(client, attempt)

    assert (attempt.state, attempt.excess_fen) == ("succeeded", 5050)
    assert not Refund.objects.exists()
    assert prepayment_balance_fen(household=home) == 0  # 50.50 of the 128.45 owed, all applied
    assert sorted(BillLine.objects.filter(household=home).values_list("paid_fen", flat=True)) == [0, 5050]
    assert ledger_check(community=home.community) == []


def test_inside_wechat_the_topup_is_paid_by_jsapi(client, owner, home, paysim):  # noqa: F811
    OwnerAccount.objects.filter(pk=owner.account.pk).update(wechat_openid=OPENID)
    log_in(client, owner.account)
    client.get(reverse("portal:payments"), HTTP_USER_AGENT=WECHAT_UA)

    client.post(reverse("portal:pay_topup"), {"amount": "300", "method": "wechat"}, HTTP_USER_AGENT=WECHAT_UA)

    attempt = PaymentAttempt.objects.get()
    assert (attempt.channel, attempt.payer_ref, attempt.amount_fen) == (Channel.WECHAT_JSAPI, OPENID, 30000)
    page = client.get(
        reverse("portal:pay_attempt", kwargs={"attempt_pk": attempt.pk}), HTTP_USER_AGENT=WECHAT_UA
    ).content.decode()
    assert 'id="jsapi-pay"' in page and "<svg" not in page
    paysim.pay(attempt.out_trade_no, notify=False)
    attempt = _settle_by_query(client, attempt, HTTP_USER_AGENT=WECHAT_UA)
    assert (attempt.state, Receipt.objects.get().kind) == ("succeeded", ReceiptKind.TOPUP)
    assert prepayment_balance_fen(household=home) == 30000 - 12845
    assert ledger_check(community=home.community) == []


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "金额必须大于零。"),
        ("abc", "请输入以元为单位的金额"),
        ("10.123", "金额最多保留两位小数"),
        ("1000001", "金额过大"),
        ("", "此项为必填项。"),
    ],
)
def test_a_bad_amount_is_refused_and_nothing_is_written(client, owner, home, amount, message):
    log_in(client, owner.account)

    response = client.post(reverse("portal:pay_topup"), {"amount": amount, "method": "wechat"})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert _nothing_written() == (0, 0, 0)


def test_a_disabled_channel_is_refused_and_nothing_is_written(client, owner, home):
    from wuye.payments.models import ChannelAccount

    ChannelAccount.objects.filter(method="alipay").update(enabled=False)
    log_in(client, owner.account)

    response = client.post(reverse("portal:pay_topup"), {"amount": "100", "method": "alipay"})

    assert response.status_code == 200 and response.context["form"].errors["method"]
    assert _nothing_written() == (0, 0, 0)


def test_the_topup_page_needs_a_signed_in_owner(client, home):
    response = client.get(reverse("portal:pay_topup"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))


def test_a_preset_fills_the_amount(client, owner, home):
    log_in(client, owner.account)
    assert client.get(reverse("portal:pay_topup") + "?amount=500").context["form"]["amount"].value() == "500"
    assert client.get(reverse("portal:pay_topup") + "?amount=7").context["form"]["amount"].value() is None


# --- the domain ------------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", [0, -100, True, 100_000_001, "100"])
def test_order_topup_create_refuses_a_bad_amount(household, amount):
    with pytest.raises(PaymentError):
        order_topup_create(household=household, amount_fen=amount)
    assert PaymentOrder.objects.count() == 0


def test_a_topup_with_nothing_owed_is_all_held_and_refundable(household, admin_user):
    home = household  # nothing owed
    order = order_topup_create(household=home, amount_fen=8800)
    attempt = PaymentAttempt.objects.create(
        community_id=home.community_id,
        order=order,
        household=home,
        channel=Channel.WECHAT_NATIVE,
        method="wechat",
        amount_fen=8800,
        state=AttemptState.PENDING,
    )

    applied = payment_apply(attempt=attempt, amount_fen=8800)
    again = payment_apply(attempt=attempt, amount_fen=8800)

    assert (applied.applied, applied.allocated_fen, applied.excess_fen) == (True, 0, 8800)
    assert again.applied is False
    assert prepayment_balance_fen(household=home) == 8800
    assert Receipt.objects.get().kind == ReceiptKind.TOPUP
    refund = refund_request(attempt=attempt, amount_fen=8800, reason="预存退回", actor=admin_user)
    assert refund.amount_fen == 8800
    assert ledger_check(community=home.community) == []


# --- the owner API ---------------------------------------------------------------------------------


def _api(client, token, household_pk, body):
    return client.post(
        f"/api/v1/owner/households/{household_pk}/prepayment/topups",
        json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"},
    )


def test_an_owner_tops_up_through_the_api_alone(client, owner, home, paysim):  # noqa: F811
    token = owner_token_issue(account=owner.account)[1]

    response = _api(client, token, home.pk, {"amount_fen": 15000, "method": "wechat"})

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["amount_fen"], body["state"], body["jsapi_params"]) == (15000, "pending", None)
    assert body["code_url"].startswith(paysim.base_url)
    attempt = PaymentAttempt.objects.get(pk=body["pk"])
    paysim.pay(attempt.out_trade_no, notify=False)
    PaymentAttempt.objects.filter(pk=attempt.pk).update(
        created_at=timezone.now() - datetime.timedelta(seconds=6)
    )
    detail = client.get(
        f"/api/v1/owner/households/{home.pk}/payments/{attempt.pk}",
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    assert detail["state"] == "succeeded" and detail["receipt"]["number"]
    balance = client.get(
        f"/api/v1/owner/households/{home.pk}/prepayment", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert balance == {"balance_fen": 15000 - 12845}
    assert ledger_check(community=home.community) == []


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"amount_fen": 0, "method": "wechat"}, 422),
        ({"amount_fen": 100_000_001, "method": "wechat"}, 422),
        ({"amount_fen": 100, "method": "cash"}, 400),
        ({"amount_fen": 100, "method": "wechat", "jsapi": True}, 400),  # no WeChat linked
    ],
)
def test_the_api_refuses_a_bad_topup_and_writes_nothing(client, owner, home, body, status):
    token = owner_token_issue(account=owner.account)[1]

    response = _api(client, token, home.pk, body)

    assert response.status_code == status, response.content
    assert _nothing_written() == (0, 0, 0)


def test_the_api_answers_404_for_a_household_not_bound(client, owner, home):
    from tests.factories import HouseholdRoomFactory

    other = HouseholdRoomFactory(household__community=home.community).household
    token = owner_token_issue(account=owner.account)[1]

    response = _api(client, token, other.pk, {"amount_fen": 100, "method": "wechat"})

    assert response.status_code == 404
    assert _nothing_written() == (0, 0, 0)
