from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OwnersConfig(AppConfig):
    name = "wuye.owners"
    label = "owners"
    verbose_name = _("Owner accounts")

    def ready(self) -> None:
        from wuye.owners.domain import accounts, bindings, login  # noqa: F401  (audit labels, events)
