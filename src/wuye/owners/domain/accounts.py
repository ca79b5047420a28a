"""An owner's own account: profile, phone change (confirmed by a code to the new phone), API tokens."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.core.audit import diff, log_action, register_actions, register_field_labels, snapshot
from wuye.households.domain.households import person_update
from wuye.owners.domain.login import LoginError, login_code_check
from wuye.owners.enums import Language, LoginPurpose
from wuye.owners.models import HouseholdBinding, OwnerAccount, OwnerToken

register_actions(
    {
        "owners.account.changed": gettext_lazy("Owner account changed"),
        "owners.account.phone_changed": gettext_lazy("Owner changed their phone number"),
        "owners.account.disabled": gettext_lazy("Owner account disabled"),
        "owners.account.enabled": gettext_lazy("Owner account enabled"),
        "owners.account.wechat_bound": gettext_lazy("Owner linked their WeChat"),
        "owners.account.wechat_unbound": gettext_lazy("Owner unlinked their WeChat"),
    }
)
register_field_labels(
    {
        "owner": gettext_lazy("owner"),
        "display_name": gettext_lazy("display name"),
        "language": (gettext_lazy("language"), Language),
        "email": gettext_lazy("email"),
    }
)

ACCOUNT_FIELDS = ("display_name", "language", "email")
TOKEN_LIFETIME = timedelta(days=90)


class AccountError(Exception):
    """A refused account change; the message is translated."""


def _communities(account: OwnerAccount) -> list[int]:
    return sorted(set(account.bindings.values_list("community_id", flat=True)))


def _log_per_community(action: str, account: OwnerAccount, changes: dict, actor=None) -> None:
    """One entry per community the account is bound in, so each community's staff see it."""
    for community_id in _communities(account) or [None]:
        log_action(action, actor=actor, obj=account, community_id=community_id, changes=changes)


@transaction.atomic
def account_update(
    *, account: OwnerAccount, display_name: str, language: str, email: str = ""
) -> OwnerAccount:
    """The owner changes what only concerns their account: the name staff and messages use for them,
    the language of the portal and their messages, and an email address for messages.

    The registered name in the archive is a legal record and stays with staff; the phone changes
    only through ``account_phone_change`` (a code to the new number).
    """
    display_name, email = display_name.strip(), email.strip()
    if language not in Language.values:
        raise AccountError(_("Choose a language from the list."))
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise AccountError(_("Enter a valid email address.")) from None
    before = snapshot(account, ACCOUNT_FIELDS)
    account.display_name, account.language, account.email = display_name[:40], language, email
    changes = diff(before, snapshot(account, ACCOUNT_FIELDS))
    if changes:
        account.save(update_fields=list(changes))
        _log_per_community("owners.account.changed", account, {"owner": account.phone_masked, **changes})
    return account


def account_phone_change(
    *, account: OwnerAccount, phone: str, code: str, now: datetime | None = None
) -> OwnerAccount:
    """Move the account to a new phone once the code sent there is confirmed.

    Steps: check the code (a wrong one counts, as at login); check nobody took the number
    meanwhile; write the account and the phone of each archive person it is bound as (their
    household's timeline shows it); log.
    """
    used = login_code_check(
        phone=phone, code=code, purpose=LoginPurpose.PHONE_CHANGE, account=account, now=now
    )
    with transaction.atomic():
        account = OwnerAccount.objects.select_for_update().get(pk=account.pk)
        if OwnerAccount.objects.filter(phone=used.phone).exclude(pk=account.pk).exists():
            raise LoginError(_("Another account uses this phone number."))
        old = account.phone
        account.phone = used.phone
        account.save(update_fields=["phone"])
        for binding in account.bindings.select_related("person"):
            if binding.person is not None and binding.person.phone == old:
                person_update(person=binding.person, actor=None, phone=used.phone)
        _log_per_community(
            "owners.account.phone_changed",
            account,
            {"phone": [OwnerAccount(phone=old).phone_masked, account.phone_masked]},
        )
    return account


@transaction.atomic
def account_set_active(*, account: OwnerAccount, active: bool, actor) -> OwnerAccount:
    """Staff disable an account (it can no longer log in; its tokens stop working) or enable it."""
    if account.is_active == active:
        return account
    account.is_active = active
    account.save(update_fields=["is_active"])
    if not active:
        account.tokens.all().delete()
    action = "owners.account.enabled" if active else "owners.account.disabled"
    _log_per_community(action, account, {"owner": account.phone_masked}, actor=actor)
    return account


def owner_token_issue(*, account: OwnerAccount, now: datetime | None = None) -> tuple[OwnerToken, str]:
    """A bearer token for the owner API; the key is returned once and only its hash is stored."""
    now = now or timezone.now()
    key = "wo_" + secrets.token_urlsafe(32)
    token = OwnerToken.objects.create(
        account=account, prefix=key[:8], key_hash=OwnerToken.hash_key(key), expires_at=now + TOKEN_LIFETIME
    )
    return token, key


def owner_token_revoke(*, token: OwnerToken) -> None:
    token.delete()


def accounts_by_person(people) -> dict:
    """The active owner account that speaks for each person: bound to them, else with their phone
    (the outbox's recipients, registered with ``wuye.notifications.domain.outbox.register_accounts``)."""
    found: dict = {}
    bindings = HouseholdBinding.objects.filter(
        person__in=[person.pk for person in people], account__is_active=True
    ).select_related("account")
    for binding in bindings.order_by("pk"):
        found.setdefault(binding.person_id, binding.account)
    phones = {person.phone for person in people if person.phone and person.pk not in found}
    if phones:
        by_phone = {
            account.phone: account
            for account in OwnerAccount.objects.filter(phone__in=phones, is_active=True)
        }
        for person in people:
            if person.pk not in found and person.phone in by_phone:
                found[person.pk] = by_phone[person.phone]
    return found


@transaction.atomic
def account_wechat_bind(*, account: OwnerAccount, openid: str, nickname: str = "") -> OwnerAccount:
    """Link the account to the WeChat user the official account knows as ``openid`` (from OAuth), so
    the owner opens the portal from the account's menu already signed in, gets template messages and
    pays by JSAPI. One openid belongs to one account: linked elsewhere, it is refused (the other
    account unlinks first). ``nickname`` (snsapi_userinfo) becomes the display name if there is none."""
    if not openid:
        raise AccountError(
            _("WeChat did not say who you are; open the portal from the official account again.")
        )
    locked = OwnerAccount.objects.select_for_update().get(pk=account.pk)
    if locked.wechat_openid == openid:
        return locked
    if OwnerAccount.objects.filter(wechat_openid=openid).exclude(pk=account.pk).exists():
        raise AccountError(
            _("This WeChat is linked to another owner account. Log in to that account and unlink it first.")
        )
    locked.wechat_openid = openid
    fields = ["wechat_openid"]
    if nickname and not locked.display_name:
        locked.display_name = nickname[:40]
        fields.append("display_name")
    locked.save(update_fields=fields)
    _log_per_community("owners.account.wechat_bound", locked, {"owner": locked.phone_masked})
    account.wechat_openid, account.display_name = locked.wechat_openid, locked.display_name
    return locked


@transaction.atomic
def account_wechat_unbind(*, account: OwnerAccount) -> OwnerAccount:
    """Unlink WeChat: no more sign-in from the menu, template messages or JSAPI until linked again."""
    changed = OwnerAccount.objects.filter(pk=account.pk).exclude(wechat_openid="").update(wechat_openid="")
    if changed:
        _log_per_community("owners.account.wechat_unbound", account, {"owner": account.phone_masked})
    account.wechat_openid = ""
    return account
