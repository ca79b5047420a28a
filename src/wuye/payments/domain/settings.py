"""A community's payment settings and its channel accounts, changed by administrators (audited)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy

from wuye.core.audit import log_action, register_actions
from wuye.payments.models import ChannelAccount, PaymentSettings

register_actions(
    {
        "payments.settings.changed": gettext_lazy("Payment settings changed"),
        "payments.channel_account.saved": gettext_lazy("Payment channel account saved"),
    }
)

ACCOUNT_FIELDS = (
    "enabled",
    "merchant_id",
    "app_id",
    "key_mode",
    "merchant_serial_no",
    "private_key_ref",
    "apiv3_key_ref",
    "platform_public_key_ref",
    "platform_public_key_id",
    "gateway_url",
    "notify_base_url",
)


@transaction.atomic
def payment_settings_save(*, settings: PaymentSettings, actor) -> PaymentSettings:
    before = PaymentSettings.objects.filter(pk=settings.pk).first() if settings.pk else None
    settings.save()
    changes = {
        name: [getattr(before, name, None), getattr(settings, name)]
        for name in ("excess_policy", "order_minutes")
        if before is None or getattr(before, name) != getattr(settings, name)
    }
    log_action("payments.settings.changed", actor=actor, obj=settings, changes=changes)
    return settings


@transaction.atomic
def channel_account_save(*, account: ChannelAccount, actor) -> ChannelAccount:
    """Save an account; the log names the fields changed (key references are paths or variable names,
    never keys, so they may be logged)."""
    before = ChannelAccount.objects.filter(pk=account.pk).first() if account.pk else None
    account.save()
    changes = {
        name: [getattr(before, name, None), getattr(account, name)]
        for name in ACCOUNT_FIELDS
        if before is None or getattr(before, name) != getattr(account, name)
    }
    log_action("payments.channel_account.saved", actor=actor, obj=account, changes=changes)
    return account
