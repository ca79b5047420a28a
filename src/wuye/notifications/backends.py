"""Delivery backends: one per channel, chosen from a registry in code (no settings).

A backend's ``send(message)`` returns on success and raises ``DeliveryError`` for a failure worth
retrying (network, rate limit) or ``PermanentDeliveryError`` when retrying cannot help (a refused
address). Development and the demo send SMS and WeChat through ``ConsoleBackend``, which writes the
message to the server log: that is where a demo login code appears, besides the staff SMS outbox.
Production registers real gateways at start-up with ``register_backend``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

from django.core.mail import send_mail

from wuye.notifications.enums import Channel

if TYPE_CHECKING:
    from wuye.notifications.models import Message

logger = logging.getLogger("wuye.notifications")


class DeliveryError(Exception):
    """The message could not be sent now; delivery tries again later."""


class PermanentDeliveryError(DeliveryError):
    """The message can never be sent as it is; it is marked failed at once."""


class Backend(Protocol):
    name: str

    def send(self, message: Message) -> None: ...


class ConsoleBackend:
    """Logs the message and reports it sent. The default for SMS and WeChat outside production."""

    name = "console"

    def send(self, message: Message) -> None:
        logger.info(
            "[%s] to %s (%s): %s%s",
            message.channel,
            message.address,
            message.event,
            f"{message.subject} | " if message.subject else "",
            message.body,
        )


class EmailBackend:
    """Django's ``send_mail`` with whatever EMAIL_BACKEND the settings name."""

    name = "email"

    def send(self, message: Message) -> None:
        try:
            send_mail(message.subject or message.body[:60], message.body, None, [message.address])
        except OSError as error:  # SMTP refusals and network errors are OSErrors
            raise DeliveryError(str(error)) from error


_BACKENDS: dict[str, Backend] = {
    Channel.SMS: ConsoleBackend(),
    Channel.WECHAT: ConsoleBackend(),
    Channel.EMAIL: EmailBackend(),
}


def register_backend(channel: str, backend: Backend) -> Backend:
    """Use ``backend`` for ``channel`` from now on; returns the one it replaces (tests restore it)."""
    previous = _BACKENDS[channel]
    _BACKENDS[channel] = backend
    return previous


def backend_for(channel: str) -> Backend:
    return _BACKENDS[channel]
