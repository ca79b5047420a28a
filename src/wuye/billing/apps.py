from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "wuye.billing"
    label = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        # Audit labels of bills and late fees, the household page's bills section, the 欠费 tag rule.
        from wuye.billing import tagrules  # noqa: F401
        from wuye.billing.domain import arrears, bills, charges, feeitems, latefees, meters, runs  # noqa: F401
