"""Bearer tokens: who is refused, and how often a token's use is recorded."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import staff
from wuye.core.enums import Role
from wuye.core.models import ApiToken

pytestmark = pytest.mark.django_db


def _assert_refused(response):
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json() == {"detail": "Missing, unknown, expired or revoked API token."}


def test_request_without_token_refused(api_as):
    _assert_refused(api_as(None).get("/households"))


def test_request_with_unknown_token_refused(api_as, community):
    api = api_as(None)
    api.headers["Authorization"] = "Bearer wy_not-a-real-key"
    _assert_refused(api.get("/households"))


@pytest.mark.parametrize("header", ["Token {key}", "Basic {key}", "{key}", "Bearer", "Bearer  "])
def test_request_with_malformed_header_refused(client, community, header):
    _token, key = ApiToken.issue(user=staff(community), name="t")
    response = client.get("/api/v1/households", headers={"Authorization": header.format(key=key)})
    assert response.status_code == 401


def test_request_with_revoked_token_refused(api_as, community):
    api = api_as(staff(community))
    assert api.get("/households").status_code == 200
    ApiToken.objects.all().delete()
    _assert_refused(api.get("/households"))


def test_request_with_expired_token_refused_and_not_touched(client, community):
    expired, key = ApiToken.issue(
        user=staff(community), name="t", expires_at=timezone.now() - timedelta(seconds=1)
    )

    response = client.get(
        "/api/v1/households", headers={"Authorization": f"Bearer {key}", "Accept-Language": "en"}
    )

    _assert_refused(response)
    expired.refresh_from_db()
    assert expired.last_used_at is None


def test_request_with_token_before_its_expiry_answers(client, community):
    _token, key = ApiToken.issue(
        user=staff(community), name="t", expires_at=timezone.now() + timedelta(hours=1)
    )
    assert client.get("/api/v1/households", headers={"Authorization": f"Bearer {key}"}).status_code == 200


def test_request_of_inactive_user_refused(api_as, community):
    user = staff(community)
    api = api_as(user)
    user.is_active = False
    user.save()
    _assert_refused(api.get("/households"))


def test_session_login_alone_refused(client, community):
    client.force_login(staff(community))
    assert client.get("/api/v1/households").status_code == 401


def test_token_acts_as_its_owner_not_the_session_user(api_as, client, household):
    """A browser session of an administrator does not lend its roles to a bank token."""
    client.force_login(staff(household.community, Role.ADMINISTRATOR))
    api = api_as(staff(household.community, Role.BANK))
    assert api.get(f"/households/{household.pk}").status_code == 404


def test_every_operation_refuses_a_request_without_token(api_as, operations, community):
    found, _schema = operations
    api = api_as(None)
    for method, path, operation in found:
        if path.startswith("/owner/"):
            continue  # the owner API has its own scheme and login; tests/owners/test_api.py checks it
        url = re.sub(r"\{[^}]+\}", "1", path)  # authentication comes before any lookup
        response = api.call(method, url, {"tag": 1})
        assert response.status_code == 401, f"{method.upper()} {path} answered {response.status_code}"
        assert operation["security"] == [{"TokenAuth": []}], f"{method.upper()} {path} documents no auth"


def test_first_use_stamps_last_used_at(api_as, community):
    api = api_as(staff(community))
    assert ApiToken.objects.get().last_used_at is None
    before = timezone.now()
    api.get("/communities")
    assert ApiToken.objects.get().last_used_at >= before


def test_use_within_a_minute_does_not_write_again(api_as, community):
    api = api_as(staff(community))
    stamp = timezone.now() - timedelta(seconds=30)
    ApiToken.objects.update(last_used_at=stamp)
    api.get("/communities")
    assert ApiToken.objects.get().last_used_at == stamp


def test_use_after_a_minute_writes_again(api_as, community):
    api = api_as(staff(community))
    stamp = timezone.now() - timedelta(seconds=61)
    ApiToken.objects.update(last_used_at=stamp)
    api.get("/communities")
    assert ApiToken.objects.get().last_used_at > stamp + timedelta(seconds=60)
