"""The notifications outbox: one row per message to one address on one channel, and opt-outs."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from wuye.core.crypto import mask
from wuye.core.models import Community, Company, TenantQuerySet
from wuye.core.references import key_resolve
from wuye.households.models import Person
from wuye.notifications.enums import Channel, MessageState, ReceiptState, SmsProvider


class NotificationPreference(models.Model):
    """A person's choice for one event on one channel; no row means "send"."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="notification_preferences")
    event = models.CharField(_("event"), max_length=60)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    enabled = models.BooleanField(_("enabled"), default=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "event", "channel"], name="notificationpreference_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.event} · {self.channel}"


class Message(models.Model):
    """One message in the outbox, rendered in the recipient's language when it was queued.

    ``community`` is null only for messages to a phone no community knows yet (a first login code);
    those are visible to superusers only. ``next_attempt_at`` is when delivery may (re)try it; while
    a worker holds it (state ``sending``) it is the moment the claim expires.

    ``has_secret``: the text as sent held a secret (a login code). ``subject`` and ``body`` keep it
    masked; the text with the secret existed only in the memory of the process that queued the
    message, which alone can deliver it (see ``outbox``), so such a message is never retried.
    """

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    person = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    address = models.CharField(_("address"), max_length=254)
    event = models.CharField(_("event"), max_length=60, db_index=True)
    language = models.CharField(_("language"), max_length=10)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    has_secret = models.BooleanField(_("holds a secret"), default=False)
    state = models.CharField(
        _("state"), max_length=10, choices=MessageState.choices, default=MessageState.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    # The template's values as rendered for the recipient (secrets masked, like the text): an SMS
    # provider sends a registered template with these, not free text.
    params = models.JSONField(_("template values"), default=dict, blank=True)
    # The provider's id of the sent message (Alibaba Cloud's BizId, Tencent's SerialNo) and what its
    # delivery receipt said, once pulled (``notifications.sms.sms_receipts_pull``).
    sms_account = models.ForeignKey(
        "SmsAccount", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    provider_ref = models.CharField(_("provider reference"), max_length=64, blank=True)
    receipt_state = models.CharField(
        _("delivery receipt"), max_length=12, choices=ReceiptState.choices, blank=True
    )
    receipt_at = models.DateTimeField(_("receipt time"), null=True, blank=True)
    receipt_error = models.CharField(_("receipt error"), max_length=200, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="message_due"),
            models.Index(fields=["community", "-created_at"], name="message_community_time"),
            models.Index(
                fields=["provider_ref"],
                name="message_awaiting_receipt",
                condition=models.Q(receipt_state="") & ~models.Q(provider_ref=""),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(state=MessageState.SENT) | models.Q(sent_at__isnull=False),
                name="message_sent_has_time",
            ),
            models.CheckConstraint(condition=~models.Q(address=""), name="message_has_address"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.address_masked}"

    @property
    def address_masked(self) -> str:
        if self.channel == Channel.SMS:
            return mask(self.address, keep_start=3, keep_end=4)
        if self.channel == Channel.EMAIL and "@" in self.address:
            local, domain = self.address.split("@", 1)
            return f"{local[:1]}***@{domain}"
        return mask(self.address, keep_start=4, keep_end=4)


class SmsAccount(models.Model):
    """A property company's account at an SMS provider, with its sign name (签名); one per company.

    The row with no company is the operator's: it sends for companies without their own and for
    messages no community owns (a first login code). No account at all: messages go to the log
    (``ConsoleBackend``), as in the demo. Keys are references (``core.references``: a file in the
    secrets folder or an environment variable), never the keys themselves.
    """

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="+", null=True, blank=True, verbose_name=_("company")
    )
    provider = models.CharField(_("provider"), max_length=10, choices=SmsProvider.choices)
    enabled = models.BooleanField(_("enabled"), default=True)
    sign_name = models.CharField(
        _("sign name"), max_length=30, help_text=_("As approved by the provider, e.g. 阳光物业.")
    )
    access_key_id = models.CharField(
        _("access key id"),
        max_length=64,
        help_text=_("Alibaba Cloud AccessKey ID or Tencent Cloud SecretId."),
    )
    access_key_secret_ref = models.CharField(
        _("access key secret"),
        max_length=300,
        help_text=_(
            "Where the secret is: file:NAME in the secrets folder or env:NAME; never the secret itself."
        ),
    )
    app_id = models.CharField(
        _("SMS app id"), max_length=32, blank=True, help_text=_("Tencent Cloud only: the SmsSdkAppId.")
    )
    region = models.CharField(
        _("region"), max_length=32, blank=True, help_text=_("Tencent Cloud only, e.g. ap-guangzhou.")
    )
    gateway_url = models.URLField(
        _("gateway"), max_length=200, blank=True, help_text=_("Leave empty for the provider's own service.")
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("SMS account")
        verbose_name_plural = _("SMS accounts")
        constraints = [
            models.UniqueConstraint(fields=["company"], name="smsaccount_one_per_company"),
            models.UniqueConstraint(Coalesce("company", models.Value(0)), name="smsaccount_one_default"),
        ]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} · {self.sign_name}"

    def secret(self) -> str:
        return key_resolve(self.access_key_secret_ref)


class SmsTemplate(models.Model):
    """Which of the provider's approved templates carries one event, and which of the event's values
    fill it, in the template's order (Tencent numbers them {1}, {2}…; Alibaba Cloud names them)."""

    account = models.ForeignKey(SmsAccount, on_delete=models.CASCADE, related_name="templates")
    event = models.CharField(_("event"), max_length=60)
    template_code = models.CharField(
        _("template code"),
        max_length=40,
        help_text=_("SMS_123456789 at Alibaba Cloud, a number at Tencent Cloud."),
    )
    params = models.CharField(
        _("values"),
        max_length=200,
        blank=True,
        help_text=_(
            "The event's values the template uses, in its order, separated by commas: e.g. code,minutes."
        ),
    )

    class Meta:
        verbose_name = _("SMS template")
        verbose_name_plural = _("SMS templates")
        ordering = ["event"]
        constraints = [models.UniqueConstraint(fields=["account", "event"], name="smstemplate_one_per_event")]

    def __str__(self) -> str:
        return f"{self.event} → {self.template_code}"

    @property
    def param_names(self) -> list[str]:
        return [name.strip() for name in self.params.split(",") if name.strip()]


class WechatAccount(models.Model):
    """A property company's WeChat official account (公众号): its AppID, where its AppSecret is, and
    where its API answers (blank: WeChat's own). One per company; the row with no company is the
    operator's, as for ``SmsAccount``. It signs owners in from the account's menu (OAuth, the portal)
    and sends template messages (``notifications.wechat``). For JSAPI payment its AppID is the one
    the community's WeChat Pay merchant account is bound to."""

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="+", null=True, blank=True, verbose_name=_("company")
    )
    name = models.CharField(
        _("name"), max_length=60, help_text=_("As owners see it in WeChat, e.g. 阳光物业服务.")
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    app_id = models.CharField(_("AppID"), max_length=32)
    app_secret_ref = models.CharField(
        _("AppSecret"),
        max_length=300,
        help_text=_(
            "Where the secret is: file:NAME in the secrets folder or env:NAME; never the secret itself."
        ),
    )
    gateway_url = models.URLField(
        _("gateway"), max_length=200, blank=True, help_text=_("Leave empty for WeChat's own service.")
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("WeChat official account")
        verbose_name_plural = _("WeChat official accounts")
        constraints = [
            models.UniqueConstraint(fields=["company"], name="wechataccount_one_per_company"),
            models.UniqueConstraint(Coalesce("company", models.Value(0)), name="wechataccount_one_default"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.app_id})"

    def secret(self) -> str:
        return key_resolve(self.app_secret_ref)


class WechatTemplate(models.Model):
    """Which of the account's templates carries one event, and which of the event's values fill which
    of its fields: ``thing1=title,thing2=community`` (the field names the template shows)."""

    account = models.ForeignKey(WechatAccount, on_delete=models.CASCADE, related_name="templates")
    event = models.CharField(_("event"), max_length=60)
    template_id = models.CharField(_("template id"), max_length=64)
    fields = models.CharField(
        _("fields"),
        max_length=300,
        help_text=_("field=value pairs separated by commas: e.g. thing1=title,time2=due_on."),
    )

    class Meta:
        verbose_name = _("WeChat template")
        verbose_name_plural = _("WeChat templates")
        ordering = ["event"]
        constraints = [
            models.UniqueConstraint(fields=["account", "event"], name="wechattemplate_one_per_event")
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.template_id}"

    @property
    def field_map(self) -> list[tuple[str, str]]:
        """[(template field, event value name)] in the order given."""
        pairs = []
        for part in self.fields.split(","):
            field, _sep, value = part.partition("=")
            if field.strip() and value.strip():
                pairs.append((field.strip(), value.strip()))
        return pairs
