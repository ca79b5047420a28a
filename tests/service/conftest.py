import pytest

from tests.factories import staff
from tests.service.factories import ServiceCategoryFactory, ServiceRequestFactory, technician
from wuye.core.enums import Role


@pytest.fixture
def category(community):
    return ServiceCategoryFactory(community=community, name="水电", response_minutes=30, completion_hours=24)


@pytest.fixture
def tech(community):
    return technician(community, first_name="李师傅")


@pytest.fixture
def supervisor(community):
    return staff(community, Role.SUPERVISOR, first_name="王主管")


@pytest.fixture
def make_request(community, category):
    def make(**kwargs):
        kwargs.setdefault("community", community)
        kwargs.setdefault("category", category)
        return ServiceRequestFactory(**kwargs)

    return make


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Staff users are made by the dozen here; a real password hash each would take minutes."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
