import importlib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from tests.factories import PersonFactory, staff
from tests.owners.factories import HouseholdBindingFactory
from wuye.core.models import AuditLog
from wuye.households.enums import PersonKind
from wuye.notifications.backends import (
    ConsoleBackend,
    DeliveryError,
    PermanentDeliveryError,
    register_backend,
)
from wuye.notifications.domain import outbox
from wuye.notifications.domain.outbox import (
    MAX_ATTEMPTS,
    NotificationError,
    message_retry,
    notify,
    notify_phone,
    outbox_deliver_due,
    register_event,
)
from wuye.notifications.enums import Channel, MessageState
from wuye.notifications.models import Message, NotificationPreference

pytestmark = pytest.mark.django_db

register_event(
    "tests.thing.done",
    gettext_lazy("Thing done"),
    gettext_lazy("Request %(reference)s: %(state)s"),
    gettext_lazy("Your request %(reference)s (%(title)s) is now: %(state)s. %(note)s"),
    choices={"kind": PersonKind},
)
register_event(
    "tests.kind", "kind", "%(kind)s", "%(kind)s", choices={"kind": "wuye.households.enums.PersonKind"}
)
CONTEXT = {"reference": "R-7", "title": "漏水", "state": "done"}


class Failing:
    name = "failing"

    def __init__(self, error):
        self.error = error
        self.calls = 0

    def send(self, message):
        self.calls += 1
        raise self.error


@pytest.fixture
def sms_backend():
    """Swap the SMS backend for the test and put the default back afterwards."""
    previous = []

    def use(backend):
        previous.append(register_backend(Channel.SMS, backend))
        return backend

    yield use
    for backend in reversed(previous):
        register_backend(Channel.SMS, backend)


def test_notify_queues_one_sms_per_person_in_chinese_by_default(household):
    person = household.people.get()

    messages = notify(
        community=household.community, event="tests.thing.done", people=[person], context=CONTEXT
    )

    assert len(messages) == 1
    message = Message.objects.get()
    assert (message.channel, message.address, message.language) == ("sms", "13912345678", "zh-hans")
    assert (message.state, message.attempts, message.person, message.community) == (
        "queued",
        0,
        person,
        household.community,
    )
    assert message.event == "tests.thing.done"
    assert "R-7" in message.body
    assert "漏水" in message.body


def test_notify_renders_in_the_bound_accounts_language(household):
    binding = HouseholdBindingFactory(person=household.people.get(), account__language="en")

    notify(community=household.community, event="tests.thing.done", people=[binding.person], context=CONTEXT)

    message = Message.objects.get()
    assert message.language == "en"
    assert message.subject == "Request R-7: done"
    assert message.body == "Your request R-7 (漏水) is now: done."


def test_notify_shows_choice_codes_as_labels_in_the_recipients_language(household):
    binding = HouseholdBindingFactory(person=household.people.get(), account__language="en")

    notify(
        community=household.community, event="tests.kind", people=[binding.person], context={"kind": "tenant"}
    )

    assert Message.objects.get().body == "Tenant"


def test_notify_uses_every_channel_the_person_can_receive(household):
    binding = HouseholdBindingFactory(
        person=household.people.get(), account__wechat_openid="o-abc", account__email="wang@example.com"
    )

    notify(community=household.community, event="tests.thing.done", people=[binding.person], context=CONTEXT)

    assert sorted(Message.objects.values_list("channel", "address")) == [
        ("email", "wang@example.com"),
        ("sms", "13912345678"),
        ("wechat", "o-abc"),
    ]


def test_notify_finds_the_account_by_phone_without_a_binding(household):
    HouseholdBindingFactory(person=PersonFactory(phone="13912345678"), account__email="a@example.com")

    notify(
        community=household.community,
        event="tests.thing.done",
        people=household.people.all(),
        context=CONTEXT,
    )

    assert sorted(Message.objects.values_list("channel", flat=True)) == ["email", "sms"]


def test_notify_skips_opted_out_channels(household):
    person = household.people.get()
    NotificationPreference.objects.create(
        community=household.community, person=person, event="tests.thing.done", channel="sms", enabled=False
    )
    NotificationPreference.objects.create(
        community=household.community, person=person, event="other.event", channel="sms", enabled=False
    )

    messages = notify(
        community=household.community, event="tests.thing.done", people=[person], context=CONTEXT
    )

    assert messages == []
    assert Message.objects.count() == 0


