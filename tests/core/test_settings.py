"""Start-up checks of ``wuye.settings``, each in a fresh interpreter with its own environment."""

import subprocess
import sys

import pytest

PRINT_FIELD_KEY = "from django.conf import settings; print(settings.FIELD_KEY, settings.FIELD_KEYS_OLD)"


def start(tmp_path, code: str = PRINT_FIELD_KEY, **environ: str) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "wuye.settings", "WUYE_DATA_DIR": str(tmp_path)}
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], env={**env, **environ}, capture_output=True, text=True, check=False
    )


def test_production_refuses_to_start_without_a_field_key(tmp_path):
    result = start(tmp_path, WUYE_SECRET_KEY="production-secret")
    assert result.returncode != 0
    assert "ImproperlyConfigured: Set WUYE_FIELD_KEY" in result.stderr


@pytest.mark.parametrize("key", ["short-key", "production-secret-0123456789abcdefghijkl"])
def test_production_refuses_a_short_field_key_or_the_secret_key(tmp_path, key):
    result = start(tmp_path, WUYE_SECRET_KEY="production-secret-0123456789abcdefghijkl", WUYE_FIELD_KEY=key)
    assert result.returncode != 0
    assert "WUYE_FIELD_KEY must be a key of its own" in result.stderr


def test_production_reads_the_field_key_and_the_old_keys_from_files(tmp_path):
    (tmp_path / "field.key").write_text("k" * 40 + "\n")
    (tmp_path / "old.keys").write_text("old-one,old-two\n")
    result = start(
        tmp_path,
        WUYE_SECRET_KEY="production-secret",
        WUYE_FIELD_KEY_FILE=str(tmp_path / "field.key"),
        WUYE_FIELD_KEYS_OLD_FILE=str(tmp_path / "old.keys"),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "k" * 40 + " ['old-one', 'old-two']"


def test_development_has_a_fixed_field_key_that_does_not_follow_the_secret_key(tmp_path):
    first = start(tmp_path, WUYE_DEBUG="1")
    second = start(tmp_path, WUYE_DEBUG="1", WUYE_SECRET_KEY="another-development-secret")
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert first.stdout == second.stdout
    assert len(first.stdout.split()[0]) == 64


def test_timeouts_keep_a_page_from_waiting_long_for_a_database_or_redis(tmp_path):
    code = (
        "from django.conf import settings; d = settings.DATABASES['default']; c = settings.CACHES['default'];"
        "print(d['ENGINE'], d['OPTIONS'].get('timeout'), d['OPTIONS'].get('connect_timeout'), c['BACKEND'],"
        " c.get('OPTIONS'))"
    )
    keys = {"WUYE_SECRET_KEY": "production-secret", "WUYE_FIELD_KEY": "k" * 40}
    redis = {"WUYE_CACHE_URL": "redis://127.0.0.1:6379/1"}
    sqlite = start(tmp_path, code, **keys, **redis)
    postgresql = start(tmp_path, code, **keys, DATABASE_URL="postgres://wuye@127.0.0.1:5432/wuye")
    overridden = start(tmp_path, code, **keys, DATABASE_URL="postgres://wuye@db/wuye?connect_timeout=10")

    fallback = "wuye.core.cache.RedisCacheWithFallback {'socket_connect_timeout': 2, 'socket_timeout': 2}"
    assert sqlite.stdout.strip() == f"django.db.backends.sqlite3 5 None {fallback}"
    assert postgresql.stdout.strip().startswith("django.db.backends.postgresql None 5 ")
    assert overridden.stdout.strip().startswith("django.db.backends.postgresql None 10 ")


@pytest.mark.parametrize(
    ("environ", "reason"),
    [
        ({"WUYE_SECURE_COOKIES": "1"}, "WUYE_SECURE_COOKIES=1"),
        ({"DATABASE_URL": "postgres://wuye:pw@db.example.com/wuye"}, "a DATABASE_URL on another machine"),
        ({"DATABASE_URL": "postgres://wuye:pw@10.0.0.5/wuye"}, "a DATABASE_URL on another machine"),
        ({"WUYE_ALLOWED_HOSTS": "localhost,wuye.example.com"}, "not local (wuye.example.com)"),
        ({"WUYE_ALLOWED_HOSTS": "*"}, "not local (*)"),
    ],
)
def test_debug_mode_refuses_to_start_with_a_production_setting(tmp_path, environ, reason):
    result = start(tmp_path, WUYE_DEBUG="1", **environ)
    assert result.returncode != 0
    assert "ImproperlyConfigured: WUYE_DEBUG=1 is for a development machine" in result.stderr
    assert reason in result.stderr


@pytest.mark.parametrize(
    "environ",
    [
        {},
        {"DATABASE_URL": "postgres://wuye:pw@127.0.0.1:5432/wuye"},
        {"DATABASE_URL": "postgres://wuye@%2Fvar%2Frun%2Fpostgresql/wuye"},
        {
            "DATABASE_URL": "postgres://wuye@localhost/wuye",
            "WUYE_ALLOWED_HOSTS": "127.0.0.1,[::1],192.168.1.20",
        },
    ],
)
def test_debug_mode_starts_on_a_development_machine(tmp_path, environ):
    result = start(tmp_path, WUYE_DEBUG="1", **environ)
    assert result.returncode == 0, result.stderr


DEMO_STATE = (
    "from django.conf import settings; print(settings.DEBUG, settings.DEMO, settings.PAYSIM_ENABLED,"
    " settings.SECRET_KEY, settings.FIELD_KEY, settings.FIELD_KEYS_OLD == [settings.DEVELOPMENT_FIELD_KEY])"
)


def test_the_demo_runs_without_debug_on_keys_of_its_own_made_once(tmp_path):
    first = start(tmp_path, DEMO_STATE, WUYE_DEMO="1")
    second = start(tmp_path, DEMO_STATE, WUYE_DEMO="1")
    other_machine = start(tmp_path / "other", DEMO_STATE, WUYE_DEMO="1")

    assert first.returncode == second.returncode == other_machine.returncode == 0, first.stderr
    debug, demo, paysim, secret_key, field_key, development_key_still_read = first.stdout.split()
    assert (debug, demo, paysim, development_key_still_read) == ("False", "True", "True", "True")
    assert len(secret_key) == len(field_key) == 64 and secret_key != field_key
    assert second.stdout == first.stdout  # read back, not made again
    assert other_machine.stdout.split()[3:5] != [secret_key, field_key]
    keys = tmp_path / "demo-keys"
    assert (keys / "secret-key").read_text().strip() == secret_key
    assert (keys / "field-key").read_text().strip() == field_key
    assert {oct(path.stat().st_mode & 0o777) for path in keys.iterdir()} == {"0o600"}
    assert oct(keys.stat().st_mode & 0o777) == "0o700"


def test_without_the_demo_or_debug_there_are_no_demo_conveniences(tmp_path):
    result = start(
        tmp_path,
        "from django.conf import settings; print(settings.DEMO, settings.PAYSIM_ENABLED)",
        WUYE_SECRET_KEY="production-secret",
        WUYE_FIELD_KEY="k" * 40,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]
    assert not (tmp_path / "demo-keys").exists()


@pytest.mark.parametrize(
    ("environ", "reason"),
    [
        ({"WUYE_SECURE_COOKIES": "1"}, "WUYE_SECURE_COOKIES=1"),
        ({"DATABASE_URL": "postgres://wuye:pw@db.example.com/wuye"}, "a DATABASE_URL on another machine"),
        ({"WUYE_ALLOWED_HOSTS": "wuye.example.com"}, "not local (wuye.example.com)"),
    ],
)
def test_the_demo_refuses_to_start_with_a_production_setting_writing_no_key(tmp_path, environ, reason):
    result = start(tmp_path, WUYE_DEMO="1", **environ)

    assert result.returncode != 0
    assert "ImproperlyConfigured: WUYE_DEMO=1 is for a demo on one machine" in result.stderr
    assert reason in result.stderr
    assert not (tmp_path / "demo-keys").exists()


def test_the_proxys_https_header_is_believed_only_when_named(tmp_path):
    code = "from django.conf import settings; print(settings.SECURE_PROXY_SSL_HEADER)"
    keys = {"WUYE_SECRET_KEY": "production-secret", "WUYE_FIELD_KEY": "k" * 40}

    named = start(tmp_path, code, **keys, WUYE_PROXY_SSL_HEADER="X-Forwarded-Proto")
    unnamed = start(tmp_path, code, **keys)

    assert named.stdout.strip() == "('HTTP_X_FORWARDED_PROTO', 'https')"
    assert unnamed.stdout.strip() == "None"


def test_sentry_is_set_up_only_with_a_dsn_and_sends_no_personal_data(tmp_path):
    code = (
        "import django; django.setup(); import sentry_sdk; client = sentry_sdk.get_client();"
        "print(client.is_active(), client.options['send_default_pii'], client.options['environment'],"
        " sorted(name for name in ('django', 'celery') if name in client.integrations))"
    )
    keys = {"WUYE_SECRET_KEY": "production-secret", "WUYE_FIELD_KEY": "k" * 40}
    (tmp_path / "dsn").write_text("https://public@127.0.0.1:9/1\n")

    configured = start(tmp_path, code, **keys, WUYE_SENTRY_DSN_FILE=str(tmp_path / "dsn"))
    unconfigured = start(tmp_path, code, **keys)

    assert configured.returncode == 0, configured.stderr
    assert configured.stdout.strip() == "True False production ['celery', 'django']"
    assert unconfigured.stdout.split()[0] == "False"
