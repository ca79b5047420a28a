"""Doors, door groups and access rules: the console's configuration. Every change is audited."""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.access.domain.errors import AccessError
from wuye.access.enums import RuleSubject
from wuye.access.models import AccessRule, Door, DoorGroup, DoorGroupMember
from wuye.core.audit import diff, log_action, register_actions, register_field_labels, snapshot
from wuye.core.enums import Role
from wuye.core.models import Community
from wuye.core.references import ReferenceRefusedError, key_reference_path
from wuye.estate.models import Building

register_actions(
    {
        "access.door.created": gettext_lazy("Door added"),
        "access.door.changed": gettext_lazy("Door changed"),
        "access.group.created": gettext_lazy("Door group created"),
        "access.group.changed": gettext_lazy("Door group changed"),
        "access.rule.created": gettext_lazy("Access rule added"),
        "access.rule.deleted": gettext_lazy("Access rule removed"),
    }
)
register_field_labels(
    {
        "device_id": gettext_lazy("device id"),
        "key_ref": gettext_lazy("device key"),
        "is_active": gettext_lazy("in service"),
        "doors": gettext_lazy("doors"),
        "subject": (gettext_lazy("who"), RuleSubject),
        "weekdays": gettext_lazy("weekdays"),
        "starts_at": gettext_lazy("from"),
        "ends_at": gettext_lazy("until"),
    }
)

DOOR_FIELDS = ("name", "building", "device_id", "key_ref", "is_active")


def _check(community: Community, *, building: Building | None = None, key_ref: str | None = None) -> None:
    if building is not None and building.community_id != community.pk:
        raise AccessError(_("The building is in another community."))
    if key_ref is not None:
        if not key_ref:
            raise AccessError(_("Give the device's key reference."))
        try:
            key_reference_path(key_ref)
        except ReferenceRefusedError as refused:
            raise AccessError(str(refused)) from None


@transaction.atomic
def door_create(
    *,
    community: Community,
    name: str,
    device_id: str,
    key_ref: str,
    building: Building | None = None,
    is_active: bool = True,
    actor,
) -> Door:
    _check(community, building=building, key_ref=key_ref)
    if Door.objects.filter(community=community, device_id=device_id).exists():
        raise AccessError(_("Another door has this device id."))
    door = Door.objects.create(
        community=community,
        name=name,
        device_id=device_id,
        key_ref=key_ref,
        building=building,
        is_active=is_active,
    )
    log_action("access.door.created", actor=actor, obj=door, changes=snapshot(door, DOOR_FIELDS))
    return door


@transaction.atomic
def door_update(*, door: Door, actor, **values) -> Door:
    _check(door.community, building=values.get("building"), key_ref=values.get("key_ref"))
    before = snapshot(door, DOOR_FIELDS)
    for key, value in values.items():
        if key not in DOOR_FIELDS:
            raise ValueError(key)
        setattr(door, key, value)
    changes = diff(before, snapshot(door, DOOR_FIELDS))
    if changes:
        try:
            with transaction.atomic():
                door.save()
        except IntegrityError:
            raise AccessError(_("Another door has this device id.")) from None
        log_action("access.door.changed", actor=actor, obj=door, changes=changes)
    return door


def _set_doors(group: DoorGroup, doors: list[Door]) -> None:
    if any(door.community_id != group.community_id for door in doors):
        raise AccessError(_("A door is in another community."))
    DoorGroupMember.objects.filter(group=group).exclude(door__in=doors).delete()
    have = set(DoorGroupMember.objects.filter(group=group).values_list("door_id", flat=True))
    DoorGroupMember.objects.bulk_create(
        [
            DoorGroupMember(community_id=group.community_id, group=group, door=door)
            for door in doors
            if door.pk not in have
        ]
    )


@transaction.atomic
def group_create(*, community: Community, name: str, doors: list[Door], actor) -> DoorGroup:
    if DoorGroup.objects.filter(community=community, name=name).exists():
        raise AccessError(_("A door group of this name exists."))
    group = DoorGroup.objects.create(community=community, name=name)
    _set_doors(group, doors)
    log_action(
        "access.group.created",
        actor=actor,
        obj=group,
        changes={"name": name, "doors": ", ".join(sorted(door.name for door in doors))},
    )
    return group


@transaction.atomic
def group_update(*, group: DoorGroup, name: str, doors: list[Door], actor) -> DoorGroup:
    if DoorGroup.objects.filter(community_id=group.community_id, name=name).exclude(pk=group.pk).exists():
        raise AccessError(_("A door group of this name exists."))
    before = {"name": group.name, "doors": ", ".join(sorted(door.name for door in group.doors.all()))}
    group.name = name
    group.save(update_fields=["name"])
    _set_doors(group, doors)
    changes = diff(before, {"name": name, "doors": ", ".join(sorted(door.name for door in doors))})
    if changes:
        log_action("access.group.changed", actor=actor, obj=group, changes=changes)
    return group


def _rule_changes(rule: AccessRule) -> dict:
    data = snapshot(rule, ("group", "subject", "building", "role", "weekdays"))
    data["starts_at"], data["ends_at"] = f"{rule.starts_at:%H:%M}", f"{rule.ends_at:%H:%M}"
    return data


@transaction.atomic
def rule_create(
    *,
    group: DoorGroup,
    subject: str,
    building: Building | None = None,
    role: str = "",
    weekdays: str = "1234567",
    starts_at: datetime.time = datetime.time(0, 0),
    ends_at: datetime.time = datetime.time(23, 59),
    actor,
) -> AccessRule:
    """A rule opening ``group`` to ``subject``: all residents, the residents of ``building``, or the
    staff holding ``role`` in the community; on ``weekdays`` (ISO digits) between two times of day."""
    _check(group.community, building=building)
    weekdays = "".join(sorted(set(weekdays)))
    if not weekdays or any(day not in "1234567" for day in weekdays):
        raise AccessError(_("Choose at least one weekday."))
    if starts_at > ends_at:
        raise AccessError(_("The rule's start is after its end."))
    if subject == RuleSubject.BUILDING and building is None:
        raise AccessError(_("Choose the building whose residents the rule admits."))
    if subject == RuleSubject.ROLE and role not in Role.values:
        raise AccessError(_("Choose the staff role the rule admits."))
    if subject not in RuleSubject.values:
        raise AccessError(_("Choose whom the rule admits."))
    rule = AccessRule.objects.create(
        community_id=group.community_id,
        group=group,
        subject=subject,
        building=building if subject == RuleSubject.BUILDING else None,
        role=role if subject == RuleSubject.ROLE else "",
        weekdays=weekdays,
        starts_at=starts_at,
        ends_at=ends_at,
    )
    log_action(
        "access.rule.created",
        actor=actor,
        obj=rule,
        changes=_rule_changes(rule),
    )
    return rule


@transaction.atomic
def rule_delete(*, rule: AccessRule, actor) -> None:
    log_action(
        "access.rule.deleted",
        actor=actor,
        obj=rule,
        changes=_rule_changes(rule),
    )
    rule.delete()
