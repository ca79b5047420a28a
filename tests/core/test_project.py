from io import StringIO

import pytest
from django.core.management import call_command

from tests.factories import HouseholdRoomFactory


@pytest.mark.django_db
def test_migrations_complete():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_factories_build_one_community(db):
    link = HouseholdRoomFactory()
    assert link.room.community_id == link.household.community_id == link.community_id
    assert link.room.building.community_id == link.community_id


@pytest.mark.django_db
def test_suite_runs_on_the_database_make_asked_for():
    """`make test` runs the suite twice; this proves neither run fell back to another database."""
    import os

    from django.db import connection

    expected = os.environ.get("WUYE_TEST_DATABASE")
    if expected:
        assert connection.vendor == expected
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_keys")
            assert cursor.fetchone()[0] == 1
