"""The gates' interface: ``POST /parking/gates/events``, signed by the gate's device (wuye.core.devices).

Body (JSON): ``plate``, ``event_id`` (the device's own id of the event: a retry sends the same one),
optionally ``photo`` (the vendor's reference of the picture) and ``at`` (ISO 8601, when the car was
seen; default now; at most a day old, as a gate that was offline sends what it kept). The answer is
what the gate does: ``action`` open / pay / refuse, a ``reason`` to show, and for pay the ``due_fen``
and the ``pay_url`` the gate's screen shows as a QR code. A refused request (bad signature, stale time,
unknown or inactive gate, bad body) answers 401 or 400 and writes nothing.
"""

from __future__ import annotations

import datetime
import json

from django.http import JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from wuye.core.devices import DeviceRefusedError, device_verify
from wuye.core.references import ReferenceRefusedError, key_resolve
from wuye.parking.domain.gates import gate_event
from wuye.parking.enums import GateAction
from wuye.parking.models import Gate

OLDEST_EVENT = datetime.timedelta(days=1)
NEWEST_EVENT = datetime.timedelta(minutes=5)


def _gate_key(device_id: str) -> str | None:
    gate = Gate.objects.filter(device_id=device_id, is_active=True).first()
    if gate is None:
        return None
    try:
        return key_resolve(gate.key_ref).strip() or None
    except ReferenceRefusedError:
        return None


def _refused(message: str, status: int) -> JsonResponse:
    return JsonResponse({"action": GateAction.REFUSE, "reason": message}, status=status)


@csrf_exempt
@require_POST
def gate_events(request):
    try:
        device_id = device_verify(request, key_for=_gate_key)
    except DeviceRefusedError as error:
        return _refused(str(error), 401)
    try:
        body = json.loads(request.body)
    except ValueError:
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("plate"), str) or not body.get("event_id"):
        return _refused(_("The body must be JSON with plate and event_id."), 400)
    now = timezone.now()
    at = parse_datetime(str(body.get("at") or "")) if body.get("at") else now
    if at is None or timezone.is_naive(at) or not (now - OLDEST_EVENT <= at <= now + NEWEST_EVENT):
        return _refused(_("The event's time is missing its zone, or is too old or in the future."), 400)
    gate = Gate.objects.select_related("area").get(device_id=device_id)
    decision = gate_event(
        gate=gate,
        plate=body["plate"],
        event_id=str(body["event_id"]),
        at=at,
        photo=str(body.get("photo") or ""),
    )
    answer = {"action": decision.action, "reason": decision.reason, "due_fen": decision.due_fen}
    if decision.visit is not None:
        answer["plate"] = decision.visit.plate
        answer["pay_url"] = request.build_absolute_uri(
            reverse("portal:park_visit", args=[decision.visit.token])
        )
    return JsonResponse(answer)
