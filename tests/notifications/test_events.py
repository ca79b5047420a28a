import pytest

from tests.owners.factories import HouseholdBindingFactory
from wuye.notifications.domain.outbox import notify
from wuye.notifications.models import Message

pytestmark = pytest.mark.django_db


def test_service_request_changed_names_the_state_in_the_recipients_language(household):
    pytest.importorskip("wuye.service.enums")
    binding = HouseholdBindingFactory(person=household.people.get(), account__language="en")
    context = {"request_pk": 12, "category": "漏水", "action": "finish", "state": "done", "note": ""}

    notify(
        community=household.community,
        event="service.request.changed",
        people=[binding.person],
        context=context,
    )

    message = Message.objects.get()
    assert (message.subject, message.body) == ("Request #12: Done", "Your request #12 (漏水) is now: Done.")


def test_notice_published_names_the_community_and_title(household):
    binding = HouseholdBindingFactory(person=household.people.get(), account__language="en")

    notify(
        community=household.community,
        event="notices.notice.published",
        people=[binding.person],
        context={"notice_pk": 3, "title": "停水通知", "urgent": True, "pinned": False},
    )

    message = Message.objects.get()
    assert message.subject == "Notice: 停水通知"
    assert (
        message.body
        == f"{household.community.name} has published a notice: 停水通知. Read it in the owner portal."
    )