def test_notify_sends_once_per_address_and_skips_people_without_one(household):
    person = household.people.get()
    PersonFactory(household=household, phone="13912345678")
    PersonFactory(household=household, phone="")

    notify(
        community=household.community,
        event="tests.thing.done",
        people=[person, person, *household.people.all()],
        context=CONTEXT,
    )

    assert Message.objects.count() == 1


def test_notify_leaves_out_the_acting_owner(household):
    binding = HouseholdBindingFactory(person=household.people.get())
    other = PersonFactory(household=household, phone="13900000001")

    notify(
        community=household.community,
        event="tests.thing.done",
        people=[binding.person, other],
        context=CONTEXT,
        actor=binding.account,
    )

    assert list(Message.objects.values_list("address", flat=True)) == ["13900000001"]


def test_notify_refuses_context_that_is_not_json(household):
    with pytest.raises(TypeError):
        notify(
            community=household.community,
            event="tests.thing.done",
            people=household.people.all(),
            context={"when": timezone.now()},
        )
    assert Message.objects.count() == 0


def test_notify_refuses_an_unknown_event(household):
    with pytest.raises(ValueError, match="unknown notification event"):
        notify(community=household.community, event="nope", people=household.people.all(), context={})
    assert Message.objects.count() == 0


def test_notify_delivers_after_commit(household, django_capture_on_commit_callbacks, caplog):
    caplog.set_level("INFO", logger="wuye.notifications")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notify(
            community=household.community,
            event="tests.thing.done",
            people=household.people.all(),
            context=CONTEXT,
        )

    assert len(callbacks) == 1
    message = Message.objects.get()
    assert (message.state, message.attempts, message.next_attempt_at) == ("sent", 1, None)
    assert message.sent_at is not None
    assert "13912345678" in caplog.text
    assert "R-7" in caplog.text


def test_notify_leaves_large_sends_to_the_runner(household, django_capture_on_commit_callbacks):
    people = [PersonFactory(household=household) for _ in range(outbox.INLINE_DELIVERY_MAX + 1)]

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notify(community=household.community, event="tests.thing.done", people=people, context=CONTEXT)

    assert callbacks == []
    assert Message.objects.filter(state="queued").count() == outbox.INLINE_DELIVERY_MAX + 1
    assert outbox_deliver_due().sent == outbox.INLINE_DELIVERY_MAX + 1


def test_notify_phone_queues_an_sms_without_a_person(community):
    message = notify_phone(
        community=community, phone="13800000000", event="tests.thing.done", context=CONTEXT, language="en"
    )

    assert (message.channel, message.address, message.person, message.language) == (
        "sms",
        "13800000000",
        None,
        "en",
    )
    assert message.subject == "Request R-7: done"


def _queued(household):
    return notify(
        community=household.community,
        event="tests.thing.done",
        people=household.people.all(),
        context=CONTEXT,
    )[0]


def test_deliver_due_sends_queued_messages_once(household):
    message = _queued(household)

    first = outbox_deliver_due()
    second = outbox_deliver_due()

    message.refresh_from_db()
    assert (first.sent, second.attempted) == (1, 0)
    assert (message.state, message.attempts) == ("sent", 1)


def test_deliver_due_retries_with_exponential_backoff(household, sms_backend):
    backend = sms_backend(Failing(DeliveryError("gateway busy")))
    message = _queued(household)
    now = timezone.now()

    delays = []
    for attempt in range(1, MAX_ATTEMPTS):
        report = outbox_deliver_due(now=now)
        message.refresh_from_db()
        assert (report.retrying, message.state, message.attempts) == (1, "queued", attempt)
        delays.append(message.next_attempt_at - now)
        assert outbox_deliver_due(now=now).attempted == 0  # not due yet
        now = message.next_attempt_at

    assert delays == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4), timedelta(minutes=8)]
    assert message.last_error == "gateway busy"
    report = outbox_deliver_due(now=now)
    message.refresh_from_db()
    assert (report.failed, message.state, message.attempts, message.next_attempt_at) == (1, "failed", 5, None)
    assert outbox_deliver_due(now=now + timedelta(days=1)).attempted == 0
    assert backend.calls == MAX_ATTEMPTS


def test_deliver_due_fails_a_permanent_error_at_once(household, sms_backend):
    sms_backend(Failing(PermanentDeliveryError("no such number")))
    message = _queued(household)

    report = outbox_deliver_due()

    message.refresh_from_db()
    assert (report.failed, message.state, message.attempts, message.last_error) == (
        1,
        "failed",
        1,
        "no such number",
    )


