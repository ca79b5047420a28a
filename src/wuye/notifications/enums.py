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


class SmsProvider(models.TextChoices):
    """The SMS services a company may send through (``notifications.sms``); none configured: the log."""

    ALIYUN = "aliyun", _("Alibaba Cloud SMS")
    TENCENT = "tencent", _("Tencent Cloud SMS")


class ReceiptState(models.TextChoices):
    """What the provider's delivery receipt says of a sent message (blank: no receipt yet)."""

    DELIVERED = "delivered", pgettext_lazy("receipt", "Delivered")
    UNDELIVERED = "undelivered", pgettext_lazy("receipt", "Not delivered")
