"""A front-desk clerk logs in, finds a household by phone, tags it, and sees it in the filtered list."""

import pytest

from tests.browser.conftest import screenshot
from tests.factories import HouseholdRoomFactory, PersonFactory, TagFactory, UserFactory
from wuye.core.enums import Role
from wuye.households.models import HouseholdTag

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_find_by_phone_tag_and_filter(page, community):
    clerk = UserFactory(username="qiantai", roles=[(community, Role.FRONT_DESK)])
    target = HouseholdRoomFactory(household__community=community, household__name="刘德明").household
    PersonFactory(household=target, name="刘德明", phone="13700001111")
    for _ in range(3):
        HouseholdRoomFactory(household__community=community)
    tag = TagFactory(community=community, name="独居老人", colour="orange")

    page.goto("/console/login/")
    assert "登录" in page.content()
    page.fill("#id_username", clerk.username)
    page.fill("#id_password", "pw-123456")
    page.click("button[type=submit].primary")
    page.wait_for_url("**/console/")

    page.fill("input[type=search][name=q]", "13700001111")
    page.press("input[type=search][name=q]", "Enter")
    page.wait_for_url(f"**/console/households/{target.pk}/")
    assert page.locator("h1").inner_text() == "刘德明"

    page.select_option("#tags select[name=tag]", str(tag.pk))
    page.click("#tags button[value=apply]")
    page.wait_for_load_state()
    assert page.locator("#tags .tag", has_text="独居老人").count() == 1
    screenshot(page, "household-tagged")
    assert HouseholdTag.objects.filter(household=target, tag=tag).count() == 1

    page.goto("/console/households/")
    page.check(f"#filter-form input[name=tag][value='{tag.pk}']")
    page.click("#filter-form button[type=submit]")
    page.wait_for_url(f"**tag={tag.pk}**")
    rows = page.locator("#households tbody tr")
    assert rows.count() == 1
    assert "刘德明" in rows.first.inner_text()
    assert "独居老人" in rows.first.inner_text()
    screenshot(page, "households-filtered")
