"""On a phone the portal installs as an app: the manifest is linked, the service worker takes over,
and with the network down a page opens as the portal's own offline page, not the browser's error."""

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_owner_flow import phone_page  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_with_the_network_down_the_portal_shows_its_offline_page(phone_page, community):  # noqa: F811
    page = phone_page
    page.goto("/m/login/")
    manifest = page.evaluate("fetch(document.querySelector('link[rel=manifest]').href).then(r => r.json())")
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/m/"
    scope = page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
    assert scope.endswith("/m/")
    page.wait_for_function("navigator.serviceWorker.controller !== null")

    page.context.set_offline(True)
    page.goto("/m/requests/")

    assert page.locator("#offline h1").inner_text() == "网络未连接"
    # The style sheet the worker kept: the bar is the portal's green.
    assert page.evaluate("getComputedStyle(document.querySelector('header.bar')).backgroundColor") == (
        "rgb(11, 110, 79)"
    )
    screenshot(page, "portal-offline")
    page.context.set_offline(False)
    page.reload()
    assert page.locator("#offline").count() == 0
