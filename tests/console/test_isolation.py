"""A staff user of community A gets 404 for every console page of community B's objects.

The test walks every URL pattern of the console, so a new page is covered the day it is added; a URL
argument that no module in tests/isolation provides fails it, so that its author adds one.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.factories import (
    CommunityFactory,
    HouseholdRoomFactory,
    UserFactory,
    staff,
)
from tests.isolation import build_all
from wuye.core.enums import Role
from wuye.households.models import Household


def _patterns(resolver, prefix=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            yield from _patterns(entry, namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{prefix}{entry.name}", list(entry.pattern.converters)


def console_patterns_with_objects():
    return [(name, args) for name, args in _patterns(get_resolver()) if name.startswith("console:") and args]


@pytest.fixture
def other_community_objects(db):
    """One object of every kind a console URL can name, all in community B (see tests/isolation)."""
    community_b = CommunityFactory(name="小区B")
    return build_all(community_b, staff(community_b))


def test_console_has_object_pages():
    assert len(console_patterns_with_objects()) >= 20


@pytest.mark.parametrize("role", [Role.ADMINISTRATOR, Role.FRONT_DESK])
def test_every_console_page_of_another_community_answers_404(client, other_community_objects, role):
    community_a = CommunityFactory(name="小区A")
    HouseholdRoomFactory(household__community=community_a)
    client.force_login(staff(community_a, role))
    checked = 0
    for name, args in console_patterns_with_objects():
        unknown = set(args) - set(other_community_objects)
        assert not unknown, f"{name}: add an object for {unknown} to a module in tests/isolation/"
        url = reverse(name, kwargs={arg: other_community_objects[arg] for arg in args})
        get = client.get(url)
        assert get.status_code in (404, 405), f"GET {url} ({name}) answered {get.status_code}"
        post = client.post(url, {"tag": other_community_objects["tag_pk"], "name": "x"})
        assert post.status_code == 404, f"POST {url} ({name}) answered {post.status_code}"
        checked += 1
    assert checked == len(console_patterns_with_objects())


def test_switching_to_another_community_is_refused(client, other_community_objects):
    community_a = CommunityFactory()
    client.force_login(staff(community_a))
    other = Household.objects.get(pk=other_community_objects["household_pk"]).community_id
    assert client.post(reverse("console:community_switch"), {"community": other}).status_code == 404
    assert client.session.get("wuye_community") is None


def test_user_without_any_role_gets_404_on_lists(client, db):
    client.force_login(UserFactory())
    for name in (
        "console:households",
        "console:buildings",
        "console:tags",
        "console:audit",
        "console:imports",
    ):
        assert client.get(reverse(name)).status_code == 404, name
