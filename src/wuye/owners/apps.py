from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OwnersConfig(AppConfig):
    name = "wuye.owners"
    label = "owners"
    verbose_name = _("Owner accounts")

    def ready(self) -> None:
        from wuye.notifications.domain.outbox import register_accounts
        from wuye.owners.domain import accounts, bindings, login  # noqa: F401  (audit labels, events)

        register_accounts(accounts.accounts_by_person)  # the outbox learns who speaks for a person
