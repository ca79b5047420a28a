"""A community's payment settings and its channel accounts, changed by administrators (audited)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy

from wuye.core.audit import log_action, register_actions, register_field_labels
from wuye.core.money import fen_to_yuan
from wuye.core.references import (
    ReferenceRefusedError,
    gateway_check,
    key_reference_path,
    merchant_id_check,
)
from wuye.payments.models import ChannelAccount, PaymentSettings

register_actions(
    {
        "payments.settings.changed": gettext_lazy("Payment settings changed"),
        "payments.channel_account.saved": gettext_lazy("Payment channel account saved"),
    }
)

register_field_labels(
    {"refund_self_approval_below_yuan": gettext_lazy("one person may approve refunds below (yuan)")}
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


def _settings_logged(settings: PaymentSettings | None) -> dict:
    """The settings as the audit log shows them (amounts in yuan)."""
    if settings is None:
        return {}
    return {
        "excess_policy": settings.excess_policy,
        "order_minutes": settings.order_minutes,
        "refund_self_approval_below_yuan": fen_to_yuan(settings.refund_self_approval_below_fen),
    }


@transaction.atomic
def payment_settings_save(*, settings: PaymentSettings, actor) -> PaymentSettings:
    """Save a community's payment rules (administrators), among them the amount below which one person
    may request and approve a refund (four eyes above it); the log names what changed."""
    before = PaymentSettings.objects.filter(pk=settings.pk).first() if settings.pk else None
    settings.save()
    old, new = _settings_logged(before), _settings_logged(settings)
    changes = {name: [old.get(name), value] for name, value in new.items() if old.get(name) != value}
    log_action("payments.settings.changed", actor=actor, obj=settings, changes=changes)
    return settings


KEY_FIELDS = ("private_key_ref", "apiv3_key_ref", "platform_public_key_ref")


class ChannelAccountError(Exception):
    """An account pointing where accounts may not (``channels.references``); the message is translated."""


def channel_account_check(*, account: ChannelAccount) -> None:
    """The account's key references, gateway and merchant id follow the rules of
    ``channels.references`` (the console's form checks the same; this holds any caller to them). Reads
    no file."""
    try:
        for name in KEY_FIELDS:
            key_reference_path(getattr(account, name))
        gateway_check(account.method, account.gateway_url)
        merchant_id_check(account.merchant_id)
    except ReferenceRefusedError as refused:
        raise ChannelAccountError(str(refused)) from None


@transaction.atomic
def channel_account_save(*, account: ChannelAccount, actor) -> ChannelAccount:
    """Check and save an account; the log names the fields changed (key references are file or variable
    names, never keys, so they may be logged)."""
    channel_account_check(account=account)
    before = ChannelAccount.objects.filter(pk=account.pk).first() if account.pk else None
    account.save()
    changes = {
        name: [getattr(before, name, None), getattr(account, name)]
        for name in ACCOUNT_FIELDS
        if before is None or getattr(before, name) != getattr(account, name)
    }
    log_action("payments.channel_account.saved", actor=actor, obj=account, changes=changes)
    return account
