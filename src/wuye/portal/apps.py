from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "wuye.portal"
    label = "portal"
    verbose_name = _("Owner portal")

    def ready(self) -> None:
        from wuye.portal import sections  # noqa: F401  (the placeholder home section for billing)
        from wuye.portal.domain import paylinks, poster  # noqa: F401  (audit labels of the pay poster, links)
