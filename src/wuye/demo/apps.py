from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    name = "wuye.demo"
    label = "demo"
    verbose_name = _("Demo data")

    def ready(self) -> None:
        import wuye.demo.seed  # noqa: F401  (registers its audit action labels)
