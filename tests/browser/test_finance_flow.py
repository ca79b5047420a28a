"""A cashier hands over a shift and a supervisor signs it off; the accountant reconciles yesterday's
channel bills, finds the one payment whose notification was lost, books it, and closes the day."""

import datetime

import pytest
import time_machine

from tests.browser.conftest import screenshot
from tests.factories import UserFactory
from tests.paysim.fixtures import _paysim_server, paysim  # noqa: F401
from tests.recon.test_runs import _household, back, paid
from wuye.core.enums import Role
from wuye.payments.domain.payments import counter_payment_take
from wuye.paysim.seed import paysim_accounts
from wuye.recon.domain.runs import day_window
from wuye.recon.models import DayClose, Difference, Shift

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, user):
    page.goto("/console/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "pw-123456")
    page.click("button[type=submit].primary")
    page.wait_for_url("**/console/")


def test_cashier_hands_over_and_the_accountant_reconciles_and_closes_the_day(page, community, paysim):  # noqa: F811
    paysim.faults.update(drop=True)
    paysim_accounts(community, base_url=paysim.base_url)
    cashier = UserFactory(username="shouyin", first_name="李收银", roles=[(community, Role.CASHIER)])
    supervisor = UserFactory(username="zhuguan", first_name="陈主管", roles=[(community, Role.SUPERVISOR)])
    accountant = UserFactory(username="kuaiji", first_name="吴会计", roles=[(community, Role.ACCOUNTANT)])
    day = back(1)
    with time_machine.travel(day_window(day)[0] + datetime.timedelta(hours=18), tick=True):
        paid(paysim, _household(community, 26850), "wechat", day)
        paid(paysim, _household(community, 15000), "alipay", day)
        lost = paid(paysim, _household(community, 9900), "wechat", day, query=False)
        counter_payment_take(
            household=_household(community, 12000),
            line_ids=None,
            method="cash",
            key="d1",
            tendered_fen=12000,
            actor=cashier,
        )

    login(page, cashier)
    page.goto("/console/counter/handover/")
    assert "120.00" in page.locator("#system-total").inner_text()
    page.fill("#id_cash", "120")
    page.click("#hand-over")
    page.wait_for_url("**/console/counter/handover/")
    screenshot(page, "finance-handover")
    shift = Shift.objects.get()
    assert (shift.system_cash_fen, shift.difference_fen, shift.state) == (12000, 0, "submitted")

    page.context.clear_cookies()
    login(page, supervisor)
    page.goto(f"/console/recon/shifts/{shift.pk}/")
    page.click("#sign-off")
    page.wait_for_url(f"**/console/recon/shifts/{shift.pk}/")
    assert page.locator("#shift-state").inner_text() == "已签核"

    page.context.clear_cookies()
    login(page, accountant)
    for method in ("wechat", "alipay"):
        page.goto("/console/recon/")
        page.select_option("#id_method", method)
        page.fill("#id_day", day.isoformat())
        page.click("#reconcile")
        page.wait_for_url("**/console/recon/*/")
    assert page.locator("#run-state").inner_text() == "全部相符"  # Alipay's bill
    page.goto("/console/recon/differences/")
    assert page.locator("#differences tbody tr").count() == 1
    page.click(f"#differences a:text('{lost.out_trade_no}')")
    assert "99.00" in page.locator("#theirs").inner_text()
    screenshot(page, "finance-difference")
    page.click("#book")
    page.wait_for_url("**/console/recon/differences/*/")
    assert page.locator("#difference-state").inner_text() == "已处理"
    assert Difference.objects.get().resolution == "booked"
    lost.refresh_from_db()
    assert lost.state == "succeeded"

    page.goto(f"/console/recon/days/?day={day.isoformat()}")
    assert page.locator("#ready").count() == 1
    page.click("#close-day")
    page.wait_for_url("**/console/recon/days/*")
    assert page.locator("#day-state").inner_text() == "已日结"
    screenshot(page, "finance-day-closed")
    closed = DayClose.objects.get()
    assert closed.takings == {"alipay": [1, 15000], "cash": [1, 12000], "wechat": [1, 26850]}

    page.goto(f"/console/reports/takings/?period=month&day={day.isoformat()}")
    assert page.locator("#takings-total").inner_text() == "637.50"  # the lost payment counted too
    by_channel = page.locator("#by-channel").inner_text()
    assert (
        "微信支付\t2\t367.50" in by_channel and "现金\t1\t120.00" in by_channel
    )  # 268.50 + the booked 99.00
    screenshot(page, "finance-month-report")
