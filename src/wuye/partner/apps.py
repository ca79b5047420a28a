from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnerConfig(AppConfig):
    name = "wuye.partner"
    label = "partner"
    verbose_name = _("Partner bank dashboard")
