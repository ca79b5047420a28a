"""A cashier finds a household at the counter, records a prepayment, prints the receipt; an owner
scans its QR code on a phone and sees the receipt verified."""

import datetime

import pytest

from tests.browser.conftest import screenshot
from tests.factories import HouseholdRoomFactory, PersonFactory, UserFactory
from tests.payments.factories import issue_bill
from wuye.core.enums import Role
from wuye.payments.models import Receipt

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_cashier_records_a_prepayment_and_the_owner_verifies_it(page, browser, live_server, community):
    cashier = UserFactory(username="shouyin", first_name="李收银", roles=[(community, Role.CASHIER)])
    household = HouseholdRoomFactory(household__community=community, household__name="陈美玲").household
    PersonFactory(household=household, name="陈美玲", phone="13600002222")
    issue_bill(household, datetime.date(2026, 1, 1), [26850])

    page.goto("/console/login/")
    page.fill("#id_username", cashier.username)
    page.fill("#id_password", "pw-123456")
    page.click("button[type=submit].primary")
    page.wait_for_url("**/console/")

    page.click("nav.sidebar a[href='/console/counter/']")
    page.fill("#c-q", "13600002222")
    page.press("#c-q", "Enter")
    page.click('#counter-households a[href$="/prepayment/"]')
    assert "268.50" in page.locator("#open-bills").inner_text()
    page.fill("#id_amount", "1000")
    page.check("input[name=method][value=card]")
    page.fill("#id_note", "预存一年")
    screenshot(page, "counter-prepayment-form")
    page.click("#prepayment-form button[type=submit]")
    page.wait_for_url("**/console/receipts/*/")

    receipt = Receipt.objects.get()
    assert receipt.amount_fen == 100000
    assert receipt.display_number in page.locator("h1").inner_text()
    assert "壹仟元整" in page.locator("#receipt-amount").inner_text()
    screenshot(page, "receipt-detail")
    assert page.locator("#print-receipt").get_attribute("href").endswith("receipt.pdf")

    page.goto(f"/console/households/{household.pk}/")
    assert "731.50" in page.locator("#household-prepayment-balance").inner_text()
    screenshot(page, "household-prepayment-section")

    phone = browser.new_context(
        locale="zh-CN", viewport={"width": 375, "height": 720}, base_url=live_server.url
    )
    owner = phone.new_page()
    owner.goto(f"/r/{receipt.token}/")
    assert owner.locator("#verified").count() == 1
    assert owner.locator("#receipt-number").inner_text() == receipt.display_number
    assert "陈**" in owner.content()
    screenshot(owner, "receipt-verified-phone")
    phone.close()
