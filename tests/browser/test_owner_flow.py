"""An owner on a phone logs in with a one-time code and reports a leak with a photo; the front desk
assigns it, the technician does the work, the owner rates it, and the supervisor sees it on the
service dashboard."""

import re

import pytest

from tests.browser.conftest import screenshot
from tests.factories import HouseholdRoomFactory, PersonFactory, UserFactory
from tests.portal.conftest import png_bytes
from tests.service.factories import ServiceCategoryFactory
from wuye.core.enums import Role
from wuye.owners.domain.bindings import binding_invite
from wuye.service.models import RequestPhoto, ServiceRequest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "13912345678"
PHONE_SIZE = {"width": 390, "height": 844}


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


def staff_page(browser, live_server, user):
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 1366, "height": 900}, base_url=live_server.url
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto("/console/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "pw-123456")
    page.click("button[type=submit].primary")
    page.wait_for_url("**/console/")
    return page


def test_owner_reports_a_leak_staff_fix_it_owner_rates_it(phone_page, browser, live_server, community, sms):
    household = HouseholdRoomFactory(household__community=community, household__name="王小明").household
    person = PersonFactory(household=household, name="王小明", phone=PHONE)
    clerk = UserFactory(username="qiantai", roles=[(community, Role.FRONT_DESK)])
    technician = UserFactory(username="shifu", first_name="李师傅", roles=[(community, Role.TECHNICIAN)])
    supervisor = UserFactory(username="zhuguan", roles=[(community, Role.SUPERVISOR)])
    leak = ServiceCategoryFactory(
        community=community, name="漏水", parent=ServiceCategoryFactory(community=community, name="水电")
    )
    binding_invite(person=person, actor=clerk)
    page = phone_page

    # The owner logs in with the code sent by SMS (read here from the SMS gateway: nobody else can).
    page.goto("/m/")
    page.wait_for_url("**/m/login/**")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.fill("input[name=phone]", PHONE)
    page.click("button[type=submit].primary")
    page.wait_for_url("**/m/login/code/**")
    screenshot(page, "portal-login-code")
    page.fill("input[name=code]", sms.code(PHONE))
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r".*/m/$"))
    assert page.locator(".hero h1").inner_text() == "王小明"
    assert page.locator("nav.tabs a").count() == 5
    screenshot(page, "portal-home")

    # … and reports a leak in their home with a photo.
    page.click(".hero a.button")
    page.wait_for_url("**/m/requests/new/")
    page.select_option("select[name=category]", str(leak.pk))
    page.check("input[name=where][value=room]")
    page.fill("textarea[name=description]", "卫生间天花板漏水，滴到地上")
    page.set_input_files(
        "input[name=photos]",
        files=[{"name": "leak.png", "mimeType": "image/png", "buffer": png_bytes((64, 48))}],
    )
    screenshot(page, "portal-request-new")
    page.click("#request-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/m/requests/\d+/$"))
    request = ServiceRequest.objects.get()
    assert (request.household, request.person, request.channel, request.state) == (
        household,
        person,
        "portal",
        "submitted",
    )
    assert RequestPhoto.objects.filter(request=request).count() == 1
    photo = page.locator(".photos img").first
    photo.wait_for()
    # The page can be shown before the image has arrived: wait for it to decode, then measure it.
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=photo.element_handle())
    assert page.evaluate("(img) => img.naturalWidth", photo.element_handle()) == 64
    screenshot(page, "portal-request-submitted")

    # The front desk accepts and assigns it to the technician.
    desk = staff_page(browser, live_server, clerk)
    desk.goto(f"/console/service/requests/{request.pk}/")
    desk.click("#actions button[value=accept]")
    desk.wait_for_load_state()
    desk.select_option("#assignee", str(technician.pk))
    desk.click("#assign-form button[value=assign]")
    desk.wait_for_load_state()
    request.refresh_from_db()
    assert (request.state, request.assignee) == ("assigned", technician)

    # The technician starts and finishes the work.
    work = staff_page(browser, live_server, technician)
    work.goto(f"/console/service/requests/{request.pk}/")
    work.click("#actions button[value=start]")
    work.wait_for_load_state()
    work.click("#actions button[value=finish]")
    work.wait_for_load_state()
    request.refresh_from_db()
    assert request.state == "done"

    # The owner sees it done and rates it five stars.
    page.reload()
    assert page.locator("#rate").is_visible()
    page.locator(".stars-input label", has_text="5").tap()
    page.fill("#rate textarea[name=comment]", "师傅很专业")
    page.click("#rate button[type=submit]")
    page.wait_for_load_state()
    request.refresh_from_db()
    assert (request.state, request.stars, request.rating_comment) == ("rated", 5, "师傅很专业")
    assert page.locator(".stars").inner_text() == "★★★★★"
    screenshot(page, "portal-request-rated")

    # The supervisor sees the day's star on the service dashboard.
    board = staff_page(browser, live_server, supervisor)
    board.goto("/console/service/dashboard/")
    assert board.locator("#new-today .figure").inner_text() == "1"
    day_star = board.locator("#stars .star-card").first
    assert "李师傅" in day_star.inner_text()
    assert "5.00" in day_star.inner_text()
    screenshot(board, "service-dashboard-after-rating")
