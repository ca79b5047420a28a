from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EstateConfig(AppConfig):
    name = "wuye.estate"
    label = "estate"
    verbose_name = _("Estate")

    def ready(self) -> None:
        import wuye.estate.domain.estate  # noqa: F401  (registers its audit action labels)
