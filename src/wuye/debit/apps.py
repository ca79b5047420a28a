from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DebitConfig(AppConfig):
    name = "wuye.debit"
    label = "debit"
    verbose_name = _("Bank direct debit")

    def ready(self) -> None:
        # Audit labels and the 已签代扣 tag rule.
        from wuye.debit.domain import batches, mandates  # noqa: F401
