"""Concurrent sign-ups never overbook an activity on PostgreSQL; the control test shows that without
the row lock they do. Threads each hold their own database connection, as web workers do."""

import datetime
import threading
import time

import pytest
from django.db import connection

from tests.conftest import on_postgres
from tests.factories import CommunityFactory, HouseholdRoomFactory, PersonFactory
from tests.notices.factories import ActivityFactory
from wuye.notices import lock_objects
from wuye.notices.domain import queries
from wuye.notices.domain.activities import activity_signup
from wuye.notices.domain.errors import NoticeError
from wuye.notices.models import ActivitySignup

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CAPACITY = 2
PEOPLE = 6


@pytest.fixture(autouse=True)
def _postgres_only():
    if not on_postgres():
        pytest.skip(
            "SQLite runs write transactions one at a time (IMMEDIATE), so the race cannot happen there; "
            "this test needs PostgreSQL (make test-postgres)"
        )


@pytest.fixture
def crowd():
    community = CommunityFactory()
    activity = ActivityFactory(
        community=community,
        capacity=CAPACITY,
        starts_at=datetime.datetime(2099, 1, 2, tzinfo=datetime.UTC),
        signup_deadline=datetime.datetime(2099, 1, 1, tzinfo=datetime.UTC),
    )
    people = [
        PersonFactory(household=HouseholdRoomFactory(household__community=community).household)
        for _ in range(PEOPLE)
    ]
    return activity, people


def _sign_up_all_at_once(activity, people, monkeypatch) -> list[str]:
    """Every person signs up in their own thread, released together; the count of free places is made
    slow so that, without the lock, all of them read it before any inserts."""
    count = queries.signups_active_count

    def slow_count(*, activity):
        taken = count(activity=activity)
        time.sleep(0.3)
        return taken

    monkeypatch.setattr(queries, "signups_active_count", slow_count)
    start = threading.Barrier(len(people))
    outcomes: list[str] = []

    def sign_up(person):
        try:
            start.wait()
            activity_signup(activity=activity, person=person)
            outcomes.append("signed up")
        except NoticeError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=sign_up, args=(person,)) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_concurrent_signups_never_exceed_capacity(crowd, monkeypatch):
    activity, people = crowd
    outcomes = _sign_up_all_at_once(activity, people, monkeypatch)
    assert sorted(outcomes) == ["refused"] * (PEOPLE - CAPACITY) + ["signed up"] * CAPACITY
    assert ActivitySignup.objects.filter(activity=activity, cancelled_at__isnull=True).count() == CAPACITY


def test_control_without_the_lock_concurrent_signups_overbook(crowd, monkeypatch):
    activity, people = crowd
    monkeypatch.setattr(lock_objects, "ACTIVITY_LOCK_ENABLED", False)
    _sign_up_all_at_once(activity, people, monkeypatch)
    assert ActivitySignup.objects.filter(activity=activity, cancelled_at__isnull=True).count() > CAPACITY
