"""Console forms of rental: a listing, a lease, closing it, its deposit taken and returned."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from wuye.core.forms import YuanField
from wuye.payments.enums import COUNTER_METHODS, PaymentMethod
from wuye.payments.limits import MAX_COUNTER_FEN
from wuye.rental.domain.schedule import MAX_RENT_FEN
from wuye.rental.enums import Escalation, RentCycle

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DEDUCTION_ROWS = 3
COUNTER_CHOICES = [(method.value, method.label) for method in COUNTER_METHODS]


class ListingForm(forms.Form):
    room = forms.CharField(label=_("Room"), max_length=40, help_text=_("e.g. 1-1-101, or a shop's number"))
    rent = YuanField(label=_("Monthly rent (yuan)"), max_fen=MAX_RENT_FEN, required=True)
    deposit = YuanField(label=_("Deposit (yuan)"), max_fen=MAX_RENT_FEN, allow_zero=True)
    description = forms.CharField(
        label=_("Description"), max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class LeaseForm(forms.Form):
    room = forms.CharField(label=_("Room"), max_length=40, help_text=_("e.g. 1-1-101, or a shop's number"))
    number = forms.CharField(label=_("Lease number"), max_length=30)
    tenant_name = forms.CharField(
        label=_("Tenant"), max_length=40, help_text=_("a person's or a business's name")
    )
    tenant_phone = forms.CharField(label=_("Tenant's phone"), max_length=20, required=False)
    tenant_id_number = forms.CharField(label=_("Tenant's ID number"), max_length=18, required=False)
    tenant_room = forms.CharField(
        label=_("Tenant's own room"),
        max_length=40,
        required=False,
        help_text=_(
            "When the property company lets to a resident (a parking space, a storeroom): the room the"
            " tenant lives in, whose household the rent is billed to. Empty: a household is made for the tenant."
        ),
    )
    starts_on = forms.DateField(label=_("Starts"), widget=DATE)
    ends_on = forms.DateField(
        label=_("Ends"), widget=DATE, help_text=_("the last day of the term: whole months")
    )
    rent = YuanField(label=_("Monthly rent, first year (yuan)"), max_fen=MAX_RENT_FEN, required=True)
    cycle = forms.TypedChoiceField(
        label=_("Rent billed"), choices=RentCycle.choices, coerce=int, initial=RentCycle.MONTHLY
    )
    escalation = forms.ChoiceField(
        label=_("Yearly increase"), choices=Escalation.choices, initial=Escalation.NONE
    )
    escalation_percent = forms.DecimalField(
        label=_("Increase (%)"),
        required=False,
        min_value=Decimal(0),
        max_value=Decimal(100),
        decimal_places=2,
    )
    escalation_amount = YuanField(label=_("Increase (yuan a month)"), max_fen=MAX_RENT_FEN)
    deposit = YuanField(label=_("Deposit (yuan)"), max_fen=MAX_RENT_FEN, allow_zero=True)

    def clean(self):
        data = super().clean()
        kind = data.get("escalation")
        if kind == Escalation.PERCENT:
            percent = data.get("escalation_percent")
            if not percent:
                self.add_error("escalation_percent", _("Give the yearly increase in percent."))
            else:
                data["escalation_value"] = int(percent * 100)
        elif kind == Escalation.AMOUNT:
            if not data.get("escalation_amount"):
                self.add_error("escalation_amount", _("Give the yearly increase in yuan."))
            else:
                data["escalation_value"] = data["escalation_amount"]
        else:
            data["escalation_value"] = 0
        return data


class CloseForm(forms.Form):
    closed_on = forms.DateField(label=_("Handed back on"), widget=DATE)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class RenewForm(forms.Form):
    ends_on = forms.DateField(
        label=_("Renewed until"), widget=DATE, help_text=_("the last day of the new term")
    )


class DepositForm(forms.Form):
    """The deposit taken at the counter. ``key`` is made when the form is shown: a double submit records once."""

    amount = YuanField(label=_("Amount (yuan)"), max_fen=MAX_COUNTER_FEN, required=True)
    method = forms.ChoiceField(
        label=_("Paid by"), choices=COUNTER_CHOICES, initial=PaymentMethod.CASH, widget=forms.RadioSelect
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
    key = forms.CharField(
        widget=forms.HiddenInput,
        validators=[RegexValidator(r"^[0-9a-f]{32}$", _("The form has expired; open it again."))],
    )


class ReturnForm(forms.Form):
    """The deposit's return: up to three deductions, whether it pays the unpaid rent, how the rest goes back."""

    settle_rent = forms.BooleanField(
        label=_("Pay the lease's unpaid rent from the deposit"), required=False, initial=True
    )
    method = forms.ChoiceField(
        label=_("Rest handed back by"),
        choices=COUNTER_CHOICES,
        initial=PaymentMethod.TRANSFER,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for n in range(1, DEDUCTION_ROWS + 1):
            self.fields[f"what_{n}"] = forms.CharField(
                label=_("Deduction %(n)s: for") % {"n": n}, max_length=100, required=False
            )
            self.fields[f"amount_{n}"] = YuanField(
                label=_("Deduction %(n)s (yuan)") % {"n": n}, max_fen=MAX_RENT_FEN
            )

    def clean(self):
        data = super().clean()
        deductions = []
        for n in range(1, DEDUCTION_ROWS + 1):
            what, amount = (data.get(f"what_{n}") or "").strip(), data.get(f"amount_{n}")
            if amount and not what:
                self.add_error(f"what_{n}", _("Say what the deduction is for."))
            elif what and not amount:
                self.add_error(f"amount_{n}", _("Give the deduction's amount."))
            elif what:
                deductions.append((what, amount))
        data["deductions"] = deductions
        return data


def deduction_rows(form: ReturnForm):
    return [(form[f"what_{n}"], form[f"amount_{n}"]) for n in range(1, DEDUCTION_ROWS + 1)]
