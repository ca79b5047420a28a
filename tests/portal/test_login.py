import pytest
from django.urls import reverse

from tests.factories import PersonFactory, staff
from tests.owners.factories import OwnerAccountFactory
from tests.portal.conftest import log_in
from wuye.owners.models import LoginCode, OwnerAccount
from wuye.portal.auth import SESSION_ACCOUNT

pytestmark = pytest.mark.django_db


def test_login_page_is_in_chinese_by_default(client):
    response = client.get(reverse("portal:login"))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "/static/portal/portal.css" in html
    assert "http://" not in html.replace("http://testserver", "")
    assert "https://" not in html


def test_login_sends_a_code_then_logs_in_to_the_home(client, owner, sms):
    with sms.delivered():
        response = client.post(reverse("portal:login"), {"phone": "139 1234 5678"})
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:login_verify")
    assert LoginCode.objects.count() == 1

    response = client.post(reverse("portal:login_verify"), {"code": sms.code("13912345678")})

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")
    assert client.session[SESSION_ACCOUNT] == owner.account.pk
    home = client.get(reverse("portal:home"))
    assert home.status_code == 200
    assert owner.household.name in home.content.decode()


def test_login_of_a_new_phone_goes_to_the_binding_page(client, sms):
    PersonFactory(phone="13700000000")  # in a household's archive, with no account yet
    with sms.delivered():
        client.post(reverse("portal:login"), {"phone": "13700000000"})

    response = client.post(reverse("portal:login_verify"), {"code": sms.code("13700000000")})

    assert response["Location"] == reverse("portal:bind")
    assert OwnerAccount.objects.get().phone == "13700000000"


def test_login_returns_to_the_page_asked_for(client, owner, sms):
    response = client.get(reverse("portal:notices"))
    assert response["Location"] == f"{reverse('portal:login')}?next=%2Fm%2Fnotices%2F"

    with sms.delivered():
        client.post(reverse("portal:login"), {"phone": "13912345678", "next": "/m/notices/"})
    response = client.post(
        reverse("portal:login_verify"), {"code": sms.code("13912345678"), "next": "/m/notices/"}
    )

    assert response["Location"] == "/m/notices/"


def test_login_ignores_a_next_that_leaves_the_portal(client, owner, sms):
    with sms.delivered():
        client.post(reverse("portal:login"), {"phone": "13912345678"})

    response = client.post(
        reverse("portal:login_verify"), {"code": sms.code("13912345678"), "next": "https://evil.example/"}
    )

    assert response["Location"] == reverse("portal:home")


def test_login_with_a_wrong_code_shows_an_error_and_counts(client, owner, sms):
    with sms.delivered():
        client.post(reverse("portal:login"), {"phone": "13912345678"})
    wrong = "000000" if sms.code("13912345678") != "000000" else "111111"

    response = client.post(reverse("portal:login_verify"), {"code": wrong})

    assert response.status_code == 200
    assert "4" in response.content.decode()
    assert SESSION_ACCOUNT not in client.session
    assert LoginCode.objects.get().attempts == 1


def test_login_refuses_a_second_code_within_a_minute(client, owner):
    client.post(reverse("portal:login"), {"phone": "13912345678"})

    response = client.post(reverse("portal:login"), {"phone": "13912345678"})

    assert response.status_code == 200
    assert LoginCode.objects.count() == 1


def test_login_code_limit_counts_each_owner_behind_the_trusted_proxy(client, settings):
    """Behind the proxy every owner shared its address: twenty codes locked everyone out."""
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    for number in range(20):
        client.post(
            reverse("portal:login"), {"phone": f"1390000{number:04d}"}, HTTP_X_FORWARDED_FOR="203.0.113.1"
        )

    refused = client.post(
        reverse("portal:login"), {"phone": "13911112222"}, HTTP_X_FORWARDED_FOR="203.0.113.1"
    )
    other = client.post(reverse("portal:login"), {"phone": "13911113333"}, HTTP_X_FORWARDED_FOR="203.0.113.2")

    assert refused.status_code == 200
    assert other.status_code == 302
    assert LoginCode.objects.filter(client_address="203.0.113.1").count() == 20
    assert LoginCode.objects.filter(client_address="203.0.113.2").count() == 1


def test_login_of_a_phone_nobody_knows_answers_the_same_and_sends_nothing(client, sms):
    with sms.delivered():
        response = client.post(reverse("portal:login"), {"phone": "13800000000"})

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:login_verify")
    assert LoginCode.objects.get().phone == "13800000000"
    assert sms.sent == []


def test_login_verify_without_a_phone_goes_back_to_step_one(client):
    assert client.get(reverse("portal:login_verify"))["Location"] == reverse("portal:login")


def test_logout_ends_the_owner_session(owner_client):
    response = owner_client.post(reverse("portal:logout"))

    assert response["Location"] == reverse("portal:login")
    assert SESSION_ACCOUNT not in owner_client.session
    assert owner_client.get(reverse("portal:home")).status_code == 302


def test_a_disabled_account_is_logged_out(owner_client, owner):
    OwnerAccount.objects.filter(pk=owner.account.pk).update(is_active=False)

    response = owner_client.get(reverse("portal:home"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))


def test_staff_login_does_not_open_the_portal(client, community):
    client.force_login(staff(community))

    response = client.get(reverse("portal:home"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))


def test_owner_login_does_not_open_the_console(owner_client):
    response = owner_client.get(reverse("console:households"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("console:login"))


def test_portal_speaks_the_owners_language(client, owner):
    OwnerAccount.objects.filter(pk=owner.account.pk).update(language="en")
    log_in(client, owner.account)

    html = client.get(reverse("portal:home")).content.decode()

    assert '<html lang="en">' in html
    assert "Report a problem" in html


def test_an_account_without_households_is_sent_to_the_binding_page(client):
    log_in(client, OwnerAccountFactory())

    assert client.get(reverse("portal:home"))["Location"] == reverse("portal:bind")
    assert client.get(reverse("portal:bind")).status_code == 200
