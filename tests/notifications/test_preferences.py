import pytest

from tests.owners.factories import HouseholdBindingFactory
from wuye.core.models import AuditLog
from wuye.notifications.domain.outbox import NotificationError, notify, notify_phone
from wuye.notifications.domain.preferences import preference_set
from wuye.notifications.domain.queries import optional_events, preferences_of
from wuye.notifications.models import Message, NotificationPreference

pytestmark = pytest.mark.django_db
NOTICE = "notices.notice.published"


def test_preference_set_off_stops_that_event_on_that_channel(household):
    person = household.people.get()

    preference_set(person=person, event=NOTICE, channel="sms", enabled=False)
    notify(community=household.community, event=NOTICE, people=[person], context={"title": "停水"})

    assert Message.objects.count() == 0
    assert preferences_of(person=person) == {(NOTICE, "sms"): False}
    log = AuditLog.objects.get(action="notifications.preference.changed")
    assert (log.household_id, log.changes["enabled"]) == (household.pk, False)


def test_preference_set_on_again_sends_again(household):
    person = household.people.get()
    preference_set(person=person, event=NOTICE, channel="sms", enabled=False)

    preference_set(person=person, event=NOTICE, channel="sms", enabled=True)
    notify(community=household.community, event=NOTICE, people=[person], context={"title": "停水"})

    assert Message.objects.count() == 1
    assert AuditLog.objects.filter(action="notifications.preference.changed").count() == 2


def test_preference_set_to_the_default_stores_and_logs_nothing(household):
    preference_set(person=household.people.get(), event=NOTICE, channel="sms", enabled=True)

    assert NotificationPreference.objects.count() == 0
    assert AuditLog.objects.count() == 0


@pytest.mark.parametrize(
    ("event", "channel"), [("owners.login.code", "sms"), ("nope", "sms"), (NOTICE, "fax")]
)
def test_preference_set_refuses_what_cannot_be_turned_off(household, event, channel):
    with pytest.raises(NotificationError):
        preference_set(person=household.people.get(), event=event, channel=channel, enabled=False)

    assert NotificationPreference.objects.count() == 0


def test_events_that_are_not_optional_ignore_opt_outs(household):
    binding = HouseholdBindingFactory(person=household.people.get())
    NotificationPreference.objects.create(
        community=household.community,
        person=binding.person,
        event="owners.binding.invited",
        channel="sms",
        enabled=False,
    )

    notify(community=household.community, event="owners.binding.invited", people=[binding.person], context={})
    notify_phone(
        community=household.community, phone=binding.account.phone, event="owners.login.code", context={}
    )

    assert Message.objects.count() == 2


def test_optional_events_leave_out_login_codes():
    keys = [key for key, _label in optional_events()]

    assert "owners.login.code" not in keys
    assert {"service.request.changed", NOTICE} <= set(keys)
