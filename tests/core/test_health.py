"""``/healthz``: the database, the cache, the broker and the migrations, each with its state.

The stopped database and the unmigrated one are served by a site in a process of its own (gunicorn,
as in production), so the test database is never touched; the broker and the cache are pointed at a
port nobody listens on, or at a redis-server of the test run."""

import json

import pytest

from tests.conftest import fetch, free_port, site

HEALTHY = {
    "database": {"state": "ok"},
    "cache": {"state": "ok", "backend": "memory"},
    "broker": {"state": "not configured"},
    "migrations": {"state": "ok", "pending": 0},
}


def checks(response) -> dict:
    body = response.json()
    for check in body["checks"].values():
        check.pop("vendor", None)
    return body


@pytest.fixture
def no_broker(settings):
    settings.WUYE_BROKER_URL = ""


def test_all_good_is_200_with_each_part_and_no_login(client, db, no_broker):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    assert checks(response) == {"status": "ok", "checks": HEALTHY}


def test_a_broker_nobody_listens_on_is_503_naming_the_broker(client, db, settings):
    settings.WUYE_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"

    response = client.get("/healthz")

    assert response.status_code == 503
    assert checks(response) == {
        "status": "failing",
        "checks": {**HEALTHY, "broker": {"state": "failing", "error": "ConnectionError"}},
    }
    assert "127.0.0.1" not in response.content.decode()


def test_a_running_broker_is_ok(client, db, settings, redis_url):
    settings.WUYE_BROKER_URL = redis_url

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["checks"]["broker"] == {"state": "ok"}


def test_a_redis_cache_nobody_listens_on_is_503_naming_the_cache(client, db, settings, no_broker):
    settings.CACHES = {
        "default": {
            "BACKEND": "wuye.core.cache.RedisCacheWithFallback",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/1",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == {
        "state": "failing",
        "error": "ConnectionError",
        "backend": "redis",
    }


def test_the_load_balancer_probe_is_not_redirected_to_https(client, db, settings, no_broker):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/healthz").status_code == 200
    assert client.get("/console/login/").status_code == 301  # the control: other pages are


def test_a_stopped_database_is_503_naming_the_database_and_no_address(tmp_path):
    port = free_port()
    with site(tmp_path, DATABASE_URL=f"postgres://wuye:pw-not-shown@127.0.0.1:{port}/wuye") as base:
        status, headers, body = fetch(base, "/healthz")

    assert status == 503
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {
        "status": "failing",
        "checks": {
            **HEALTHY,
            "database": {"state": "failing", "error": "OperationalError"},
            "migrations": {"state": "unknown"},
        },
    }
    assert str(port) not in body and "pw-not-shown" not in body


def test_pending_migrations_are_503_with_their_count(tmp_path):
    with site(tmp_path, DATABASE_URL="", WUYE_DATA_DIR=str(tmp_path)) as base:  # a new, empty SQLite file
        status, _headers, body = fetch(base, "/healthz")

    assert status == 503
    answer = json.loads(body)
    assert answer["checks"]["database"] == {"state": "ok", "vendor": "sqlite"}
    assert answer["checks"]["migrations"]["state"] == "failing"
    assert answer["checks"]["migrations"]["pending"] > 50
