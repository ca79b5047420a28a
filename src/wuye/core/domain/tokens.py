"""API tokens: issued and revoked here, with their audit entries."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.core.audit import log_action, register_actions
from wuye.core.models import ApiToken

register_actions(
    {
        "core.apitoken.created": gettext_lazy("API token created"),
        "core.apitoken.revoked": gettext_lazy("API token revoked"),
    }
)


class TokenError(Exception):
    """A refused token change; the message is translated."""


@transaction.atomic
def token_issue(*, user, name: str, days: int, now: datetime | None = None) -> tuple[ApiToken, str]:
    """Create a token valid for ``days`` (1 to ``settings.API_TOKEN_MAX_DAYS``); the key is returned
    once and only its hash is stored."""
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise TokenError(
            _("A token is valid for 1 to %(days)s days.") % {"days": settings.API_TOKEN_MAX_DAYS}
        )
    now = now or timezone.now()
    token, key = ApiToken.issue(user=user, name=name.strip(), expires_at=now + timedelta(days=days))
    log_action(
        "core.apitoken.created",
        actor=user,
        obj=token,
        changes={"name": token.name, "expires_at": token.expires_at},
    )
    return token, key


@transaction.atomic
def token_revoke(*, token: ApiToken, actor) -> None:
    log_action("core.apitoken.revoked", actor=actor, obj=token, changes={"name": token.name})
    token.delete()
