"""Public endpoints of payments: the receipt verification page that anyone holding the receipt (its
QR code) may open, and the address the channels post notifications to."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from wuye.core.net import client_address
from wuye.payments.domain.inbox import notification_receive
from wuye.payments.domain.queries import receipt_by_token, receipt_public_view
from wuye.payments.enums import ONLINE_METHODS
from wuye.payments.limits import notify_refused_count


@require_safe
@never_cache
def receipt_verify(request, token: str):
    """Shows what the receipt's token may show (``receipt_public_view``: the payer's name masked, no
    rooms); 404 for a token that names no receipt."""
    receipt = receipt_by_token(token=token)
    if receipt is None:
        return render(request, "payments/verify.html", {"receipt": None}, status=404)
    return render(request, "payments/verify.html", {"receipt": receipt_public_view(receipt=receipt)})


def _body_within(request, limit: int) -> bytes | None:
    """The request's body, or None when it is longer than ``limit`` bytes: a declared length above the
    limit is refused before anything is read, and no more than ``limit`` + 1 bytes are ever read."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return None
    body = request.read(limit + 1)
    return body if len(body) <= limit else None


@csrf_exempt
@require_POST
def channel_notify(request, method: str, community_pk: int):
    """Store, verify and apply a channel's notification; answer as the channel expects, after commit.

    Real notifications are a few KB: a larger body is answered 413 unread and unstored."""
    if method not in ONLINE_METHODS:
        raise Http404
    source = client_address(request)
    body = _body_within(request, settings.NOTIFY_MAX_BYTES)
    if body is None:
        notify_refused_count(source=source)
        return HttpResponse(b"too large", status=413, content_type="text/plain")
    answer = notification_receive(
        method=method, community_id=community_pk, headers=request.headers, body=body, source=source
    )
    return HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)
