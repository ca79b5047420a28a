"""The API as a whole: its documentation works offline, and no operation reaches another community.

The isolation tests walk the OpenAPI schema, so an operation is covered the day it is added; a path
argument or body field they do not know fails them, so that its author adds it to the maps below, and
an operation neither walk can call (one that is not a list and takes no argument) fails them too.
"""

import re

from django.contrib.staticfiles import finders
from django.db import transaction

from wuye.billing.models import MeterReading
from wuye.core.models import AuditLog
from wuye.households.models import HouseholdTag
from wuye.ledger.models import LedgerTransaction
from wuye.notices.models import Notice
from wuye.payments.models import PaymentAttempt, Refund
from wuye.service.models import RequestComment, RequestEvent

# Path arguments and required body fields → which object of tests.api.conftest.archive() fills them.
# A body field that is a list of pks gets the one object's pk in a list.
PATH_OBJECTS = {
    "household_pk": "household",
    "room_pk": "room",
    "tag_pk": "tag",
    "feeitem_pk": "fee_item",
    "billingrun_pk": "run",
    "paymentattempt_pk": "attempt",
    "receipt_pk": "receipt",
    "refund_pk": "refund",
    "meter_pk": "meter",
    "servicerequest_pk": "service_request",
    "notice_pk": "notice",
}
BODY_OBJECTS = {"tag": "spare_tag", "community": "community", "lines": "bill_line"}
# Required body fields that name no object: sent with the same value to every operation (an operation
# ignores the fields it does not have). Each works on the archive's objects: card at the counter, a
# refund within what the archive's payment can still refund, a reading above the archive's 2026-10 one,
# accepting the archive's submitted service request.
BODY_VALUES = {
    "month": "2026-11",
    "method": "card",
    "amount_fen": 100,
    "reason": "多收",
    "value": "12.50",
    "action": "accept",
    "body": "已联系业主",
    "title": "停电通知",
}


def _changes() -> tuple[int, ...]:
    """What a refused call must leave as it was: tags, the audit log (every domain write logs), money,
    readings, the service desk's history and comments, and the notices' states."""
    return (
        HouseholdTag.objects.count(),
        AuditLog.objects.count(),
        LedgerTransaction.objects.count(),
        PaymentAttempt.objects.count(),
        tuple(Refund.objects.order_by("pk").values_list("state", flat=True)),
        MeterReading.objects.count(),
        RequestEvent.objects.count(),
        RequestComment.objects.count(),
        tuple(Notice.objects.order_by("pk").values_list("state", flat=True)),
    )


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


def _body_shape(operation, schema) -> dict:
    body = operation.get("requestBody")
    if not body:
        return {}
    shape = body["content"]["application/json"]["schema"]
    if "$ref" in shape:
        shape = schema["components"]["schemas"][shape["$ref"].rsplit("/", 1)[-1]]
    return shape


def _body_fields(operation, schema) -> list[str]:
    return _body_shape(operation, schema).get("required", [])


def _list_fields(operation, schema) -> set[str]:
    """The body fields that are arrays (of pks)."""
    properties = _body_shape(operation, schema).get("properties", {})
    return {name for name, shape in properties.items() if shape.get("type") == "array"}


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


def _call(api, method, path, arguments, *, foreign, own, other, lists=()):
    """Fill the arguments listed in ``foreign`` with objects of ``other``, the rest with ``own``'s."""
    values = {}
    for where, name in arguments:
        archive = other if (where, name) in foreign else own
        pk = archive[(PATH_OBJECTS if where == "path" else BODY_OBJECTS)[name]].pk
        values[name] = [pk] if where == "body" and name in lists else pk
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
            # A list: the walk below checks it. Anything else would be covered by neither walk.
            assert method == "get", f"{method.upper()} {path} takes no argument that the walk can fill"
            continue
        lists = _list_fields(operation, schema)
        before = _changes()
        # Every argument from B; then, with several arguments, each one alone from B among A's.
        variants = [arguments] + ([[argument] for argument in arguments] if len(arguments) > 1 else [])
        for foreign in variants:
            response = _call(api, method, path, arguments, foreign=foreign, own=own, other=other, lists=lists)
            assert response.status_code == 404, (
                f"{method.upper()} {path}, {foreign} of B: {response.status_code} {response.content[:200]}"
            )
        assert _changes() == before, f"{method} {path}"
        # Control: the same call on A's own objects works, so the 404s above mean something. It is
        # rolled back, so that every operation meets the archive as it was built (approving the refund
        # does not keep rejecting it from working, nor publishing the notice withdrawing it).
        with transaction.atomic():
            response = _call(api, method, path, arguments, foreign=[], own=own, other=other, lists=lists)
            transaction.set_rollback(True)
        assert response.status_code in (200, 202), (
            f"{method.upper()} {path} on A's objects: {response.status_code} {response.content[:300]}"
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
