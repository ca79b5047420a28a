"""Django settings. Operators change behaviour only through the table in ``wuye.config``."""

from __future__ import annotations

import hashlib
import ipaddress
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from wuye import config

CONFIG = config.load()
BASE_DIR = config.BASE_DIR
DATA_DIR = CONFIG["WUYE_DATA_DIR"]

DEBUG = CONFIG["WUYE_DEBUG"]
if DEBUG and (refusals := config.debug_refusals(CONFIG)):
    raise ImproperlyConfigured(
        "WUYE_DEBUG=1 is for a development machine (debug pages show settings and data); refused with "
        + "; ".join(refusals)
        + "."
    )
# The demo's conveniences, without debug pages (`make demo`): the `wuye demo` seed runs, paysim stands
# in for the channels, login codes are printed to the log, pages link to paysim's bank. Debug mode has
# them too. Refused with what only production has, as debug mode is.
DEMO = DEBUG or CONFIG["WUYE_DEMO"]
if CONFIG["WUYE_DEMO"] and (refusals := config.debug_refusals(CONFIG)):
    raise ImproperlyConfigured(
        "WUYE_DEMO=1 is for a demo on one machine (its logins share a published password, login codes go "
        "to the log); refused with " + "; ".join(refusals) + "."
    )
SECRET_KEY = CONFIG["WUYE_SECRET_KEY"]
if not SECRET_KEY:
    if DEBUG:
        SECRET_KEY = "wuye-development-only-not-secret"  # noqa: S105
    elif DEMO:
        SECRET_KEY = config.demo_key(DATA_DIR / "demo-keys" / "secret-key")
    else:
        raise ImproperlyConfigured("Set WUYE_SECRET_KEY (or WUYE_DEBUG=1 for development).")
# The field key encrypts ID numbers at rest (wuye.core.crypto). It is its own setting, never derived
# from the secret key: changing the secret key (as one does after a leak) must not make every stored
# ID number unreadable. Development uses a fixed key, the one earlier versions derived from the
# development secret key, so an existing demo database stays readable.
DEVELOPMENT_FIELD_KEY = hashlib.sha256(b"field:wuye-development-only-not-secret").hexdigest()
FIELD_KEY = CONFIG["WUYE_FIELD_KEY"]
FIELD_KEYS_OLD = CONFIG["WUYE_FIELD_KEYS_OLD"]
if not FIELD_KEY:
    if DEBUG:
        FIELD_KEY = DEVELOPMENT_FIELD_KEY
    elif DEMO:
        # Its own key, made once in the data folder; a demo seeded in development mode before (under
        # the development key) stays readable.
        FIELD_KEY = config.demo_key(DATA_DIR / "demo-keys" / "field-key")
        FIELD_KEYS_OLD = [*FIELD_KEYS_OLD, DEVELOPMENT_FIELD_KEY]
    else:
        raise ImproperlyConfigured(
            "Set WUYE_FIELD_KEY (or WUYE_FIELD_KEY_FILE), the key that encrypts ID numbers, e.g. "
            "`openssl rand -hex 32`; keep it apart from WUYE_SECRET_KEY and never lose it."
        )
elif not DEBUG and (len(FIELD_KEY) < 32 or FIELD_KEY in {DEVELOPMENT_FIELD_KEY, SECRET_KEY}):
    raise ImproperlyConfigured(
        "WUYE_FIELD_KEY must be a key of its own of at least 32 characters (openssl rand -hex 32), "
        "neither the development key nor WUYE_SECRET_KEY."
    )
