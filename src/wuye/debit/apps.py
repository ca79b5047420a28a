from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DebitConfig(AppConfig):
    name = "wuye.debit"
    label = "debit"
    verbose_name = _("Bank direct debit")

    def ready(self) -> None:
        # Audit labels and the 已签代扣 tag rule; the mandate's sections of the portal home and the
        # household page.
        from wuye.debit import sections  # noqa: F401
        from wuye.debit.domain import batches, mandates, referrals, results  # noqa: F401
