import shutil
import socket
import subprocess
import time

import pytest
from django.core.cache import cache
from django.db import connection

from tests.factories import CommunityFactory, HouseholdRoomFactory, PersonFactory, staff
from wuye.core.enums import Role


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
