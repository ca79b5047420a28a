"""The requester hears of every state change of their request, and of staff messages, through the
notifications outbox — not of internal notes, transfers, or requests without a requester."""

import datetime

import pytest
from django.utils import translation

from wuye.notifications.models import Message
from wuye.service.domain.errors import ServiceError
from wuye.service.domain.requests import request_comment, request_transfer, request_transition
from wuye.service.enums import RequestAction, RequestState

NOW = datetime.datetime(2026, 5, 4, 2, 0, tzinfo=datetime.UTC)
EVENT = "service.request.changed"


def test_state_change_notifies_the_requester(make_request, supervisor):
    request = make_request()
    request_transition(request=request, action=RequestAction.ACCEPT, actor=supervisor, now=NOW)
    message = Message.objects.get(event=EVENT)
    assert (message.person, message.address, message.community) == (
        request.person,
        request.person.phone,
        request.community,
    )
    with translation.override("zh-hans"):
        state_label = str(RequestState.ACCEPTED.label)
    assert f"#{request.pk}" in message.subject and state_label in message.subject


def test_refused_change_notifies_nobody(make_request, supervisor):
    request = make_request()
    with pytest.raises(ServiceError):
        request_transition(request=request, action=RequestAction.FINISH, actor=supervisor, now=NOW)
    assert Message.objects.filter(event=EVENT).count() == 0


def test_transfer_and_internal_note_do_not_notify(make_request, tech, community, supervisor):
    from tests.service.factories import technician

    request = make_request(state=RequestState.IN_PROGRESS, assignee=tech)
    request_transfer(request=request, assignee=technician(community), actor=supervisor, now=NOW)
    request_comment(request=request, body="内部备注", internal=True, actor=supervisor, now=NOW)
    assert Message.objects.filter(event=EVENT).count() == 0
    request_comment(request=request, body="师傅下午两点到", actor=supervisor, now=NOW)
    assert Message.objects.filter(event=EVENT).count() == 1


def test_request_without_requester_notifies_nobody(make_request, supervisor):
    request = make_request(person=None)
    request_transition(request=request, action=RequestAction.ACCEPT, actor=supervisor, now=NOW)
    assert Message.objects.filter(event=EVENT).count() == 0
