from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReconConfig(AppConfig):
    name = "wuye.recon"
    label = "recon"
    verbose_name = _("Reconciliation")

    def ready(self) -> None:
        from wuye.payments.domain.checks import register_check
        from wuye.recon.domain import actions, fundflow, runs, settlements  # noqa: F401 (audit labels)
        from wuye.recon.domain.checks import settlement_check, suspense_check

        register_check(suspense_check)
        register_check(settlement_check)
