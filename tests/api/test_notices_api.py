"""The notices API: the list, a notice with its read counts, a draft, publish (now or scheduled),
withdraw; the domain's state machine refuses with 400 and changes nothing."""

import datetime

import pytest
from django.utils import timezone

from tests.factories import BuildingFactory, HouseholdRoomFactory, staff
from tests.notices.factories import NoticeFactory
from wuye.core.enums import Role
from wuye.core.models import AuditLog
from wuye.notices.models import Notice, NoticeRead

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(api_as, community):
    return api_as(staff(community, Role.FRONT_DESK))  # notices.manage


@pytest.fixture
def households(community):
    """Two households in 1栋 and one in 2栋, each with a person who can be reached."""
    one, two = (
        BuildingFactory(community=community, name="1栋"),
        BuildingFactory(community=community, name="2栋"),
    )
    links = [
        HouseholdRoomFactory(household__community=community, room__unit__building=building)
        for building in (one, one, two)
    ]
    return {"buildings": (one, two), "households": [link.household for link in links]}


def _state():
    return list(Notice.objects.order_by("pk").values_list("state", flat=True)), AuditLog.objects.count()


def test_notice_created_as_a_draft_for_some_buildings(api, community, households):
    one, _two = households["buildings"]

    response = api.post(
        "/notices",
        {
            "community": community.pk,
            "title": "停水通知",
            "body": "明日9:00-17:00停水。",
            "audience": "buildings",
            "buildings": [one.pk],
            "urgent": True,
        },
    )

    assert response.status_code == 200
    notice = Notice.objects.get()
    body = response.json()
    assert {
        key: body[key] for key in ("pk", "community", "title", "audience", "state", "pinned", "urgent")
    } == {
        "pk": notice.pk,
        "community": community.pk,
        "title": "停水通知",
        "audience": "buildings",
        "state": "draft",
        "pinned": False,
        "urgent": True,
    }
    assert (body["buildings"], body["tags"]) == ([{"pk": one.pk, "name": "1栋"}], [])
    assert (body["targeted"], body["read"], body["publish_at"], body["notified_at"]) == (2, 0, None, None)
    assert AuditLog.objects.filter(action="notices.notice.created", object_pk=notice.pk).count() == 1


def test_notice_for_buildings_without_one_is_refused(api, community, households):
    before = _state()
    response = api.post(
        "/notices",
        {"community": community.pk, "title": "停水通知", "body": "明日停水。", "audience": "buildings"},
    )
    assert (response.status_code, response.json()) == (400, {"detail": "Choose at least one building."})
    assert _state() == before


def test_notice_for_another_communitys_building_answers_404(api, community, households):
    foreign = BuildingFactory()
    response = api.post(
        "/notices",
        {
            "community": community.pk,
            "title": "停水",
            "body": "停水。",
            "audience": "buildings",
            "buildings": [foreign.pk],
        },
    )
    assert response.status_code == 404
    assert Notice.objects.count() == 0


def test_notice_published_now_notifies_once(api, community, households):
    notice = NoticeFactory(community=community)

    response = api.post(f"/notices/{notice.pk}/publish", {})

    assert response.status_code == 200
    body = response.json()
    assert (body["state"], body["targeted"], body["read"]) == ("published", 3, 0)
    assert body["publish_at"] is not None and body["notified_at"] is not None
    assert AuditLog.objects.get(action="notices.notice.notified").changes["people"] == 0  # nobody has a phone
    again = api.post(f"/notices/{notice.pk}/publish", {})
    assert (again.status_code, again.json()) == (
        400,
        {"detail": "A notice that is “Published” cannot be “Publish now”."},
    )


def test_notice_scheduled_then_withdrawn(api, community):
    notice = NoticeFactory(community=community)
    tomorrow = timezone.now() + datetime.timedelta(days=1)

    scheduled = api.post(f"/notices/{notice.pk}/publish", {"publish_at": tomorrow.isoformat()})
    withdrawn = api.post(f"/notices/{notice.pk}/withdraw", {})

    assert (scheduled.status_code, scheduled.json()["state"]) == (200, "scheduled")
    assert scheduled.json()["notified_at"] is None
    assert (withdrawn.status_code, withdrawn.json()["state"]) == (200, "withdrawn")
    assert withdrawn.json()["withdrawn_at"] is not None


@pytest.mark.parametrize(
    ("state", "operation", "body", "detail"),
    [
        ("draft", "withdraw", {}, "A notice that is “Draft” cannot be “Withdraw”."),
        ("withdrawn", "publish", {}, "A notice that is “Withdrawn” cannot be “Publish now”."),
        (
            "draft",
            "publish",
            {"publish_at": "2020-01-01T08:00:00+08:00"},
            "Schedule the notice for a time in the future.",
        ),
    ],
)
def test_notice_transition_refused_changes_nothing(api, community, state, operation, body, detail):
    notice = NoticeFactory(
        community=community, state=state, publish_at=None if state == "draft" else timezone.now()
    )
    before = _state()
    response = api.post(f"/notices/{notice.pk}/{operation}", body)
    assert (response.status_code, response.json()) == (400, {"detail": detail})
    assert _state() == before


def test_notice_list_pinned_first_with_read_counts(api, community, households):
    plain = NoticeFactory(community=community, title="绿化修剪")
    pinned = NoticeFactory(
        community=community, title="电梯年检", pinned=True, state="published", publish_at=timezone.now()
    )
    NoticeRead.objects.create(
        community=community, notice=pinned, household=households["households"][0], read_at=timezone.now()
    )
    NoticeFactory(title="别的小区")

    everything = api.get("/notices").json()
    drafts = api.get("/notices", {"state": "draft"}).json()

    assert [(item["title"], item["read_count"]) for item in everything["items"]] == [
        ("电梯年检", 1),
        ("绿化修剪", 0),
    ]
    assert [item["pk"] for item in drafts["items"]] == [plain.pk]
    detail = api.get(f"/notices/{pinned.pk}").json()
    assert (detail["targeted"], detail["read"]) == (3, 1)


def test_notices_need_notices_manage(api_as, community):
    notice = NoticeFactory(community=community)
    cashier = api_as(staff(community, Role.CASHIER))
    assert cashier.get("/notices").json()["count"] == 0
    assert cashier.get(f"/notices/{notice.pk}").status_code == 404
    assert cashier.post(f"/notices/{notice.pk}/publish", {}).status_code == 404
    assert cashier.post("/notices", {"community": community.pk, "title": "t", "body": "b"}).status_code == 404
    assert list(Notice.objects.values_list("state", flat=True)) == ["draft"]
