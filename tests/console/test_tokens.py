"""The console's API token page: create (key shown once), list own tokens, revoke."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory, staff
from wuye.core.domain.tokens import TokenError, token_issue
from wuye.core.enums import Role
from wuye.core.models import ApiToken, AuditLog

KEY = re.compile(r"wy_[A-Za-z0-9_-]{20,}")


@pytest.fixture
def staff_client(client, community):
    """Any console role may hold tokens; the technician's is the narrowest. (The partner bank has no
    console, so no tokens: test_bank_has_no_token_page.)"""
    user = staff(community, Role.TECHNICIAN)
    client.force_login(user)
    client.user = user
    return client


def test_token_list_shows_only_own_tokens(staff_client, community):
    mine, _key = ApiToken.issue(user=staff_client.user, name="对账系统")
    theirs, _key = ApiToken.issue(user=staff(community), name="门禁")

    response = staff_client.get(reverse("console:tokens"))

    assert response.status_code == 200
    assert list(response.context["tokens"]) == [mine]
    body = response.content.decode()
    assert "对账系统" in body and mine.prefix in body
    assert "门禁" not in body and theirs.prefix not in body
    assert not KEY.search(body)


def test_token_create_shows_the_key_once_and_stores_only_its_hash(staff_client):
    response = staff_client.post(reverse("console:tokens"), {"name": "  对账系统  ", "days": 90})

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    key = KEY.search(response.content.decode()).group()
    token = ApiToken.objects.get()
    assert (token.user, token.name, token.prefix) == (staff_client.user, "对账系统", key[:8])
    assert token.key_hash == ApiToken.hash_key(key) != key
    log = AuditLog.objects.get()
    assert (log.action, log.object_pk, log.actor) == ("core.apitoken.created", token.pk, staff_client.user)
    assert round((token.expires_at - token.created_at) / timedelta(days=1)) == 90
    assert key not in str(log.changes)
    assert key not in staff_client.get(reverse("console:tokens")).content.decode()


def test_token_created_on_the_page_opens_the_api(staff_client, community):
    response = staff_client.post(reverse("console:tokens"), {"name": "app", "days": 30})
    key = KEY.search(response.content.decode()).group()
    staff_client.logout()

    api = staff_client.get("/api/v1/communities", headers={"Authorization": f"Bearer {key}"})

    assert api.status_code == 200
    assert [item["pk"] for item in api.json()] == [community.pk]


def test_token_create_without_a_name_is_refused(staff_client):
    response = staff_client.post(reverse("console:tokens"), {"name": "   ", "days": 30})

    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert ApiToken.objects.count() == 0
    assert not KEY.search(response.content.decode())


def test_token_delete_revokes_it(staff_client):
    token, key = ApiToken.issue(user=staff_client.user, name="app")

    response = staff_client.post(reverse("console:token_delete", args=[token.pk]))

    assert response.status_code == 302
    assert response.url == reverse("console:tokens")
    assert ApiToken.objects.count() == 0
    assert AuditLog.objects.get().action == "core.apitoken.revoked"
    assert (
        staff_client.get("/api/v1/communities", headers={"Authorization": f"Bearer {key}"}).status_code == 401
    )


def test_token_delete_of_another_users_token_is_404(staff_client, community):
    theirs, _key = ApiToken.issue(user=staff(community, Role.ADMINISTRATOR), name="app")

    response = staff_client.post(reverse("console:token_delete", args=[theirs.pk]))

    assert response.status_code == 404
    assert ApiToken.objects.filter(pk=theirs.pk).exists()
    assert AuditLog.objects.count() == 0


def test_token_delete_by_get_changes_nothing(staff_client):
    token, _key = ApiToken.issue(user=staff_client.user, name="app")

    response = staff_client.get(reverse("console:token_delete", args=[token.pk]))

    assert response.status_code == 405
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_token_pages_need_a_login(client, db):
    response = client.get(reverse("console:tokens"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("console:login"))


def test_token_pages_need_a_staff_role(client, db):
    client.force_login(UserFactory())
    assert client.get(reverse("console:tokens")).status_code == 404
    assert client.post(reverse("console:tokens"), {"name": "x", "days": 30}).status_code == 404
    assert ApiToken.objects.count() == 0


def test_token_issue_expires_after_the_days_chosen(staff_client):
    now = timezone.now()
    token, _key = token_issue(user=staff_client.user, name="app", days=30, now=now)
    assert token.expires_at == now + timedelta(days=30)
    assert AuditLog.objects.get().changes == {"name": "app", "expires_at": str(now + timedelta(days=30))}


@pytest.mark.parametrize("days", [0, 366])
def test_token_issue_outside_the_allowed_days_is_refused(staff_client, days):
    with pytest.raises(TokenError):
        token_issue(user=staff_client.user, name="app", days=days)
    assert (ApiToken.objects.count(), AuditLog.objects.count()) == (0, 0)


def test_token_create_longer_than_the_maximum_is_refused(staff_client, settings):
    settings.API_TOKEN_MAX_DAYS = 60

    response = staff_client.post(reverse("console:tokens"), {"name": "app", "days": 61})

    assert response.status_code == 200
    assert "days" in response.context["form"].errors
    assert (ApiToken.objects.count(), AuditLog.objects.count()) == (0, 0)
    assert not KEY.search(response.content.decode())


def test_token_list_shows_expiry_and_marks_expired_tokens(staff_client):
    ApiToken.issue(user=staff_client.user, name="旧系统", expires_at=timezone.now() - timedelta(days=1))
    ApiToken.issue(user=staff_client.user, name="新系统")

    body = staff_client.get(reverse("console:tokens")).content.decode()

    assert body.count('class="tag tag-red"') == 1
    assert body.index("tag-red") > body.index("旧系统")
