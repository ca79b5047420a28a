"""Inside WeChat on a phone: the owner opens the portal from the official account's menu, signs in once
with a code (WeChat is linked), pays a bill by JSAPI, sees it in 我的缴费 with its receipt, and the next
time the menu signs them in by itself.

paysim plays the official account's authorisation, WeChat Pay and its pay sheet (standing in for
WeixinJSBridge), in this test process; its payment notification goes over HTTP to the live server."""

import datetime
import re

import pytest
from django.core.cache import cache

from tests.browser.conftest import screenshot
from tests.factories import HouseholdRoomFactory, PersonFactory
from tests.payments.factories import issue_bill
from tests.paysim.fixtures import _paysim_server, paysim  # noqa: F401
from tests.portal.test_wechat import WECHAT_UA
from wuye.owners.domain.bindings import binding_invite
from wuye.owners.models import OwnerAccount
from wuye.payments.domain.checks import ledger_check
from wuye.payments.enums import Channel
from wuye.payments.models import PaymentAttempt, Receipt
from wuye.paysim import mp
from wuye.paysim.seed import paysim_accounts, paysim_wechat_account

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "13912345678"
JAN = datetime.date(2026, 1, 1)


@pytest.fixture
def wechat_page(browser, live_server, paysim):  # noqa: F811
    """A phone in WeChat's browser (its user agent), as the WeChat user "alice" at paysim."""
    context = browser.new_context(
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        user_agent=WECHAT_UA,
        base_url=live_server.url,
    )
    context.add_cookies([{"name": mp.USER_COOKIE, "value": "alice", "url": paysim.base_url}])
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def test_an_owner_in_wechat_signs_in_from_the_menu_and_pays_by_jsapi(
    wechat_page,
    live_server,
    community,
    paysim,  # noqa: F811
    sms,
    settings,
):
    cache.clear()
    settings.WUYE_PAYSIM_URL = paysim.base_url
    household = HouseholdRoomFactory(household__community=community, household__name="王小明").household
    person = PersonFactory(household=household, name="王小明", phone=PHONE)
    binding_invite(person=person, actor=None)
    issue_bill(household, JAN, [21480, 1500])
    for account in paysim_accounts(community, base_url=paysim.base_url):
        account.notify_base_url = live_server.url
        account.save(update_fields=["notify_base_url"])
    paysim_wechat_account(community.company, base_url=paysim.base_url)
    page = wechat_page

    # The official account's menu: WeChat authorises silently, the portal asks once for the phone.
    page.goto("/m/wechat/?next=/m/")
    page.wait_for_url(re.compile(r".*/m/login/.*"))
    page.fill("input[name=phone]", PHONE)
    page.click("button[type=submit].primary")
    page.wait_for_url("**/m/login/code/**")
    page.fill("input[name=code]", sms.code(PHONE))
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r".*/m/(#.*)?$"))  # the browser keeps WeChat's #wechat_redirect
    openid = mp.openid_for(mp.APP_ID, "alice")
    assert OwnerAccount.objects.get(phone=PHONE).wechat_openid == openid

    # Paying: WeChat Pay's own sheet, no QR code.
    page.goto("/m/pay/mine/")
    page.wait_for_url("**/m/pay/")
    page.check("input[name=method][value=wechat]")
    page.click("#pay-submit")
    page.wait_for_url(re.compile(r".*/m/pay/attempts/\d+/$"))
    attempt = PaymentAttempt.objects.get()
    assert (attempt.channel, attempt.payer_ref, attempt.amount_fen) == (Channel.WECHAT_JSAPI, openid, 22980)
    assert page.locator("svg.pay-qr").count() == 0
    screenshot(page, "wechat-jsapi-attempt-phone")
    page.click("#jsapi-pay")
    page.wait_for_url(f"{paysim.base_url}/phone/**")
    assert "229.80" in page.locator(".amount").inner_text()
    page.click("button.pay")
    page.wait_for_selector(".result.paid")
    page.click("#return")
    page.wait_for_selector("#pay-receipt", timeout=20000)
    receipt = Receipt.objects.get()
    assert page.locator("#receipt-number").inner_text() == receipt.display_number
    screenshot(page, "wechat-jsapi-receipt-phone")

    # 我的缴费 lists it with its receipt.
    page.goto("/m/payments/")
    assert page.locator(f"#receipt-{receipt.display_number}").count() == 1
    assert ledger_check(community=community) == []

    # Next time the menu signs the owner in by itself.
    page.context.clear_cookies()
    page.context.add_cookies([{"name": mp.USER_COOKIE, "value": "alice", "url": paysim.base_url}])
    page.goto("/m/wechat/?next=/m/payments/")
    page.wait_for_url(re.compile(r".*/m/payments/(#.*)?$"))
    assert page.locator(f"#receipt-{receipt.display_number}").count() == 1
