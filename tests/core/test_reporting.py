"""Debug pages and ``wuye diffsettings`` show no password, key or DATABASE_URL."""

import sys
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import RequestFactory
from django.views.debug import technical_500_response

from tests.conftest import fetch, free_port, site
from wuye.core.reporting import hide_passwords

DATABASE_PASSWORD = "db-Pa55-word"
REDIS_PASSWORD = "redis-Pa55-word"
BROKER_PASSWORD = "broker-Pa55-word"
SECRETS = (DATABASE_PASSWORD, REDIS_PASSWORD, BROKER_PASSWORD)


def test_the_debug_page_of_a_failed_database_connection_shows_no_password(tmp_path):
    """The driver's connection parameters are local variables of the traceback; CONFIG and CACHES
    are settings: the page shows them all, without the passwords."""
    with site(
        tmp_path,
        WUYE_DEBUG="1",
        WUYE_DATA_DIR=str(tmp_path),
        DATABASE_URL=f"postgres://wuye:{DATABASE_PASSWORD}@127.0.0.1:{free_port()}/wuye",
        WUYE_CACHE_URL=f"redis://:{REDIS_PASSWORD}@127.0.0.1:{free_port()}/1",
        WUYE_BROKER_URL=f"redis://:{BROKER_PASSWORD}@127.0.0.1:{free_port()}/0",
    ) as base:
        status, _headers, page = fetch(base, "/console/", Cookie="sessionid=" + "a" * 32)

    assert status == 500
    assert "OperationalError" in page
    assert "Local vars" in page
    assert "CONFIG" in page
    assert "WUYE_CACHE_URL" in page
    assert [secret for secret in SECRETS if secret in page] == []


@pytest.mark.parametrize("accept", ["text/html", "text/plain"])
def test_the_debug_page_hides_urls_and_connection_strings_everywhere(rf: RequestFactory, settings, accept):
    settings.DEBUG = True
    settings.CONFIG = {**settings.CONFIG, "DATABASE_URL": f"postgres://wuye:{DATABASE_PASSWORD}@db/wuye"}
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "LOCATION": f"redis://:{REDIS_PASSWORD}@cache:6379/1"}
    }
    # runserver copies the environment into every request's META
    request = rf.get("/", HTTP_ACCEPT=accept, DATABASE_URL=f"postgres://wuye:{DATABASE_PASSWORD}@db/wuye")
    conninfo = f"dbname=wuye user=wuye password={BROKER_PASSWORD} host=db"  # noqa: F841 (a local of the frame)
    field_key = f"{REDIS_PASSWORD}-as-a-key"  # noqa: F841 (a local named like a secret)
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        response = technical_500_response(request, *sys.exc_info())

    page = response.content.decode()
    assert "boom" in page
    assert "DATABASE_URL" in page
    assert ("conninfo" in page) == (accept == "text/html")  # the HTML page lists the frame's locals
    assert ("field_key" in page) == (accept == "text/html")
    assert [secret for secret in SECRETS if secret in page] == []


def test_diffsettings_shows_no_password(settings):
    settings.CONFIG = {**settings.CONFIG, "WUYE_BROKER_URL": f"redis://:{BROKER_PASSWORD}@broker:6379/0"}
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "LOCATION": f"redis://:{REDIS_PASSWORD}@cache:6379/1"}
    }
    out = StringIO()

    call_command("diffsettings", "--all", stdout=out)

    assert "redis://:********************@broker:6379/0" in out.getvalue()
    assert "FIELD_KEY = '********************'" in out.getvalue()
    assert [secret for secret in SECRETS if secret in out.getvalue()] == []


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("postgres://wuye:secret@db:5432/wuye", "postgres://wuye:********************@db:5432/wuye"),
        ("redis://:secret@cache:6379/1", "redis://:********************@cache:6379/1"),
        ("postgres://wuye@db/wuye", "postgres://wuye@db/wuye"),
        ("https://example.com/a:b", "https://example.com/a:b"),
        ("host=db password='se cret' user=wuye", "host=db password=******************** user=wuye"),
        ("host=db PASSWORD=secret", "host=db PASSWORD=********************"),
    ],
)
def test_hide_passwords(text, hidden):
    assert hide_passwords(text) == hidden
