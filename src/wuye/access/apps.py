from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccessConfig(AppConfig):
    name = "wuye.access"
    label = "access"
    verbose_name = _("Access control")

    def ready(self) -> None:
        # The domain modules register their audit labels; the receivers connect to the households
        # app's move-out extension point and to the end of an owner's household binding.
        from wuye.access import receivers  # noqa: F401
        from wuye.access.domain import credentials, doors, passes  # noqa: F401
