"""Reads of access control for the console, the portal and the device API (selectors)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, F, QuerySet
from django.utils import timezone

from wuye.access.models import AccessRule, Credential, Door, DoorEvent, DoorGroup, VisitorPass
from wuye.core.models import Community
from wuye.households.models import Household


def doors_of(*, community: Community) -> QuerySet[Door]:
    return Door.objects.filter(community=community).select_related("building").order_by("name", "pk")


def door_by_wire_id(wire_id: str) -> Door | None:
    """The door a device names in X-Wuye-Device (``<community pk>:<device id>``), or None."""
    community_pk, _sep, device_id = (wire_id or "").partition(":")
    if not community_pk.isdigit() or not device_id:
        return None
    return Door.objects.filter(community_id=int(community_pk), device_id=device_id).first()


def groups_of(*, community: Community) -> QuerySet[DoorGroup]:
    return (
        DoorGroup.objects.filter(community=community)
        .annotate(door_count=Count("members", distinct=True), rule_count=Count("rules", distinct=True))
        .prefetch_related("doors")
        .order_by("name", "pk")
    )


def rules_of(*, community: Community) -> QuerySet[AccessRule]:
    return (
        AccessRule.objects.filter(community=community)
        .select_related("group", "building")
        .order_by("group__name", "pk")
    )


def credentials_of_household(*, household: Household) -> QuerySet[Credential]:
    return Credential.objects.filter(household=household).select_related("person", "issued_by")


def staff_credentials_of(*, community: Community) -> QuerySet[Credential]:
    return Credential.objects.filter(community=community, user__isnull=False).select_related(
        "user", "issued_by"
    )


def passes_of_household(*, household: Household) -> QuerySet[VisitorPass]:
    return VisitorPass.objects.filter(household=household).order_by("-created_at", "-pk")


def passes_of(*, community: Community) -> QuerySet[VisitorPass]:
    return (
        VisitorPass.objects.filter(community=community)
        .select_related("household")
        .order_by("-created_at", "-pk")
    )


def pass_by_token(token: str) -> VisitorPass | None:
    if not token or len(token) > 64:
        return None
    return VisitorPass.objects.filter(token=token).select_related("community").first()


def pass_state(visitor_pass: VisitorPass, now: datetime.datetime | None = None) -> str:
    """ "revoked", "used", "expired", "upcoming" or "valid": what the owner and the visitor see."""
    now = now or timezone.now()
    if visitor_pass.revoked_at is not None:
        return "revoked"
    if visitor_pass.uses >= visitor_pass.max_uses:
        return "used"
    if visitor_pass.valid_until <= now:
        return "expired"
    if visitor_pass.valid_from > now:
        return "upcoming"
    return "valid"


@dataclass(frozen=True)
class EventFilter:
    door: int | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    result: str = ""


def events_filtered(*, community: Community, filter: EventFilter) -> QuerySet[DoorEvent]:
    """The event audit: who opened what and when, newest first; dates are local days, both inclusive."""
    events = DoorEvent.objects.filter(community=community).select_related(
        "door", "credential", "visitor_pass"
    )
    if filter.door:
        events = events.filter(door_id=filter.door)
    if filter.result:
        events = events.filter(result=filter.result)
    zone = timezone.get_current_timezone()
    if filter.date_from:
        start = datetime.datetime.combine(filter.date_from, datetime.time.min, tzinfo=zone)
        events = events.filter(occurred_at__gte=start)
    if filter.date_to:
        end = datetime.datetime.combine(
            filter.date_to + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
        )
        events = events.filter(occurred_at__lt=end)
    return events.order_by("-occurred_at", "-pk")


def active_credentials_of_people(person_pks) -> QuerySet[Credential]:
    return Credential.objects.filter(person_id__in=list(person_pks), revoked_at__isnull=True)


def open_passes_of(*, account_pk: int, household_pk: int) -> QuerySet[VisitorPass]:
    """The passes an owner made for a household that could still open a door."""
    return VisitorPass.objects.filter(
        created_by_id=account_pk,
        household_id=household_pk,
        revoked_at__isnull=True,
        valid_until__gt=timezone.now(),
        uses__lt=F("max_uses"),
    )


def staff_of(*, community: Community):
    """Active staff holding any role in the community, for a credential's holder choice."""
    users = get_user_model().objects.filter(staff_roles__community=community, is_active=True).distinct()
    return users.order_by("username")
