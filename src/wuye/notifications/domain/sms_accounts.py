"""Saving a company's SMS provider account and its templates (the console's SMS service page).

A company's account serves all its communities, so only someone who administers every one of them
(or the operator) may change it: ``sms_account_editable``. The key reference and the gateway are held
to ``core.references`` here too, whatever the form checked.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.core.audit import log_action, register_actions
from wuye.core.enums import Permission
from wuye.core.models import Community, communities_for
from wuye.core.references import ReferenceRefusedError, gateway_check, key_reference_path
from wuye.notifications.domain.outbox import NotificationError
from wuye.notifications.models import SmsAccount, SmsTemplate

register_actions({"notifications.smsaccount.saved": gettext_lazy("SMS account saved")})


def sms_account_editable(user, community: Community) -> bool:
    """Whether ``user`` may change the SMS account of ``community``'s company: the operator, or an
    administrator of every community of that company."""
    if user.is_superuser:
        return True
    company = Community.objects.filter(company_id=community.company_id).values("pk")
    allowed = communities_for(user, Permission.STAFF_MANAGE).values("pk")
    return not Community.objects.filter(pk__in=company).exclude(pk__in=allowed).exists()


@transaction.atomic
def sms_account_save(
    *, account: SmsAccount, templates: dict[str, tuple[str, str]], actor, community: Community
) -> SmsAccount:
    """Save the account and its templates (``{event: (template code, values)}``; a blank code removes
    the event's template). ``community``: where the change was made, for the audit log."""
    if not sms_account_editable(actor, community):
        raise NotificationError(
            _("Only an administrator of every community of the company may change its SMS account.")
        )
    try:
        key_reference_path(account.access_key_secret_ref)
        gateway_check(account.provider, account.gateway_url)
    except ReferenceRefusedError as error:
        raise NotificationError(str(error)) from None
    account.save()
    kept = 0
    for event, (code, params) in templates.items():
        if code:
            SmsTemplate.objects.update_or_create(
                account=account, event=event, defaults={"template_code": code, "params": params}
            )
            kept += 1
        else:
            SmsTemplate.objects.filter(account=account, event=event).delete()
    log_action(
        "notifications.smsaccount.saved",
        actor=actor,
        obj=account,
        community_id=community.pk,
        changes={
            "provider": account.provider,
            "sign_name": account.sign_name,
            "enabled": account.enabled,
            "templates": kept,
        },
    )
    return account
