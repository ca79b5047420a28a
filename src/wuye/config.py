"""One typed settings table with environment overrides.

Every setting an operator may change is declared once here: its name, type, default and what it is
for. ``WUYE_FOO_FILE=/path`` reads the value of ``WUYE_FOO`` from a file (for secrets).
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit


def _bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"not a boolean: {raw!r}")


def _list(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


@dataclass(frozen=True)
class Setting:
    name: str
    parse: Callable[[str], Any]
    default: Any
    help: str

    def read(self, environ: dict[str, str]) -> Any:
        file_name = environ.get(f"{self.name}_FILE")
        if file_name:
            return self.parse(Path(file_name).read_text(encoding="utf-8").strip())
        if self.name in environ:
            return self.parse(environ[self.name])
        return self.default


BASE_DIR = Path(__file__).resolve().parent
DEFAULT_DATA_DIR = Path(os.environ.get("WUYE_DATA_DIR", Path.cwd() / "var"))

TABLE: tuple[Setting, ...] = (
    Setting("WUYE_DEBUG", _bool, False, "Django debug pages; never in production"),
    Setting(
        "WUYE_DEMO",
        _bool,
        False,
        "the demo's conveniences with debug off: its own generated keys, paysim, login codes in the log; "
        "on in debug mode; never in production",
    ),
    Setting("WUYE_SECRET_KEY", str, "", "Django secret key; required unless WUYE_DEBUG or WUYE_DEMO is on"),
    Setting(
        "WUYE_FIELD_KEY",
        str,
        "",
        "key that encrypts ID numbers at rest (at least 32 characters); required unless WUYE_DEBUG or "
        "WUYE_DEMO is on",
    ),
    Setting(
        "WUYE_FIELD_KEYS_OLD",
        _list,
        [],
        "comma-separated former field keys, still read until `wuye fieldkeys rotate` has rewritten every value",
    ),
    Setting("WUYE_ALLOWED_HOSTS", _list, ["127.0.0.1", "localhost"], "comma-separated host names"),
    Setting("WUYE_CSRF_TRUSTED_ORIGINS", _list, [], "comma-separated origins, e.g. https://wuye.example.com"),
    Setting(
        "WUYE_TRUSTED_PROXIES",
        _list,
        [],
        "comma-separated addresses or networks of the reverse proxies in front of Wuye (e.g. 127.0.0.1,"
        "10.0.0.0/8): only their X-Forwarded-For is believed; empty: the connecting address is the client",
    ),
    Setting("DATABASE_URL", str, "", "postgres://user:pass@host/db; empty means SQLite in the data folder"),
    Setting("WUYE_DATA_DIR", Path, DEFAULT_DATA_DIR, "folder for the SQLite database and uploads"),
    Setting("WUYE_SECURE_COOKIES", _bool, False, "HTTPS only: secure cookies, HSTS, redirect to HTTPS"),
    Setting(
        "WUYE_PROXY_SSL_HEADER",
        str,
        "",
        "the header the reverse proxy sets to 'https' on HTTPS requests (e.g. X-Forwarded-Proto), overwriting "
        "any a client sent; empty: no header is believed, the connection itself says",
    ),
    Setting("WUYE_IMPORT_MAX_BYTES", int, 5 * 1024 * 1024, "largest Excel or bank file accepted for import"),
    Setting(
        "WUYE_IMPORT_MAX_UNPACKED_BYTES",
        int,
        32 * 1024 * 1024,
        "largest size an imported Excel file may unpack to (all its parts), checked before it is opened",
    ),
    Setting(
        "WUYE_IMPORT_MAX_CELLS",
        int,
        1_000_000,
        "most cells a sheet of an imported Excel file may declare, checked before it is opened",
    ),
    Setting("WUYE_UPLOAD_MAX_BYTES", int, 10 * 1024 * 1024, "largest upload accepted (document or photo)"),
    Setting(
        "WUYE_NOTIFY_MAX_BYTES",
        int,
        64 * 1024,
        "largest payment notification accepted (WeChat Pay and Alipay send a few KB); larger: 413",
    ),
    Setting("WUYE_TIME_ZONE", str, "Asia/Shanghai", "time zone for dates shown and billing periods"),
    Setting(
        "WUYE_PUBLIC_URL",
        str,
        "http://127.0.0.1:8000",
        "the site's public address, printed in receipt QR codes",
    ),
    Setting(
        "WUYE_PAYSIM_URL",
        str,
        "http://127.0.0.1:8001",
        "where the demo's payment simulator (wuye paysim) listens",
    ),
    Setting(
        "WUYE_PAYSIM",
        _bool,
        False,
        "paysim stands in for the channels: accounts may use its public test keys (paysim:NAME) and a gateway "
        "on this machine or at WUYE_PAYSIM_URL; on in debug mode; never in production",
    ),
    Setting(
        "WUYE_SECRETS_DIR",
        str,
        "",
        "the folder channel keys are read from (file:NAME references); empty: <WUYE_DATA_DIR>/secrets",
    ),
    Setting(
        "WUYE_CHANNEL_ENV_PREFIX",
        str,
        "WUYE_CHANNEL_",
        "environment variables that may hold channel keys (env:NAME references) start with this",
    ),
    Setting(
        "WUYE_CHANNEL_GATEWAYS",
        _list,
        [],
        "comma-separated channel gateway addresses allowed besides the channels' real services",
    ),
    Setting("WUYE_JOBS", str, "thread", "background jobs: 'thread' (in the web process) or 'inline' (tests)"),
    Setting(
        "WUYE_JOB_LEASE_SECONDS",
        int,
        120,
        "a running job's worker renews its lease this often (a quarter of it); a job whose lease runs "
        "out (its worker died) is run again",
    ),
    Setting(
        "WUYE_CACHE_URL",
        str,
        "",
        "Redis cache shared by all web processes (redis://host:6379/1); empty: each process's memory",
    ),
    Setting(
        "WUYE_BROKER_URL",
        str,
        "",
        "Celery broker (redis://host:6379/0): jobs and periodic commands run on Celery workers",
    ),
    Setting(
        "WUYE_LOG_FORMAT", str, "text", "'text' (one readable line per record) or 'json' (one JSON object)"
    ),
    Setting("WUYE_LOG_LEVEL", str, "INFO", "the least level logged: DEBUG, INFO, WARNING, ERROR"),
    Setting("WUYE_SENTRY_DSN", str, "", "report errors to this Sentry project (web and Celery); empty: none"),
    Setting("WUYE_EMAIL_HOST", str, "", "SMTP server that sends owners' email; empty: email goes to the log"),
    Setting("WUYE_EMAIL_PORT", int, 465, "its port (465: TLS from the start, 587: STARTTLS)"),
    Setting("WUYE_EMAIL_USER", str, "", "the SMTP login"),
    Setting(
        "WUYE_EMAIL_PASSWORD", str, "", "the SMTP password (WUYE_EMAIL_PASSWORD_FILE reads it from a file)"
    ),
    Setting("WUYE_EMAIL_SECURITY", str, "ssl", "'ssl' (TLS from the start), 'starttls' or 'none'"),
    Setting(
        "WUYE_EMAIL_FROM", str, "", "the sender, e.g. 阳光物业 <notice@example.com>; empty: the SMTP login"
    ),
    Setting(
        "WUYE_SENTRY_ENVIRONMENT", str, "production", "the environment name Sentry files the errors under"
    ),
    Setting(
        "WUYE_LOGIN_ACCOUNT_FAILURES",
        int,
        5,
        "failed staff logins of one username within the window that lock it",
    ),
    Setting(
        "WUYE_LOGIN_ADDRESS_FAILURES",
        int,
        20,
        "failed staff logins from one network address (IPv6: its /64) within the window that lock it",
    ),
    Setting("WUYE_LOGIN_WINDOW_MINUTES", int, 15, "the window in which failed staff logins are counted"),
    Setting(
        "WUYE_LOGIN_LOCKOUT_MINUTES",
        int,
        15,
        "length of a first login lock; each further lock within a day lasts twice as long, at most a day",
    ),
    Setting(
        "WUYE_API_TOKEN_DAYS", int, 90, "how long a new staff API token is valid unless chosen otherwise"
    ),
    Setting("WUYE_API_TOKEN_MAX_DAYS", int, 365, "the longest validity a staff API token may be given"),
    Setting(
        "WUYE_PAY_LINK_DAYS",
        int,
        180,
        "how long a household's pay link (QR code on a notice) opens its bills after it was issued",
    ),
    Setting(
        "WUYE_RUN_WORKERS",
        int,
        2,
        "PostgreSQL: database connections a billing run issues its chunks through at once",
    ),
    Setting(
        "WUYE_PREPARED_STATEMENTS",
        _bool,
        True,
        "PostgreSQL: a statement a connection has run 5 times is prepared (the payment path's and the ORM's; "
        "0 behind PgBouncer in transaction mode)",
    ),
)


def load(environ: dict[str, str] | None = None) -> dict[str, Any]:
    environ = dict(os.environ if environ is None else environ)
    return {setting.name: setting.read(environ) for setting in TABLE}


def is_local_host(host: str) -> bool:
    """A name only this machine or its private network reaches: localhost, loopback and private
    addresses (a phone on the office network may open the development site)."""
    host = host.strip().strip("[]").lower()
    if host in {"localhost", "testserver"} or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local


def is_local_database(url: str) -> bool:
    """Empty (SQLite), a Unix socket or a loopback address: a database on this machine."""
    if not url:
        return True
    host = unquote(urlsplit(url).hostname or "")
    if not host or host.startswith("/"):
        return True
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def demo_key(path: Path) -> str:
    """The demo's own key kept in ``path``: made once (random, readable by its owner only) and read
    back by every later start and every process of the demo, so sessions and encrypted values survive
    a restart, and no two demo machines share a key."""
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process of the demo made it first: use that one
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(key + "\n")
    return key


def debug_refusals(values: dict[str, Any]) -> list[str]:
    """Why WUYE_DEBUG or WUYE_DEMO may not be on with these settings: debug pages show settings,
    requests and local variables, and the demo's logins share a published password and its login
    codes go to the log, so both are for a development or demo machine only."""
    reasons = []
    if values["WUYE_SECURE_COOKIES"]:
        reasons.append("WUYE_SECURE_COOKIES=1 (a site served over HTTPS)")
    if not is_local_database(values["DATABASE_URL"]):
        reasons.append("a DATABASE_URL on another machine")
    public = [host for host in values["WUYE_ALLOWED_HOSTS"] if not is_local_host(host)]
    if public:
        reasons.append(f"WUYE_ALLOWED_HOSTS names that are not local ({', '.join(public)})")
    return reasons
