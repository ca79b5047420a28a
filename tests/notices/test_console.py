"""Notices and activities pages render, act, and refuse what a role does not grant."""

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tests.factories import BuildingFactory, HouseholdRoomFactory, PersonFactory, TagFactory, staff
from tests.notices.factories import ActivityFactory, NoticeFactory
from wuye.core.enums import Role
from wuye.notices.domain.activities import activity_signup
from wuye.notices.domain.notices import notice_mark_read, notice_publish
from wuye.notices.enums import Audience, NoticeState
from wuye.notices.models import Activity, Notice


@pytest.mark.parametrize(
    "name", ["console:notices", "console:notice_new", "console:activities", "console:activity_new"]
)
def test_every_notices_page_renders(admin_client, community, name):
    NoticeFactory(community=community)
    ActivityFactory(community=community)
    assert admin_client.get(reverse(name)).status_code == 200


def test_create_with_building_targets_then_publish(admin_client, community):
    building = BuildingFactory(community=community)
    response = admin_client.post(
        reverse("console:notice_new"),
        {
            "title": "电梯检修",
            "body": "周三上午检修",
            "audience": Audience.BUILDINGS,
            "buildings": [building.pk],
        },
    )
    notice = Notice.objects.get()
    assert response.status_code == 302 and response.url == reverse("console:notice", args=[notice.pk])
    assert list(notice.buildings.all()) == [building]
    admin_client.post(reverse("console:notice_publish", args=[notice.pk]), {"when": "now"})
    assert Notice.objects.get().state == NoticeState.PUBLISHED


def test_tags_audience_needs_a_tag(admin_client, community):
    response = admin_client.post(
        reverse("console:notice_new"), {"title": "x", "body": "y", "audience": "tags"}
    )
    assert response.status_code == 200 and Notice.objects.count() == 0


def test_schedule_and_withdraw(admin_client, community):
    notice = NoticeFactory(community=community)
    when = timezone.localtime(timezone.now() + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    admin_client.post(
        reverse("console:notice_publish", args=[notice.pk]), {"when": "schedule", "publish_at": when}
    )
    assert Notice.objects.get().state == NoticeState.SCHEDULED
    admin_client.post(reverse("console:notice_withdraw", args=[notice.pk]))
    assert Notice.objects.get().state == NoticeState.WITHDRAWN
    page = admin_client.get(reverse("console:notice", args=[notice.pk])).content.decode()
    assert reverse("console:notice_withdraw", args=[notice.pk]) not in page


def test_detail_shows_read_and_unread_counts(admin_client, community, admin_user):
    households = [HouseholdRoomFactory(household__community=community).household for _ in range(3)]
    notice = NoticeFactory(community=community)
    notice_publish(notice=notice, actor=admin_user)
    notice_mark_read(notice=notice, household=households[0])
    body = admin_client.get(reverse("console:notice", args=[notice.pk])).content.decode()
    assert (
        'id="targeted-count">3<' in body and 'id="read-count">1<' in body and 'id="unread-count">2<' in body
    )


def test_edit_notice_targets_tags(admin_client, community):
    tag = TagFactory(community=community)
    notice = NoticeFactory(community=community)
    admin_client.post(
        reverse("console:notice_edit", args=[notice.pk]),
        {"title": "新", "body": "y", "audience": "tags", "tags": [tag.pk]},
    )
    stored = Notice.objects.get()
    assert (stored.title, stored.audience, list(stored.tags.all())) == ("新", "tags", [tag])


def test_activity_create_attendees_and_export(admin_client, community):
    start = timezone.localtime(timezone.now() + datetime.timedelta(days=7))
    admin_client.post(
        reverse("console:activity_new"),
        {
            "title": "端午包粽子",
            "place": "会所",
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "signup_deadline": (start - datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "capacity": 30,
        },
    )
    activity = Activity.objects.get()
    person = PersonFactory(
        household=HouseholdRoomFactory(household__community=community).household, name="李四"
    )
    activity_signup(activity=activity, person=person)
    page = admin_client.get(reverse("console:activity", args=[activity.pk])).content.decode()
    assert "李四" in page and 'id="free-places">29<' in page
    export = admin_client.get(reverse("console:activity_export", args=[activity.pk]))
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert rows[4][1] == "李四"


def test_activity_cancel(admin_client, community):
    activity = ActivityFactory(community=community)
    admin_client.post(reverse("console:activity_cancel", args=[activity.pk]))
    assert Activity.objects.get().state == "cancelled"


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.CASHIER])
def test_roles_without_notices_permission_get_404(client, community, role):
    client.force_login(staff(community, role))
    notice = NoticeFactory(community=community)
    assert client.get(reverse("console:notices")).status_code == 404
    assert (
        client.post(reverse("console:notice_publish", args=[notice.pk]), {"when": "now"}).status_code == 404
    )
    assert (
        client.post(
            reverse("console:notice_new"), {"title": "x", "body": "y", "audience": "community"}
        ).status_code
        == 404
    )
    assert Notice.objects.get().state == NoticeState.DRAFT and Notice.objects.count() == 1
