"""Delivery backends: one per channel, chosen from a registry in code (no settings).

A backend's ``send(outgoing)`` returns on success (``Sent``: the provider's id of the message, if
it gives one, for the delivery receipt) and raises ``DeliveryError`` for a failure worth retrying (network,
rate limit) or ``PermanentDeliveryError`` when retrying cannot help (a refused address). SMS go
through ``notifications.sms.SmsBackend`` (the sending company's provider account: Alibaba Cloud or
Tencent Cloud), WeChat through ``notifications.wechat.WechatBackend`` (the company's official
account's template messages), or, with none configured (development, the demo), ``ConsoleBackend``,
which writes the message to the server log; the app's ``ready()`` registers them.
``register_backend`` replaces a channel's backend (tests).

A backend is handed an ``Outgoing``, not the outbox row: its ``subject`` and ``body`` are the text
the recipient reads, which may hold a secret (a login code) that the row never stores. A backend
delivers that text and never logs or stores it; anything it logs uses ``stored_subject`` and
``stored_body``, the row's text with the secrets masked.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Protocol

from django.conf import settings
from django.core.mail import send_mail

from wuye.notifications.enums import Channel

logger = logging.getLogger("wuye.notifications")


class DeliveryError(Exception):
    """The message could not be sent now; delivery tries again later."""


class PermanentDeliveryError(DeliveryError):
    """The message can never be sent as it is; it is marked failed at once."""


@dataclasses.dataclass(frozen=True)
class Outgoing:
    """One message as a backend delivers it (see the module docstring for the two texts)."""

    pk: int
    channel: str
    address: str
    event: str
    subject: str
    body: str
    stored_subject: str
    stored_body: str
    # The template's values as sent (secrets included) and the community whose message it is (None:
    # a login code to a phone no community knows): a provider's account and template are chosen by them.
    params: dict[str, str] = dataclasses.field(default_factory=dict)
    community_id: int | None = None

    @property
    def has_secret(self) -> bool:
        return (self.subject, self.body) != (self.stored_subject, self.stored_body)


@dataclasses.dataclass(frozen=True)
class Sent:
    """What a provider said of a message it took: its id there, and which of our SMS accounts sent it
    (for the delivery receipt)."""

    ref: str
    sms_account_id: int | None = None


class Backend(Protocol):
    name: str

    def send(self, outgoing: Outgoing) -> Sent | None: ...


class ConsoleBackend:
    """Logs the message and reports it sent. The default for SMS and WeChat outside production.

    Only in the demo (``WUYE_DEMO``, which ``make demo`` sets) and development mode (``WUYE_DEBUG``)
    does the log show the text as sent, login codes included: that is how a demo user logs in as an
    owner without an SMS gateway. Otherwise the log shows the outbox's masked text.
    """

    name = "console"

    def send(self, outgoing: Outgoing) -> None:
        if settings.DEMO:
            subject, body = outgoing.subject, outgoing.body
        else:
            subject, body = outgoing.stored_subject, outgoing.stored_body
        logger.info(
            "[%s] to %s (%s): %s%s",
            outgoing.channel,
            outgoing.address,
            outgoing.event,
            f"{subject} | " if subject else "",
            body,
        )


class EmailBackend:
    """Django's ``send_mail`` with whatever EMAIL_BACKEND the settings name."""

    name = "email"

    def send(self, outgoing: Outgoing) -> None:
        try:
            send_mail(outgoing.subject or outgoing.body[:60], outgoing.body, None, [outgoing.address])
        except OSError as error:  # SMTP refusals and network errors are OSErrors
            raise DeliveryError(str(error)) from error


CONSOLE = ConsoleBackend()
# SMS and WeChat start on the log; the app's ready() puts their providers' backends in
# (``notifications.sms.SmsBackend``, ``notifications.wechat.WechatBackend``), which fall back to it.
_BACKENDS: dict[str, Backend] = {
    Channel.SMS: CONSOLE,
    Channel.WECHAT: CONSOLE,
    Channel.EMAIL: EmailBackend(),
}


def register_backend(channel: str, backend: Backend) -> Backend:
    """Use ``backend`` for ``channel`` from now on; returns the one it replaces (tests restore it)."""
    previous = _BACKENDS[channel]
    _BACKENDS[channel] = backend
    return previous


def backend_for(channel: str) -> Backend:
    return _BACKENDS[channel]
