"""The console's SMS service page: the company's provider account and its templates."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import CommunityFactory, staff
from wuye.core.enums import Role
from wuye.core.models import AuditLog
from wuye.notifications.models import SmsAccount, SmsTemplate, WechatAccount

pytestmark = pytest.mark.django_db

URL = reverse("console:sms_settings")


def _form(**overrides):
    data = {
        "provider": "aliyun",
        "enabled": "on",
        "sign_name": "阳光物业",
        "access_key_id": "LTAI5tExample",
        "access_key_secret_ref": "env:WUYE_CHANNEL_SMS_SECRET",
        "app_id": "",
        "region": "",
        "gateway_url": "",
        "template:owners.login.code": "SMS_465001",
        "params:owners.login.code": "code, minutes",
        "template:notices.notice.published": "",
        "params:notices.notice.published": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def admin_client(client, community):
    client.force_login(staff(community, Role.ADMINISTRATOR))
    return client


def test_the_page_says_messages_go_to_the_log_without_an_account(admin_client):
    response = admin_client.get(URL)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="sms-no-account"' in page and 'id="sms-read-only"' not in page
    assert "owners.login.code" in page  # a template row per event


def test_an_administrator_of_the_only_community_saves_the_account_and_templates(admin_client, community):
    response = admin_client.post(URL, _form())

    assert response.status_code == 302
    account = SmsAccount.objects.get()
    assert (account.company_id, account.provider, account.sign_name) == (
        community.company_id,
        "aliyun",
        "阳光物业",
    )
    assert list(SmsTemplate.objects.values_list("event", "template_code", "params")) == [
        ("owners.login.code", "SMS_465001", "code,minutes")
    ]
    assert AuditLog.objects.filter(action="notifications.smsaccount.saved", community=community).count() == 1
    # A blank code removes the event's template.
    admin_client.post(URL, _form(**{"template:owners.login.code": ""}))
    assert SmsTemplate.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("access_key_secret_ref", "the-secret-itself", "env:"),  # names the rule, never repeats the value
        ("gateway_url", "https://evil.example.com", "WUYE_CHANNEL_GATEWAYS"),
        ("params:owners.login.code", "code;minutes", "code,minutes"),
    ],
)
def test_a_key_written_out_a_foreign_gateway_or_bad_values_are_refused(admin_client, field, value, error):
    response = admin_client.post(URL, _form(**{field: value}))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert error in errors[field][0]
    assert SmsAccount.objects.count() == 0 and SmsTemplate.objects.count() == 0


def test_tencent_needs_its_app_id_and_region(admin_client):
    response = admin_client.post(URL, _form(provider="tencent"))
    assert sorted(response.context["form"].errors) == ["app_id", "region"]
    assert SmsAccount.objects.count() == 0


def test_an_administrator_of_one_of_the_companys_communities_only_reads(client, community):
    CommunityFactory(company=community.company)  # the company has another community
    client.force_login(staff(community, Role.ADMINISTRATOR))

    page = client.get(URL).content.decode()
    assert 'id="sms-read-only"' in page and "disabled" in page
    assert client.post(URL, _form()).status_code == 403
    assert SmsAccount.objects.count() == 0


def test_the_front_desk_is_not_shown_the_page(client, community):
    client.force_login(staff(community, Role.FRONT_DESK))
    assert client.get(URL).status_code == 404


def test_the_operator_makes_the_default_account_in_the_admin_held_to_the_same_rules(
    client, django_user_model
):
    client.force_login(django_user_model.objects.create_superuser("root", password="x-very-long-password-1"))
    url = reverse("admin:notifications_smsaccount_add")
    data = {
        "company": "",
        "provider": "tencent",
        "enabled": "on",
        "sign_name": "物业平台",
        "access_key_id": "AKIDexample",
        "access_key_secret_ref": "/etc/passwd",
        "app_id": "1400000009",
        "region": "ap-guangzhou",
        "gateway_url": "",
        "templates-TOTAL_FORMS": "1",
        "templates-INITIAL_FORMS": "0",
        "templates-MIN_NUM_FORMS": "0",
        "templates-MAX_NUM_FORMS": "1000",
        "templates-0-event": "owners.login.code",
        "templates-0-template_code": "2000001",
        "templates-0-params": "code,minutes",
    }
    assert client.get(url).status_code == 200
    refused = client.post(url, data)
    assert refused.status_code == 200 and SmsAccount.objects.count() == 0
    client.post(url, {**data, "access_key_secret_ref": "env:WUYE_CHANNEL_SMS"})
    account = SmsAccount.objects.get()
    assert (account.company_id, account.provider) == (None, "tencent")
    assert list(account.templates.values_list("template_code", flat=True)) == ["2000001"]


WECHAT_URL = reverse("console:wechat_settings")


def test_the_wechat_official_account_is_saved_with_its_templates(admin_client, community):
    data = {
        "name": "阳光物业服务",
        "enabled": "on",
        "app_id": "wx1234567890abcdef",
        "app_secret_ref": "env:WUYE_CHANNEL_MP_SECRET",
        "gateway_url": "",
        "template:billing.bill.issued": "TM-bill-01",
        "params:billing.bill.issued": "thing1 = household, amount2=total_yuan",
    }
    assert 'id="wechat-no-account"' in admin_client.get(WECHAT_URL).content.decode()

    assert admin_client.post(WECHAT_URL, data).status_code == 302

    account = WechatAccount.objects.get()
    assert (account.company_id, account.app_id) == (community.company_id, "wx1234567890abcdef")
    template = account.templates.get()
    assert (template.event, template.template_id, template.fields) == (
        "billing.bill.issued",
        "TM-bill-01",
        "thing1=household,amount2=total_yuan",
    )
    assert template.field_map == [("thing1", "household"), ("amount2", "total_yuan")]
    page = admin_client.get(WECHAT_URL).content.decode()
    assert f"/m/wechat/?account={account.pk}" in page
    assert AuditLog.objects.filter(action="notifications.wechataccount.saved").count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("app_secret_ref", "plain-secret"),
        ("params:billing.bill.issued", "thing1"),
        ("gateway_url", "https://x.example"),
    ],
)
def test_the_wechat_form_refuses_a_written_out_secret_bad_fields_or_a_foreign_gateway(
    admin_client, field, value
):
    data = {
        "name": "物业",
        "enabled": "on",
        "app_id": "wx1",
        "app_secret_ref": "env:WUYE_CHANNEL_MP_SECRET",
        "template:billing.bill.issued": "TM-1",
        "params:billing.bill.issued": "thing1=household",
        field: value,
    }
    response = admin_client.post(WECHAT_URL, data)
    assert list(response.context["form"].errors) == [field]
    assert WechatAccount.objects.count() == 0
