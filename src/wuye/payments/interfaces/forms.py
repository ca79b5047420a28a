"""Forms of the counter. Amounts are typed in yuan and become fen here, exactly."""

from __future__ import annotations

import uuid

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from wuye.core.money import fen_to_yuan, yuan_to_fen
from wuye.core.references import (
    ReferenceRefusedError,
    gateway_check,
    key_reference_clean,
    merchant_id_check,
)
from wuye.payments.enums import COUNTER_METHODS, PaymentMethod, WechatKeyMode
from wuye.payments.limits import MAX_COUNTER_FEN
from wuye.payments.models import ChannelAccount, PaymentSettings


def new_form_key() -> str:
    return uuid.uuid4().hex


class PrepaymentForm(forms.Form):
    """A prepayment at the counter. ``key`` is made when the form is shown: submitting the same form
    twice (a double click, a reload) records one prepayment."""

    amount = forms.CharField(
        label=_("Amount (yuan)"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "autofocus": True}),
        help_text=_("In yuan, at most two decimals, e.g. 1280.50"),
    )
    method = forms.ChoiceField(
        label=_("Paid by"),
        choices=[(method.value, method.label) for method in COUNTER_METHODS],
        initial=PaymentMethod.CASH,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
    key = forms.CharField(
        widget=forms.HiddenInput,
        validators=[RegexValidator(r"^[0-9a-f]{32}$", _("The form has expired; open it again."))],
    )

    def clean_amount(self) -> int:
        return yuan_to_fen(self.cleaned_data["amount"], max_fen=MAX_COUNTER_FEN)


def new_counter_key() -> str:
    """The one-time key of a counter payment form (24 hex: it becomes the attempt's 'CT…' number)."""
    return uuid.uuid4().hex[:24]


class CounterPaymentForm(forms.Form):
    """A payment of chosen bill lines at the counter. The lines come from the page's checkboxes."""

    method = forms.ChoiceField(
        label=_("Paid by"),
        choices=[(method.value, method.label) for method in COUNTER_METHODS],
        initial=PaymentMethod.CASH,
        widget=forms.RadioSelect,
    )
    tendered = forms.CharField(
        label=_("Cash handed over (yuan)"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text=_("For cash: what the payer handed over; the change is shown on the receipt page."),
    )
    key = forms.CharField(
        widget=forms.HiddenInput,
        validators=[RegexValidator(r"^[0-9a-f]{24}$", _("The form has expired; open it again."))],
    )

    def clean_tendered(self) -> int | None:
        text = self.cleaned_data["tendered"]
        return yuan_to_fen(text, max_fen=2 * MAX_COUNTER_FEN) if text else None


class RefundRequestForm(forms.Form):
    amount = forms.CharField(
        label=_("Amount to refund (yuan)"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def clean_amount(self) -> int:
        return yuan_to_fen(self.cleaned_data["amount"], max_fen=MAX_COUNTER_FEN)


class ReceiptVoidForm(forms.Form):
    reason = forms.CharField(label=_("Reason for voiding"), max_length=200)


KEY_REF_HELP = _(
    "file:NAME (a file in the secrets folder) or env:NAME (an environment variable the operator named for "
    "channel keys); never the key itself."
)


class PaymentSettingsForm(forms.ModelForm):
    refund_self_approval_below = forms.CharField(
        label=_("Refunds one person may request and approve: below (yuan)"),
        max_length=20,
        initial="0",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text=_(
            "Every other refund is approved by someone other than the person who requested it. The same "
            "limit holds for voiding a receipt. 0: always two people."
        ),
    )

    class Meta:
        model = PaymentSettings
        fields = ["excess_policy", "order_minutes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["refund_self_approval_below"] = fen_to_yuan(
            self.instance.refund_self_approval_below_fen, grouping=False
        )

    def clean_order_minutes(self) -> int:
        minutes = self.cleaned_data["order_minutes"]
        if not 1 <= minutes <= 120:
            raise forms.ValidationError(_("Between 1 and 120 minutes."))
        return minutes

    def clean_refund_self_approval_below(self) -> int:
        return yuan_to_fen(
            self.cleaned_data["refund_self_approval_below"], max_fen=MAX_COUNTER_FEN, allow_zero=True
        )

    def _post_clean(self):
        super()._post_clean()
        if "refund_self_approval_below" in self.cleaned_data:
            self.instance.refund_self_approval_below_fen = self.cleaned_data["refund_self_approval_below"]


class ChannelAccountForm(forms.ModelForm):
    """A WeChat Pay or Alipay merchant account. Keys are references to files or environment variables."""

    class Meta:
        model = ChannelAccount
        fields = [
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
        ]
        help_texts = {
            "private_key_ref": KEY_REF_HELP,
            "apiv3_key_ref": KEY_REF_HELP,
            "platform_public_key_ref": KEY_REF_HELP,
            "gateway_url": _(
                "Empty: the channel's real service. Other addresses only as the operator allows "
                "(WUYE_CHANNEL_GATEWAYS); the demo points at paysim."
            ),
            "notify_base_url": _(
                "This site's public address as the channel reaches it; empty: WUYE_PUBLIC_URL."
            ),
        }

    def __init__(self, *args, method: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.method = method
        if method == PaymentMethod.ALIPAY:
            for name in ("key_mode", "merchant_serial_no", "apiv3_key_ref", "platform_public_key_id"):
                del self.fields[name]
            self.fields["merchant_id"].label = _("Seller id (PID)")
            self.fields["platform_public_key_ref"].label = _("Alipay public key")

    def clean_merchant_id(self) -> str:
        value = self.cleaned_data["merchant_id"].strip()
        try:
            merchant_id_check(value)
        except ReferenceRefusedError as refused:
            raise forms.ValidationError(str(refused)) from None
        return value

    def clean_gateway_url(self) -> str:
        value = self.cleaned_data["gateway_url"].strip()
        try:
            gateway_check(self.method, value)
        except ReferenceRefusedError as refused:
            raise forms.ValidationError(str(refused)) from None
        return value

    def clean_private_key_ref(self) -> str:
        return key_reference_clean(self.cleaned_data["private_key_ref"], required=True)

    def clean_apiv3_key_ref(self) -> str:
        return key_reference_clean(self.cleaned_data.get("apiv3_key_ref", ""), required=True)

    def clean_platform_public_key_ref(self) -> str:
        data = self.cleaned_data
        required = self.method == PaymentMethod.ALIPAY or data.get("key_mode") == WechatKeyMode.PUBLIC_KEY
        return key_reference_clean(data.get("platform_public_key_ref", ""), required=required)

    def clean(self):
        data = super().clean()
        if self.method == PaymentMethod.WECHAT:
            for name in ("merchant_id", "merchant_serial_no"):
                if not data.get(name):
                    self.add_error(name, _("This field is required."))
            if data.get("key_mode") == WechatKeyMode.PUBLIC_KEY and not data.get("platform_public_key_id"):
                self.add_error("platform_public_key_id", _("This field is required."))
        return data
