"""The request state machine: every allowed (state, action) works; every other pair is refused and
changes nothing — the row, its history and the audit log stay exactly as they were."""

import datetime

import pytest
from django.forms.models import model_to_dict

from tests.service.factories import ServiceRequestFactory, technician
from wuye.core.models import AuditLog
from wuye.service.domain.errors import ServiceError
from wuye.service.domain.requests import request_transition
from wuye.service.enums import RequestAction, RequestState
from wuye.service.models import RequestEvent, ServiceRequest

S, A = RequestState, RequestAction

# The specification, written out by hand (not read from service.rules) so the table is checked.
ALLOWED = {
    (S.SUBMITTED, A.ACCEPT): S.ACCEPTED,
    (S.SUBMITTED, A.REJECT): S.REJECTED,
    (S.SUBMITTED, A.CANCEL): S.CANCELLED,
    (S.ACCEPTED, A.REJECT): S.REJECTED,
    (S.ACCEPTED, A.ASSIGN): S.ASSIGNED,
    (S.ACCEPTED, A.CANCEL): S.CANCELLED,
    (S.ASSIGNED, A.TRANSFER): S.ASSIGNED,
    (S.ASSIGNED, A.START): S.IN_PROGRESS,
    (S.ASSIGNED, A.CANCEL): S.CANCELLED,
    (S.IN_PROGRESS, A.TRANSFER): S.IN_PROGRESS,
    (S.IN_PROGRESS, A.PAUSE): S.PAUSED,
    (S.IN_PROGRESS, A.FINISH): S.DONE,
    (S.PAUSED, A.TRANSFER): S.PAUSED,
    (S.PAUSED, A.RESUME): S.IN_PROGRESS,
    (S.DONE, A.RATE): S.RATED,
    (S.DONE, A.CLOSE): S.CLOSED,
    (S.DONE, A.REOPEN): S.ASSIGNED,
    (S.RATED, A.CLOSE): S.CLOSED,
    (S.RATED, A.REOPEN): S.ASSIGNED,
}
MATRIX = [(state, action) for state in S.values for action in A.values]
NOW = datetime.datetime(2026, 5, 4, 12, 0, tzinfo=datetime.UTC)
WITH_ASSIGNEE = {S.ASSIGNED, S.IN_PROGRESS, S.PAUSED, S.DONE, S.RATED, S.CLOSED}


def _request_in(state, community, category, first_tech):
    values = {"community": community, "category": category, "state": state}
    if state in WITH_ASSIGNEE:
        values["assignee"] = first_tech
    if state in {S.DONE, S.RATED, S.CLOSED}:
        values["done_at"] = NOW - datetime.timedelta(hours=1)
    if state == S.RATED:
        values["stars"] = 4
    return ServiceRequestFactory(**values)


def _arguments(action, request, supervisor, second_tech):
    if action == A.RATE:
        return {"person": request.person, "stars": 5, "note": "很满意"}
    arguments = {"actor": supervisor}
    if action in (A.ASSIGN, A.TRANSFER):
        arguments["assignee"] = second_tech
    if action == A.REJECT:
        arguments["note"] = "重复报修"
    return arguments


def test_matrix_covers_every_pair():
    assert len(MATRIX) == 120
    assert set(ALLOWED) <= set(MATRIX)


@pytest.mark.parametrize(("state", "action"), MATRIX)
def test_transition_state_action(state, action, community, category, supervisor):
    first_tech, second_tech = technician(community), technician(community)
    request = _request_in(state, community, category, first_tech)
    before = model_to_dict(ServiceRequest.objects.get(pk=request.pk))
    events, audit = RequestEvent.objects.count(), AuditLog.objects.count()

    if (state, action) in ALLOWED:
        request_transition(
            request=request, action=action, now=NOW, **_arguments(action, request, supervisor, second_tech)
        )
        stored = ServiceRequest.objects.get(pk=request.pk)
        assert stored.state == ALLOWED[(state, action)]
        assert request.state == stored.state
        event = RequestEvent.objects.get(pk__gt=0, request=request, action=action)
        assert (event.from_state, event.to_state, event.at) == (state, ALLOWED[(state, action)], NOW)
        assert RequestEvent.objects.count() == events + 1
        entry = AuditLog.objects.get(action=f"service.request.{action}")
        assert entry.household_id == request.household_id
        assert entry.changes["request_state"] == [state, ALLOWED[(state, action)]]
    else:
        with pytest.raises(ServiceError):
            request_transition(
                request=request,
                action=action,
                now=NOW,
                **_arguments(action, request, supervisor, second_tech),
            )
        assert model_to_dict(ServiceRequest.objects.get(pk=request.pk)) == before
        assert RequestEvent.objects.count() == events
        assert AuditLog.objects.count() == audit


