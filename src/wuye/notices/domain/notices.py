"""Notices: writing, targeting, the publication state machine, notification and read receipts.

The owner portal calls ``notice_mark_read``; the console calls the rest; the job
``notices_publish_due`` (``wuye notices_publish``) publishes scheduled notices and notifies.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.core.audit import diff, log_action, register_actions, register_field_labels, snapshot
from wuye.core.models import Community
from wuye.estate.models import Building
from wuye.households.models import Household, Person, Tag
from wuye.notices.domain.errors import NoticeError
from wuye.notices.domain.notify import notify_people
from wuye.notices.domain.queries import notice_is_for, people_to_notify
from wuye.notices.enums import EDITABLE_STATES, NOTICE_TRANSITIONS, Audience, NoticeAction, NoticeState
from wuye.notices.models import Notice, NoticeBuilding, NoticeRead, NoticeTag

register_actions(
    {
        "notices.notice.created": gettext_lazy("Notice created"),
        "notices.notice.changed": gettext_lazy("Notice changed"),
        "notices.notice.publish": gettext_lazy("Notice published"),
        "notices.notice.schedule": gettext_lazy("Notice scheduled"),
        "notices.notice.withdraw": gettext_lazy("Notice withdrawn"),
        "notices.notice.notified": gettext_lazy("Notice sent to the households"),
    }
)
register_field_labels(
    {
        "notice_state": (gettext_lazy("state"), NoticeState),
        "audience": (gettext_lazy("for"), Audience),
        "buildings": gettext_lazy("buildings"),
        "tags": gettext_lazy("tags"),
        "pinned": gettext_lazy("pinned"),
        "urgent": gettext_lazy("urgent"),
        "publish_at": gettext_lazy("publish at"),
        "expires_at": gettext_lazy("expires at"),
        "people": gettext_lazy("people"),
    }
)

NOTICE_FIELDS = ("title", "body", "audience", "pinned", "urgent", "expires_at")


def _targets(notice: Notice) -> dict:
    return {
        "buildings": "、".join(sorted(b.name for b in notice.buildings.all())),
        "tags": "、".join(sorted(t.name for t in notice.tags.all())),
    }


def _check(
    community: Community, *, title: str, body: str, audience: str, buildings: Sequence, tags: Sequence
) -> None:
    if not title.strip() or not body.strip():
        raise NoticeError(_("A notice needs a title and a text."))
    if audience not in Audience.values:
        raise NoticeError(_("Choose who the notice is for."))
    if audience == Audience.BUILDINGS and not buildings:
        raise NoticeError(_("Choose at least one building."))
    if audience == Audience.TAGS and not tags:
        raise NoticeError(_("Choose at least one tag."))
    if any(b.community_id != community.pk for b in buildings) or any(
        t.community_id != community.pk for t in tags
    ):
        raise NoticeError(_("A building or tag is in another community."))


def _set_targets(notice: Notice, audience: str, buildings: Sequence[Building], tags: Sequence[Tag]) -> None:
    NoticeBuilding.objects.filter(notice=notice).delete()
    NoticeTag.objects.filter(notice=notice).delete()
    if audience == Audience.BUILDINGS:
        NoticeBuilding.objects.bulk_create(
            NoticeBuilding(community_id=notice.community_id, notice=notice, building=b)
            for b in set(buildings)
        )
    elif audience == Audience.TAGS:
        NoticeTag.objects.bulk_create(
            NoticeTag(community_id=notice.community_id, notice=notice, tag=t) for t in set(tags)
        )


@transaction.atomic
def notice_create(
    *,
    community: Community,
    title: str,
    body: str,
    audience: str = Audience.COMMUNITY,
    buildings: Sequence[Building] = (),
    tags: Sequence[Tag] = (),
    pinned: bool = False,
    urgent: bool = False,
    expires_at: datetime.datetime | None = None,
    actor,
) -> Notice:
    """A draft notice. ``buildings`` count when the audience is buildings, ``tags`` when it is tags."""
    _check(community, title=title, body=body, audience=audience, buildings=buildings, tags=tags)
    notice = Notice.objects.create(
        community=community,
        title=title.strip(),
        body=body.strip(),
        audience=audience,
        pinned=pinned,
        urgent=urgent,
        expires_at=expires_at,
        created_by=actor,
    )
    _set_targets(notice, audience, buildings, tags)
    log_action(
        "notices.notice.created",
        actor=actor,
        obj=notice,
        changes={**snapshot(notice, ("title", "audience", "pinned", "urgent")), **_targets(notice)},
    )
    return notice


@transaction.atomic
def notice_update(
    *,
    notice: Notice,
    title: str,
    body: str,
    audience: str,
    buildings: Sequence[Building] = (),
    tags: Sequence[Tag] = (),
    pinned: bool = False,
    urgent: bool = False,
    expires_at: datetime.datetime | None = None,
    actor,
) -> Notice:
    """Change a notice that is not withdrawn. The people of a published notice are not notified again."""
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    if notice.state not in EDITABLE_STATES:
        raise NoticeError(_("A withdrawn notice cannot be changed."))
    _check(notice.community, title=title, body=body, audience=audience, buildings=buildings, tags=tags)
    if expires_at is not None and notice.publish_at is not None and expires_at <= notice.publish_at:
        raise NoticeError(_("The notice would expire before it is published."))
    before = {**snapshot(notice, NOTICE_FIELDS), **_targets(notice)}
    notice.title, notice.body, notice.audience = title.strip(), body.strip(), audience
    notice.pinned, notice.urgent, notice.expires_at = pinned, urgent, expires_at
    notice.save()
    _set_targets(notice, audience, buildings, tags)
    changes = diff(before, {**snapshot(notice, NOTICE_FIELDS), **_targets(notice)})
    changes.pop("body", None)
    if changes or before["body"] != notice.body:
        log_action("notices.notice.changed", actor=actor, obj=notice, changes=changes)
    return notice


@transaction.atomic
def notice_transition(
    *,
    notice: Notice,
    action: str,
    actor=None,
    publish_at: datetime.datetime | None = None,
    now: datetime.datetime | None = None,
) -> Notice:
    """Publish now, schedule for ``publish_at``, or withdraw, along ``NOTICE_TRANSITIONS``.

    1. check — lock the row; refuse (``NoticeError``, nothing changed) an action not allowed from its
       state, a schedule not in the future, or one after the notice's expiry;
    2. write — the state and its times;
    3. log — an audit entry;
    4. notify — on publication, the people of the targeted households, once (``notice_notify``).
    """
    now = now or timezone.now()
    locked = Notice.objects.select_for_update().get(pk=notice.pk)
    sources, target = NOTICE_TRANSITIONS.get(action, (frozenset(), None))
    if locked.state not in sources:
        raise NoticeError(
            _("A notice that is “%(state)s” cannot be “%(action)s”.")
            % {
                "state": NoticeState(locked.state).label,
                "action": NoticeAction(action).label if action in NoticeAction.values else action,
            }
        )
    changes: dict = {"notice_state": [locked.state, target]}
    if action == NoticeAction.PUBLISH:
        locked.publish_at = now
    elif action == NoticeAction.SCHEDULE:
        if publish_at is None or publish_at <= now:
            raise NoticeError(_("Schedule the notice for a time in the future."))
        locked.publish_at = publish_at
        changes["publish_at"] = timezone.localtime(publish_at)
    elif action == NoticeAction.WITHDRAW:
        locked.withdrawn_at = now
    if (
        locked.expires_at is not None
        and locked.publish_at is not None
        and locked.expires_at <= locked.publish_at
    ):
        raise NoticeError(_("The notice would expire before it is published."))
    locked.state = target
    locked.save()
    log_action(f"notices.notice.{action}", actor=actor, obj=locked, changes=changes)
    if target == NoticeState.PUBLISHED:
        notice_notify(notice=locked, actor=actor, now=now)
    for model_field in Notice._meta.concrete_fields:
        setattr(notice, model_field.attname, getattr(locked, model_field.attname))
    return notice


def notice_publish(*, notice: Notice, actor, now=None) -> Notice:
    return notice_transition(notice=notice, action=NoticeAction.PUBLISH, actor=actor, now=now)


def notice_schedule(*, notice: Notice, publish_at: datetime.datetime, actor, now=None) -> Notice:
    return notice_transition(
        notice=notice, action=NoticeAction.SCHEDULE, publish_at=publish_at, actor=actor, now=now
    )


def notice_withdraw(*, notice: Notice, actor, now=None) -> Notice:
    return notice_transition(notice=notice, action=NoticeAction.WITHDRAW, actor=actor, now=now)


@transaction.atomic
def notice_notify(*, notice: Notice, actor=None, now: datetime.datetime | None = None) -> int:
    """Notify the owners and tenants (with a phone) of the targeted households, exactly once.

    The conditional UPDATE claims the notice (``notified_at`` from empty to now) and counts the rows it
    changed: only the one caller that changed a row sends, however often publication and the job run.
    Returns how many people were notified (0 when it was done before or the notice expired).
    """
    now = now or timezone.now()
    claimed = Notice.objects.filter(
        pk=notice.pk, state=NoticeState.PUBLISHED, notified_at__isnull=True, publish_at__lte=now
    ).update(notified_at=now)
    if not claimed:
        return 0
    notice.refresh_from_db()
    if notice.expires_at is not None and notice.expires_at <= now:
        return 0
    people = list(people_to_notify(notice=notice, today=timezone.localdate(now)))
    if people:
        notify_people(
            community=notice.community,
            people=people,
            context={
                "notice_pk": notice.pk,
                "title": notice.title,
                "urgent": notice.urgent,
                "pinned": notice.pinned,
            },
            actor=actor,
        )
    log_action("notices.notice.notified", actor=actor, obj=notice, changes={"people": len(people)})
    return len(people)


def notices_publish_due(*, community: Community, now: datetime.datetime | None = None) -> list[int]:
    """The job: publish the scheduled notices whose time has come, and notify their people once.

    Idempotent: the state change and the notification are each claimed by a conditional write.
    """
    now = now or timezone.now()
    published = []
    due = Notice.objects.filter(community=community, state=NoticeState.SCHEDULED, publish_at__lte=now)
    for notice in due.order_by("publish_at", "pk"):
        with transaction.atomic():
            # The notice keeps the time it was scheduled for: that is when it became visible.
            if Notice.objects.filter(pk=notice.pk, state=NoticeState.SCHEDULED).update(
                state=NoticeState.PUBLISHED
            ):
                log_action(
                    "notices.notice.publish",
                    actor=None,
                    obj=notice,
                    changes={"notice_state": [NoticeState.SCHEDULED, NoticeState.PUBLISHED]},
                )
                published.append(notice.pk)
    # Also any published notice whose notification did not go out (e.g. the process stopped between).
    pending = Notice.objects.filter(
        community=community, state=NoticeState.PUBLISHED, notified_at__isnull=True, publish_at__lte=now
    )
    for notice in pending.order_by("publish_at", "pk"):
        notice_notify(notice=notice, now=now)
    return published


@transaction.atomic
def notice_mark_read(
    *,
    notice: Notice,
    household: Household,
    person: Person | None = None,
    now: datetime.datetime | None = None,
) -> NoticeRead:
    """Record that the household opened the notice (the first time counts; later calls return it)."""
    now = now or timezone.now()
    if person is not None and person.household_id != household.pk:
        raise NoticeError(_("The person is not a member of this household."))
    existing = NoticeRead.objects.filter(notice=notice, household=household).first()
    if existing is not None:
        return existing
    if not notice_is_for(notice=notice, household=household, now=now):
        raise NoticeError(_("This notice is not for this household."))
    try:
        with transaction.atomic():
            return NoticeRead.objects.create(
                community_id=notice.community_id,
                notice=notice,
                household=household,
                person=person,
                read_at=now,
            )
    except IntegrityError:  # another phone of the household got there first
        return NoticeRead.objects.get(notice=notice, household=household)
