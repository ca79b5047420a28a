"""The console's forms for a company's SMS provider account and WeChat official account, each with
one row per event: the provider's template and the event's values that fill it."""

from __future__ import annotations

from types import SimpleNamespace

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from wuye.core.references import ReferenceRefusedError, gateway_check, key_reference_clean
from wuye.notifications.enums import SmsProvider
from wuye.notifications.models import SmsAccount, WechatAccount

NAME = r"[A-Za-z_][A-Za-z0-9_]*"


def _gateway_field(model) -> forms.URLField:
    field = model._meta.get_field("gateway_url")
    return forms.URLField(
        label=capfirst(field.verbose_name),
        help_text=field.help_text,
        required=False,
        max_length=200,
        assume_scheme="https",
    )


class _EventTemplatesForm(forms.ModelForm):
    """An account form plus, per event, its template's code and values (``templates()``)."""

    code_attr = ""  # the template model's field with the provider's template code / id
    values_attr = ""  # … and with the event's values that fill it
    code_max = 40
    values_regex = ""
    values_invalid = ""
    gateway_service = ""  # core.references' name of the service, for gateway_check

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
                label=label,
                required=False,
                max_length=self.code_max,
                initial=getattr(template, self.code_attr) if template else "",
            )
            self.fields[f"params:{key}"] = forms.RegexField(
                label=_("Values"),
                regex=self.values_regex,
                error_messages={"invalid": self.values_invalid},
                required=False,
                max_length=300,
                initial=getattr(template, self.values_attr) if template else "",
            )

    @property
    def account_part(self):
        """The account's own fields as ``console/form_fields.html`` shows a form (the template rows are
        laid out apart, as a table)."""
        return SimpleNamespace(
            non_field_errors=self.non_field_errors,
            hidden_fields=list,
            visible_fields=lambda: [self[name] for name in self.Meta.fields],
        )

    @property
    def template_rows(self):
        return [(key, label, self[f"template:{key}"], self[f"params:{key}"]) for key, label in self.events]

    def _gateway_check(self, data) -> None:
        if data.get("gateway_url") and self.gateway_service:
            try:
                gateway_check(self.gateway_service, data["gateway_url"])
            except ReferenceRefusedError as error:
                self.add_error("gateway_url", str(error))

    def templates(self) -> dict[str, tuple[str, str]]:
        """``{event: (template code, values)}`` as typed; a blank code removes the event's template."""
        return {
            key: (
                self.cleaned_data.get(f"template:{key}", "").strip(),
                ",".join(
                    "=".join(side.strip() for side in part.split("="))
                    for part in self.cleaned_data.get(f"params:{key}", "").split(",")
                    if part.strip()
                ),
            )
            for key, _label in self.events
        }


class SmsAccountForm(_EventTemplatesForm):
    gateway_url = _gateway_field(SmsAccount)
    code_attr, values_attr = "template_code", "params"
    values_regex = rf"^\s*{NAME}(\s*,\s*{NAME})*\s*$"
    values_invalid = _("Names of the event's values, separated by commas: e.g. code,minutes.")

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

    def clean_access_key_secret_ref(self) -> str:
        return key_reference_clean(self.cleaned_data["access_key_secret_ref"], required=True)

    def clean(self):
        data = super().clean()
        provider = data.get("provider")
        if provider == SmsProvider.TENCENT:
            for name in ("app_id", "region"):
                if not data.get(name):
                    self.add_error(name, _("Tencent Cloud needs this."))
        self.gateway_service = provider or ""
        self._gateway_check(data)
        return data


class WechatAccountForm(_EventTemplatesForm):
    gateway_url = _gateway_field(WechatAccount)
    code_attr, values_attr, code_max = "template_id", "fields", 64
    values_regex = rf"^\s*{NAME}\s*=\s*{NAME}(\s*,\s*{NAME}\s*=\s*{NAME})*\s*$"
    values_invalid = _("The template's fields and the event's values, as field=value separated by commas.")
    gateway_service = "wechat_mp"

    class Meta:
        model = WechatAccount
        fields = ["name", "enabled", "app_id", "app_secret_ref", "gateway_url"]

    def clean_app_secret_ref(self) -> str:
        return key_reference_clean(self.cleaned_data["app_secret_ref"], required=True)

    def clean(self):
        data = super().clean()
        self._gateway_check(data)
        return data