def test_accept_sets_response_time(make_request, supervisor):
    request = make_request()
    request_transition(request=request, action=A.ACCEPT, actor=supervisor, now=NOW)
    assert ServiceRequest.objects.get(pk=request.pk).responded_at == NOW


def test_finish_then_rate_records_done_time_and_stars(make_request, tech):
    request = make_request(state=S.IN_PROGRESS, assignee=tech)
    request_transition(request=request, action=A.FINISH, actor=tech, now=NOW)
    later = NOW + datetime.timedelta(hours=2)
    request_transition(request=request, action=A.RATE, person=request.person, stars=3, note="一般", now=later)
    stored = ServiceRequest.objects.get(pk=request.pk)
    assert (stored.done_at, stored.stars, stored.rating_comment, stored.rated_at) == (NOW, 3, "一般", later)


def test_reopen_clears_the_rating_and_keeps_it_in_the_history(make_request, tech, supervisor):
    request = make_request(state=S.RATED, assignee=tech, stars=1, rating_comment="还在漏", done_at=NOW)
    request_transition(request=request, action=A.REOPEN, actor=supervisor, note="回访发现未修好", now=NOW)
    stored = ServiceRequest.objects.get(pk=request.pk)
    assert (stored.state, stored.assignee, stored.stars, stored.done_at) == (S.ASSIGNED, tech, None, None)
    assert RequestEvent.objects.get(request=request, action=A.REOPEN).note == "★1 还在漏 回访发现未修好"


def test_reject_without_a_reason_is_refused(make_request, supervisor):
    request = make_request()
    with pytest.raises(ServiceError):
        request_transition(request=request, action=A.REJECT, actor=supervisor, now=NOW)
    assert ServiceRequest.objects.get(pk=request.pk).state == S.SUBMITTED


@pytest.mark.parametrize("action", [A.ACCEPT, A.ASSIGN, A.START, A.FINISH, A.CLOSE])
def test_owner_cannot_take_staff_actions(make_request, action, tech):
    state = {A.ACCEPT: S.SUBMITTED, A.ASSIGN: S.ACCEPTED, A.START: S.ASSIGNED, A.FINISH: S.IN_PROGRESS}
    request = make_request(state=state.get(action, S.DONE), assignee=tech, done_at=NOW)
    with pytest.raises(ServiceError):
        request_transition(request=request, action=action, person=request.person, assignee=tech, now=NOW)
    assert RequestEvent.objects.filter(request=request).count() == 0


def test_owner_of_another_household_cannot_cancel(make_request):
    request, other = make_request(), make_request()
    with pytest.raises(ServiceError):
        request_transition(request=request, action=A.CANCEL, person=other.person, now=NOW)
    assert ServiceRequest.objects.get(pk=request.pk).state == S.SUBMITTED


def test_assign_to_someone_who_does_not_handle_requests_is_refused(make_request, community):
    from tests.factories import staff
    from wuye.core.enums import Role

    cashier = staff(community, Role.CASHIER)
    request = make_request(state=S.ACCEPTED)
    with pytest.raises(ServiceError):
        request_transition(request=request, action=A.ASSIGN, assignee=cashier, now=NOW)
    assert ServiceRequest.objects.get(pk=request.pk).assignee is None


def test_transfer_to_the_same_person_is_refused(make_request, tech):
    request = make_request(state=S.IN_PROGRESS, assignee=tech)
    with pytest.raises(ServiceError):
        request_transition(request=request, action=A.TRANSFER, assignee=tech, now=NOW)
