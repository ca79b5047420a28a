"""The service API: the requests list as the inbox filters it, a request's detail with its history,
the staff actions along the state machine and comments, with the console's permission rules."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import staff
from tests.service.factories import ServiceCategoryFactory, ServiceRequestFactory, technician
from wuye.core.enums import Role
from wuye.core.models import AuditLog
from wuye.service.models import RequestComment, RequestEvent, ServiceRequest

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def category(community):
    return ServiceCategoryFactory(community=community, name="水电")


@pytest.fixture
def manager(community):
    return staff(community, Role.SUPERVISOR)


@pytest.fixture
def tech(community):
    return technician(community, first_name="李师傅")


@pytest.fixture
def submitted(community, category):
    return ServiceRequestFactory(community=community, category=category, description="厨房水管漏水")


def _unchanged() -> tuple[int, int, int]:
    return RequestEvent.objects.count(), RequestComment.objects.count(), AuditLog.objects.count()


def test_request_list_filtered_as_the_inbox(api_as, community, category, manager, tech, submitted):
    assigned = ServiceRequestFactory(community=community, category=category, state="assigned", assignee=tech)
    closed = ServiceRequestFactory(community=community, category=category, state="closed")
    ServiceRequestFactory()  # another community's
    api = api_as(manager)

    def pks(**query):
        body = api.get("/service/requests", query).json()
        return body["count"], [item["pk"] for item in body["items"]]

    assert pks() == (3, [closed.pk, assigned.pk, submitted.pk])
    assert pks(state="open") == (2, [assigned.pk, submitted.pk])
    assert pks(state="closed") == (1, [closed.pk])
    assert pks(assignee=tech.pk) == (1, [assigned.pk])
    assert pks(assignee=0, state="open") == (1, [submitted.pk])
    assert pks(category=category.pk + 1000) == (0, [])
    item = api.get("/service/requests", {"state": "assigned"}).json()["items"][0]
    assert (item["community"], item["category"], item["assignee"]) == (
        community.pk,
        {"pk": category.pk, "name": "水电"},
        {"pk": tech.pk, "username": tech.username, "name": "李师傅"},
    )


def test_request_list_refuses_an_unknown_state(api_as, manager, submitted):
    assert api_as(manager).get("/service/requests", {"state": "lost"}).status_code == 422


def test_request_detail_lists_what_the_user_may_do(api_as, community, category, manager, tech, submitted):
    assigned = ServiceRequestFactory(community=community, category=category, state="assigned", assignee=tech)

    as_manager = api_as(manager).get(f"/service/requests/{submitted.pk}").json()
    as_assignee = api_as(tech).get(f"/service/requests/{assigned.pk}").json()
    as_other_tech = api_as(technician(community)).get(f"/service/requests/{assigned.pk}").json()

    assert (as_manager["state"], as_manager["actions"]) == ("submitted", ["accept", "reject", "cancel"])
    assert (as_manager["description"], as_manager["history"], as_manager["comments"]) == (
        "厨房水管漏水",
        [],
        [],
    )
    assert as_assignee["actions"] == ["start"]
    assert as_other_tech["actions"] == []


def test_request_accepted_assigned_worked_and_closed(api_as, manager, tech, submitted):
    boss, worker = api_as(manager), api_as(tech)
    url = f"/service/requests/{submitted.pk}/actions"

    steps = [
        (boss, {"action": "accept"}),
        (boss, {"action": "assign", "assignee": tech.pk}),
        (worker, {"action": "start"}),
        (worker, {"action": "finish", "note": "换了阀门"}),
        (boss, {"action": "close"}),
    ]
    states = []
    for api, body in steps:
        response = api.post(url, body)
        assert response.status_code == 200, response.json()
        states.append(response.json()["state"])

    assert states == ["accepted", "assigned", "in_progress", "done", "closed"]
    detail = api_as(manager).get(f"/service/requests/{submitted.pk}").json()
    assert [
        (
            event["action"],
            event["from_state"],
            event["to_state"],
            event["actor"],
            event["assignee"],
            event["note"],
        )
        for event in detail["history"]
    ] == [
        ("accept", "submitted", "accepted", manager.username, None, ""),
        ("assign", "accepted", "assigned", manager.username, tech.username, ""),
        ("start", "assigned", "in_progress", tech.username, None, ""),
        ("finish", "in_progress", "done", tech.username, None, "换了阀门"),
        ("close", "done", "closed", manager.username, None, ""),
    ]
    assert detail["assignee"]["pk"] == tech.pk
    assert detail["done_at"] is not None and detail["closed_at"] is not None
    assert detail["actions"] == []


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"action": "start"}, "A request that is “Submitted” cannot be “Start work”."),
        ({"action": "reject"}, "Say why the request is rejected."),
        ({"action": "assign"}, "A request that is “Submitted” cannot be “Assign”."),
    ],
)
def test_action_refused_by_the_state_machine_changes_nothing(api_as, manager, submitted, body, detail):
    before = _unchanged()
    response = api_as(manager).post(f"/service/requests/{submitted.pk}/actions", body)
    assert (response.status_code, response.json()) == (400, {"detail": detail})
    assert ServiceRequest.objects.get().state == "submitted"
    assert _unchanged() == before


def test_assign_to_someone_who_does_not_handle_requests_is_refused(api_as, community, manager, submitted):
    api = api_as(manager)
    api.post(f"/service/requests/{submitted.pk}/actions", {"action": "accept"})
    before = _unchanged()
    cashier = staff(community, Role.CASHIER)

    response = api.post(
        f"/service/requests/{submitted.pk}/actions", {"action": "assign", "assignee": cashier.pk}
    )

    assert (response.status_code, response.json()) == (
        400,
        {"detail": "Choose the staff member who takes the request."},
    )
    assert (ServiceRequest.objects.get().state, ServiceRequest.objects.get().assignee) == ("accepted", None)
    assert _unchanged() == before


def test_a_technician_acts_only_on_their_own_work(api_as, community, category, tech, submitted):
    others = ServiceRequestFactory(
        community=community, category=category, state="assigned", assignee=technician(community)
    )
    worker = api_as(tech)
    before = _unchanged()

    accept = worker.post(f"/service/requests/{submitted.pk}/actions", {"action": "accept"})
    start = worker.post(f"/service/requests/{others.pk}/actions", {"action": "start"})
    comment = worker.post(f"/service/requests/{others.pk}/comments", {"body": "我来"})

    assert (accept.status_code, start.status_code, comment.status_code) == (403, 403, 403)
    assert accept.json() == {"detail": "You may not take this action on this request."}
    assert _unchanged() == before


def test_a_role_without_service_sees_no_request(api_as, community, submitted):
    cashier = api_as(staff(community, Role.CASHIER))
    assert cashier.get("/service/requests").json()["count"] == 0
    assert cashier.get(f"/service/requests/{submitted.pk}").status_code == 404
    assert cashier.post(f"/service/requests/{submitted.pk}/actions", {"action": "accept"}).status_code == 404
    assert ServiceRequest.objects.get().state == "submitted"


def test_comment_internal_note_and_message(api_as, manager, submitted):
    api = api_as(manager)

    note = api.post(f"/service/requests/{submitted.pk}/comments", {"body": "先联系物业工程部"})
    message = api.post(
        f"/service/requests/{submitted.pk}/comments", {"body": "师傅下午到", "internal": False}
    )
    empty = api.post(f"/service/requests/{submitted.pk}/comments", {"body": "   "})

    assert (note.status_code, message.status_code) == (200, 200)
    assert (note.json()["visibility"], note.json()["author"], note.json()["person"]) == (
        "internal",
        manager.username,
        None,
    )
    assert (empty.status_code, empty.json()) == (400, {"detail": "Write something first."})
    comments = api.get(f"/service/requests/{submitted.pk}").json()["comments"]
    assert [(comment["visibility"], comment["body"]) for comment in comments] == [
        ("internal", "先联系物业工程部"),
        ("public", "师傅下午到"),
    ]


def test_request_list_query_count_does_not_grow_with_requests(api_as, community, category, manager, tech):
    api = api_as(manager)
    ServiceRequestFactory(community=community, category=category, state="assigned", assignee=tech)
    api.get("/service/requests")  # the token's first use is stamped once; keep it out of the counts
    with CaptureQueriesContext(connection) as one:
        assert api.get("/service/requests").json()["count"] == 1
    for _number in range(3):
        ServiceRequestFactory(community=community, category=category, state="assigned", assignee=tech)
    with CaptureQueriesContext(connection) as four:
        assert api.get("/service/requests").json()["count"] == 4
    assert len(four) == len(one)
