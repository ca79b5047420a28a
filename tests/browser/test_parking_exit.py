"""On a phone, a visitor's car leaves a car park: the simulated exit gate (signed, over HTTP to the live
server) asks for payment and shows the pay page's address; the driver opens it, pays at paysim's phone
page (WeChat Pay, the real SDK on our side), sees the receipt, and the gate opens; the books balance."""

import datetime
import re

import pytest
from django.utils import timezone

from tests.browser.conftest import screenshot
from tests.paysim.fixtures import _paysim_server, paysim  # noqa: F401
from wuye.parking.enums import GateDirection, VisitState
from wuye.parking.models import Gate, ParkingArea, ParkingVisit
from wuye.payments.domain.checks import ledger_check
from wuye.payments.models import Receipt
from wuye.paysim.gates import DEVICE_KEY_REF, GateSim
from wuye.paysim.seed import paysim_accounts

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_pays_at_the_exit_on_a_phone_and_the_gate_opens(
    browser,
    live_server,
    community,
    paysim,  # noqa: F811
    settings,
):
    settings.WUYE_PAYSIM_URL = paysim.base_url
    for account in paysim_accounts(community, base_url=paysim.base_url):
        account.notify_base_url = live_server.url
        account.save(update_fields=["notify_base_url"])
    area = ParkingArea.objects.create(community=community, name="地面停车场")
    for direction, device in ((GateDirection.ENTRY, "IN-1"), (GateDirection.EXIT, "OUT-1")):
        Gate.objects.create(
            community=community,
            area=area,
            name=device,
            direction=direction,
            device_id=device,
            key_ref=DEVICE_KEY_REF,
        )
    entry, exit_ = GateSim(live_server.url, "IN-1"), GateSim(live_server.url, "OUT-1")

    assert entry.car("京A00001")["action"] == "open"
    ParkingVisit.objects.update(entered_at=timezone.now() - datetime.timedelta(minutes=95))
    asked = exit_.car("京A00001")
    assert asked["action"] == "pay" and not exit_.is_open
    due = asked["due_fen"]

    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(asked["pay_url"])  # the QR code on the gate's screen
    assert page.locator("#park-plate").inner_text() == "京A00001"
    assert page.locator("#park-due").inner_text() == f"¥{due // 100}.{due % 100:02d}"
    screenshot(page, "parking-exit-phone")
    page.check("input[name=method][value=wechat]")
    page.click("#park-submit")
    page.wait_for_url(re.compile(r".*/m/pay/attempts/\d+/$"))
    status_url = page.url
    page.click("#open-code-url")
    page.wait_for_url(f"{paysim.base_url}/phone/**")
    page.click("button.pay")
    page.wait_for_selector(".result.paid")
    page.goto(status_url)
    page.wait_for_selector("#pay-receipt", timeout=20000)
    receipt = Receipt.objects.get()
    assert page.locator("#receipt-number").inner_text() == receipt.display_number
    assert page.locator("#park-done").count() == 1
    screenshot(page, "parking-paid-phone")
    context.close()

    leaving = exit_.car("京A00001")

    assert leaving["action"] == "open" and exit_.is_open
    visit = ParkingVisit.objects.get()
    assert (visit.state, visit.paid_fen, receipt.amount_fen) == (VisitState.LEFT, due, due)
    assert ledger_check(community=community) == []
