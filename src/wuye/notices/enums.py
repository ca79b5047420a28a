"""Choices of notices (公告) and activities (活动)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class NoticeState(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("notice state", "Draft")
    SCHEDULED = "scheduled", pgettext_lazy("notice state", "Scheduled")
    PUBLISHED = "published", pgettext_lazy("notice state", "Published")
    WITHDRAWN = "withdrawn", pgettext_lazy("notice state", "Withdrawn")


NOTICE_STATE_COLOURS = {
    NoticeState.DRAFT: "grey",
    NoticeState.SCHEDULED: "orange",
    NoticeState.PUBLISHED: "green",
    NoticeState.WITHDRAWN: "red",
}


class NoticeAction(models.TextChoices):
    PUBLISH = "publish", pgettext_lazy("notice action", "Publish now")
    SCHEDULE = "schedule", pgettext_lazy("notice action", "Schedule")
    WITHDRAW = "withdraw", pgettext_lazy("notice action", "Withdraw")


# The notice state machine as data: action → (states it may start from, state it leads to).
NOTICE_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    NoticeAction.PUBLISH: (frozenset({NoticeState.DRAFT, NoticeState.SCHEDULED}), NoticeState.PUBLISHED),
    NoticeAction.SCHEDULE: (frozenset({NoticeState.DRAFT, NoticeState.SCHEDULED}), NoticeState.SCHEDULED),
    NoticeAction.WITHDRAW: (frozenset({NoticeState.SCHEDULED, NoticeState.PUBLISHED}), NoticeState.WITHDRAWN),
}
EDITABLE_STATES = frozenset({NoticeState.DRAFT, NoticeState.SCHEDULED, NoticeState.PUBLISHED})


class Audience(models.TextChoices):
    COMMUNITY = "community", _("The whole community")
    BUILDINGS = "buildings", _("Households in these buildings")
    TAGS = "tags", _("Households with any of these tags")


class ActivityState(models.TextChoices):
    OPEN = "open", pgettext_lazy("activity state", "Open")
    CANCELLED = "cancelled", pgettext_lazy("activity state", "Cancelled")
