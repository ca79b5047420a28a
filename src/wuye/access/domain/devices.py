"""The device API's domain: a signed request from a door, its decision, and its event recorded once.

Path: the view hands the raw request to ``device_request_verify`` (``wuye.core.devices`` checks the
headers, the clock and the HMAC under the door's key, resolved from its reference; nothing is read from
the body before that passes); then ``door_event_record`` parses the body, locks the visitor pass it
names (if any), decides with ``access_decide``, counts the pass's use with a conditional UPDATE and
writes the ``DoorEvent`` — all in one transaction. A second request with the same event id of the same
door is a replay: refused with ``EventReplayedError`` (carrying the first decision) and nothing written.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from wuye.access.domain.decide import Decision, access_decide, presented_masked
from wuye.access.enums import PRESENTED_KINDS, VISITOR, EventResult, Reason
from wuye.access.models import Door, DoorEvent, VisitorPass
from wuye.core.devices import DeviceRefusedError, device_headers, device_verify
from wuye.core.references import ReferenceRefusedError, key_resolve

__all__ = [
    "DeviceRefusedError",
    "EventReplayedError",
    "device_headers",
    "device_request_verify",
    "door_event_record",
]


class EventReplayedError(Exception):
    """The door reported this event id before; ``event`` is the one recorded then."""

    def __init__(self, event: DoorEvent):
        super().__init__(_("This event was reported before."))
        self.event = event


class BadEventError(ValueError):
    """The body is not an event: the message is translated."""


@dataclass(frozen=True)
class Presented:
    event_id: str
    kind: str
    value: str


def door_key(door: Door) -> str | None:
    try:
        return key_resolve(door.key_ref) or None
    except ReferenceRefusedError:
        return None


def device_request_verify(request, *, now: float | None = None) -> Door:
    """The door that signed ``request``; DeviceRefusedError otherwise (see ``wuye.core.devices``)."""
    from wuye.access.domain.queries import door_by_wire_id

    doors: dict[str, Door | None] = {}

    def key_for(wire_id: str) -> str | None:
        doors[wire_id] = door_by_wire_id(wire_id)
        return door_key(doors[wire_id]) if doors[wire_id] is not None else None

    wire_id = device_verify(request, key_for=key_for, now=now)
    return doors[wire_id]


def event_parse(body: bytes) -> Presented:
    try:
        data = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise BadEventError(_("The body is not JSON.")) from None
    if not isinstance(data, dict):
        raise BadEventError(_("The body is not a JSON object."))
    event_id, kind, value = data.get("event_id"), data.get("kind"), data.get("value")
    if not isinstance(event_id, str) or not 1 <= len(event_id) <= 64:
        raise BadEventError(_("event_id: 1 to 64 characters."))
    if kind not in PRESENTED_KINDS:
        raise BadEventError(_("kind: card, qr, face or pass."))
    if not isinstance(value, str) or not 1 <= len(value) <= 64:
        raise BadEventError(_("value: 1 to 64 characters."))
    return Presented(event_id=event_id, kind=kind, value=value)


def door_event_record(
    *, door: Door, presented: Presented, at: datetime.datetime | None = None
) -> tuple[DoorEvent, Decision]:
    """Decide and record one presentation at ``door``; see the module for the path and the lock."""
    at = at or timezone.now()
    earlier = DoorEvent.objects.filter(door=door, device_event_id=presented.event_id).first()
    if earlier is not None:
        raise EventReplayedError(earlier)
    try:
        with transaction.atomic():
            if presented.kind == VISITOR:
                # Lock the pass first: two doors presenting it at once are decided one after the other.
                VisitorPass.objects.select_for_update().filter(
                    community_id=door.community_id, token=presented.value
                ).first()
            decision = access_decide(door=door, kind=presented.kind, value=presented.value, at=at)
            if decision.granted and decision.visitor_pass is not None:
                counted = VisitorPass.objects.filter(
                    pk=decision.visitor_pass.pk, uses__lt=F("max_uses"), revoked_at__isnull=True
                ).update(uses=F("uses") + 1)
                if counted != 1:  # defence in depth: the lock above makes this unreachable
                    decision = Decision(
                        EventResult.REFUSED, Reason.USED_UP, visitor_pass=decision.visitor_pass
                    )
            event = DoorEvent.objects.create(
                community_id=door.community_id,
                door=door,
                device_event_id=presented.event_id,
                kind=presented.kind,
                presented=presented_masked(presented.kind, presented.value),
                credential=decision.credential,
                visitor_pass=decision.visitor_pass,
                holder=decision.holder[:80],
                result=decision.result,
                reason=decision.reason,
                occurred_at=at,
            )
    except IntegrityError:
        # The same event id raced in from a second request: the first one's row stands, this one
        # rolled back whole (its pass use included).
        earlier = DoorEvent.objects.filter(door=door, device_event_id=presented.event_id).first()
        if earlier is None:
            raise
        raise EventReplayedError(earlier) from None
    return event, decision


def device_body(presented: Presented) -> bytes:
    """The body a device sends (the simulator builds it with this)."""
    return json.dumps(
        {"event_id": presented.event_id, "kind": presented.kind, "value": presented.value},
        separators=(",", ":"),
    ).encode()
