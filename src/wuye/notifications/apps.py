from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "wuye.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from wuye.notifications.backends import register_backend
        from wuye.notifications.domain import events, outbox, preferences  # noqa: F401  (events, audit labels)
        from wuye.notifications.enums import Channel
        from wuye.notifications.sms import SmsBackend
        from wuye.notifications.wechat import WechatBackend

        # The providers' SDKs load only when a message goes out (inside the backends' adapters).
        register_backend(Channel.SMS, SmsBackend())
        register_backend(Channel.WECHAT, WechatBackend())
