from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RentalConfig(AppConfig):
    name = "wuye.rental"
    label = "rental"
    verbose_name = _("Rental")

    def ready(self) -> None:
        # Importing the domain modules registers their audit labels, the expiring-lease
        # message and the deposits' part of ``wuye ledger check``.
        from wuye.payments.domain.checks import register_check
        from wuye.rental import sections  # noqa: F401
        from wuye.rental.domain import checks, deposits, leases, reminders  # noqa: F401

        register_check(checks.deposits_check)
