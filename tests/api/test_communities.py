"""GET /communities."""

import pytest

from tests.factories import CommunityFactory, UserFactory, staff
from wuye.core.enums import Permission, Role
from wuye.core.rules import ROLE_PERMISSIONS

pytestmark = pytest.mark.django_db


def test_community_list_shows_the_users_communities_with_permissions(api_as, community):
    bank_community = CommunityFactory()
    CommunityFactory()  # no role there
    user = staff(community, Role.CASHIER)
    user.staff_roles.create(community=bank_community, role=Role.BANK)

    body = api_as(user).get("/communities").json()

    assert [item["pk"] for item in body] == [community.pk, bank_community.pk]
    assert body[0]["name"] == community.name
    assert body[0]["permissions"] == sorted(ROLE_PERMISSIONS[Role.CASHIER])
    assert Permission.ARCHIVE_EDIT not in body[0]["permissions"]
    assert body[1]["permissions"] == sorted([Permission.BANK_REFERRALS, Permission.PARTNER_VIEW])


def test_community_list_of_a_superuser_is_every_community_with_every_permission(api_as, community):
    other = CommunityFactory()
    superuser = UserFactory(is_superuser=True)

    body = api_as(superuser).get("/communities").json()

    assert [item["pk"] for item in body] == [community.pk, other.pk]
    assert body[0]["permissions"] == sorted(Permission.values)


def test_community_list_of_a_user_without_roles_is_empty(api_as, community):
    assert api_as(UserFactory()).get("/communities").json() == []
