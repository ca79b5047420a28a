"""`wuye bench http` runs the whole owner mix against a real gunicorn, paysim and locust (a short run
on a throwaway SQLite database of its own, as a person runs it)."""

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import on_postgres


def _wuye(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "wuye", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_bench_http_drives_the_owner_mix_and_every_payment_lands_once(tmp_path):
    if on_postgres():
        pytest.skip("a database of its own: once, in the SQLite half, is enough")
    env = {
        **os.environ,
        "DATABASE_URL": "",
        "WUYE_DATA_DIR": str(tmp_path),
        "WUYE_DEBUG": "",
        "DJANGO_SETTINGS_MODULE": "wuye.settings",
    }
    migrated = _wuye("migrate", "--noinput", "-v", "0", env=env)
    assert migrated.returncode == 0, migrated.stderr[-3000:]

    ran = _wuye(
        "bench", "http", "--households", "40", "--seconds", "6", "--workers", "1", "--users", "2", env=env
    )

    assert ran.returncode == 0, ran.stderr[-3000:]
    result = json.loads(ran.stdout.strip().splitlines()[-1])
    assert (result["households"], result["errors"], result["baseline_errors"]) == (40, 0, 0)
    assert result["requests"] > 0 and result["baseline_requests"] > 0
    assert result["payments_started"] >= 1
    # Every order an owner confirmed on paysim's phone was applied once and shown to them as paid.
    assert result["payments_applied"] == result["payments_seen_paid"] == result["payments_started"]
    assert result["ledger_balanced"] is True
    assert set(result) >= {"rps", "p50_ms", "p99_ms", "baseline_rps", "ratio"}
