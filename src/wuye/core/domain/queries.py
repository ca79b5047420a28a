"""Reads of core: login locks and the events of staff logins."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from wuye.core.domain.logins import ACCOUNT, throttle_match
from wuye.core.models import AuditLog, Community, LoginThrottle

LOGIN_ACTIONS = ("core.login.failed", "core.login.locked", "core.login.unlocked")


def login_locked_until(*, username: str, address: str, now: datetime) -> datetime | None:
    """When the lock on this login (its account or its address) ends; ``None`` if neither is locked."""
    return max(
        LoginThrottle.objects.filter(
            throttle_match(username=username, address=address), locked_until__gt=now
        ).values_list("locked_until", flat=True),
        default=None,
    )


def staff_usernames(*, community: Community) -> QuerySet:
    """The usernames of the staff holding a role in ``community``."""
    return (
        get_user_model()
        .objects.filter(staff_roles__community=community)
        .values_list(get_user_model().USERNAME_FIELD, flat=True)
        .distinct()
    )


def login_locks(*, now: datetime, usernames: Iterable[str] | None = None) -> QuerySet[LoginThrottle]:
    """The locks in force, the latest ending first. With ``usernames``: only those accounts' locks
    (a community's administrator sees their own staff); without: every account and address."""
    locks = LoginThrottle.objects.filter(locked_until__gt=now)
    if usernames is not None:
        locks = locks.filter(kind=ACCOUNT, key__in=usernames)
    return locks.order_by("-locked_until", "pk")


def login_events(*, usernames: Iterable[str] | None = None, limit: int = 50) -> list[AuditLog]:
    """The latest failed logins, locks and lifts, newest first; with ``usernames`` only those of these
    accounts (an address lock names no account, so only the unrestricted list shows it)."""
    events = AuditLog.objects.filter(action__in=LOGIN_ACTIONS).select_related("actor")
    if usernames is not None:
        user_model = get_user_model()
        user_pks = user_model.objects.filter(**{f"{user_model.USERNAME_FIELD}__in": usernames}).values("pk")
        events = events.filter(Q(object_type=user_model._meta.label_lower, object_pk__in=user_pks))
    return list(events.order_by("-created_at", "-pk")[:limit])
