"""The product's own 404 and 500 pages, Chinese first, in the demo (debug off) as in production:
never Django's debug page with the URL list and the settings' paths."""

import pytest
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import translation
from django.views.static import serve

from wuye.core.views import server_error


@pytest.fixture
def demo(settings):
    settings.DEBUG, settings.DEMO = False, True


def test_a_missing_page_in_the_demo_is_the_products_404_in_chinese(client, db, demo, settings):
    response = client.get("/console/no-such-page/")

    assert response.status_code == 404
    page = response.content.decode()
    assert '<html lang="zh-hans">' in page
    assert "<title>页面不存在 · 物业</title>" in page
    assert "<h1>页面不存在</h1>" in page
    assert '<a href="/">返回首页</a>' in page
    assert '<a href="/m/">业主门户</a>' in page
    for leak in ("URLconf", "console/", settings.MEDIA_URL, str(settings.MEDIA_ROOT), "DEBUG"):
        assert leak not in page.replace('href="/m/"', ""), leak


def test_the_404_page_speaks_the_visitors_language(client, db, demo):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in response.content.decode()
    assert '<a href="/">Back to the home page</a>' in response.content.decode()


def test_the_control_debug_mode_shows_djangos_technical_page(client, db, settings):
    settings.DEBUG = True

    assert "URLconf" in client.get("/no-such-page/").content.decode()


@pytest.mark.parametrize(
    ("language", "title", "home"),
    [
        ("zh-hans", "<h1>服务器出错</h1>", "返回首页"),
        ("en", "<h1>Server error</h1>", "Back to the home page"),
    ],
)
def test_the_500_page_is_the_products_and_needs_no_context(language, title, home):
    request = RequestFactory().get("/console/")

    with translation.override(language):
        response = server_error(request)

    assert response.status_code == 500
    page = response.content.decode()
    assert f'<html lang="{language}">' in page
    assert title in page and f'<a href="/">{home}</a>' in page


def _views(resolver):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _views(entry)
        elif isinstance(entry, URLPattern):
            yield entry.callback


def test_no_url_serves_files_through_djangos_static_view(demo):
    """Static files go out through WhiteNoise (the middleware), uploads only through views that check
    the requester's right: no route to django.views.static.serve, debug or not."""
    assert serve not in list(_views(get_resolver()))
