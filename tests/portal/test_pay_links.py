"""A household's pay link expires and can be revoked; a fresh link works; a refused one changes nothing."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import HouseholdRoomFactory, staff
from wuye.core.enums import Role
from wuye.core.models import AuditLog
from wuye.portal.domain.paylinks import household_pay_links_revoke
from wuye.portal.domain.queries import household_pay_token
from wuye.portal.models import HouseholdPayLink
from wuye.portal.views.pay import SESSION_PAY


def open_link(client, token):
    return client.get(reverse("portal:pay_household", kwargs={"token": token}))


def link_on_page(staff_client, household):
    page = staff_client.get(reverse("console:household_pay_link", kwargs={"household_pk": household.pk}))
    assert page.status_code == 200
    url = re.search(r'<code id="pay-link-url">([^<]+)</code>', page.content.decode()).group(1)
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


@pytest.fixture
def cashier_client(household):
    staff_client = Client()
    staff_client.force_login(staff(household.community, Role.CASHIER))
    return staff_client


def test_link_opens_until_it_expires(client, household, settings):
    settings.PAY_LINK_DAYS = 180
    now = timezone.now()
    fresh = household_pay_token(household, now=now - timedelta(days=179))
    old = household_pay_token(household, now=now - timedelta(days=180, seconds=1))

    refused = open_link(client, old)

    assert refused.status_code == 410
    assert b'id="pay-link-ended"' in refused.content
    assert SESSION_PAY not in client.session
    assert open_link(client, fresh).status_code == 302
    assert client.session[SESSION_PAY]["pk"] == household.pk


def test_shorter_setting_ends_links_already_issued(client, household, settings):
    token = household_pay_token(household, now=timezone.now() - timedelta(days=40))
    settings.PAY_LINK_DAYS = 30
    assert open_link(client, token).status_code == 410


def test_revoked_link_refused_and_the_new_one_works(client, cashier_client, household):
    before = link_on_page(cashier_client, household)

    response = cashier_client.post(
        reverse("console:household_pay_links_revoke", kwargs={"household_pk": household.pk})
    )

    assert response.status_code == 302
    assert response.url == reverse("console:household_pay_link", kwargs={"household_pk": household.pk})
    entry = AuditLog.objects.get(action="portal.paylink.revoked")
    assert (entry.household_id, entry.community_id, entry.changes) == (
        household.pk,
        household.community_id,
        {"pay_link_version": [0, 1]},
    )
    after = link_on_page(cashier_client, household)
    assert after != before
    audit = AuditLog.objects.count()

    refused = client.get(before)

    assert refused.status_code == 410
    assert SESSION_PAY not in client.session
    assert AuditLog.objects.count() == audit
    assert HouseholdPayLink.objects.get(household=household).version == 1
    assert client.get(after).status_code == 302
    assert client.session[SESSION_PAY]["pk"] == household.pk


def test_each_revocation_ends_the_links_issued_before_it(client, household):
    first = household_pay_token(household)
    household_pay_links_revoke(household=household, actor=None)
    second = household_pay_token(household)
    household_pay_links_revoke(household=household, actor=None)
    third = household_pay_token(household)

    assert [open_link(client, token).status_code for token in (first, second)] == [410, 410]
    assert SESSION_PAY not in client.session
    assert open_link(client, third).status_code == 302
    assert HouseholdPayLink.objects.get(household=household).version == 2


def test_revoking_one_household_leaves_the_others_links(client, household):
    neighbour = HouseholdRoomFactory(household__community=household.community).household
    token = household_pay_token(neighbour)
    household_pay_links_revoke(household=household, actor=None)
    assert open_link(client, token).status_code == 302


def test_revoke_by_get_changes_nothing(cashier_client, household):
    response = cashier_client.get(
        reverse("console:household_pay_links_revoke", kwargs={"household_pk": household.pk})
    )
    assert response.status_code == 405
    assert not HouseholdPayLink.objects.exists()
    assert not AuditLog.objects.filter(action="portal.paylink.revoked").exists()


def test_pay_link_page_shows_when_the_link_stops_working(cashier_client, household, settings):
    settings.PAY_LINK_DAYS = 180
    page = cashier_client.get(reverse("console:household_pay_link", kwargs={"household_pk": household.pk}))
    expires = timezone.localtime(page.context["expires_at"])
    assert f"{expires:%Y-%m-%d}" in re.search(r'id="pay-link-expires">([^<]+)<', page.content.decode()).group(
        1
    )
    assert reverse("console:household_pay_links_revoke", kwargs={"household_pk": household.pk}) in (
        page.content.decode()
    )