def test_deliver_due_leaves_a_message_another_worker_claimed(household):
    message = _queued(household)
    now = timezone.now()
    assert outbox._claim(message.pk, "queued", message.next_attempt_at, now)

    # A second worker that read the same row loses the race, and the claimed row is not due.
    assert not outbox._claim(message.pk, "queued", message.next_attempt_at, now)
    assert outbox_deliver_due(now=now).attempted == 0
    message.refresh_from_db()
    assert (message.state, message.attempts) == ("sending", 1)


def test_deliver_due_takes_over_a_claim_that_expired(household):
    message = _queued(household)
    now = timezone.now()
    outbox._claim(message.pk, "queued", message.next_attempt_at, now)

    report = outbox_deliver_due(now=now + outbox.CLAIM_TIMEOUT)

    message.refresh_from_db()
    assert (report.sent, message.state, message.attempts) == (1, "sent", 2)


def test_deliver_due_sends_email_through_django(household):
    HouseholdBindingFactory(
        person=household.people.get(), account__email="wang@example.com", account__language="en"
    )
    _queued(household)

    outbox_deliver_due()

    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Request R-7: done"
    assert mail.outbox[0].to == ["wang@example.com"]
    assert Message.objects.filter(state="sent").count() == 2


def test_message_retry_queues_a_failed_message_again(
    household, sms_backend, django_capture_on_commit_callbacks
):
    sms_backend(Failing(PermanentDeliveryError("no such number")))
    message = _queued(household)
    outbox_deliver_due()
    sms_backend(ConsoleBackend())
    clerk = staff(household.community)

    with django_capture_on_commit_callbacks(execute=True):
        message_retry(message=Message.objects.get(pk=message.pk), actor=clerk)

    message.refresh_from_db()
    assert (message.state, message.attempts, message.last_error) == ("sent", 1, "")
    log = AuditLog.objects.get(action="notifications.message.retried")
    assert (log.actor, log.community, log.object_pk) == (clerk, household.community, message.pk)


def test_message_retry_refuses_a_message_that_did_not_fail(household):
    message = _queued(household)

    with pytest.raises(NotificationError):
        message_retry(message=message, actor=None)

    message.refresh_from_db()
    assert (message.state, message.attempts) == ("queued", 0)
    assert AuditLog.objects.filter(action="notifications.message.retried").count() == 0


def test_notifications_send_command_delivers_due_messages(household, capsys):
    _queued(household)

    call_command("notifications_send")

    assert capsys.readouterr().out.strip() == "sent 1, retrying 0, failed 0"
    assert Message.objects.get().state == MessageState.SENT


# --- secrets: delivered, never kept -------------------------------------------------------------------

register_event(
    "tests.secret",
    "secret",
    "Your pin",
    "Your pin for %(reference)s is %(pin)s.",
    optional=False,
    secrets=("pin",),
)
PIN = "918273"


class Recording:
    name = "recording"

    def __init__(self):
        self.sent = []

    def send(self, outgoing):
        self.sent.append(outgoing)


def _secret(community):
    return notify_phone(
        community=community,
        phone="13800000000",
        event="tests.secret",
        context={"reference": "R-7", "pin": PIN},
        language="en",
    )


def test_render_masks_a_secret_unless_revealed(community):
    context = {"reference": "R-7", "pin": PIN}

    assert outbox.render("tests.secret", context, "en") == (
        "Your pin",
        "Your pin for R-7 is ******.",
        {"reference": "R-7", "pin": "******"},
    )
    revealed = outbox.render("tests.secret", context, "en", reveal=True)
    assert revealed[1:] == (f"Your pin for R-7 is {PIN}.", {"reference": "R-7", "pin": PIN})


def test_a_secret_is_delivered_but_the_outbox_keeps_it_masked(
    community, sms_backend, django_capture_on_commit_callbacks
):
    gateway = sms_backend(Recording())

    with django_capture_on_commit_callbacks(execute=True):
        _secret(community)

    message = Message.objects.get()
    assert (message.body, message.has_secret, message.state, message.attempts) == (
        "Your pin for R-7 is ******.",
        True,
        "sent",
        1,
    )
    [outgoing] = gateway.sent
    assert (outgoing.pk, outgoing.address, outgoing.body, outgoing.stored_body) == (
        message.pk,
        "13800000000",
        f"Your pin for R-7 is {PIN}.",
        "Your pin for R-7 is ******.",
    )


