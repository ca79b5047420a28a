"""Bearer-token authentication for /api/v1: ``Authorization: Bearer wy_…`` checked against ApiToken."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from ninja.security import HttpBearer

from wuye.core.models import ApiToken

# Writing last_used_at on every request would turn each read into a write (and, on SQLite, queue
# every API call behind the one writer); a minute is precise enough to see which tokens are alive.
LAST_USED_PRECISION = timedelta(minutes=1)


def token_touch(token: ApiToken) -> None:
    """Record that ``token`` was used, at most once per LAST_USED_PRECISION.

    The UPDATE is conditional, so two concurrent requests with a stale stamp write it once between
    them instead of racing a read-then-write.
    """
    now = timezone.now()
    cutoff = now - LAST_USED_PRECISION
    if token.last_used_at is not None and token.last_used_at >= cutoff:
        return
    ApiToken.objects.filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=cutoff), pk=token.pk).update(
        last_used_at=now
    )
    token.last_used_at = now


class TokenAuth(HttpBearer):
    """Resolve the bearer key to its staff user; ``None`` (→ 401) for unknown, expired or revoked
    (deleted) keys and for inactive users. A refused key is not touched: nothing is written.

    The user becomes ``request.user`` so that every scoped read (``for_user``) sees the token's owner,
    never a browser session that happens to ride along.
    """

    def authenticate(self, request, token: str):
        key = token.strip()
        if not key:
            return None
        api_token = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=ApiToken.hash_key(key), expires_at__gt=timezone.now(), user__is_active=True)
            .first()
        )
        if api_token is None:
            return None
        token_touch(api_token)
        request.user = api_token.user
        request.api_token = api_token
        return api_token.user