ALLOWED_HOSTS = CONFIG["WUYE_ALLOWED_HOSTS"] + (["testserver"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = CONFIG["WUYE_CSRF_TRUSTED_ORIGINS"]
# The reverse proxies whose X-Forwarded-For is believed (wuye.core.net.client_address).
TRUSTED_PROXIES = CONFIG["WUYE_TRUSTED_PROXIES"]
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"WUYE_TRUSTED_PROXIES: {_proxy!r} is not an address or network."
        ) from None

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
    "wuye.core",
    "wuye.estate",
    "wuye.households",
    "wuye.ledger",
    "wuye.billing",
    "wuye.payments",
    "wuye.debit",
    "wuye.recon",
    "wuye.opening",
    "wuye.paysim",
    "wuye.owners",
    "wuye.notifications",
    "wuye.service",
    "wuye.notices",
    "wuye.access",
    "wuye.parking",
    "wuye.rental",
    "wuye.console",
    "wuye.partner",
    "wuye.portal",
    "wuye.api",
    "wuye.demo",
]

MIDDLEWARE = [
    "wuye.core.middleware.RequestIdMiddleware",  # first: every log line of a request carries its id
    "django.middleware.security.SecurityMiddleware",
    "wuye.core.middleware.RefuseNulMiddleware",  # before anything reads the request (static files too)
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "wuye.urls"
WSGI_APPLICATION = "wuye.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wuye.console.context.console",
            ],
            "builtins": ["wuye.core.templatetags.links"],
        },
    },
]

