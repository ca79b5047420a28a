"""The device API: doors ask whether a presented card, code, face or visitor pass may open them, and
the answer is the decision, recorded as a door event. Plain Django views (no session, no CSRF: each
request is signed by the door's key; see ``domain.devices``).

``POST /access/devices/v1/events/`` with a JSON body ``{"event_id", "kind", "value"}`` answers 200 with
``{"event", "result", "reason", "holder"}``; 401 for a request not signed by a known door (missing
headers, a clock more than five minutes off, a wrong signature); 409 for an event id the door reported
before (the first decision is in the body; nothing changes); 400 for a body that is not an event.
"""

from __future__ import annotations

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from wuye.access.domain.devices import (
    BadEventError,
    DeviceRefusedError,
    EventReplayedError,
    device_request_verify,
    door_event_record,
    event_parse,
)


def _answer(event, status: int = 200, **extra) -> JsonResponse:
    return JsonResponse(
        {
            "event": event.device_event_id,
            "result": event.result,
            "reason": event.reason,
            "holder": event.holder,
            **extra,
        },
        status=status,
    )


@csrf_exempt
@require_POST
def device_event(request):
    try:
        door = device_request_verify(request)
    except DeviceRefusedError as refused:
        return JsonResponse({"error": str(refused)}, status=401)
    try:
        presented = event_parse(request.body)
        event, _decision = door_event_record(door=door, presented=presented)
    except BadEventError as error:
        return JsonResponse({"error": str(error)}, status=400)
    except EventReplayedError as replayed:
        return _answer(replayed.event, status=409, error=str(replayed))
    return _answer(event)
