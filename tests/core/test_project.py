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
