"""Saving a company's messaging accounts (its SMS provider account, its WeChat official account) and
their templates, from the console's SMS service and WeChat official account pages.

A company's account serves all its communities, so only someone who administers every one of them
(or the operator) may change it: ``company_account_editable``. Key references and gateways are held
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
from wuye.notifications.models import SmsAccount, SmsTemplate, WechatAccount, WechatTemplate

register_actions(
    {
        "notifications.smsaccount.saved": gettext_lazy("SMS account saved"),
        "notifications.wechataccount.saved": gettext_lazy("WeChat official account saved"),
    }
)

# account model: (template model, template code field, values field, key reference field, gateway service)
_KINDS = {
    SmsAccount: (SmsTemplate, "template_code", "params", "access_key_secret_ref", None),
    WechatAccount: (WechatTemplate, "template_id", "fields", "app_secret_ref", "wechat_mp"),
}


def company_account_editable(user, community: Community) -> bool:
    """Whether ``user`` may change the messaging accounts of ``community``'s company: the operator,
    or an administrator of every community of that company."""
    if user.is_superuser:
        return True
    company = Community.objects.filter(company_id=community.company_id).values("pk")
    allowed = communities_for(user, Permission.STAFF_MANAGE).values("pk")
    return not Community.objects.filter(pk__in=company).exclude(pk__in=allowed).exists()


@transaction.atomic
def company_account_save(*, account, templates: dict[str, tuple[str, str]], actor, community: Community):
    """Save the account (an ``SmsAccount`` or a ``WechatAccount``) and its templates (``{event:
    (template code, values)}``; a blank code removes the event's template). ``community``: where the
    change was made, for the audit log."""
    template_model, code_field, values_field, key_field, service = _KINDS[type(account)]
    if not company_account_editable(actor, community):
        raise NotificationError(
            _("Only an administrator of every community of the company may change its messaging accounts.")
        )
    try:
        key_reference_path(getattr(account, key_field))
        gateway_check(service or account.provider, account.gateway_url)
    except ReferenceRefusedError as error:
        raise NotificationError(str(error)) from None
    account.save()
    kept = 0
    for event, (code, values) in templates.items():
        if code:
            template_model.objects.update_or_create(
                account=account, event=event, defaults={code_field: code, values_field: values}
            )
            kept += 1
        else:
            template_model.objects.filter(account=account, event=event).delete()
    log_action(
        f"notifications.{account._meta.model_name}.saved",
        actor=actor,
        obj=account,
        community_id=community.pk,
        changes={"enabled": account.enabled, "templates": kept},
    )
    return account
