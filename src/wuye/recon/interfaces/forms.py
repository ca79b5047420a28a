"""The filter of the payments and receipts lists: Beijing days from and to, channel, cashier."""

from __future__ import annotations

from django import forms
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wuye.payments.enums import PaymentMethod
from wuye.recon.domain.reports import ONLINE_CASHIER, TakingsFilter

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class TakingsFilterForm(forms.Form):
    first = forms.DateField(label=pgettext_lazy("date range", "From"), required=False, widget=DATE)
    last = forms.DateField(label=pgettext_lazy("date range", "To"), required=False, widget=DATE)
    method = forms.ChoiceField(label=_("Payment method"), required=False)
    cashier = forms.ChoiceField(label=_("Cashier"), required=False)

    def __init__(self, data=None, *, cashiers=()):
        super().__init__(data)
        self.fields["method"].choices = [("", _("All")), *PaymentMethod.choices]
        self.fields["cashier"].choices = [
            ("", _("All")),
            (ONLINE_CASHIER, _("No staff member (online self-service, bank debit)")),
            *((str(user.pk), user.get_full_name() or user.get_username()) for user in cashiers),
        ]

    def clean(self):
        data = super().clean()
        if data.get("first") and data.get("last") and data["first"] > data["last"]:
            raise forms.ValidationError(_("The first day is after the last."))
        return data

    def takings_filter(self) -> TakingsFilter:
        """The filter asked for; an invalid form filters nothing (its errors are shown)."""
        if not self.is_valid():
            return TakingsFilter()
        data = self.cleaned_data
        cashier = data["cashier"]
        return TakingsFilter(
            first=data["first"],
            last=data["last"],
            method=data["method"],
            cashier=int(cashier) if cashier.isdigit() else (cashier or None),
        )

    def query(self) -> str:
        """The filter as a query string, for the pagination links."""
        if not self.is_valid():
            return ""
        pairs = [
            (name, value.isoformat() if hasattr(value, "isoformat") else value)
            for name, value in self.cleaned_data.items()
            if value
        ]
        return urlencode(pairs)
