from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParkingConfig(AppConfig):
    name = "wuye.parking"
    label = "parking"
    verbose_name = _("Parking")

    def ready(self) -> None:
        # Importing the domain modules registers their audit labels for the timeline.
        from wuye.parking.domain import gates, payments, spaces  # noqa: F401
        from wuye.payments.domain.checks import register_check
        from wuye.payments.domain.order_kinds import register_order_kind
        from wuye.payments.enums import OrderKind

        register_order_kind(OrderKind.PARKING, payments.HANDLER)
        register_check(payments.parking_check)
