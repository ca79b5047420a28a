import pytest
from django.db import connection

from tests.factories import CommunityFactory, HouseholdRoomFactory, PersonFactory, staff
from wuye.core.enums import Role


@pytest.fixture(autouse=True)
def _plain_static_files(settings):
    """Tests run without collectstatic: serve assets from the apps, not from a manifest."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


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
