"""Service console pages render, act, and refuse what a role does not grant."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tests.factories import HouseholdRoomFactory, PersonFactory, staff
from tests.service.factories import ServiceCategoryFactory, team_with, technician
from tests.uploads import decoded, image_bytes
from wuye.core.enums import Role
from wuye.core.models import AuditLog
from wuye.service.domain.requests import request_transition
from wuye.service.enums import RequestState
from wuye.service.models import (
    RequestComment,
    RequestEvent,
    ServiceCategory,
    ServiceRequest,
    ServiceSettings,
    Team,
)

JPEG = image_bytes("JPEG")


@pytest.fixture
def front_desk(client, community):
    client.force_login(staff(community, Role.FRONT_DESK))
    return client


@pytest.fixture
def tech_client(client, tech):
    client.force_login(tech)
    return client


@pytest.mark.parametrize(
    "name",
    [
        "console:service_inbox",
        "console:service_mine",
        "console:service_dashboard",
        "console:service_performance",
        "console:service_new",
        "console:service_categories",
        "console:service_teams",
        "console:service_settings",
        "console:service_category_new",
        "console:service_team_new",
    ],
)
def test_every_service_page_renders(admin_client, make_request, name):
    make_request()
    assert admin_client.get(reverse(name)).status_code == 200


def test_inbox_shows_counts_per_state_and_filters(admin_client, make_request, tech, community):
    make_request(description="一号")
    make_request(description="二号")
    target = make_request(state=RequestState.ASSIGNED, assignee=tech, description="三号")
    body = admin_client.get(reverse("console:service_inbox")).content.decode()
    assert 'data-state="submitted">已提交 <b>2</b>' in body or "<b>2</b>" in body
    filtered = admin_client.get(reverse("console:service_inbox"), {"assignee": tech.pk}).content.decode()
    assert f"#{target.pk}" in filtered and "一号" not in filtered
    assert filtered.count('href="/console/service/requests/') == 1


def test_inbox_overdue_filter(admin_client, make_request):
    past = timezone.now() - datetime.timedelta(days=2)
    late = make_request(submitted_at=past)
    make_request()
    body = admin_client.get(reverse("console:service_inbox"), {"overdue": "1"}).content.decode()
    assert body.count('href="/console/service/requests/') == 1
    assert f"/console/service/requests/{late.pk}/" in body


def test_inbox_query_count_does_not_grow_with_rows(admin_client, make_request, django_assert_max_num_queries):
    for _ in range(12):
        make_request()
    with django_assert_max_num_queries(16):
        assert admin_client.get(reverse("console:service_inbox")).status_code == 200


def test_detail_shows_only_allowed_actions(admin_client, make_request):
    request = make_request()
    body = admin_client.get(reverse("console:service_request", args=[request.pk])).content.decode()
    assert 'value="accept"' in body and 'value="reject"' in body and 'value="cancel"' in body
    assert 'value="finish"' not in body and 'value="start"' not in body and 'value="rate"' not in body


def test_front_desk_accepts_and_assigns(front_desk, make_request, tech):
    request = make_request()
    url = reverse("console:service_request_act", args=[request.pk])
    assert front_desk.post(url, {"action": "accept"}).status_code == 302
    assert front_desk.post(url, {"action": "assign", "assignee": tech.pk}).status_code == 302
    stored = ServiceRequest.objects.get(pk=request.pk)
    assert (stored.state, stored.assignee) == (RequestState.ASSIGNED, tech)


def test_refused_transition_shows_a_message_and_changes_nothing(front_desk, make_request):
    request = make_request()
    response = front_desk.post(
        reverse("console:service_request_act", args=[request.pk]), {"action": "reject"}, follow=True
    )
    assert "驳回" in response.content.decode() or "reject" in response.content.decode().lower()
    assert ServiceRequest.objects.get(pk=request.pk).state == RequestState.SUBMITTED
    assert RequestEvent.objects.filter(request=request).count() == 0


def test_technician_works_on_own_request(tech_client, make_request, tech):
    request = make_request(state=RequestState.ASSIGNED, assignee=tech)
    url = reverse("console:service_request_act", args=[request.pk])
    assert tech_client.post(url, {"action": "start"}).status_code == 302
    assert tech_client.post(url, {"action": "finish"}).status_code == 302
    assert ServiceRequest.objects.get(pk=request.pk).state == RequestState.DONE


def test_technician_cannot_act_on_someone_elses_request(tech_client, make_request, community):
    other = technician(community)
    request = make_request(state=RequestState.ASSIGNED, assignee=other)
    before = AuditLog.objects.count()
    url = reverse("console:service_request_act", args=[request.pk])
    assert tech_client.post(url, {"action": "start"}).status_code == 403
    assert (
        tech_client.post(
            reverse("console:service_request_comment", args=[request.pk]), {"body": "x"}
        ).status_code
        == 403
    )
    assert ServiceRequest.objects.get(pk=request.pk).state == RequestState.ASSIGNED
    assert AuditLog.objects.count() == before


def test_technician_cannot_accept_assign_or_configure(tech_client, make_request, tech):
    request = make_request()
    assert (
        tech_client.post(
            reverse("console:service_request_act", args=[request.pk]), {"action": "accept"}
        ).status_code
        == 403
    )
    assert tech_client.get(reverse("console:service_categories")).status_code == 404
    assert tech_client.post(reverse("console:service_category_new"), {"name": "x"}).status_code == 404
    assert tech_client.post(reverse("console:service_settings"), {"auto_close_days": 1}).status_code == 404
    assert ServiceRequest.objects.get(pk=request.pk).state == RequestState.SUBMITTED
    assert ServiceCategory.objects.filter(name="x").count() == 0


def test_technician_sees_my_work_orders(tech_client, make_request, tech, community):
    mine = make_request(state=RequestState.ASSIGNED, assignee=tech)
    theirs = make_request(state=RequestState.ASSIGNED, assignee=technician(community))
    body = tech_client.get(reverse("console:service_mine")).content.decode()
    assert f"#{mine.pk}<" in body and f"#{theirs.pk}<" not in body


def test_cashier_sees_no_service_pages(client, community, make_request):
    client.force_login(staff(community, Role.CASHIER))
    request = make_request()
    assert client.get(reverse("console:service_inbox")).status_code == 404
    assert client.get(reverse("console:service_request", args=[request.pk])).status_code == 404


def test_comment_internal_and_public(front_desk, make_request):
    request = make_request()
    url = reverse("console:service_request_comment", args=[request.pk])
    front_desk.post(url, {"body": "内部备注", "internal": "on"})
    front_desk.post(url, {"body": "师傅明天上门"})
    assert list(RequestComment.objects.values_list("body", "visibility")) == [
        ("内部备注", "internal"),
        ("师傅明天上门", "public"),
    ]


def test_new_request_on_behalf_by_phone(front_desk, community, category):
    link = HouseholdRoomFactory(household__community=community)
    person = PersonFactory(household=link.household, phone="13800138000")
    found = front_desk.get(reverse("console:service_new"), {"find": "13800138000"})
    assert found.status_code == 302 and found.url.endswith(f"?household={link.household.pk}")
    response = front_desk.post(
        f"{reverse('console:service_new')}?household={link.household.pk}",
        {
            "channel": "phone",
            "type": "repair",
            "category": category.pk,
            "person": person.pk,
            "room": link.room.pk,
            "description": "空调外机漏水",
            "photos": [SimpleUploadedFile("a.jpg", JPEG, "image/jpeg")],
        },
    )
    request = ServiceRequest.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "console:service_request", args=[request.pk]
    )
    assert (request.household, request.person, request.room, request.channel) == (
        link.household,
        person,
        link.room,
        "phone",
    )
    assert request.photos.count() == 1


def test_new_request_finds_by_room_label(front_desk, community):
    link = HouseholdRoomFactory(household__community=community)
    other = HouseholdRoomFactory(household__community=community)
    room = link.room
    response = front_desk.get(
        reverse("console:service_new"), {"find": f"{room.building.name}-{room.unit.name}-{room.number}"}
    )
    assert response.status_code == 302 and response.url.endswith(f"?household={link.household.pk}")
    assert other.household.pk != link.household.pk


def test_new_request_refuses_a_household_of_another_community(front_desk):
    other = HouseholdRoomFactory().household
    assert front_desk.get(reverse("console:service_new"), {"household": other.pk}).status_code == 404


def test_new_anonymous_common_area_report(front_desk, category):
    response = front_desk.post(
        f"{reverse('console:service_new')}?anonymous=1",
        {
            "channel": "walk_in",
            "type": "complaint",
            "category": category.pk,
            "location_text": "地库B2",
            "description": "积水",
        },
    )
    assert response.status_code == 302
    assert ServiceRequest.objects.get().household is None


def test_photo_is_served_to_staff(front_desk, make_request):
    from wuye.service.domain.requests import request_photo_add

    request = make_request()
    photo = request_photo_add(request=request, photos=[SimpleUploadedFile("a.jpg", JPEG)])[0]
    response = front_desk.get(reverse("console:service_photo", args=[photo.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert decoded(b"".join(response.streaming_content)) == ("JPEG", (8, 8))


def test_return_visit_and_charge(front_desk, make_request, tech):
    request = make_request(state=RequestState.DONE, assignee=tech, done_at=timezone.now())
    front_desk.post(
        reverse("console:service_request_return_visit", args=[request.pk]),
        {"result": "satisfied", "note": "好"},
    )
    front_desk.post(
        reverse("console:service_request_charge", args=[request.pk]), {"amount": "45.50", "note": "角阀"}
    )
    stored = ServiceRequest.objects.get(pk=request.pk)
    assert (stored.return_visit_result, stored.charge_fen) == ("satisfied", 4550)


def test_auto_assign_button(front_desk, make_request, community):
    a = technician(community)
    category = ServiceCategoryFactory(community=community, team=team_with(community, a))
    request = make_request(category=category, state=RequestState.ACCEPTED)
    page = front_desk.get(reverse("console:service_request", args=[request.pk])).content.decode()
    assert 'id="auto-assign"' in page
    front_desk.post(reverse("console:service_request_auto_assign", args=[request.pk]))
    assert ServiceRequest.objects.get(pk=request.pk).assignee == a


@pytest.mark.parametrize("page", ["console:service_category_new", "console:service_team_new"])
def test_category_and_team_forms_ask_for_a_name_not_a_persons_name(admin_client, community, page):
    body = admin_client.get(reverse(page)).content.decode()
    assert '<label for="id_name">名称' in body
    assert '<label for="id_name">姓名' not in body


def test_configure_category_team_and_settings(admin_client, community, tech):
    admin_client.post(reverse("console:service_team_new"), {"name": "维修班", "members": [tech.pk]})
    team = Team.objects.get(name="维修班")
    admin_client.post(
        reverse("console:service_category_new"),
        {
            "name": "电梯",
            "response_minutes": 15,
            "completion_hours": 4,
            "team": team.pk,
            "position": 0,
            "is_active": "on",
        },
    )
    category = ServiceCategory.objects.get(name="电梯")
    assert (category.response_minutes, category.completion_hours, category.team) == (15, 4, team)
    admin_client.post(
        reverse("console:service_category_edit", args=[category.pk]),
        {
            "name": "电梯",
            "response_minutes": 10,
            "completion_hours": 4,
            "team": team.pk,
            "position": 0,
            "is_active": "on",
        },
    )
    assert ServiceCategory.objects.get(pk=category.pk).response_minutes == 10
    admin_client.post(reverse("console:service_settings"), {"auto_close_days": 5, "auto_assign": "on"})
    settings = ServiceSettings.objects.get(community=community)
    assert (settings.auto_close_days, settings.auto_assign) == (5, True)
    listing = admin_client.get(reverse("console:service_categories")).content.decode()
    assert "电梯" in listing and "维修班" in listing


def test_dashboard_and_performance_show_the_star(admin_client, make_request, tech, supervisor):
    request = make_request(state=RequestState.IN_PROGRESS, assignee=tech)
    request_transition(request=request, action="finish", actor=tech)
    dashboard = admin_client.get(reverse("console:service_dashboard")).content.decode()
    assert "李师傅" in dashboard
    performance = admin_client.get(reverse("console:service_performance"), {"period": "day"}).content.decode()
    assert 'id="star"' in performance and "李师傅" in performance


def test_sidebar_lists_service_pages_by_role(client, community):
    client.force_login(staff(community, Role.TECHNICIAN))
    body = client.get(reverse("console:service_mine")).content.decode()
    assert reverse("console:service_inbox") in body
    assert reverse("console:service_categories") not in body


@pytest.mark.parametrize("state", RequestState.values)
def test_detail_renders_in_every_state(admin_client, make_request, tech, state):
    request = make_request(
        state=state,
        assignee=tech if state not in ("submitted", "accepted", "rejected", "cancelled") else None,
        stars=4 if state == "rated" else None,
        done_at=timezone.now() if state in ("done", "rated", "closed") else None,
    )
    response = admin_client.get(reverse("console:service_request", args=[request.pk]))
    assert response.status_code == 200
    assert 'id="request-state"' in response.content.decode()


def test_request_changes_show_on_the_household_timeline(admin_client, household, category, supervisor):
    from django.utils import translation

    from wuye.service.domain.requests import request_submit

    request = request_submit(
        community=household.community,
        channel="portal",
        category=category,
        household=household,
        room=household.room_links.get().room,
        description="漏水",
    )
    request_transition(request=request, action="accept", actor=supervisor)
    body = admin_client.get(reverse("console:household", args=[household.pk])).content.decode()
    with translation.override("zh-hans"):
        submitted, accepted = str(_label("service.request.submitted")), str(_label("service.request.accept"))
    assert submitted in body and accepted in body


def _label(action):
    from wuye.core.audit import action_label

    return action_label(action)
