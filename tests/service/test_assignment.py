"""Assignment: by hand, by rotation through the category's team, transfer; "my work orders"."""

import datetime

import pytest

from tests.factories import staff
from tests.service.factories import ServiceCategoryFactory, team_with, technician
from wuye.core.enums import Role
from wuye.core.models import StaffRole
from wuye.service.domain.errors import ServiceError
from wuye.service.domain.queries import work_orders_of
from wuye.service.domain.requests import request_assign, request_auto_assign, request_transfer
from wuye.service.domain.teams import team_create, team_next_member, team_update
from wuye.service.enums import EventKind, RequestState
from wuye.service.models import RequestEvent, ServiceRequest, Team

NOW = datetime.datetime(2026, 5, 4, 2, 0, tzinfo=datetime.UTC)


def test_rotation_goes_round_the_members_in_order(community):
    a, b, c = technician(community), technician(community), technician(community)
    team = team_with(community, a, b, c)
    assert [team_next_member(team=team) for _ in range(7)] == [a, b, c, a, b, c, a]
    assert Team.objects.get(pk=team.pk).rotation == 7


def test_rotation_skips_a_member_who_no_longer_handles_requests(community):
    a, b = technician(community), technician(community)
    team = team_with(community, a, b)
    StaffRole.objects.filter(user=b).delete()
    assert [team_next_member(team=team) for _ in range(3)] == [a, a, a]


def test_rotation_of_an_empty_team_is_refused(community):
    team = team_with(community)
    with pytest.raises(ServiceError):
        team_next_member(team=team)
    assert Team.objects.get(pk=team.pk).rotation == 0


def test_auto_assign_by_category_team(make_request, community, supervisor):
    a, b = technician(community), technician(community)
    team = team_with(community, a, b)
    category = ServiceCategoryFactory(community=community, team=team)
    requests = [make_request(category=category, state=RequestState.ACCEPTED) for _ in range(3)]
    for request in requests:
        request_auto_assign(request=request, actor=supervisor, now=NOW)
    stored = ServiceRequest.objects.filter(pk__in=[r.pk for r in requests]).order_by("pk")
    assert [(r.state, r.assignee, r.team) for r in stored] == [
        (RequestState.ASSIGNED, a, team),
        (RequestState.ASSIGNED, b, team),
        (RequestState.ASSIGNED, a, team),
    ]


def test_sub_category_uses_the_parent_team(make_request, community):
    a = technician(community)
    parent = ServiceCategoryFactory(community=community, team=team_with(community, a))
    child = ServiceCategoryFactory(community=community, parent=parent)
    request = make_request(category=child, state=RequestState.ACCEPTED)
    request_auto_assign(request=request, now=NOW)
    assert ServiceRequest.objects.get(pk=request.pk).assignee == a


def test_auto_assign_refused_without_team_or_when_not_accepted(make_request, community):
    with pytest.raises(ServiceError):
        request_auto_assign(request=make_request(state=RequestState.ACCEPTED), now=NOW)
    team = team_with(community, technician(community))
    category = ServiceCategoryFactory(community=community, team=team)
    submitted = make_request(category=category)
    with pytest.raises(ServiceError):
        request_auto_assign(request=submitted, now=NOW)
    assert Team.objects.get(pk=team.pk).rotation == 0
    assert ServiceRequest.objects.get(pk=submitted.pk).state == RequestState.SUBMITTED


def test_manual_assignment_counts_for_the_team_when_the_assignee_is_in_it(
    make_request, community, supervisor
):
    inside, outside = technician(community), technician(community)
    category = ServiceCategoryFactory(community=community, team=team_with(community, inside))
    first = request_assign(
        request=make_request(category=category, state=RequestState.ACCEPTED),
        assignee=inside,
        actor=supervisor,
    )
    second = request_assign(
        request=make_request(category=category, state=RequestState.ACCEPTED),
        assignee=outside,
        actor=supervisor,
    )
    assert (first.team, second.team) == (category.team, None)


def test_transfer_records_who_to_and_keeps_the_state(make_request, community, tech, supervisor):
    other = technician(community)
    request = make_request(state=RequestState.IN_PROGRESS, assignee=tech)
    request_transfer(request=request, assignee=other, actor=supervisor, note="李师傅休假", now=NOW)
    stored = ServiceRequest.objects.get(pk=request.pk)
    assert (stored.state, stored.assignee) == (RequestState.IN_PROGRESS, other)
    event = RequestEvent.objects.get(request=request)
    assert (event.kind, event.assignee, event.actor, event.note) == (
        EventKind.TRANSFER,
        other,
        supervisor,
        "李师傅休假",
    )


def test_my_work_orders_lists_open_work_first(make_request, community, tech):
    other = technician(community)
    done = make_request(state=RequestState.DONE, assignee=tech, done_at=NOW)
    late = make_request(
        state=RequestState.ASSIGNED, assignee=tech, submitted_at=NOW - datetime.timedelta(days=2)
    )
    soon = make_request(state=RequestState.IN_PROGRESS, assignee=tech)
    make_request(state=RequestState.CLOSED, assignee=tech, done_at=NOW)
    make_request(state=RequestState.ASSIGNED, assignee=other)
    assert [r.pk for r in work_orders_of(user=tech, community=community)] == [late.pk, soon.pk, done.pk]


def test_team_create_and_update_keep_the_order(community, supervisor):
    a, b = technician(community), technician(community)
    team = team_create(community=community, name="维修班", members=[b, a], actor=supervisor)
    assert [team_next_member(team=team) for _ in range(2)] == [b, a]
    team_update(team=team, name="维修一班", members=[a], actor=supervisor)
    assert Team.objects.get(pk=team.pk).name == "维修一班"
    assert team_next_member(team=team) == a


def test_team_refuses_a_member_who_cannot_handle_requests(community, supervisor):
    cashier = staff(community, Role.CASHIER)
    with pytest.raises(ServiceError):
        team_create(community=community, name="收费", members=[cashier], actor=supervisor)
    assert Team.objects.count() == 0
