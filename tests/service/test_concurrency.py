"""Concurrent assignments through a team's rotation never take the same turn on PostgreSQL; the
control test shows that without the row lock they do. Each thread holds its own connection."""

import threading
import time

import pytest
from django.db import connection

from tests.conftest import on_postgres
from tests.service.factories import team_with, technician
from wuye.service import lock_objects
from wuye.service.domain import teams
from wuye.service.models import Team

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

MEMBERS = 4


@pytest.fixture(autouse=True)
def _postgres_only():
    if not on_postgres():
        pytest.skip(
            "SQLite runs write transactions one at a time (IMMEDIATE), so the race cannot happen there; "
            "this test needs PostgreSQL (make test-postgres)"
        )


@pytest.fixture
def team(community, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return team_with(community, *[technician(community) for _ in range(MEMBERS)])


def _assign_all_at_once(team, monkeypatch) -> list[int]:
    """MEMBERS assignments released together; reading the members is made slow so that, without the
    lock, every one of them reads the same rotation before any advances it."""
    members_of = teams.assignable_staff

    def slow_members(*, community):
        time.sleep(0.3)
        return members_of(community=community)

    monkeypatch.setattr(teams, "assignable_staff", slow_members)
    start = threading.Barrier(MEMBERS)
    chosen: list[int] = []

    def assign():
        try:
            start.wait()
            chosen.append(teams.team_next_member(team=Team.objects.get(pk=team.pk)).pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=assign) for _ in range(MEMBERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return chosen


def test_concurrent_assignments_each_take_their_own_turn(team, monkeypatch):
    chosen = _assign_all_at_once(team, monkeypatch)
    assert len(chosen) == MEMBERS
    assert len(set(chosen)) == MEMBERS
    assert Team.objects.get(pk=team.pk).rotation == MEMBERS


def test_control_without_the_lock_assignments_take_the_same_turn(team, monkeypatch):
    monkeypatch.setattr(lock_objects, "TEAM_LOCK_ENABLED", False)
    chosen = _assign_all_at_once(team, monkeypatch)
    assert len(chosen) == MEMBERS
    assert len(set(chosen)) < MEMBERS