if CONFIG["DATABASE_URL"]:
    DATABASES = {
        "default": dj_database_url.parse(CONFIG["DATABASE_URL"], conn_max_age=600, conn_health_checks=True)
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # psycopg prepares a statement a connection has run five times (the last 100 per connection), so
        # the hot paths' fixed statements (wuye.core.sql, which runs them on cursors that bind values on
        # the server) are then only bound and run, not parsed and planned each time. The ORM keeps
        # Django's client-side binding: bound on the server, a statement carries at most 65,535 values,
        # and the ORM writes one per element of an IN list or prefetch (a debit batch over 70,000
        # mandates failed with `server_side_binding`). Django turns preparing off by default, for
        # poolers such as PgBouncer in transaction mode: behind one, set WUYE_PREPARED_STATEMENTS=0.
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = (
            5 if CONFIG["WUYE_PREPARED_STATEMENTS"] else None
        )
        # A server that does not answer fails the request in seconds (a 503, wuye.core.views), not
        # after the operating system's TCP timeout; ?connect_timeout=N in DATABASE_URL overrides it.
        DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", 5)
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "wuye.sqlite3",
            "OPTIONS": {
                # WAL lets readers and one writer work at once; IMMEDIATE takes the write lock at the
                # start of a transaction, so two writers queue instead of failing half-way. A writer
                # waits up to `timeout` seconds for the lock (the busy timeout): long enough for any
                # other request's transaction, short enough that a page held up by a long one (an
                # import, a big billing chunk) answers 503 "try again" instead of hanging.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 5,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["wuye.core.auth.ThrottledModelBackend"]
LOGIN_ACCOUNT_FAILURES = max(1, CONFIG["WUYE_LOGIN_ACCOUNT_FAILURES"])
LOGIN_ADDRESS_FAILURES = max(1, CONFIG["WUYE_LOGIN_ADDRESS_FAILURES"])
LOGIN_WINDOW_MINUTES = max(1, CONFIG["WUYE_LOGIN_WINDOW_MINUTES"])
LOGIN_LOCKOUT_MINUTES = max(1, CONFIG["WUYE_LOGIN_LOCKOUT_MINUTES"])
API_TOKEN_MAX_DAYS = max(1, CONFIG["WUYE_API_TOKEN_MAX_DAYS"])
API_TOKEN_DAYS = min(max(1, CONFIG["WUYE_API_TOKEN_DAYS"]), API_TOKEN_MAX_DAYS)
PAY_LINK_DAYS = max(1, CONFIG["WUYE_PAY_LINK_DAYS"])
LOGIN_URL = "console:login"
LOGIN_REDIRECT_URL = "console:home"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = CONFIG["WUYE_TIME_ZONE"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_ROOT = DATA_DIR / "media"
# Nothing serves this address (and no web server may alias MEDIA_ROOT): uploads are private and go out
# only through views that check the requester's right to them (wuye.core.uploads.upload_response).
MEDIA_URL = "/uploads-are-not-served-directly/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
PUBLIC_URL = CONFIG["WUYE_PUBLIC_URL"]
WUYE_JOBS = CONFIG["WUYE_JOBS"]
WUYE_RUN_WORKERS = max(1, CONFIG["WUYE_RUN_WORKERS"])
WUYE_BROKER_URL = CONFIG["WUYE_BROKER_URL"]
if CONFIG["WUYE_CACHE_URL"]:
    # Shared by every web process: what is counted there (the pay page's failed identifications)
    # counts once, not once per process. Without it each process keeps its own, in memory; while
    # Redis is down, too (wuye.core.cache), after a wait of at most the timeouts below.
    CACHES = {
        "default": {
            "BACKEND": "wuye.core.cache.RedisCacheWithFallback",
            "LOCATION": CONFIG["WUYE_CACHE_URL"],
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }

# Celery (wuye/celery.py), used when WUYE_BROKER_URL is set. Jobs are records (wuye.core.jobs): a
# message is acknowledged when its job ends and given back when its worker is lost, and the sweep
# finds any job whose message or worker was lost. Beat ticks the periodic entries below; each starts
# its command as a job at most once per period, however many beats run.
CELERY_BROKER_URL = WUYE_BROKER_URL
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_IMPORTS = ["wuye.core.jobs"]
WUYE_JOB_LEASE_SECONDS = max(5, CONFIG["WUYE_JOB_LEASE_SECONDS"])
WUYE_PERIODIC = {
    name: {"seconds": seconds, "command": command, "args": arguments}
    for name, seconds, command, arguments in (
        ("payments-sweep", 60.0, "payments", ["sweep"]),  # lost notifications and refunds, expiries
        ("notifications-send", 30.0, "notifications_send", []),
        ("notifications-receipts", 300.0, "notifications_receipts", []),  # SMS delivery receipts
        ("notices-publish", 60.0, "notices_publish", []),
        ("service-sla", 300.0, "service_sla", []),
        ("tags-refresh", 3600.0, "tags_refresh", []),
        ("rental-daily", 3600.0, "rental_daily", []),  # rent falling due, expiring-lease reminders
    )
}
CELERY_BEAT_SCHEDULE = {
    "jobs-sweep": {"task": "wuye.tick", "schedule": 60.0, "args": ("jobs-sweep",)},
    **{
        name: {"task": "wuye.tick", "schedule": entry["seconds"], "args": (name,)}
        for name, entry in WUYE_PERIODIC.items()
    },
}
# Owners' email (the outbox's email channel): Django's SMTP backend when a server is configured, the
# log otherwise (development, the demo).
if CONFIG["WUYE_EMAIL_SECURITY"] not in ("ssl", "starttls", "none"):
    raise ImproperlyConfigured("WUYE_EMAIL_SECURITY is one of ssl, starttls, none.")
if CONFIG["WUYE_EMAIL_HOST"]:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = CONFIG["WUYE_EMAIL_HOST"]
    EMAIL_PORT = CONFIG["WUYE_EMAIL_PORT"]
    EMAIL_HOST_USER = CONFIG["WUYE_EMAIL_USER"]
    EMAIL_HOST_PASSWORD = CONFIG["WUYE_EMAIL_PASSWORD"]
    EMAIL_USE_SSL = CONFIG["WUYE_EMAIL_SECURITY"] == "ssl"
    EMAIL_USE_TLS = CONFIG["WUYE_EMAIL_SECURITY"] == "starttls"
    EMAIL_TIMEOUT = 10
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = CONFIG["WUYE_EMAIL_FROM"] or CONFIG["WUYE_EMAIL_USER"] or "webmaster@localhost"
WUYE_PAYSIM_URL = CONFIG["WUYE_PAYSIM_URL"]
# Where channel accounts may point (wuye.core.references): key files in SECRETS_DIR, key
# variables named CHANNEL_ENV_PREFIX…, gateways of the real services or CHANNEL_GATEWAYS; paysim's test
# keys and gateway only while PAYSIM_ENABLED (the demo, debug mode, the tests, the benchmarks).
PAYSIM_ENABLED = DEMO or CONFIG["WUYE_PAYSIM"]
SECRETS_DIR = Path(CONFIG["WUYE_SECRETS_DIR"] or DATA_DIR / "secrets")
CHANNEL_ENV_PREFIX = CONFIG["WUYE_CHANNEL_ENV_PREFIX"]
CHANNEL_GATEWAYS = CONFIG["WUYE_CHANNEL_GATEWAYS"]
IMPORT_MAX_BYTES = CONFIG["WUYE_IMPORT_MAX_BYTES"]
IMPORT_MAX_UNPACKED_BYTES = CONFIG["WUYE_IMPORT_MAX_UNPACKED_BYTES"]
IMPORT_MAX_CELLS = CONFIG["WUYE_IMPORT_MAX_CELLS"]
UPLOAD_MAX_BYTES = CONFIG["WUYE_UPLOAD_MAX_BYTES"]
NOTIFY_MAX_BYTES = CONFIG["WUYE_NOTIFY_MAX_BYTES"]

if CONFIG["WUYE_PROXY_SSL_HEADER"]:
    # Behind a reverse proxy that ends TLS: a request is HTTPS when the proxy says so in this header
    # (it must overwrite one a client sent), so the secure cookies are set and no redirect loops.
    SECURE_PROXY_SSL_HEADER = (
        "HTTP_" + CONFIG["WUYE_PROXY_SSL_HEADER"].strip().upper().replace("-", "_"),
        "https",
    )
# Django's database sessions, read by one fixed statement (wuye.core.sessions).
SESSION_ENGINE = "wuye.core.sessions"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = CONFIG["WUYE_SECURE_COOKIES"]
SECURE_SSL_REDIRECT = CONFIG["WUYE_SECURE_COOKIES"]
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # a load balancer probes the process itself, over plain HTTP
SECURE_HSTS_SECONDS = 31536000 if CONFIG["WUYE_SECURE_COOKIES"] else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = CONFIG["WUYE_SECURE_COOKIES"]
SECURE_HSTS_PRELOAD = CONFIG["WUYE_SECURE_COOKIES"]
SECURE_CONTENT_TYPE_NOSNIFF = True
# Debug pages and `wuye diffsettings` hide DATABASE_URL and any password in a URL, not only
# settings named like secrets (wuye.core.reporting).
DEFAULT_EXCEPTION_REPORTER_FILTER = "wuye.core.reporting.SecretsHidingFilter"
X_FRAME_OPTIONS = "DENY"

# One line per record on stderr, each with the id of its request (wuye.core.logs): readable text, or
# one JSON object per line for a log collector (WUYE_LOG_FORMAT=json).
if CONFIG["WUYE_LOG_FORMAT"] not in {"text", "json"}:
    raise ImproperlyConfigured("WUYE_LOG_FORMAT is 'text' or 'json'.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "wuye.core.logs.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "wuye.core.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": CONFIG["WUYE_LOG_FORMAT"],
        }
    },
    "root": {"handlers": ["console"], "level": CONFIG["WUYE_LOG_LEVEL"].upper()},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
# Celery's workers and beat keep this logging (its format, the request id) instead of their own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

if CONFIG["WUYE_SENTRY_DSN"]:
    # Errors of the web processes and the Celery workers go to Sentry; no personal data (addresses,
    # cookies, users) is sent with them.
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=CONFIG["WUYE_SENTRY_DSN"],
        environment=CONFIG["WUYE_SENTRY_ENVIRONMENT"],
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
    )
