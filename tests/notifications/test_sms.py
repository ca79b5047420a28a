"""SMS through Alibaba Cloud and Tencent Cloud: their official SDKs, talking to paysim's SMS providers.

Each provider: a message sent with its template and values, a retryable refusal (a rate limit) queued
again, a final one (not a mobile number) failed at once, a login code sent in full but stored masked,
delivery receipts pulled once, a wrong key refused. No provider account: the log, as before.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command

from tests.factories import PersonFactory
from wuye.notifications.backends import ConsoleBackend
from wuye.notifications.domain.outbox import SECRET_MASK, notify, notify_phone
from wuye.notifications.domain.queries import company_account
from wuye.notifications.enums import Channel, MessageState, ReceiptState, SmsProvider
from wuye.notifications.models import Message, SmsAccount, SmsTemplate
from wuye.notifications.sms import sms_receipts_pull
from wuye.owners.domain.login import LOGIN_CODE_EVENT
from wuye.paysim import sms as sim_sms
from wuye.paysim.seed import SMS_TEMPLATES, paysim_sms_account

pytestmark = pytest.mark.django_db

PROVIDERS = [SmsProvider.ALIYUN, SmsProvider.TENCENT]
EVENT = "notices.notice.published"


@pytest.fixture(params=PROVIDERS)
def account(request, paysim, community, settings):
    settings.PAYSIM_ENABLED = True
    return paysim_sms_account(community.company, provider=request.param, base_url=paysim.base_url)


def _notify(community, person, django_capture_on_commit_callbacks, title="停水通知"):
    with django_capture_on_commit_callbacks(execute=True):
        notify(community=community, event=EVENT, people=[person], context={"title": title})
    return Message.objects.get(person=person, channel=Channel.SMS, event=EVENT)


def test_a_message_goes_out_with_the_provider_template_and_values(
    account,
    paysim,
    community,
    django_capture_on_commit_callbacks,
):
    person = PersonFactory(household__community=community, phone="13900000001")
    message = _notify(community, person, django_capture_on_commit_callbacks)

    assert message.state == MessageState.SENT
    assert len(paysim.sms) == 1
    record = paysim.sms[0]
    template = account.templates.get(event=EVENT)
    assert (record.provider, record.phone, record.sign_name, record.template) == (
        account.provider,
        "13900000001",
        "物业通知",
        template.template_code,
    )
    expected = {"community": community.name, "title": "停水通知"}
    if account.provider == SmsProvider.ALIYUN:
        assert record.params == expected  # named
    else:
        assert record.params == [community.name, "停水通知"]  # in the template's order
    assert message.provider_ref == record.ref
    assert message.sms_account_id == account.pk
    assert message.params["title"] == "停水通知"


def test_a_rate_limit_is_tried_again_and_a_bad_number_fails_at_once(
    account,
    paysim,
    community,
    django_capture_on_commit_callbacks,
):
    limited = PersonFactory(household__community=community, phone="13900000002")
    illegal = PersonFactory(household__community=community, phone="13900000003")
    paysim.sms_script.update(**{"13900000002": sim_sms.LIMIT, "13900000003": sim_sms.ILLEGAL})

    first = _notify(community, limited, django_capture_on_commit_callbacks)
    second = _notify(community, illegal, django_capture_on_commit_callbacks)

    assert (first.state, first.attempts, first.provider_ref) == (MessageState.QUEUED, 1, "")
    assert first.next_attempt_at is not None
    assert (
        "BUSINESS_LIMIT_CONTROL" if account.provider == "aliyun" else "LimitExceeded."
    ) in first.last_error
    assert (second.state, second.attempts, second.next_attempt_at) == (MessageState.FAILED, 1, None)
    assert (
        "MOBILE_NUMBER_ILLEGAL" if account.provider == "aliyun" else "IncorrectPhoneNumber"
    ) in second.last_error
    assert paysim.sms == []


def test_a_login_code_is_sent_in_full_and_stored_masked(
    account,
    paysim,
    community,
    django_capture_on_commit_callbacks,
):
    # A phone no community knows yet: the operator's account sends (the company's cannot be chosen).
    operator = paysim_sms_account(None, provider=account.provider, base_url=paysim.base_url)
    with django_capture_on_commit_callbacks(execute=True):
        notify_phone(
            community=None,
            phone="13900000004",
            event=LOGIN_CODE_EVENT,
            context={"code": "482913", "minutes": 5},
        )
    message = Message.objects.get(address="13900000004")
    assert (message.state, message.sms_account_id) == (MessageState.SENT, operator.pk)
    assert message.params["code"] == SECRET_MASK and "482913" not in message.body
    assert paysim.sms[0].params in ({"code": "482913", "minutes": "5"}, ["482913", "5"])


def test_receipts_are_pulled_and_recorded_once(
    account,
    paysim,
    community,
    django_capture_on_commit_callbacks,
):
    delivered = PersonFactory(household__community=community, phone="13900000005")
    lost = PersonFactory(household__community=community, phone="13900000006")
    paysim.sms_script.update(**{"13900000006": sim_sms.UNDELIVERED})
    first = _notify(community, delivered, django_capture_on_commit_callbacks)
    second = _notify(community, lost, django_capture_on_commit_callbacks)

    report = sms_receipts_pull()

    assert (report.delivered, report.undelivered) == (1, 1)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.receipt_state, first.receipt_error) == (ReceiptState.DELIVERED, "")
    assert first.receipt_at is not None
    assert second.receipt_state == ReceiptState.UNDELIVERED and second.receipt_error
    again = sms_receipts_pull()
    assert (again.delivered, again.undelivered) == (0, 0)


def test_a_wrong_key_is_refused_by_the_provider_and_fails(
    account,
    paysim,
    community,
    django_capture_on_commit_callbacks,
    tmp_path,
    settings,
):
    settings.SECRETS_DIR = tmp_path
    (tmp_path / "wrong.txt").write_text("not-the-secret")
    SmsAccount.objects.filter(pk=account.pk).update(access_key_secret_ref="file:wrong.txt")
    person = PersonFactory(household__community=community, phone="13900000007")

    message = _notify(community, person, django_capture_on_commit_callbacks)

    assert message.state == MessageState.FAILED
    assert "Signature" in message.last_error
    assert paysim.sms == []


def test_an_event_without_a_template_fails_naming_it_and_sends_nothing(
    account,
    paysim,
    community,
    django_capture_on_commit_callbacks,
):
    SmsTemplate.objects.filter(account=account, event=EVENT).delete()
    person = PersonFactory(household__community=community, phone="13900000008")

    message = _notify(community, person, django_capture_on_commit_callbacks)

    assert message.state == MessageState.FAILED
    assert EVENT in message.last_error
    assert paysim.sms == []


def test_provider_down_is_retryable(community, django_capture_on_commit_callbacks, settings):
    settings.PAYSIM_ENABLED = True
    paysim_sms_account(community.company, provider=SmsProvider.TENCENT, base_url="http://127.0.0.1:9")
    person = PersonFactory(household__community=community, phone="13900000009")

    message = _notify(community, person, django_capture_on_commit_callbacks)

    assert (message.state, message.attempts) == (MessageState.QUEUED, 1)
    assert "NetworkError" in message.last_error


def test_the_company_account_comes_first_then_the_operators_then_the_log(community, settings, caplog):
    settings.PAYSIM_ENABLED = True
    assert company_account(SmsAccount, community.pk) is None
    operator = paysim_sms_account(None, provider=SmsProvider.TENCENT)
    assert company_account(SmsAccount, community.pk) == operator
    assert company_account(SmsAccount, None) == operator
    own = paysim_sms_account(community.company, provider=SmsProvider.ALIYUN)
    assert company_account(SmsAccount, community.pk) == own
    assert company_account(SmsAccount, None) == operator
    SmsAccount.objects.filter(pk=own.pk).update(enabled=False)
    assert company_account(SmsAccount, community.pk) == operator


def test_no_account_means_the_log(community, django_capture_on_commit_callbacks, caplog, paysim):
    person = PersonFactory(household__community=community, phone="13900000010")
    with caplog.at_level("INFO", logger="wuye.notifications"):
        message = _notify(community, person, django_capture_on_commit_callbacks, title="停电通知")
    assert message.state == MessageState.SENT and message.provider_ref == ""
    assert "停电通知" in caplog.text
    assert paysim.sms == []
    assert ConsoleBackend.name == "console"


def test_one_default_account_only(community):
    SmsAccount.objects.create(
        provider="aliyun", sign_name="a", access_key_id="x", access_key_secret_ref="env:X"
    )
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        SmsAccount.objects.create(
            provider="tencent", sign_name="b", access_key_id="y", access_key_secret_ref="env:Y"
        )
    assert SmsAccount.objects.count() == 1


def test_the_receipts_command_reports(account, capsys):
    call_command("notifications_receipts")
    assert capsys.readouterr().out.strip() == "delivered 0, not delivered 0"


def test_every_registered_event_has_a_demo_template():
    from wuye.notifications.domain.outbox import registered_events

    ours = {key for key in registered_events() if not key.startswith("tests.")}
    assert ours == set(SMS_TEMPLATES)
