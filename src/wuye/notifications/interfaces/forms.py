"""The console's form for a company's SMS provider account and its templates, one row per event."""

from __future__ import annotations

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from wuye.core.references import ReferenceRefusedError, gateway_check, key_reference_clean
from wuye.notifications.enums import SmsProvider
from wuye.notifications.models import SmsAccount


class SmsAccountForm(forms.ModelForm):
    gateway_url = forms.URLField(
        label=capfirst(SmsAccount._meta.get_field("gateway_url").verbose_name),
        help_text=SmsAccount._meta.get_field("gateway_url").help_text,
        required=False,
        max_length=200,
        assume_scheme="https",
    )

    class Meta:
        model = SmsAccount
        fields = [
            "provider",
            "enabled",
            "sign_name",
            "access_key_id",
            "access_key_secret_ref",
            "app_id",
            "region",
            "gateway_url",
        ]

    def __init__(self, *args, events: list[tuple[str, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.events = events
        existing = (
            {template.event: template for template in self.instance.templates.all()}
            if self.instance.pk
            else {}
        )
        for key, label in events:
            template = existing.get(key)
            self.fields[f"template:{key}"] = forms.CharField(
                label=label, required=False, max_length=40, initial=template.template_code if template else ""
            )
            self.fields[f"params:{key}"] = forms.RegexField(
                label=_("Values"),
                regex=r"^\s*[A-Za-z_]+(\s*,\s*[A-Za-z_]+)*\s*$",
                error_messages={
                    "invalid": _("Names of the event's values, separated by commas: e.g. code,minutes.")
                },
                required=False,
                max_length=200,
                initial=template.params if template else "",
            )

    @property
    def base_fields_bound(self):
        return [self[name] for name in self.Meta.fields]

    @property
    def template_rows(self):
        return [(key, label, self[f"template:{key}"], self[f"params:{key}"]) for key, label in self.events]

    def clean_access_key_secret_ref(self) -> str:
        return key_reference_clean(self.cleaned_data["access_key_secret_ref"], required=True)

    def clean(self):
        data = super().clean()
        provider = data.get("provider")
        if provider == SmsProvider.TENCENT:
            for name in ("app_id", "region"):
                if not data.get(name):
                    self.add_error(name, _("Tencent Cloud needs this."))
        if provider and data.get("gateway_url"):
            try:
                gateway_check(provider, data["gateway_url"])
            except ReferenceRefusedError as error:
                self.add_error("gateway_url", str(error))
        return data

    def templates(self) -> dict[str, tuple[str, str]]:
        """``{event: (template code, values)}`` as typed; a blank code removes the event's template."""
        return {
            key: (
                self.cleaned_data.get(f"template:{key}", "").strip(),
                ",".join(
                    part.strip()
                    for part in self.cleaned_data.get(f"params:{key}", "").split(",")
                    if part.strip()
                ),
            )
            for key, _label in self.events
        }
