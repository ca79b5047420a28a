"""SLA: overdue is a query on the deadlines and now; escalation once per missed deadline; auto-close."""

import datetime

import pytest
from django.core.management import call_command

from tests.service.factories import T0
from wuye.core.models import AuditLog
from wuye.service.domain.categories import service_settings_update
from wuye.service.domain.queries import dashboard, is_overdue, overdue_q
from wuye.service.domain.requests import request_rate, request_transition
from wuye.service.domain.sla import requests_auto_close, service_jobs_run, sla_escalate
from wuye.service.enums import Escalation, EventKind, RequestAction, RequestState
from wuye.service.models import RequestEvent, ServiceRequest

MINUTE = datetime.timedelta(minutes=1)
SECOND = datetime.timedelta(seconds=1)


def _overdue_pks(community, now):
    return set(
        ServiceRequest.objects.filter(community=community).filter(overdue_q(now)).values_list("pk", flat=True)
    )


def test_response_overdue_only_after_the_deadline(make_request, community):
    request = make_request(submitted_at=T0)  # respond by T0 + 30 min
    deadline = T0 + 30 * MINUTE
    assert _overdue_pks(community, deadline) == set()
    assert _overdue_pks(community, deadline + SECOND) == {request.pk}
    assert is_overdue(request, deadline) is False and is_overdue(request, deadline + SECOND) is True


def test_accepted_request_is_not_response_overdue(make_request, community, supervisor):
    request = make_request(submitted_at=T0)
    request_transition(request=request, action=RequestAction.ACCEPT, actor=supervisor, now=T0 + 10 * MINUTE)
    assert _overdue_pks(community, T0 + 2 * 60 * MINUTE) == set()


@pytest.mark.parametrize(
    ("state", "overdue"),
    [
        (RequestState.ACCEPTED, True),
        (RequestState.ASSIGNED, True),
        (RequestState.IN_PROGRESS, True),
        (RequestState.PAUSED, True),
        (RequestState.DONE, False),
        (RequestState.RATED, False),
        (RequestState.CLOSED, False),
        (RequestState.REJECTED, False),
        (RequestState.CANCELLED, False),
    ],
)
def test_completion_overdue_by_state(make_request, community, tech, state, overdue):
    request = make_request(
        submitted_at=T0, state=state, assignee=tech, stars=4 if state == RequestState.RATED else None
    )
    moment = T0 + datetime.timedelta(hours=24) + SECOND
    assert _overdue_pks(community, moment) == ({request.pk} if overdue else set())
    assert _overdue_pks(community, moment - SECOND) == set()


def test_escalation_once_per_deadline_whatever_the_runs(make_request, community):
    request = make_request(submitted_at=T0)
    assert sla_escalate(community=community, now=T0 + 30 * MINUTE) == []
    first = sla_escalate(community=community, now=T0 + 31 * MINUTE)
    assert [(e.request_id, e.escalation, e.at) for e in first] == [
        (request.pk, Escalation.RESPONSE, T0 + 31 * MINUTE)
    ]
    assert sla_escalate(community=community, now=T0 + 40 * MINUTE) == []
    # Still not accepted a day later: the completion deadline is missed too, escalated once more.
    late = sla_escalate(community=community, now=T0 + datetime.timedelta(hours=25))
    assert [e.escalation for e in late] == [Escalation.COMPLETION]
    assert sla_escalate(community=community, now=T0 + datetime.timedelta(hours=26)) == []
    events = RequestEvent.objects.filter(request=request, kind=EventKind.ESCALATION)
    assert sorted(events.values_list("escalation", flat=True)) == [Escalation.COMPLETION, Escalation.RESPONSE]
    entries = AuditLog.objects.filter(action="service.request.escalated")
    assert entries.count() == 2
    assert set(entries.values_list("household_id", flat=True)) == {request.household_id}
    assert ServiceRequest.objects.get(pk=request.pk).state == RequestState.SUBMITTED


def test_escalation_ignores_other_communities_and_finished_requests(make_request, community, tech):
    from tests.service.factories import ServiceRequestFactory

    ServiceRequestFactory(submitted_at=T0)  # another community
    make_request(submitted_at=T0, state=RequestState.DONE, assignee=tech, done_at=T0)
    assert sla_escalate(community=community, now=T0 + datetime.timedelta(days=3)) == []


def test_escalation_shows_on_the_dashboard(make_request, community):
    request = make_request(submitted_at=T0)
    sla_escalate(community=community, now=T0 + 31 * MINUTE)
    board = dashboard(community=community, now=T0 + 31 * MINUTE)
    assert board.overdue_count == 1
    assert [row.pk for row in board.overdue] == [request.pk]
    assert [event.request_id for event in board.escalations] == [request.pk]


def test_auto_close_after_the_days_of_the_community(make_request, community, tech, supervisor):
    service_settings_update(community=community, auto_close_days=3, actor=supervisor)
    done = make_request(state=RequestState.DONE, assignee=tech, done_at=T0)
    rated = make_request(state=RequestState.RATED, assignee=tech, done_at=T0, stars=5)
    assert requests_auto_close(community=community, now=T0 + datetime.timedelta(days=3) - SECOND) == []
    assert requests_auto_close(community=community, now=T0 + datetime.timedelta(days=3)) == [done.pk]
    assert requests_auto_close(community=community, now=T0 + datetime.timedelta(days=9)) == []
    stored = ServiceRequest.objects.get(pk=done.pk)
    assert (stored.state, stored.closed_at) == (RequestState.CLOSED, T0 + datetime.timedelta(days=3))
    event = RequestEvent.objects.get(request=done, action=RequestAction.CLOSE)
    assert (event.actor, event.from_state) == (None, RequestState.DONE)
    assert ServiceRequest.objects.get(pk=rated.pk).state == RequestState.RATED


def test_auto_close_defaults_to_seven_days(make_request, community, tech):
    request = make_request(state=RequestState.DONE, assignee=tech, done_at=T0)
    assert requests_auto_close(community=community, now=T0 + datetime.timedelta(days=7) - SECOND) == []
    assert requests_auto_close(community=community, now=T0 + datetime.timedelta(days=7)) == [request.pk]


def test_rated_in_time_is_not_auto_closed(make_request, community, tech):
    request = make_request(state=RequestState.DONE, assignee=tech, done_at=T0)
    request_rate(request=request, person=request.person, stars=5, now=T0 + datetime.timedelta(days=1))
    assert requests_auto_close(community=community, now=T0 + datetime.timedelta(days=30)) == []


def test_jobs_run_reports_both(make_request, community, tech):
    make_request(submitted_at=T0)
    make_request(state=RequestState.DONE, assignee=tech, done_at=T0, submitted_at=T0)
    run = service_jobs_run(community=community, now=T0 + datetime.timedelta(days=8))
    assert [e.escalation for e in run.escalated] == [Escalation.RESPONSE, Escalation.COMPLETION]
    assert len(run.closed) == 1


def test_command_is_idempotent(make_request, community, capsys):
    make_request(submitted_at=T0)
    when = (T0 + datetime.timedelta(hours=1)).isoformat()
    call_command("service_sla", "--now", when)
    call_command("service_sla", "--now", when, "--community", str(community.pk))
    out = capsys.readouterr().out.splitlines()
    assert out == [f"{community.name}: escalated 1, closed 0", f"{community.name}: escalated 0, closed 0"]
    assert RequestEvent.objects.filter(kind=EventKind.ESCALATION).count() == 1
