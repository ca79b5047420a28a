"""Structured logs: the request id (kept from a sane X-Request-ID, else made) on every record of the
request and in the answer, and one JSON object per line with WUYE_LOG_FORMAT=json."""

import json
import logging
import re
import subprocess
import sys

import pytest

from wuye.core.logs import JsonFormatter, RequestIdFilter, request_id_get, request_id_reset, request_id_set

NEW_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def records(caplog):
    """The records of the test, through the filter the settings put on every handler."""
    caplog.handler.addFilter(RequestIdFilter())
    caplog.set_level(logging.INFO)
    yield lambda: caplog.records  # the records of the test's own phase, read when asked
    caplog.handler.filters.clear()


def test_a_sane_incoming_request_id_is_kept_on_the_answer_and_every_record(client, db, records):
    response = client.get("/no-such-page/", HTTP_X_REQUEST_ID="lb-2f1c:7.a")

    assert response.status_code == 404
    assert response["X-Request-ID"] == "lb-2f1c:7.a"
    # Django logs the 404 after the middleware has answered: the record still carries the id.
    not_found = [record for record in records() if record.name == "django.request"]
    assert [(record.getMessage(), record.request_id) for record in not_found] == [
        ("Not Found: /no-such-page/", "lb-2f1c:7.a")
    ]
    assert request_id_get() == ""  # cleared once the answer has gone out


@pytest.mark.parametrize("incoming", [None, "", "two words", "x" * 129, "id\r\nX-Forged: 1", "-leading-dash"])
def test_a_missing_or_insane_request_id_is_replaced_by_a_new_one(client, db, records, incoming):
    headers = {} if incoming is None else {"HTTP_X_REQUEST_ID": incoming}

    first = client.get("/no-such-page/", **headers)["X-Request-ID"]
    second = client.get("/no-such-page/", **headers)["X-Request-ID"]

    assert NEW_ID.fullmatch(first) and NEW_ID.fullmatch(second) and first != second
    assert [record.request_id for record in records() if record.name == "django.request"] == [first, second]


def test_outside_a_request_records_say_dash(records):
    logging.getLogger("wuye.test").info("between requests")

    assert records()[-1].request_id == "-"


def test_a_job_takes_the_request_id_it_is_given(records):
    token = request_id_set("queued-by-4711")
    try:
        logging.getLogger("wuye.test").info("in the job")
    finally:
        request_id_reset(token)

    assert records()[-1].request_id == "queued-by-4711"
    assert request_id_get() == ""


def test_the_json_formatter_writes_one_object_per_line():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord(
            "wuye.jobs", logging.ERROR, __file__, 1, "job %s failed", ("x",), sys.exc_info()
        )
    record.request_id = "abc"
    record.community = 7  # an extra= value

    line = JsonFormatter().format(record)

    assert "\n" not in line
    entry = json.loads(line)
    assert entry["time"].endswith("+00:00")
    assert {key: entry[key] for key in ("level", "logger", "message", "request_id", "community")} == {
        "level": "ERROR",
        "logger": "wuye.jobs",
        "message": "job x failed",
        "request_id": "abc",
        "community": 7,
    }
    assert entry["exception"].startswith("Traceback") and "ValueError: boom" in entry["exception"]


def test_wuye_log_format_json_makes_the_logs_json_lines(tmp_path):
    code = (
        "import django, logging; django.setup(); from wuye.core.logs import request_id_set;"
        "request_id_set('req-1'); logging.getLogger('wuye.payments').warning('收到通知 %s', 42)"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "wuye.settings",
        "WUYE_DATA_DIR": str(tmp_path),
        "WUYE_SECRET_KEY": "production-secret",
        "WUYE_FIELD_KEY": "k" * 40,
        "WUYE_LOG_FORMAT": "json",
    }
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    assert [(line["level"], line["logger"], line["message"], line["request_id"]) for line in lines] == [
        ("WARNING", "wuye.payments", "收到通知 42", "req-1")
    ]
