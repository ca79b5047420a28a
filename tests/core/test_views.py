"""A stopped or missing database answers 503 with Retry-After, in the visitor's language.

The site runs in a process of its own (gunicorn, as in production, without WUYE_DEBUG) against a
PostgreSQL port nobody listens on, or a SQLite file that cannot be opened; the test database is not
touched, so both cases run on either test run."""

import pytest

from tests.conftest import fetch, free_port, site

SESSION = "sessionid=" + "a" * 32  # a well-formed session key: the console looks it up in the database


def sqlite_unopenable(folder) -> dict[str, str]:
    (folder / "wuye.sqlite3").mkdir()  # a folder where the database file should be
    return {"DATABASE_URL": "", "WUYE_DATA_DIR": str(folder)}


def postgresql_stopped(folder) -> dict[str, str]:
    return {"DATABASE_URL": f"postgres://wuye@127.0.0.1:{free_port()}/wuye", "WUYE_DATA_DIR": str(folder)}


@pytest.fixture(
    scope="module",
    params=[postgresql_stopped, sqlite_unopenable],
    ids=["postgresql-stopped", "sqlite-unopenable"],
)
def site_without_database(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("site")
    with site(folder, **request.param(folder)) as base:
        yield base


def test_a_page_needing_the_database_answers_503_in_chinese_first(site_without_database):
    status, headers, body = fetch(site_without_database, "/console/", Cookie=SESSION)

    assert status == 503
    assert headers["Retry-After"] == "30"
    assert "no-cache" in headers["Cache-Control"]
    assert "<title>服务暂时不可用</title>" in body
    assert "服务暂时不可用，请稍候一分钟再试。" in body


def test_the_503_page_speaks_the_visitors_language(site_without_database):
    status, _headers, body = fetch(
        site_without_database, "/console/", Cookie=SESSION, **{"Accept-Language": "en"}
    )

    assert status == 503
    assert "<title>Service unavailable</title>" in body
    assert "The service is temporarily unavailable. Please try again in a minute." in body


def test_the_api_answers_503_in_json(site_without_database):
    status, headers, body = fetch(site_without_database, "/api/v1/households", Authorization="Bearer x")

    assert status == 503
    assert headers["Retry-After"] == "30"
    assert headers["Content-Type"] == "application/json"
    assert (
        body
        == '{"detail": "\\u670d\\u52a1\\u6682\\u65f6\\u4e0d\\u53ef\\u7528\\uff0c\\u8bf7\\u7a0d\\u5019\\u4e00\\u5206\\u949f\\u518d\\u8bd5\\u3002"}'
    )
