from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "wuye.payments"
    label = "payments"
    verbose_name = _("Payments and receipts")

    def ready(self) -> None:
        from wuye.payments import receivers, sections  # noqa: F401  (billing's and households' extension points)
        from wuye.payments.domain import payments, prepayments, receipts, refunds, settings  # noqa: F401  (audit labels)
