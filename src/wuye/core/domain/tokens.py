"""API tokens: issued and revoked here, with their audit entries."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy

from wuye.core.audit import log_action, register_actions
from wuye.core.models import ApiToken

register_actions(
    {
        "core.apitoken.created": gettext_lazy("API token created"),
        "core.apitoken.revoked": gettext_lazy("API token revoked"),
    }
)


@transaction.atomic
def token_issue(*, user, name: str) -> tuple[ApiToken, str]:
    """Create a token; the key is returned once and only its hash is stored."""
    token, key = ApiToken.issue(user=user, name=name.strip())
    log_action("core.apitoken.created", actor=user, obj=token, changes={"name": token.name})
    return token, key


@transaction.atomic
def token_revoke(*, token: ApiToken, actor) -> None:
    log_action("core.apitoken.revoked", actor=actor, obj=token, changes={"name": token.name})
    token.delete()
