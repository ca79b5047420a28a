"""``X-Idempotency-Key`` for the API's POSTs that change things (after pretix's ``api/middleware.py``).

A client that got no answer (a timeout, a dropped connection) sends the same request again with the
same key and gets the first response back instead of a second billing run. Steps:

1. no header: the operation just runs;
2. the key is claimed with an INSERT of its own, committed at once, so that a concurrent request
   with the same key sees the claim (the unique constraint on user and key decides the race);
3. a key already claimed: for another method, path or body → 400; still running → 409; done → the
   stored status and body, with ``Idempotent-Replayed: true``. A claim left running for longer than
   ``STALE_AFTER`` belongs to a process that died; one retry takes it over (conditional UPDATE);
4. the operation runs; its answer (2xx or 4xx) is stored with the claim and returned. An unexpected
   error releases the claim and propagates: a 500 is never replayed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.http import Http404, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja.errors import HttpError

from wuye.api.models import IdempotentRequest

HEADER = "X-Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 100
STALE_AFTER = timedelta(minutes=10)
# The header as the OpenAPI schema documents it on every operation that takes it (openapi_extra).
IDEMPOTENCY_KEY_DOC = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "schema": {"type": "string", "maxLength": MAX_KEY_LENGTH},
    "description": "Send the same key again (same user, same request) to get the first response back.",
}

Outcome = tuple[int, dict]
BUSY = gettext_lazy("A request with this idempotency key is still being processed; try again later.")


def _fingerprint(body: bytes) -> str:
    """SHA-256 of the body; JSON in canonical form, so key order and spacing do not matter."""
    try:
        canonical = json.dumps(json.loads(body or b"null"), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    return hashlib.sha256(canonical).hexdigest()


def _respond(status: int, body: dict, *, replayed: bool = False) -> JsonResponse:
    response = JsonResponse(
        body, status=status, encoder=DjangoJSONEncoder, json_dumps_params={"ensure_ascii": False}
    )
    if replayed:
        response[REPLAYED_HEADER] = "true"
    return response


def _run(operation: Callable[[], Outcome]) -> Outcome:
    """The operation's outcome; 404 and HTTP errors become outcomes too, so they can be stored."""
    try:
        return operation()
    except Http404:
        return 404, {"detail": _("Not found.")}
    except HttpError as error:
        return error.status_code, {"detail": str(error.message)}


def _claim(
    *, user, key: str, method: str, path: str, fingerprint: str
) -> tuple[IdempotentRequest | None, JsonResponse | None]:
    """(our claim, None) when this request runs the operation, else (None, the response to send)."""
    existing = None
    # Twice at most: a claim released (its request failed) between our INSERT and our read is gone,
    # and the second INSERT then wins or meets the claim of the request that retried first.
    for _attempt in range(2):
        try:
            with transaction.atomic():
                claim = IdempotentRequest.objects.create(
                    user=user, key=key, method=method, path=path, fingerprint=fingerprint
                )
            return claim, None
        except IntegrityError:
            existing = IdempotentRequest.objects.filter(user=user, key=key).first()
            if existing is not None:
                break
    if existing is None:
        return None, _respond(409, {"detail": BUSY})
    if (existing.method, existing.path, existing.fingerprint) != (method, path, fingerprint):
        return None, _respond(
            400, {"detail": _("This idempotency key was already used for a different request.")}
        )
    if existing.status_code is not None:
        return None, _respond(existing.status_code, existing.response_body, replayed=True)
    # Still running, or its process died. Only one of several retries wins the conditional UPDATE.
    now = timezone.now()
    taken_over = IdempotentRequest.objects.filter(
        pk=existing.pk, status_code__isnull=True, created_at__lt=now - STALE_AFTER
    ).update(created_at=now)
    if taken_over:
        return existing, None
    return None, _respond(409, {"detail": BUSY})


def idempotent(request, operation: Callable[[], Outcome]) -> JsonResponse:
    """Run ``operation`` (→ (status, JSON-ready body)) at most once per user and ``X-Idempotency-Key``."""
    key = request.headers.get(HEADER)
    if key is None:
        return _respond(*_run(operation))
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        return _respond(
            400,
            {"detail": _("The idempotency key must be 1 to %(max)s characters.") % {"max": MAX_KEY_LENGTH}},
        )
    claim, refusal = _claim(
        user=request.user,
        key=key,
        method=request.method,
        path=request.path[:300],
        fingerprint=_fingerprint(request.body),
    )
    if refusal is not None:
        return refusal
    try:
        status, body = _run(operation)
    except BaseException:
        IdempotentRequest.objects.filter(pk=claim.pk, status_code__isnull=True).delete()
        raise
    IdempotentRequest.objects.filter(pk=claim.pk).update(
        status_code=status, response_body=body, completed_at=timezone.now()
    )
    return _respond(status, body)