def test_notify_delivers_a_secret_to_each_person_and_keeps_it_masked(
    household, sms_backend, django_capture_on_commit_callbacks
):
    gateway = sms_backend(Recording())
    second = PersonFactory(household=household, phone="13700000000")

    with django_capture_on_commit_callbacks(execute=True):
        notify(
            community=household.community,
            event="tests.secret",
            people=[household.people.first(), second],
            context={"reference": "R-7", "pin": PIN},
        )

    assert sorted(outgoing.body for outgoing in gateway.sent) == [f"Your pin for R-7 is {PIN}."] * 2
    assert (
        list(Message.objects.values_list("state", "has_secret", "body"))
        == [("sent", True, "Your pin for R-7 is ******.")] * 2
    )


def test_a_secret_not_sent_by_its_own_process_is_held_then_failed_unsent(community, sms_backend):
    """The process that queued it died before its commit hook ran: nobody else has the secret."""
    gateway = sms_backend(Recording())
    message = _secret(community)  # the commit hook that delivers it never runs here
    now = timezone.now()

    assert outbox_deliver_due(now=now).attempted == 0  # held for the process that queued it
    with translation.override("zh-hans"):  # the runner writes in the site's language
        report = outbox_deliver_due(now=now + outbox.CLAIM_TIMEOUT + timedelta(seconds=1))

    message.refresh_from_db()
    assert (report.failed, message.state, message.attempts) == (1, "failed", 1)
    assert message.last_error == "未发送：该消息含一次性保密内容，系统从不保存，只能发送一次。"
    assert gateway.sent == []


def test_a_secret_refused_by_the_gateway_fails_at_once_and_the_error_is_masked(
    community, sms_backend, django_capture_on_commit_callbacks, caplog
):
    backend = sms_backend(Failing(DeliveryError(f"gateway busy, text was 'Your pin for R-7 is {PIN}.'")))

    with (
        caplog.at_level("WARNING", logger="wuye.notifications"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        message = _secret(community)

    message.refresh_from_db()
    assert (backend.calls, message.state, message.attempts, message.next_attempt_at) == (1, "failed", 1, None)
    assert message.last_error == "gateway busy, text was 'Your pin for R-7 is ******.'"
    assert PIN not in caplog.text
    assert "******" in caplog.text
    assert outbox_deliver_due(now=timezone.now() + timedelta(days=1)).attempted == 0


def test_message_retry_refuses_a_message_that_held_a_secret(community):
    message = _secret(community)
    Message.objects.filter(pk=message.pk).update(state="failed", next_attempt_at=None, attempts=1)
    message.refresh_from_db()

    with translation.override("en"), pytest.raises(NotificationError, match="one-time code"):
        message_retry(message=message, actor=None)

    message.refresh_from_db()
    assert (message.state, message.attempts) == ("failed", 1)
    assert AuditLog.objects.filter(action="notifications.message.retried").count() == 0


@pytest.mark.parametrize(("demo", "shown"), [(False, "******"), (True, PIN)])
def test_console_backend_logs_a_secret_only_in_the_demo(
    community, sms_backend, settings, caplog, django_capture_on_commit_callbacks, demo, shown
):
    settings.DEMO = demo
    sms_backend(ConsoleBackend())

    with (
        caplog.at_level("INFO", logger="wuye.notifications"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        _secret(community)

    assert f"Your pin for R-7 is {shown}." in caplog.text
    assert (PIN in caplog.text) is demo
    assert Message.objects.get().state == "sent"


def test_migration_masks_the_login_codes_already_in_the_outbox(community):
    from django.apps import apps

    migration = importlib.import_module("wuye.notifications.migrations.0002_message_has_secret")
    old = Message.objects.create(
        community=community,
        channel="sms",
        address="13800000000",
        event="owners.login.code",
        body="您的业主端验证码为 123456，5 分钟内有效。请勿泄露给他人。",
        state="sent",
        sent_at=timezone.now(),
    )
    other = Message.objects.create(
        community=community, channel="sms", address="13800000000", event="x", body="Order 123456"
    )

    migration.mask_login_codes(apps, None)

    old.refresh_from_db()
    other.refresh_from_db()
    assert (old.body, old.has_secret) == ("您的业主端验证码为 ******，5 分钟内有效。请勿泄露给他人。", True)
    assert (other.body, other.has_secret) == ("Order 123456", False)
