from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DebitConfig(AppConfig):
    name = "wuye.debit"
    label = "debit"
    verbose_name = _("Bank direct debit")
