from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "wuye.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        import wuye.core.domain.backup
        import wuye.core.domain.staff
        import wuye.core.domain.tokens  # noqa: F401
