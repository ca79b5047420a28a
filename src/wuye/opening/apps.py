from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpeningConfig(AppConfig):
    name = "wuye.opening"
    label = "opening"
    verbose_name = _("Opening balances")

    def ready(self) -> None:
        # Its part of `wuye ledger check`, the household page's section, the audit labels.
        from wuye.opening import sections  # noqa: F401
        from wuye.opening.domain import imports  # noqa: F401
        from wuye.opening.domain.checks import opening_check, opening_prepayments
        from wuye.payments.domain.checks import register_check, register_prepayment_source

        register_check(opening_check)
        register_prepayment_source(opening_prepayments)
