"""Paying inside WeChat: an owner with WeChat linked pays by JSAPI (WeChat Pay's own sheet) in WeChat's
browser, the QR code everywhere else; through the owner API too. paysim plays WeChat Pay and its pay
sheet (``/phone/prepay/<prepay_id>``), the real wechatpayv3 SDK on our side."""

from __future__ import annotations

import datetime

import pytest
import requests
from django.urls import reverse
from django.utils import timezone

from tests.payments.factories import issue_bill
from tests.paysim.fixtures import _paysim_server, paysim  # noqa: F401
from tests.portal.conftest import log_in
from tests.portal.test_wechat import WECHAT_UA
from wuye.billing.models import BillLine
from wuye.owners.domain.accounts import owner_token_issue
from wuye.owners.models import OwnerAccount
from wuye.payments.domain.checks import ledger_check
from wuye.payments.enums import Channel
from wuye.payments.models import PaymentAttempt, Receipt
from wuye.paysim import mp
from wuye.paysim.seed import paysim_accounts, paysim_wechat_account
from wuye.portal.auth import SESSION_ACCOUNT

JAN = datetime.date(2026, 1, 1)
OPENID = mp.openid_for(mp.APP_ID, "alice")

pytestmark = pytest.mark.django_db


@pytest.fixture
def home(owner, paysim, settings):  # noqa: F811
    household = owner.household
    issue_bill(household, JAN, [12345, 500])
    paysim_accounts(household.community, base_url=paysim.base_url)
    OwnerAccount.objects.filter(pk=owner.account.pk).update(wechat_openid=OPENID)
    settings.WUYE_PAYSIM_URL = paysim.base_url
    return household


def _settle_by_query(client, attempt):
    PaymentAttempt.objects.filter(pk=attempt.pk).update(
        created_at=timezone.now() - datetime.timedelta(seconds=6)
    )
    client.get(reverse("portal:pay_attempt_status", kwargs={"attempt_pk": attempt.pk}))
    attempt.refresh_from_db()
    return attempt


def test_inside_wechat_an_owner_pays_by_jsapi_and_gets_the_receipt(client, owner, home, paysim):  # noqa: F811
    log_in(client, owner.account)
    client.get(reverse("portal:pay_mine"), HTTP_USER_AGENT=WECHAT_UA)
    lines = list(BillLine.objects.filter(household=home).values_list("pk", flat=True))

    client.post(reverse("portal:pay_bills"), {"lines": lines, "method": "wechat"}, HTTP_USER_AGENT=WECHAT_UA)

    attempt = PaymentAttempt.objects.get()
    assert (attempt.channel, attempt.payer_ref, attempt.amount_fen) == (Channel.WECHAT_JSAPI, OPENID, 12845)
    page = client.get(
        reverse("portal:pay_attempt", kwargs={"attempt_pk": attempt.pk}), HTTP_USER_AGENT=WECHAT_UA
    )
    html = page.content.decode()
    assert 'id="jsapi-pay"' in html and 'id="jsapi-params"' in html and "<svg" not in html
    jsapi = page.context["jsapi"]
    assert jsapi["params"]["package"].startswith("prepay_id=") and jsapi["params"]["signType"] == "RSA"
    # The simulated pay sheet: paysim finds the order by its prepay_id and returns to our page once paid.
    sheet = requests.get(jsapi["paysim_sheet"], allow_redirects=False, timeout=5)
    assert sheet.status_code == 302 and sheet.headers["Location"].startswith("/phone/")
    order = paysim.order(attempt.out_trade_no)
    assert (order.trade_type, order.payer_ref) == ("JSAPI", OPENID)
    paysim.pay(attempt.out_trade_no, notify=False)
    assert "返回商户" in requests.get(paysim.base_url + sheet.headers["Location"], timeout=5).text

    attempt = _settle_by_query(client, attempt)

    receipt = Receipt.objects.get()
    assert (attempt.state, attempt.receipt_id, receipt.amount_fen) == ("succeeded", receipt.pk, 12845)
    assert ledger_check(community=home.community) == []


def test_outside_wechat_the_same_owner_gets_the_qr_code(client, owner, home):
    log_in(client, owner.account)
    client.get(reverse("portal:pay_mine"))
    lines = list(BillLine.objects.filter(household=home).values_list("pk", flat=True))
    client.post(reverse("portal:pay_bills"), {"lines": lines, "method": "wechat"})
    attempt = PaymentAttempt.objects.get()
    assert (attempt.channel, attempt.payer_ref) == (Channel.WECHAT_NATIVE, "")
    page = client.get(reverse("portal:pay_attempt", kwargs={"attempt_pk": attempt.pk}))
    assert "<svg" in page.content.decode() and page.context["jsapi"] is None


def test_inside_wechat_without_wechat_linked_the_qr_code_stays(client, owner, home):
    OwnerAccount.objects.filter(pk=owner.account.pk).update(wechat_openid="")
    log_in(client, owner.account)
    client.get(reverse("portal:pay_mine"), HTTP_USER_AGENT=WECHAT_UA)
    lines = list(BillLine.objects.filter(household=home).values_list("pk", flat=True))
    client.post(reverse("portal:pay_bills"), {"lines": lines, "method": "wechat"}, HTTP_USER_AGENT=WECHAT_UA)
    assert PaymentAttempt.objects.get().channel == Channel.WECHAT_NATIVE


def test_the_owner_api_pays_by_jsapi_with_the_linked_wechat(client, owner, home, paysim):  # noqa: F811
    _token, key = owner_token_issue(account=owner.account)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    lines = list(BillLine.objects.filter(household=home).values_list("pk", flat=True))
    url = f"/api/v1/owner/households/{home.pk}/payments"

    refused = client.post(
        url, {"lines": lines, "method": "alipay", "jsapi": True}, content_type="application/json", **auth
    )
    assert refused.status_code == 400 and PaymentAttempt.objects.count() == 0

    created = client.post(
        url, {"lines": lines, "method": "wechat", "jsapi": True}, content_type="application/json", **auth
    )

    assert created.status_code == 201
    body = created.json()
    assert body["code_url"] == "" and body["jsapi_params"]["package"].startswith("prepay_id=")
    attempt = PaymentAttempt.objects.get()
    assert (attempt.channel, attempt.payer_ref) == (Channel.WECHAT_JSAPI, OPENID)
    paysim.pay(attempt.out_trade_no, notify=False)
    PaymentAttempt.objects.filter(pk=attempt.pk).update(
        created_at=timezone.now() - datetime.timedelta(seconds=6)
    )
    detail = client.get(f"{url}/{attempt.pk}", **auth).json()
    assert detail["state"] == "succeeded" and detail["receipt"]["number"] and detail["jsapi_params"] is None
    assert ledger_check(community=home.community) == []


def test_a_session_that_came_through_the_official_account_pays_by_jsapi(client, owner, home, paysim):  # noqa: F811
    from tests.portal.test_wechat import _wechat

    paysim_wechat_account(None, base_url=paysim.base_url)
    response, _callback = _wechat(client, "alice", start="/m/wechat/?next=/m/pay/mine/")  # the linked openid
    assert client.session[SESSION_ACCOUNT] == owner.account.pk
    client.get(response["Location"])
    lines = list(BillLine.objects.filter(household=home).values_list("pk", flat=True))

    client.post(reverse("portal:pay_bills"), {"lines": lines, "method": "wechat"})  # no WeChat user agent

    assert PaymentAttempt.objects.get().channel == Channel.WECHAT_JSAPI
