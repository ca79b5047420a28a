"""Public endpoints of payments: the receipt verification page that anyone holding the receipt (its
QR code) may open, and the address the channels post notifications to."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from wuye.core.crypto import mask_name
from wuye.payments.domain.inbox import notification_receive
from wuye.payments.domain.queries import receipt_by_token
from wuye.payments.enums import ONLINE_METHODS


@require_safe
@never_cache
def receipt_verify(request, token: str):
    """Shows what the receipt says, with the payer's name masked; 404 for a token that names no receipt."""
    receipt = receipt_by_token(token=token)
    if receipt is None:
        return render(request, "payments/verify.html", {"receipt": None}, status=404)
    return render(
        request,
        "payments/verify.html",
        {"receipt": receipt, "payer": mask_name(receipt.payer_name)},
    )


@csrf_exempt
@require_POST
def channel_notify(request, method: str, community_pk: int):
    """Store, verify and apply a channel's notification; answer as the channel expects, after commit."""
    if method not in ONLINE_METHODS:
        raise Http404
    answer = notification_receive(
        method=method, community_id=community_pk, headers=request.headers, body=request.body
    )
    return HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)
