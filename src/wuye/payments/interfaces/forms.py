"""Forms of the counter. Amounts are typed in yuan and become fen here, exactly."""

from __future__ import annotations

import uuid

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from wuye.payments.enums import PaymentMethod
from wuye.payments.money import yuan_to_fen


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
        choices=PaymentMethod.choices,
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
