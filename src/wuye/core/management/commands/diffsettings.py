"""``wuye diffsettings``: Django's command, with passwords, keys and DATABASE_URL hidden as the debug
pages hide them (``wuye.core.reporting``): its output ends up in tickets and chat."""

from __future__ import annotations

from django.core.management.commands import diffsettings

from wuye.core.reporting import SecretsHidingFilter


class Command(diffsettings.Command):
    help = diffsettings.Command.help + " Passwords, keys and DATABASE_URL are hidden."

    def handle(self, **options):
        from django.conf import Settings, global_settings, settings

        if not settings.configured:
            settings._setup()
        secrets = SecretsHidingFilter()

        def safe(module) -> dict[str, str]:
            names = (name for name in dir(module) if name.isupper() and not name.startswith("_"))
            return {name: repr(secrets.cleanse_setting(name, getattr(module, name))) for name in names}

        default = options["default"]
        user_settings = safe(settings._wrapped)
        default_settings = safe(Settings(default) if default else global_settings)
        output = {"hash": self.output_hash, "unified": self.output_unified}[options["output"]]
        return "\n".join(output(user_settings, default_settings, **options))
