"""Forms of the self-service pay pages: the room's confirmation, and the choice of lines and channel."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from wuye.payments.enums import PaymentMethod


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
