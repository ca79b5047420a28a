"""An accountant opens the takings reports from the sidebar, switches to the month report and sees the
month's takings drawn by the bundled Chart.js: nothing is fetched from outside the server."""

import pytest

from tests.browser.conftest import screenshot
from tests.factories import UserFactory
from tests.recon.reports_fixture import build_takings
from wuye.core.enums import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_month_report_draws_its_charts_from_local_files(page, live_server, community):
    build_takings(community)
    accountant = UserFactory(username="kuaiji", first_name="会计", roles=[(community, Role.ACCOUNTANT)])
    requests = []
    page.on("request", lambda request: requests.append(request.url))

    page.goto("/console/login/")
    page.fill("#id_username", accountant.username)
    page.fill("#id_password", "pw-123456")
    page.click("button[type=submit].primary")
    page.wait_for_url("**/console/")
    page.click("nav.sidebar a[href='/console/reports/takings/']")
    page.fill("#id_day", "2026-03-15")
    page.click("form.filters button[type=submit]")
    page.click("#period-tabs a:has-text('月报')")
    page.wait_for_url("**period=month**")

    assert page.locator("#takings-total").inner_text() == "450.00"
    assert page.locator("#net-total").inner_text() == "430.00"
    assert "450.00" in page.locator("#takings-periods tfoot").inner_text()
    page.wait_for_function("() => window.Chart && window.Chart.getChart('takings-chart')")
    drawn = page.evaluate(
        """() => ['takings-chart', 'rate-chart'].map((id) => {
            const chart = window.Chart.getChart(id);
            return [chart.config.type, chart.data.datasets.length, chart.canvas.width > 0];
        })"""
    )
    assert drawn == [["bar", 4, True], ["line", 1, True]]
    screenshot(page, "takings-month-report")
    assert requests and all(url.startswith(live_server.url) for url in requests)
