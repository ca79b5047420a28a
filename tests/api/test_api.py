"""The API as a whole: its documentation works offline, and no operation reaches another community.

The isolation tests walk the OpenAPI schema, so an operation is covered the day it is added; a path
argument or body field they do not know fails them, so that its author adds it to the maps below.
"""

import re

from django.contrib.staticfiles import finders

from wuye.core.models import AuditLog
from wuye.households.models import HouseholdTag

# Path arguments and required body fields → which object of tests.api.conftest.archive() fills them.
PATH_OBJECTS = {
    "household_pk": "household",
    "room_pk": "room",
    "tag_pk": "tag",
    "feeitem_pk": "fee_item",
    "billingrun_pk": "run",
}
BODY_OBJECTS = {"tag": "spare_tag", "community": "community"}
# Required body fields that name no object: sent with the same value to every operation that has them.
BODY_VALUES = {"month": "2026-11"}


def test_openapi_schema_is_served_without_a_token(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Wuye API"
    assert schema["components"]["securitySchemes"]["TokenAuth"] == {"type": "http", "scheme": "bearer"}


def test_docs_page_loads_only_local_static_files(client):
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    html = response.content.decode()
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)["']""", html)
    assert len(urls) >= 3  # the stylesheet, the bundle and its starter at least
    for url in urls:
        assert url.startswith("/static/"), url
        assert finders.find(url.removeprefix("/static/")), f"{url} is not among the static files"
    assert "http://" not in html
    assert "https://" not in html
    assert "cdn" not in html.lower()
    assert '"url": "/api/v1/openapi.json"' in html


def _staff_operations(found):
    """The staff operations only: the owner API (/owner/…, its own auth) has its own walk in tests/owners."""
    return [(method, path, operation) for method, path, operation in found if not path.startswith("/owner/")]


def _body_fields(operation, schema) -> list[str]:
    body = operation.get("requestBody")
    if not body:
        return []
    shape = body["content"]["application/json"]["schema"]
    if "$ref" in shape:
        shape = schema["components"]["schemas"][shape["$ref"].rsplit("/", 1)[-1]]
    return shape.get("required", [])


def _arguments(method, path, operation, schema) -> list[tuple[str, str]]:
    """[("path", name) or ("body", name), …]; fails on a name without an object to fill it."""
    arguments = [("path", name) for name in re.findall(r"\{(\w+)\}", path)]
    arguments += [("body", name) for name in _body_fields(operation, schema) if name not in BODY_VALUES]
    for where, name in arguments:
        known = PATH_OBJECTS if where == "path" else BODY_OBJECTS
        assert name in known, (
            f"{method.upper()} {path}: add {where} argument {name!r} to the map in {__name__}"
        )
    return arguments


def _call(api, method, path, arguments, *, foreign, own, other):
    """Fill the arguments listed in ``foreign`` with objects of ``other``, the rest with ``own``'s."""
    values = {}
    for where, name in arguments:
        archive = other if (where, name) in foreign else own
        values[name] = archive[(PATH_OBJECTS if where == "path" else BODY_OBJECTS)[name]].pk
    url = path.format(**{name: values[name] for where, name in arguments if where == "path"})
    body = {name: values[name] for where, name in arguments if where == "body"}
    return api.call(method, url, {**BODY_VALUES, **body})


def test_every_operation_on_another_communitys_object_answers_404(api_as, operations, two_communities):
    found, schema = operations
    found = _staff_operations(found)
    api = api_as(two_communities["admin_a"])
    own, other = two_communities["a_objects"], two_communities["b_objects"]

    checked = 0
    for method, path, operation in found:
        arguments = _arguments(method, path, operation, schema)
        if not arguments:
            continue
        links, logs = HouseholdTag.objects.count(), AuditLog.objects.count()
        # Every argument from B; then, with several arguments, each one alone from B among A's.
        variants = [arguments] + ([[argument] for argument in arguments] if len(arguments) > 1 else [])
        for foreign in variants:
            response = _call(api, method, path, arguments, foreign=foreign, own=own, other=other)
            assert response.status_code == 404, (
                f"{method.upper()} {path}, {foreign} of B: {response.status_code}"
            )
        assert (HouseholdTag.objects.count(), AuditLog.objects.count()) == (links, logs), f"{method} {path}"
        # Control: the same call on A's own objects works, so the 404s above mean something.
        response = _call(api, method, path, arguments, foreign=[], own=own, other=other)
        assert response.status_code in (200, 202), (
            f"{method.upper()} {path} on A's objects: {response.status_code}"
        )
        checked += 1
    assert checked >= 4


def _communities_in(data) -> tuple[set[int], set[str]]:
    """The community pks and the names found anywhere in a JSON body."""
    pks, names = set(), set()
    if isinstance(data, dict):
        if "community" in data:
            pks.add(data["community"])
        if "name" in data:
            names.add(data["name"])
        for value in data.values():
            more_pks, more_names = _communities_in(value)
            pks |= more_pks
            names |= more_names
    elif isinstance(data, list):
        for value in data:
            more_pks, more_names = _communities_in(value)
            pks |= more_pks
            names |= more_names
    return pks, names


def test_every_list_shows_nothing_of_another_community(api_as, operations, two_communities):
    found, _schema = operations
    found = _staff_operations(found)
    community_a, community_b = two_communities["a"], two_communities["b"]
    api = api_as(two_communities["admin_a"])

    checked = 0
    for method, path, operation in found:
        if method != "get" or "{" in path:
            continue
        response = api.get(path)
        assert response.status_code == 200, path
        pks, names = _communities_in(response.json())
        assert community_b.pk not in pks, path
        assert community_b.name not in names, path
        assert community_a.pk in pks or community_a.name in names, f"{path} shows nothing of A either"
        if any(parameter["name"] == "community" for parameter in operation.get("parameters", [])):
            only_b = api.get(path, {"community": community_b.pk}).json()
            assert only_b == [] or (only_b["items"] == [] and only_b["count"] == 0), path
        checked += 1
    assert checked >= 4
