from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HouseholdsConfig(AppConfig):
    name = "wuye.households"
    label = "households"
    verbose_name = _("Household archive")

    def ready(self) -> None:
        from wuye.households import receivers  # noqa: F401  (connects to estate's extension point)
        from wuye.households.domain import households, tagrules  # noqa: F401  (rules and audit labels)
