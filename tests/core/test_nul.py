"""A NUL character anywhere in a request is bad input (400), never a database error (500 on
PostgreSQL, which cannot take one in a query). One middleware checks every request."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories import staff
from wuye.core.enums import Role
from wuye.core.models import ApiToken
from wuye.owners.models import LoginCode

pytestmark = pytest.mark.django_db

REFUSED = "Bad request: it contains a NUL character."


@pytest.fixture
def clerk_client(client, community):
    client.force_login(staff(community, Role.FRONT_DESK))
    return client


def refused(response) -> bool:
    return response.status_code == 400 and response.content.decode() == REFUSED


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def test_the_console_header_search_refuses_a_nul(clerk_client, household):
    assert clerk_client.get(reverse("console:search"), {"q": "101"}).status_code in (200, 302)

    response = clerk_client.get(reverse("console:search"), {"q": "101\x00"})

    assert refused(response)


def test_the_household_filter_refuses_a_nul(clerk_client, household):
    assert clerk_client.get(reverse("console:households"), {"q": "王"}).status_code == 200

    assert refused(clerk_client.get(reverse("console:households"), {"q": "王\x00小明"}))
    assert refused(clerk_client.get(reverse("console:households"), {"q\x00": "王"}))


def test_a_public_receipt_token_with_a_nul_is_refused(client):
    assert client.get("/r/abcdef/").status_code == 404

    assert refused(client.get("/r/abc%00def/"))


def test_an_api_query_with_a_nul_is_refused_as_json(client, community):
    _token, key = ApiToken.issue(user=staff(community, Role.ADMINISTRATOR), name="tests")
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get("/api/v1/households", {"q": "王"}, headers=headers).status_code == 200

    response = client.get("/api/v1/households", {"q": "王\x00"}, headers=headers)

    assert response.status_code == 400
    assert response.json() == {"detail": REFUSED}


@pytest.mark.parametrize("body", ["urlencoded", "multipart", "multipart, streamed"])
def test_a_form_value_with_a_nul_is_refused(client, settings, body):
    data = {"phone": "1391234\x005678"}
    if body == "multipart, streamed":
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100  # parsed as a stream, not read into memory first
        data["photo"] = SimpleUploadedFile("a.png", b"x" * 1000, content_type="image/png")
    if body.startswith("multipart"):
        response = client.post(reverse("portal:login"), data)
    else:
        response = client.post(
            reverse("portal:login"), "phone=1391234%005678", content_type="application/x-www-form-urlencoded"
        )

    assert refused(response)
    assert LoginCode.objects.count() == 0


def test_a_json_value_with_a_nul_is_refused(client):
    response = client.post(
        "/api/v1/owner/login/code", json.dumps({"phone": "1391234\x005678"}), content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json() == {"detail": REFUSED}
    assert LoginCode.objects.count() == 0


def test_a_cookie_with_a_nul_is_refused(client):
    client.cookies["sessionid"] = "abcdefghijklmnop\x00"

    assert refused(client.get(reverse("portal:login")))


def test_a_small_form_body_can_still_be_read_raw_by_the_view(rf):
    """Payment notifications read the raw body after the check has parsed the form."""
    from wuye.core.middleware import RefuseNulMiddleware

    seen = []

    def view(request):
        seen.append((request.body, request.POST.get("trade_no")))

    request = rf.post(
        "/pay/notify/x/", "trade_no=42&sign=abc", content_type="application/x-www-form-urlencoded"
    )
    RefuseNulMiddleware(view)(request)

    assert seen == [(b"trade_no=42&sign=abc", "42")]
