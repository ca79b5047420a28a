from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "wuye.service"
    label = "service"
    verbose_name = _("Service requests")

    def ready(self) -> None:
        # Importing the domain modules registers their audit labels for the timeline.
        from wuye.service.domain import categories, requests, sla, teams  # noqa: F401
