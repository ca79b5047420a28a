from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    WECHAT = "wechat", _("WeChat")
    EMAIL = "email", _("Email")


class MessageState(models.TextChoices):
    """queued → sending → sent; a failed attempt goes back to queued until the last one (failed)."""

    QUEUED = "queued", pgettext_lazy("message", "Queued")
    SENDING = "sending", pgettext_lazy("message", "Sending")
    SENT = "sent", pgettext_lazy("message", "Sent")
    FAILED = "failed", pgettext_lazy("message", "Failed")
