"""An owner scans the community's poster on a phone, finds the room, confirms with the last four digits
of the registered phone, pays two bills by WeChat Pay in the simulator and sees the receipt; the
household's page in the console shows the payment on its timeline.

The channel is paysim (a thread of this test process) driven through the real WeChat Pay SDK; paysim's
notification goes over HTTP to the live server's notify endpoint."""

import datetime
import re

import pytest
from django.core.cache import cache

from tests.browser.conftest import screenshot
from tests.factories import (
    BuildingFactory,
    HouseholdRoomFactory,
    PersonFactory,
    RoomFactory,
    UnitFactory,
    UserFactory,
)
from tests.payments.factories import issue_bill
from tests.paysim.fixtures import _paysim_server, paysim  # noqa: F401
from wuye.billing.models import BillLine, FeeItem
from wuye.core.enums import Role
from wuye.payments.models import PaymentAttempt, Receipt
from wuye.paysim.seed import paysim_accounts
from wuye.portal.domain.poster import community_pay_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_SIZE = {"width": 390, "height": 844}
JAN, FEB = datetime.date(2026, 1, 1), datetime.date(2026, 2, 1)


@pytest.fixture
def phone_page(browser, live_server):
    """A phone-sized, touch, mobile browser in Chinese."""
    context = browser.new_context(
        locale="zh-CN",
        viewport=PHONE_SIZE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        base_url=live_server.url,
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def _named_bill(household, period, amounts_by_name: dict[str, int]):
    bill = issue_bill(household, period, list(amounts_by_name.values()))
    for line, name in zip(bill.lines.order_by("pk"), amounts_by_name, strict=True):
        FeeItem.objects.filter(pk=line.fee_item_id).update(name=name)
    return bill


def test_owner_pays_two_bills_by_qr_and_staff_see_it(phone_page, browser, live_server, community, paysim):  # noqa: F811
    cache.clear()
    RoomFactory(unit=UnitFactory(building=BuildingFactory(community=community, name="1栋"), name="1单元"))
    unit = UnitFactory(building=BuildingFactory(community=community, name="3栋"), name="2单元")
    RoomFactory(unit=unit, number="501", floor=5)
    room = RoomFactory(unit=unit, number="502", floor=5)
    household = HouseholdRoomFactory(
        household__community=community, household__name="王小明", room=room
    ).household
    PersonFactory(household=household, name="王小明", phone="13912345678")
    _named_bill(household, JAN, {"物业费": 21480, "卫生费": 1500})
    _named_bill(household, FEB, {"电梯费": 3000, "车位管理费": 15000})
    wechat, _alipay = paysim_accounts(community, base_url=paysim.base_url)
    for account in (wechat, _alipay):
        account.notify_base_url = live_server.url
        account.save(update_fields=["notify_base_url"])
    page = phone_page

    # The poster's QR code opens the community's pay page; the owner picks 3栋 → 2单元 → 502.
    page.goto(community_pay_url(community).replace("http://127.0.0.1:8000", live_server.url))
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("#pick-unit").is_disabled()
    with page.expect_navigation():
        page.select_option("#pick-building", label="3栋")
    # One unit in the building: it is chosen already, the rooms are offered.
    with page.expect_navigation():
        page.select_option("#pick-room", label="502")
    assert page.locator("#chosen-room").inner_text() == "3栋-2单元-502"
    page.fill("#id_answer", "5678")
    page.click("#pay-identify")
    page.wait_for_url("**/m/pay/")

    # Both bills, every line ticked; the total is theirs.
    assert page.locator("input[name=lines]:checked").count() == 4
    assert page.locator("#pay-total").inner_text() == "409.80"
    assert "物业费" in page.locator("#pay-form").inner_text()
    page.check("input[name=method][value=wechat]")
    screenshot(page, "qr-pay-bills-phone")
    page.click("#pay-submit")
    page.wait_for_url(re.compile(r".*/m/pay/attempts/\d+/$"))
    attempt = PaymentAttempt.objects.get()
    assert attempt.amount_fen == 40980
    assert page.locator("svg.pay-qr").count() == 1
    screenshot(page, "qr-pay-code-phone")
    status_url = page.url

    # "Open on this phone": the simulator's phone page; confirm, and paysim notifies the live server.
    page.click("#open-code-url")
    page.wait_for_url(f"{paysim.base_url}/phone/**")
    assert "409.80" in page.locator(".amount").inner_text()
    page.click("button.pay")
    page.wait_for_selector(".result.paid")

    page.goto(status_url)
    page.wait_for_selector("#pay-receipt", timeout=20000)
    receipt = Receipt.objects.get()
    assert page.locator("#receipt-number").inner_text() == receipt.display_number
    assert page.locator("#receipt-amount").inner_text() == "¥409.80"
    assert receipt.amount_fen == 40980
    assert sorted(BillLine.objects.filter(household=household).values_list("paid_fen", flat=True)) == sorted(
        BillLine.objects.filter(household=household).values_list("amount_fen", flat=True)
    )
    screenshot(page, "qr-pay-receipt-phone")
    pdf = page.request.get(page.locator("#receipt-pdf").get_attribute("href"))
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    page.click("#back-to-bills")
    assert page.locator("#pay-nothing").count() == 1

    # The cashier sees the payment on the household's timeline.
    cashier = UserFactory(username="shouyin", roles=[(community, Role.CASHIER)])
    console = browser.new_context(
        locale="zh-CN", viewport={"width": 1366, "height": 900}, base_url=live_server.url
    ).new_page()
    console.goto("/console/login/")
    console.fill("#id_username", cashier.username)
    console.fill("#id_password", "pw-123456")
    console.click("button[type=submit].primary")
    console.wait_for_url("**/console/")
    console.goto(f"/console/households/{household.pk}/")
    timeline = console.locator("#timeline").inner_text()
    assert receipt.display_number in timeline
    assert "409.80" in timeline
    screenshot(console, "qr-pay-household-timeline")
