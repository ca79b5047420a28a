"""A community's accounts at the payment channels, and the address their notifications come to."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from wuye.payments.domain.attempts import PaymentError
from wuye.payments.models import ChannelAccount


class ChannelUnavailableError(PaymentError):
    """The community has no enabled account at that channel."""


def channel_account(*, community_id: int, method: str) -> ChannelAccount:
    account = ChannelAccount.objects.filter(community_id=community_id, method=method, enabled=True).first()
    if account is None:
        raise ChannelUnavailableError(_("This payment channel is not available in this community."))
    return account


def notify_url(account: ChannelAccount) -> str:
    base = (account.notify_base_url or getattr(settings, "PUBLIC_URL", "http://127.0.0.1:8000")).rstrip("/")
    return base + reverse(
        "payments_notify:notify", kwargs={"method": account.method, "community_pk": account.community_id}
    )
