"""Forms of the counter. Amounts are typed in yuan and become fen here, exactly."""

from __future__ import annotations

import uuid

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from wuye.payments.enums import COUNTER_METHODS, PaymentMethod
from wuye.payments.money import MAX_COUNTER_FEN, yuan_to_fen


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
        return yuan_to_fen(self.cleaned_data["amount"])


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
        return yuan_to_fen(self.cleaned_data["amount"])
