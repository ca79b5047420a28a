"""The public receipt verification page: anyone holding the receipt (its QR code) may check it."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from wuye.payments.domain.queries import receipt_by_token
from wuye.payments.money import mask_name


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
