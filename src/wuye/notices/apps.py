from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    name = "wuye.notices"
    label = "notices"
    verbose_name = _("Notices and activities")

    def ready(self) -> None:
        # Importing the domain modules registers their audit labels.
        from wuye.notices.domain import activities, notices  # noqa: F401
