"""Bearer-token authentication of the owner API: ``Authorization: Bearer wo_…`` → an OwnerAccount.

Separate from the staff ``TokenAuth``: an owner token never authenticates a staff operation and a
staff token never an owner one. The account becomes ``request.owner``; ``request.user`` stays
anonymous, so no staff-scoped read can ever see an owner as staff.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from ninja.security import HttpBearer

from wuye.owners.models import OwnerToken

LAST_USED_PRECISION = timedelta(minutes=1)


class OwnerTokenAuth(HttpBearer):
    openapi_description = "An owner token from POST /owner/login/verify."

    def authenticate(self, request, token: str):
        key = token.strip()
        if not key:
            return None
        now = timezone.now()
        owner_token = (
            OwnerToken.objects.select_related("account")
            .filter(key_hash=OwnerToken.hash_key(key), expires_at__gt=now, account__is_active=True)
            .first()
        )
        if owner_token is None:
            return None
        cutoff = now - LAST_USED_PRECISION
        if owner_token.last_used_at is None or owner_token.last_used_at < cutoff:
            # Conditional, like the staff token's: concurrent requests write the stamp once.
            OwnerToken.objects.filter(
                Q(last_used_at__isnull=True) | Q(last_used_at__lt=cutoff), pk=owner_token.pk
            ).update(last_used_at=now)
        request.owner = owner_token.account
        request.owner_token = owner_token
        return owner_token.account
