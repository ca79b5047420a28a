"""Forms of the self-service pay pages: the room's confirmation, the choice of lines and channel, and a
signed-in owner's top-up (预存)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from wuye.core.money import yuan_to_fen
from wuye.payments.enums import PaymentMethod
from wuye.payments.limits import MAX_COUNTER_FEN


class IdentifyForm(forms.Form):
    room = forms.IntegerField(widget=forms.HiddenInput)
    answer = forms.CharField(
        label=_("Owner's name or last four digits of the phone"),
        max_length=40,
        help_text=_(
            "The name of an owner of this room, or the last four digits of a phone number the office has."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "maxlength": "40", "autocapitalize": "off"}),
    )


class PayForm(forms.Form):
    lines = forms.TypedMultipleChoiceField(
        label=_("Items to pay"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one item to pay.")},
    )
    method = forms.ChoiceField(label=_("Pay with"), widget=forms.RadioSelect)

    def __init__(self, *args, line_ids: list[int], methods: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lines"].choices = [(pk, pk) for pk in line_ids]
        labels = dict(PaymentMethod.choices)
        self.fields["method"].choices = [(method, labels[method]) for method in methods]
        if methods:
            self.fields["method"].initial = methods[0]


class TopupForm(forms.Form):
    """An amount in yuan to hold as the household's prepayment, and the channel to pay it with."""

    amount = forms.CharField(
        label=_("Amount (yuan)"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "placeholder": "500"}),
    )
    method = forms.ChoiceField(label=_("Pay with"), widget=forms.RadioSelect)

    def __init__(self, *args, methods: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(PaymentMethod.choices)
        self.fields["method"].choices = [(method, labels[method]) for method in methods]
        if methods:
            self.fields["method"].initial = methods[0]

    def clean_amount(self) -> int:
        return yuan_to_fen(self.cleaned_data["amount"], max_fen=MAX_COUNTER_FEN)
