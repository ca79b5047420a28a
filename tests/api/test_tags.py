"""GET /tags."""

import pytest

from tests.factories import CommunityFactory, HouseholdTagFactory, TagFactory, TagGroupFactory, staff
from wuye.core.enums import Role

pytestmark = pytest.mark.django_db


def test_tag_list_counts_households_and_filters_by_community(api_as, community):
    other = CommunityFactory()
    user = staff(community, Role.FRONT_DESK)
    user.staff_roles.create(community=other, role=Role.CASHIER)
    group = TagGroupFactory(community=community, name="身份")
    elderly = TagFactory(community=community, name="老人", group=group, colour="red")
    HouseholdTagFactory(tag=elderly, household__community=community)
    HouseholdTagFactory(tag=elderly, household__community=community)
    there = TagFactory(community=other, name="党员")
    TagFactory()  # a community the user has no role in

    api = api_as(user)
    everything = api.get("/tags").json()
    only_other = api.get("/tags", {"community": other.pk}).json()

    assert [tag["pk"] for tag in everything] == [elderly.pk, there.pk]
    assert everything[0] == {
        "pk": elderly.pk,
        "community": community.pk,
        "name": "老人",
        "colour": "red",
        "kind": "manual",
        "rule": "",
        "group": {"pk": group.pk, "name": "身份"},
        "description": "",
        "households": 2,
    }
    assert everything[1]["households"] == 0
    assert everything[1]["group"] is None
    assert [tag["pk"] for tag in only_other] == [there.pk]
