"""The production guide holds: `wuye check --deploy` is clean with the documented environment
(deploy/env), the README shows exactly the files in deploy/, and the README's configuration table
has a row for every setting of wuye.config and none other."""

import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from wuye import config

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
README = (ROOT / "README.md").read_text(encoding="utf-8")
UNITS = ("wuye-web.service", "wuye-worker.service", "wuye-beat.service")


def documented_environment() -> dict[str, str]:
    lines = (DEPLOY / "env").read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def check_deploy(tmp_path, **changes: str) -> subprocess.CompletedProcess:
    """`wuye check --deploy` in a fresh interpreter with the documented environment and nothing else;
    only the paths of the machine (the data folder, the key files) point into ``tmp_path``."""
    environ = documented_environment()
    for name in ("WUYE_SECRET_KEY_FILE", "WUYE_FIELD_KEY_FILE"):
        key = tmp_path / Path(environ[name]).name
        key.write_text(secrets.token_hex(32) + "\n")  # as `openssl rand -hex 32 > file` makes it
        environ[name] = str(key)
    environ["WUYE_DATA_DIR"] = str(tmp_path / "data")
    environ.update(changes)
    return subprocess.run(
        [sys.executable, "-m", "wuye", "check", "--deploy"],
        env={"PATH": "/usr/bin:/bin", **environ},
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )


def test_check_deploy_prints_no_warning_with_the_documented_production_settings(tmp_path):
    result = check_deploy(tmp_path)

    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."
    assert "WARNING" not in output and "issues:" not in output.replace("no issues", "")


def test_the_control_check_deploy_warns_without_https(tmp_path):
    result = check_deploy(tmp_path, WUYE_SECURE_COOKIES="0")

    assert "WARNINGS:" in result.stderr
    assert "security.W004" in result.stderr and "security.W012" in result.stderr


def test_the_documented_environment_reads_every_secret_from_a_file():
    environ = documented_environment()

    assert "WUYE_SECRET_KEY" not in environ and "WUYE_FIELD_KEY" not in environ
    assert environ["WUYE_SECRET_KEY_FILE"] == "/etc/wuye/secret_key"
    assert environ["WUYE_FIELD_KEY_FILE"] == "/etc/wuye/field_key"
    assert ":" not in environ["DATABASE_URL"].removeprefix("postgres://").split("@")[0]  # no password
    assert set(environ) <= {setting.name for setting in config.TABLE} | {
        f"{setting.name}_FILE" for setting in config.TABLE
    }


def indented(text: str) -> str:
    """A file as the README shows it, inside a numbered step (three spaces in, blank lines empty)."""
    return "\n".join(f"   {line}" if line else "" for line in text.rstrip("\n").splitlines())


@pytest.mark.parametrize("path", ["env", *(f"systemd/{unit}" for unit in UNITS)])
def test_the_readme_shows_each_deploy_file_as_it_is(path):
    assert indented((DEPLOY / path).read_text(encoding="utf-8")) in README, (
        f"README differs from deploy/{path}"
    )


@pytest.mark.parametrize("unit", UNITS)
def test_each_unit_runs_as_the_service_user_with_the_documented_environment(unit):
    text = (DEPLOY / "systemd" / unit).read_text(encoding="utf-8")

    assert "\nUser=wuye\n" in text and "\nEnvironmentFile=/etc/wuye/env\n" in text
    assert "\nReadWritePaths=/var/lib/wuye\n" in text
    (command,) = re.findall(r"^ExecStart=(\S+)", text, re.MULTILINE)
    assert command in {"/srv/wuye/.venv/bin/gunicorn", "/srv/wuye/.venv/bin/celery"}


def test_the_readme_configuration_table_has_every_setting_and_no_other():
    section = README.split("## Configuration", 1)[1].split("\n### ", 1)[0]
    rows = re.findall(r"^\| `([A-Z_]+)` \|", section, re.MULTILINE)

    assert sorted(rows) == sorted(setting.name for setting in config.TABLE)
    assert len(rows) == len(set(rows))
