"""Activities (社区活动): creating them, and signing up and cancelling — capacity under a row lock.

The owner portal calls ``activity_signup`` and ``activity_cancel``; the console the rest.
"""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.core.audit import diff, log_action, register_actions, register_field_labels, snapshot
from wuye.core.models import Community
from wuye.households.models import Person
from wuye.notices.domain import queries
from wuye.notices.domain.errors import NoticeError
from wuye.notices.enums import ActivityState
from wuye.notices.lock_objects import activity_lock
from wuye.notices.models import Activity, ActivitySignup

register_actions(
    {
        "notices.activity.created": gettext_lazy("Activity created"),
        "notices.activity.changed": gettext_lazy("Activity changed"),
        "notices.activity.cancelled": gettext_lazy("Activity cancelled"),
        "notices.activity.signup": gettext_lazy("Signed up for an activity"),
        "notices.activity.signup_cancelled": gettext_lazy("Activity sign-up cancelled"),
    }
)
register_field_labels(
    {
        "activity": gettext_lazy("activity"),
        "place": gettext_lazy("place"),
        "starts_at": gettext_lazy("starts at"),
        "ends_at": gettext_lazy("ends at"),
        "capacity": gettext_lazy("capacity"),
        "signup_deadline": gettext_lazy("sign-up deadline"),
        "person": gettext_lazy("person"),
    }
)

ACTIVITY_FIELDS = ("title", "description", "place", "starts_at", "ends_at", "capacity", "signup_deadline")


def _check(values: dict) -> None:
    if not (values.get("title") or "").strip() or not (values.get("place") or "").strip():
        raise NoticeError(_("An activity needs a title and a place."))
    if int(values.get("capacity") or 0) < 1:
        raise NoticeError(_("The capacity is at least one person."))
    starts_at, ends_at, deadline = values["starts_at"], values.get("ends_at"), values["signup_deadline"]
    if deadline > starts_at:
        raise NoticeError(_("Sign-up closes before the activity starts."))
    if ends_at is not None and ends_at < starts_at:
        raise NoticeError(_("The activity ends after it starts."))


@transaction.atomic
def activity_create(
    *,
    community: Community,
    title: str,
    place: str,
    starts_at: datetime.datetime,
    capacity: int,
    signup_deadline: datetime.datetime,
    description: str = "",
    ends_at: datetime.datetime | None = None,
    actor,
) -> Activity:
    values = {
        "title": title,
        "description": description,
        "place": place,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "capacity": capacity,
        "signup_deadline": signup_deadline,
    }
    _check(values)
    values["title"], values["place"] = title.strip(), place.strip()
    activity = Activity.objects.create(community=community, created_by=actor, **values)
    log_action(
        "notices.activity.created",
        actor=actor,
        obj=activity,
        changes=snapshot(activity, ("title", "place", "starts_at", "capacity", "signup_deadline")),
    )
    return activity


@transaction.atomic
def activity_update(*, activity: Activity, actor, **values) -> Activity:
    """Change an open activity; its capacity never drops below the people already signed up."""
    unknown = set(values) - set(ACTIVITY_FIELDS)
    if unknown:
        raise ValueError(unknown)
    locked = activity_lock(activity.pk)
    if locked.state != ActivityState.OPEN:
        raise NoticeError(_("A cancelled activity cannot be changed."))
    merged = {**snapshot_values(locked), **values}
    _check(merged)
    taken = queries.signups_active_count(activity=locked)
    if int(merged["capacity"]) < taken:
        raise NoticeError(
            _("%(n)s people have signed up already: the capacity cannot be lower.") % {"n": taken}
        )
    before = snapshot(locked, ACTIVITY_FIELDS)
    for key, value in merged.items():
        setattr(locked, key, value.strip() if key in ("title", "place") else value)
    locked.save()
    changes = diff(before, snapshot(locked, ACTIVITY_FIELDS))
    if changes:
        log_action("notices.activity.changed", actor=actor, obj=locked, changes=changes)
    return locked


def snapshot_values(activity: Activity) -> dict:
    return {field: getattr(activity, field) for field in ACTIVITY_FIELDS}


@transaction.atomic
def activity_cancel_all(*, activity: Activity, actor) -> Activity:
    """Call the activity off (the sign-ups stay on record)."""
    locked = activity_lock(activity.pk)
    if locked.state != ActivityState.OPEN:
        raise NoticeError(_("The activity is already cancelled."))
    locked.state = ActivityState.CANCELLED
    locked.save(update_fields=["state"])
    log_action("notices.activity.cancelled", actor=actor, obj=locked, changes={"title": locked.title})
    return locked


@transaction.atomic
def activity_signup(
    *, activity: Activity, person: Person, actor=None, now: datetime.datetime | None = None
) -> ActivitySignup:
    """Sign ``person`` up, if the activity is open, the deadline not passed and a place is free.

    The activity row is locked first (``lock_objects.activity_lock``): concurrent sign-ups queue, and
    each counts the places after the previous one committed, so the activity is never overbooked. A
    person already signed up gets their sign-up back (a double tap on the phone is not an error).
    """
    now = now or timezone.now()
    locked = activity_lock(activity.pk)
    if person.community_id != locked.community_id:
        raise NoticeError(_("This activity is in another community."))
    existing = ActivitySignup.objects.filter(
        activity=locked, person=person, cancelled_at__isnull=True
    ).first()
    if existing is not None:
        return existing
    if locked.state != ActivityState.OPEN:
        raise NoticeError(_("The activity has been cancelled."))
    if now > locked.signup_deadline:
        raise NoticeError(_("Sign-up for this activity has closed."))
    if queries.signups_active_count(activity=locked) >= locked.capacity:
        raise NoticeError(_("The activity is full."))
    try:
        with transaction.atomic():
            signup = ActivitySignup.objects.create(
                community_id=locked.community_id,
                activity=locked,
                household_id=person.household_id,
                person=person,
                created_at=now,
            )
    except IntegrityError:  # the same person, twice at once
        return ActivitySignup.objects.get(activity=locked, person=person, cancelled_at__isnull=True)
    log_action(
        "notices.activity.signup",
        actor=actor,
        obj=locked,
        household_id=person.household_id,
        changes={"activity": locked.title, "person": person.name},
    )
    return signup


@transaction.atomic
def activity_cancel(
    *, activity: Activity, person: Person, actor=None, now: datetime.datetime | None = None
) -> ActivitySignup:
    """Cancel ``person``'s sign-up before the activity starts; the place is free again."""
    now = now or timezone.now()
    locked = activity_lock(activity.pk)
    signup = ActivitySignup.objects.filter(activity=locked, person=person, cancelled_at__isnull=True).first()
    if signup is None:
        raise NoticeError(_("%(name)s has not signed up for this activity.") % {"name": person.name})
    if now >= locked.starts_at:
        raise NoticeError(_("The activity has started: the sign-up can no longer be cancelled."))
    signup.cancelled_at = now
    signup.save(update_fields=["cancelled_at"])
    log_action(
        "notices.activity.signup_cancelled",
        actor=actor,
        obj=locked,
        household_id=person.household_id,
        changes={"activity": locked.title, "person": person.name},
    )
    return signup
