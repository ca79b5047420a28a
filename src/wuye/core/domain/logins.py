"""Throttling staff password logins: failures counted per account and per network address, locks,
refusals while locked, and an administrator lifting a lock.

The one caller is ``wuye.core.auth.ThrottledModelBackend``, through which every password login goes
(the console's login page, Django admin's, and any future ``authenticate()``). Before the password is
checked, ``login_refuse`` answers whether the account or the address is locked: a locked login is
refused without looking at the password, so the refusal says nothing about whether it was right.

Counts live in the database (``LoginThrottle``), so all web processes share them without a cache.
Each failure locks its rows (``select_for_update``; SQLite's IMMEDIATE transactions queue writers), so
concurrent guesses cannot lose an increment and slip past the limit.

Audited: each failure (``core.login.failed``), each lock (``core.login.locked``) and each lift
(``core.login.unlocked``). Refusals while locked are counted on the row (``refused``), not logged one
by one: an attacker could otherwise write to the audit log as fast as they can send requests.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext_lazy

from wuye.core.audit import log_action, register_actions, register_field_labels
from wuye.core.models import LoginThrottle

register_actions(
    {
        "core.login.failed": gettext_lazy("Login failed"),
        "core.login.locked": gettext_lazy("Login locked after failed attempts"),
        "core.login.unlocked": gettext_lazy("Login lock lifted"),
    }
)
register_field_labels(
    {
        "lock_kind": (gettext_lazy("locked"), LoginThrottle.Kind),
        "lock_key": gettext_lazy("username or address"),
        "client_address": gettext_lazy("network address"),
        "locked_until": gettext_lazy("locked until"),
        "lockouts": gettext_lazy("lockouts in a row"),
    }
)

ACCOUNT = LoginThrottle.Kind.ACCOUNT
ADDRESS = LoginThrottle.Kind.ADDRESS
KEY_LENGTH = LoginThrottle._meta.get_field("key").max_length
# Locks in a row grow (15 min, 30 min, 1 h, …) up to a day; a day after the last lock ended the next
# one starts short again.
LONGEST_LOCK = timedelta(days=1)
LOCKS_REMEMBERED = timedelta(days=1)


def address_key(address: str) -> str:
    """The throttle key of a client address: an IPv4 address as it is, an IPv6 address by its /64
    (one subscriber's whole network: counting single IPv6 addresses would give an attacker 2**64
    tries); '' for anything that is not an address (then only the account is counted)."""
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return ""
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def _keys(*, username: str, address: str) -> list[tuple[str, str]]:
    keys = [(ACCOUNT, username[:KEY_LENGTH])] if username else []
    address = address_key(address)
    if address:
        keys.append((ADDRESS, address))
    return keys


def throttle_match(*, username: str, address: str) -> Q:
    """The rows that count a login of ``username`` from ``address``: its account's and its address's."""
    match = Q(pk__in=[])
    for kind, key in _keys(username=username, address=address):
        match |= Q(kind=kind, key=key)
    return match


def _limit(kind: str) -> int:
    return settings.LOGIN_ACCOUNT_FAILURES if kind == ACCOUNT else settings.LOGIN_ADDRESS_FAILURES


def lock_length(lockouts_before: int) -> timedelta:
    """The length of a lock that follows ``lockouts_before`` locks in a row: doubling, at most a day."""
    first = timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    return min(first * (2 ** min(lockouts_before, 16)), LONGEST_LOCK)


def login_refuse(*, username: str, address: str, now: datetime) -> datetime | None:
    """If the account or the address is locked, count the refusal and return when the lock ends
    (the later of the two); ``None`` when the login may go on to the password check.

    A plain read when nothing is locked (no write transaction per login); the count of refusals is
    one UPDATE."""
    locked = LoginThrottle.objects.filter(
        throttle_match(username=username, address=address), locked_until__gt=now
    )
    until = max((row.locked_until for row in locked), default=None)
    if until is not None:
        locked.update(refused=F("refused") + 1)
    return until


@transaction.atomic
def login_fail(*, username: str, address: str, now: datetime) -> list[LoginThrottle]:
    """Count a failed password login against the account and the address; lock what reached its limit.

    Returns the rows this failure locked."""
    user = get_user_model().objects.filter(**{get_user_model().USERNAME_FIELD: username}).first()
    log_action(
        "core.login.failed", actor=None, obj=user, changes={"username": username, "client_address": address}
    )
    window = timedelta(minutes=settings.LOGIN_WINDOW_MINUTES)
    locked = []
    for kind, key in _keys(username=username, address=address):
        LoginThrottle.objects.get_or_create(kind=kind, key=key)
        row = LoginThrottle.objects.select_for_update().get(kind=kind, key=key)
        if row.window_started_at is None or row.window_started_at <= now - window:
            row.failures, row.window_started_at = 0, now
        row.failures += 1
        row.last_failure_at = now
        if row.failures >= _limit(kind):
            if row.locked_until is not None and row.locked_until <= now - LOCKS_REMEMBERED:
                row.lockouts = 0
            row.locked_until = now + lock_length(row.lockouts)
            row.lockouts += 1
            row.failures, row.window_started_at, row.refused = 0, None, 0
            locked.append(row)
        row.save()
    for row in locked:
        log_action(
            "core.login.locked",
            actor=None,
            obj=user if row.kind == ACCOUNT else None,
            changes={
                "lock_kind": row.kind,
                "lock_key": row.key,
                "locked_until": row.locked_until,
                "lockouts": row.lockouts,
            },
        )
    return locked


def login_succeed(*, username: str) -> None:
    """A right password (and no lock): the account's count starts again. The address's count stays,
    or one attacker's own valid account would wipe the count of their guesses at everyone else's."""
    LoginThrottle.objects.filter(kind=ACCOUNT, key=username[:KEY_LENGTH]).delete()


@transaction.atomic
def login_unlock(*, throttle: LoginThrottle, actor, community_id: int | None = None) -> None:
    """Lift a lock (an administrator's decision): the row goes, with its counts, and is audited."""
    user = None
    if throttle.kind == ACCOUNT:
        user = get_user_model().objects.filter(**{get_user_model().USERNAME_FIELD: throttle.key}).first()
    log_action(
        "core.login.unlocked",
        actor=actor,
        obj=user,
        community_id=community_id,
        changes={
            "lock_kind": throttle.kind,
            "lock_key": throttle.key,
            "locked_until": throttle.locked_until,
        },
    )
    LoginThrottle.objects.filter(pk=throttle.pk).delete()
