import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import BuildingFactory, PersonFactory
from wuye.notices.models import Activity, ActivitySignup, Notice, NoticeBuilding, NoticeRead

pytestmark = pytest.mark.django_db


def notice(community, **values):
    values.setdefault("publish_at", timezone.now() - datetime.timedelta(hours=1))
    return Notice.objects.create(community=community, state="published", body="正文", **values)


def activity(community, **values):
    start = timezone.now() + datetime.timedelta(days=3)
    defaults = {
        "title": "中秋游园",
        "place": "会所",
        "starts_at": start,
        "signup_deadline": start,
        "capacity": 2,
    }
    return Activity.objects.create(community=community, **{**defaults, **values})


def test_notices_list_urgent_and_pinned_first_with_unread_marks(owner_client, owner):
    plain = notice(owner.community, title="普通通知")
    urgent = notice(
        owner.community, title="停水通知", urgent=True, publish_at=timezone.now() - datetime.timedelta(days=2)
    )
    NoticeRead.objects.create(
        community=owner.community, notice=plain, household=owner.household, read_at=timezone.now()
    )

    html = owner_client.get(reverse("portal:notices")).content.decode()

    assert html.index("停水通知") < html.index("普通通知")
    assert html.count('class="unread"') == 1
    assert f'href="{reverse("portal:notice", args=[urgent.pk])}"' in html


def test_home_shows_the_unread_count(owner_client, owner):
    notice(owner.community, title="停水通知")

    html = owner_client.get(reverse("portal:home")).content.decode()

    assert '<span class="badge"' in html
    assert "停水通知" in html


def test_notice_detail_marks_it_read(owner_client, owner):
    item = notice(owner.community, title="停水通知")

    response = owner_client.get(reverse("portal:notice", args=[item.pk]))

    assert response.status_code == 200
    read = NoticeRead.objects.get()
    assert (read.notice, read.household, read.person) == (item, owner.household, owner.person)


def test_notice_for_other_buildings_answers_404(owner_client, owner):
    item = notice(owner.community, title="3栋停电", audience="buildings")
    NoticeBuilding.objects.create(
        community=owner.community, notice=item, building=BuildingFactory(community=owner.community)
    )

    assert owner_client.get(reverse("portal:notice", args=[item.pk])).status_code == 404
    assert NoticeRead.objects.count() == 0


def test_draft_notice_answers_404(owner_client, owner):
    item = Notice.objects.create(community=owner.community, title="草稿", body="x")

    assert owner_client.get(reverse("portal:notice", args=[item.pk])).status_code == 404


def test_activity_signup_and_cancel(owner_client, owner):
    item = activity(owner.community)

    html = owner_client.get(reverse("portal:activities")).content.decode()
    owner_client.post(reverse("portal:activity_signup", args=[item.pk]), {"person": owner.person.pk})

    assert "中秋游园" in html
    signup = ActivitySignup.objects.get()
    assert (signup.person, signup.household, signup.cancelled_at) == (owner.person, owner.household, None)

    owner_client.post(reverse("portal:activity_cancel", args=[item.pk]), {"person": owner.person.pk})

    signup.refresh_from_db()
    assert signup.cancelled_at is not None


def test_activity_signup_of_a_person_of_another_household_answers_404(owner_client, owner):
    item = activity(owner.community)
    stranger = PersonFactory(household__community=owner.community)

    response = owner_client.post(reverse("portal:activity_signup", args=[item.pk]), {"person": stranger.pk})

    assert response.status_code == 404
    assert ActivitySignup.objects.count() == 0


def test_activity_full_is_refused(owner_client, owner):
    item = activity(owner.community, capacity=1)
    ActivitySignup.objects.create(
        community=owner.community,
        activity=item,
        household=owner.household,
        person=PersonFactory(household=owner.household),
        created_at=timezone.now(),
    )

    response = owner_client.post(
        reverse("portal:activity_signup", args=[item.pk]), {"person": owner.person.pk}, follow=True
    )

    assert "msg-error" in response.content.decode()
    assert ActivitySignup.objects.count() == 1
