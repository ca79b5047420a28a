"""Factories of notices and activities."""

import datetime

import factory
from django.utils import timezone

from tests.factories import CommunityFactory
from wuye.notices.enums import ActivityState, Audience, NoticeState
from wuye.notices.models import Activity, Notice


class NoticeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notice

    community = factory.SubFactory(CommunityFactory)
    title = factory.Sequence(lambda n: f"停水通知{n}")
    body = "因管道检修，明日9:00-17:00停水。"
    audience = Audience.COMMUNITY
    state = NoticeState.DRAFT


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    community = factory.SubFactory(CommunityFactory)
    title = factory.Sequence(lambda n: f"亲子运动会{n}")
    place = "中心花园"
    starts_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=7))
    signup_deadline = factory.LazyAttribute(lambda o: o.starts_at - datetime.timedelta(days=1))
    capacity = 20
    state = ActivityState.OPEN
