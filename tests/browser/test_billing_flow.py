"""An administrator previews a month's billing run, sees its totals, issues it, and finds the bill on a
household's page."""

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from tests.billing.factories import FeeAssignmentFactory, FeeItemFactory
from tests.browser.conftest import screenshot
from tests.factories import (
    BuildingFactory,
    HouseholdFactory,
    HouseholdRoomFactory,
    RoomFactory,
    UnitFactory,
    UserFactory,
)
from wuye.billing.enums import RunState
from wuye.billing.models import Bill, BillingRun, BillLine
from wuye.core.enums import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _estate(community):
    """Two households in 1栋 1单元 (101: 89.55 m², 102: 100 m²): 物业费 2.3456 yuan/m², 卫生费 15 yuan."""
    unit = UnitFactory(building=BuildingFactory(community=community, name="1栋"), name="1单元")
    start = datetime.date(2020, 1, 1)
    area = FeeItemFactory(community=community, name="物业费", price=Decimal("2.3456"), valid_from=start)
    fixed = FeeItemFactory(
        community=community,
        name="卫生费",
        category="sanitation",
        method="fixed",
        price=Decimal("15"),
        valid_from=start,
    )
    households = []
    for number, area_m2, name in (("101", "89.55", "张建国"), ("102", "100.00", "李秀英")):
        room = RoomFactory(unit=unit, number=number, built_area=Decimal(area_m2))
        households.append(
            HouseholdRoomFactory(
                household=HouseholdFactory(community=community, name=name), room=room
            ).household
        )
        for item in (area, fixed):
            FeeAssignmentFactory(fee_item=item, room=room, starts_on=start)
    return households


def test_preview_issue_and_see_the_bill_on_the_household_page(page, community):
    admin = UserFactory(username="zhuguan", roles=[(community, Role.ADMINISTRATOR)])
    zhang, _li = _estate(community)

    page.goto("/console/login/")
    page.fill("#id_username", admin.username)
    page.fill("#id_password", "pw-123456")
    page.click("button[type=submit].primary")
    page.wait_for_url("**/console/")

    page.click(".sidebar a[href='/console/billing/runs/']")
    page.wait_for_url("**/console/billing/runs/")
    page.fill("#id_month", "2026-11")
    page.click("form.filters button[type=submit].primary")
    page.wait_for_url("**/console/billing/runs/*/")
    run = BillingRun.objects.get(community=community)
    assert run.state == RunState.PREVIEWED
    # 物业费 89.55 × 2.3456 = 210.04848 → 210.05 and 100 × 2.3456 = 234.56; 卫生费 2 × 15.00.
    by_item = page.locator("#by-item tbody tr")
    assert by_item.count() == 2
    assert by_item.nth(0).inner_text().split("\t") == ["物业费", "2", "444.61", "0.00", "444.61"]
    assert by_item.nth(1).inner_text().split("\t") == ["卫生费", "2", "30.00", "0.00", "30.00"]
    assert "474.61" in page.locator(".cards").inner_text()
    screenshot(page, "billing-run-preview")
    assert Bill.objects.count() == 0

    page.once("dialog", lambda dialog: dialog.accept())  # the button asks "Issue these bills now?"
    page.click("#issue")
    page.wait_for_load_state()
    with translation.override("zh-hans"):
        issued = str(RunState.ISSUED.label)
    progress = page.locator("#run-progress")
    assert issued in progress.inner_text()
    assert "474.61" in progress.inner_text()
    assert page.locator("#issue").count() == 0
    screenshot(page, "billing-run-issued")
    run.refresh_from_db()
    assert (run.state, run.lines_issued, run.total_fen) == (RunState.ISSUED, 4, 47461)

    page.goto(f"/console/households/{zhang.pk}/")
    bills = page.locator("#bills")
    bill_row = bills.locator("tr.bill-row")
    assert bill_row.count() == 1
    assert "2026-11" in bill_row.inner_text()
    assert "225.05" in bill_row.inner_text()  # 210.05 + 15.00
    lines = [row.inner_text() for row in bills.locator("tr.line-row").all()]
    assert len(lines) == 2
    assert "物业费" in lines[0] and "210.05" in lines[0]
    assert "卫生费" in lines[1] and "15.00" in lines[1]
    bills.scroll_into_view_if_needed()
    screenshot(page, "household-bill")
    assert BillLine.objects.filter(household=zhang).count() == 2
