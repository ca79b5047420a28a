import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection
from django.utils import translation

from tests.factories import CommunityFactory, HouseholdRoomFactory, PersonFactory, staff
from wuye.core.enums import Role
from wuye.notifications.backends import register_backend
from wuye.notifications.enums import Channel


@pytest.fixture(autouse=True)
def _plain_static_files(settings):
    """Tests run without collectstatic: serve assets from the apps, not from a manifest.

    Background jobs run inline, so a test sees their effect when the request returns."""
    settings.WUYE_JOBS = "inline"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _paysim_stands_in(settings, monkeypatch):
    """paysim stands in for the channels, as in the demo: accounts may use its test keys and address
    (here and in processes a test starts). Tests of production's refusals turn it off."""
    settings.PAYSIM_ENABLED = True
    monkeypatch.setenv("WUYE_PAYSIM", "1")


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the site's default language (Chinese): a request with Accept-Language
    activates another for the rest of its thread, which would leak into the next test."""
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate limits count in the cache, which outlives a test: each test starts with no counts."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _ledger_flush_allowed(request):
    """SQLite only: let pytest-django empty the append-only ledger after a transactional test.

    The guard is lifted after the test body (fixtures tear down before the flush) and restored
    before the next test, so every test runs with the ledger append-only.
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = (
        "transactional_db" in request.fixturenames
        or "live_server" in request.fixturenames
        or bool(marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))
    )
    if transactional:
        request.getfixturevalue("transactional_db")  # set up first, so it is torn down (flushed) last
    if transactional and connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM ledger_unlock")
    yield
    if transactional and connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO ledger_unlock VALUES ('test flush')")


@pytest.fixture
def community(db):
    return CommunityFactory()


@pytest.fixture
def admin_user(community):
    return staff(community, Role.ADMINISTRATOR)


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def household(community):
    link = HouseholdRoomFactory(household__community=community)
    PersonFactory(household=link.household, name="王小明", phone="13912345678")
    return link.household


def on_postgres() -> bool:
    return connection.vendor == "postgresql"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def until(check, seconds=30.0) -> bool:
    """Poll ``check`` until it is true (True) or ``seconds`` pass (False)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture(scope="session")
def redis_url():
    """A redis-server of our own on a free loopback port, for the session (Celery and cache tests)."""
    binary = shutil.which("redis-server")
    assert binary, "redis-server is missing: make test installs it (scripts/system-deps.sh)"
    port = free_port()
    server = subprocess.Popen(  # noqa: S603
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )

    def answers():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
                probe.sendall(b"PING\r\n")
                return probe.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    assert until(answers, 10), "redis-server did not start"
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait(timeout=10)


def fetch(base: str, path: str, **headers: str) -> tuple[int, dict[str, str], str]:
    """(status, headers, text) of a GET, whatever the status."""
    request = urllib.request.Request(base + path, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


@contextlib.contextmanager
def site(folder, **environ: str):
    """The site served by gunicorn in a process of its own, with ``environ`` over the test run's
    environment (WUYE_DEBUG off unless given); yields its base URL. The server's log is in ``folder``."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key != "WUYE_DEBUG"}
    env.update(WUYE_ALLOWED_HOSTS="127.0.0.1", WUYE_CACHE_URL="", WUYE_BROKER_URL="")
    env.update(environ)
    log = folder / "server.log"
    with log.open("w") as output:
        server = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "gunicorn", "wuye.wsgi:application", "-b", f"127.0.0.1:{port}", "-w", "1"],
            env=env,
            stdout=output,
            stderr=output,
        )
    base = f"http://127.0.0.1:{port}"

    def answers():
        try:
            fetch(base, "/static/none")
        except OSError:
            return False
        return True

    try:
        assert until(answers, 30), log.read_text()
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


class SmsGateway:
    """Stands in for the SMS gateway: keeps what the outbox handed it, the text as sent (a login code
    included, which the outbox itself never keeps). ``with sms.delivered():`` runs the delivery that
    follows a commit, which a test inside a transaction would not reach otherwise."""

    name = "test-sms"

    def __init__(self, capture):
        self.sent = []
        self._capture = capture

    def send(self, outgoing):
        self.sent.append(outgoing)

    def delivered(self):
        return self._capture(execute=True)

    def text(self, phone: str) -> str:
        texts = [outgoing.body for outgoing in self.sent if outgoing.address == phone]
        assert texts, f"no SMS was sent to {phone}"
        return texts[-1]

    def code(self, phone: str) -> str:
        return re.search(r"(?<!\d)\d{6}(?!\d)", self.text(phone)).group()


@pytest.fixture
def sms(django_capture_on_commit_callbacks):
    gateway = SmsGateway(django_capture_on_commit_callbacks)
    previous = register_backend(Channel.SMS, gateway)
    yield gateway
    register_backend(Channel.SMS, previous)
