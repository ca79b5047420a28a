"""On a phone, an owner invites a visitor: makes a pass from 我的, opens its QR page and shares the link;
the visitor opens it on their own phone; the simulated gate (signed with the door's test key, over HTTP
to the live server) accepts the pass once, then refuses it, and the visitor's page says it is used up."""

import re

import pytest

from tests.access.factories import DoorFactory
from tests.browser.conftest import screenshot
from tests.factories import HouseholdRoomFactory, PersonFactory
from wuye.access.models import DoorEvent, VisitorPass
from wuye.access.sim import DoorSim
from wuye.owners.domain.bindings import binding_invite

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "13912345678"
PHONE_SIZE = {"width": 390, "height": 844}


def phone_context(browser, live_server):
    return browser.new_context(
        locale="zh-CN",
        viewport=PHONE_SIZE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        base_url=live_server.url,
    )


@pytest.fixture
def phone_page(browser, live_server):
    context = phone_context(browser, live_server)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def test_owner_invites_a_visitor_and_the_gate_accepts_the_pass_once(
    phone_page, browser, live_server, community, sms
):
    household = HouseholdRoomFactory(household__community=community, household__name="王小明").household
    person = PersonFactory(household=household, name="王小明", phone=PHONE)
    binding_invite(person=person, actor=None)
    gate = DoorFactory(community=community, name="东门", device_id="gate-east")
    page = phone_page

    # The owner logs in with the code sent by SMS.
    page.goto("/m/me/")
    page.wait_for_url("**/m/login/**")
    page.fill("input[name=phone]", PHONE)
    page.click("button[type=submit].primary")
    page.wait_for_url("**/m/login/code/**")
    page.fill("input[name=code]", sms.code(PHONE))
    page.click("button[type=submit].primary")
    page.wait_for_url("**/m/me/")

    # 我的 → visitor passes → a new pass for one visit, in the prefilled window (now, four hours).
    page.click("#profile-visitors")
    page.wait_for_url("**/m/visitors/")
    page.click("#visitor-new")
    page.wait_for_url("**/m/visitors/new/")
    page.fill("input[name=visitor_name]", "李访客")
    page.fill("input[name=visitor_phone]", "13800001111")
    assert page.input_value("input[name=max_uses]") == "1"
    screenshot(page, "portal-visitor-new")
    page.click("#visitor-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/m/v/[-\w]+/$"))
    visitor_pass = VisitorPass.objects.get()
    assert page.url.endswith(f"/m/v/{visitor_pass.token}/")
    assert page.locator("#visitor-qr svg").is_visible()
    share_url = page.locator("#share-url").inner_text()
    screenshot(page, "portal-visitor-pass")

    # The pass is listed, the visitor's phone masked.
    page.goto("/m/visitors/")
    row = page.locator("#visitor-passes li").first
    assert row.get_attribute("data-state") == "valid"
    assert "138****1111" in row.inner_text()

    # The visitor opens the shared link on their own phone (not logged in).
    visitor_context = phone_context(browser, live_server)
    visitor = visitor_context.new_page()
    visitor.goto(share_url)
    assert visitor.locator("#visitor-qr svg").is_visible()
    assert "王小明" not in visitor.content()
    assert visitor.locator("#share-url").count() == 0  # the link to send is the owner's only
    assert visitor.locator("#uses-left").inner_text() == "1"
    screenshot(visitor, "visitor-pass-on-the-visitors-phone")

    # At the gate: the simulated device reads the code and asks the live server, signed with its key.
    sim = DoorSim(gate, base_url=live_server.url)
    first = sim.present("pass", visitor_pass.token)
    second = sim.present("pass", visitor_pass.token)

    assert (first.status, first.body["result"], first.body["reason"]) == (200, "granted", "visitor")
    assert (second.status, second.body["result"], second.body["reason"]) == (200, "refused", "used_up")
    assert list(DoorEvent.objects.order_by("pk").values_list("result", flat=True)) == ["granted", "refused"]
    visitor.reload()
    assert visitor.locator("#visitor-pass").get_attribute("data-state") == "used"
    assert visitor.locator("#visitor-qr").count() == 0
    screenshot(visitor, "visitor-pass-used")
    visitor_context.close()
