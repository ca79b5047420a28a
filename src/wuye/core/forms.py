"""Form fields shared by the console's and the portal's forms."""

from __future__ import annotations

from django import forms

from wuye.core.money import yuan_to_fen


class YuanField(forms.CharField):
    """An amount in yuan ("500", "1,280.50") that cleans to fen (``wuye.core.money.yuan_to_fen``: at most
    two decimals, never rounded, at most ``max_fen``); None when optional and left empty."""

    def __init__(self, *, max_fen: int, allow_zero: bool = False, **kwargs):
        self.max_fen, self.allow_zero = max_fen, allow_zero
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def clean(self, value):
        text = super().clean(value)
        return yuan_to_fen(text, max_fen=self.max_fen, allow_zero=self.allow_zero) if text else None


def errors_text(form: forms.Form) -> str:
    """Every error of a bound form in one line, as a message after a redirect shows them."""
    return " ".join(str(error) for errors in form.errors.values() for error in errors)
