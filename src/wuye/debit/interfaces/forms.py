"""Forms of the debit pages, shared by the owner portal and the staff console.

Limits are typed in yuan and become fen here, exactly (``wuye.core.money``). A card or ID number the
user typed is never written back into a page: a form shown again after an error asks for it again.
"""

from __future__ import annotations

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wuye.core.forms import YuanField
from wuye.debit.domain.mandates import MandateError, MandateTerms, card_clean
from wuye.debit.enums import MandateState, ReferralState
from wuye.households.validators import ID_NUMBER, MOBILE, normalise_phone

# The largest limit anyone would set on a household's debits (a million yuan).
MAX_LIMIT_FEN = 100_000_000


class NoEchoInput(forms.TextInput):
    """A text input that never renders its value: card and ID numbers stay out of the HTML."""

    def get_context(self, name, value, attrs):
        return super().get_context(name, None, attrs)


class MandateTermsForm(forms.Form):
    """What a mandate says: the bank, the card and its holder, the fee items and the limits."""

    bank_name = forms.CharField(label=_("Bank"), max_length=60)
    holder_name = forms.CharField(
        label=_("Card holder's name"), max_length=40, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    card_number = forms.CharField(
        label=_("Card number"),
        max_length=30,
        widget=NoEchoInput(attrs={"inputmode": "numeric", "autocomplete": "cc-number"}),
    )
    holder_id_number = forms.CharField(
        label=_("Card holder's ID number"),
        max_length=18,
        required=False,
        widget=NoEchoInput(attrs={"autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=_("Phone number kept at the bank"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "tel"}),
    )
    fee_items = forms.ModelMultipleChoiceField(
        label=_("Fee items to be debited"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one fee item to be debited.")},
    )
    limit_per_debit = YuanField(
        max_fen=MAX_LIMIT_FEN,
        label=_("Limit per debit (yuan)"),
        help_text=_("Optional: a debit above it is not made."),
    )
    limit_per_month = YuanField(
        max_fen=MAX_LIMIT_FEN,
        label=_("Limit per month (yuan)"),
        help_text=_("Optional: the most debited in one month."),
    )

    def __init__(self, *args, fee_items, bank_name: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fee_items"].queryset = fee_items
        if bank_name:
            # The partner bank is the community's: shown, not chosen.
            self.fields["bank_name"].initial = bank_name
            self.fields["bank_name"].disabled = True
            self.fields["bank_name"].widget.attrs["readonly"] = True

    def clean_card_number(self) -> str:
        try:
            return card_clean(self.cleaned_data["card_number"])
        except MandateError as error:
            raise ValidationError(str(error)) from None

    def clean_holder_id_number(self) -> str:
        value = self.cleaned_data["holder_id_number"].strip().upper()
        if value and not ID_NUMBER.match(value):
            raise ValidationError(_("An ID number has 18 characters: 17 digits and a digit or X."))
        return value

    def clean_phone(self) -> str:
        value = normalise_phone(self.cleaned_data["phone"])
        if value and not MOBILE.match(value):
            raise ValidationError(_("Enter an 11-digit mobile number."))
        return value

    def terms(self, *, effective_on: datetime.date, expires_on: datetime.date | None = None) -> MandateTerms:
        data = self.cleaned_data
        return MandateTerms(
            bank_name=data["bank_name"],
            holder_name=data["holder_name"],
            card_number=data["card_number"],
            fee_items=tuple(data["fee_items"]),
            effective_on=effective_on,
            expires_on=expires_on,
            limit_per_debit_fen=data["limit_per_debit"],
            limit_per_month_fen=data["limit_per_month"],
            holder_id_number=data["holder_id_number"],
            phone=data["phone"],
        )


class PortalMandateForm(MandateTermsForm):
    """The owner signs online: ID number and phone are required (the code goes to that phone), and
    the owner agrees to the mandate's text."""

    agree = forms.BooleanField(
        label=_("I have read the mandate above and authorise these debits from my card."),
        error_messages={"required": _("Tick the box to agree to the mandate.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["holder_id_number"].required = True
        self.fields["phone"].required = True


class CounterMandateForm(MandateTermsForm):
    """Staff enter a mandate from the signed paper form, and upload its scan."""

    effective_on = forms.DateField(
        label=_("Effective from"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    expires_on = forms.DateField(
        label=_("Expires on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Leave empty for no end."),
    )
    signed_form = forms.FileField(
        label=_("Signed form (scan)"),
        help_text=_("PDF, JPEG or PNG; kept with the household's documents."),
        error_messages={"required": _("Upload the scan of the signed form.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["effective_on"].initial = timezone.localdate()

    def clean(self):
        data = super().clean()
        if data.get("expires_on") and data.get("effective_on") and data["expires_on"] < data["effective_on"]:
            self.add_error("expires_on", _("The mandate cannot expire before it takes effect."))
        return data


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=6,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": "[0-9]{6}",
                "maxlength": "6",
            }
        ),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


# What staff may do to a mandate from its page, by the state it goes to.
STAFF_MOVES = (
    MandateState.ACTIVE,
    MandateState.SUSPENDED,
    MandateState.REVOKED,
    MandateState.REJECTED,
)


class MandateTransitionForm(forms.Form):
    to_state = forms.ChoiceField(choices=[(state.value, state.label) for state in STAFF_MOVES])
    agreement_no = forms.CharField(label=_("Bank agreement number"), max_length=40, required=False)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class ReferralForm(forms.Form):
    """An owner books a visit to a branch of the partner bank to open a card."""

    branch = forms.ModelChoiceField(label=_("Branch"), queryset=None, empty_label=None)
    visit_at = forms.DateTimeField(
        label=_("Visit time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    name = forms.CharField(
        label=_("Name"), max_length=40, help_text=_("The bank calls you by this name about the visit.")
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=20,
        help_text=_("The bank calls this number about the visit."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "tel"}),
    )

    def __init__(self, *args, branches, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = branches


class ReferralDecisionForm(forms.Form):
    to_state = forms.ChoiceField(
        choices=[(state.value, state.label) for state in (ReferralState.OPENED, ReferralState.NOT_OPENED)]
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class ConfirmationUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Confirmation file"),
        help_text=_(
            "Text or CSV, UTF-8 or GBK: one line per mandate, number|agreement number|reason for refusing."
        ),
    )
