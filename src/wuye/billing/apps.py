from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "wuye.billing"
    label = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        # Audit labels of bills and late fees, the household page's bills section, the 欠费 tag rule.
        # One-off charges and new-bill notifications register their audit labels too.
        from wuye.billing import tagrules  # noqa: F401
        from wuye.billing.domain import (  # noqa: F401
            arrears,
            bill_notices,
            bills,
            charges,
            feeitems,
            latefees,
            meters,
            runs,
        )
