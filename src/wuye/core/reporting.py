"""What debug pages and settings listings may show: no password, key or credentials.

Django's ``SafeExceptionReporterFilter`` hides settings whose names look secret (KEY, PASS, TOKEN…)
but shows ``CONFIG['DATABASE_URL']``, a cache or broker URL with its password, and every local
variable of the traceback, such as the database driver's connection parameters. This filter also
hides ``DATABASE_URL`` whole, the password of any ``scheme://user:password@host`` URL and of any
``password=…`` connection string, wherever they are: settings, request META (``runserver`` copies the
environment there) and the traceback's local variables, nested in dicts, lists and tuples; and a local
variable named like a secret, whole.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.views.debug import SafeExceptionReporterFilter

HIDDEN_NAMES = re.compile("API|TOKEN|KEY|SECRET|PASS|SIGNATURE|CREDENTIAL|DATABASE_URL", flags=re.IGNORECASE)
URL_PASSWORD = re.compile(r"(://[^/@\s:]*:)[^@\s]+@")
CONNINFO_PASSWORD = re.compile(r"(\bpassword\s*=\s*)('[^']*'|\S+)", flags=re.IGNORECASE)
MAX_DEPTH = 20


def hide_passwords(text: str, substitute: str = SafeExceptionReporterFilter.cleansed_substitute) -> str:
    """``postgres://wuye:secret@db/wuye`` → ``postgres://wuye:********************@db/wuye``."""
    text = URL_PASSWORD.sub(lambda match: f"{match[1]}{substitute}@", text)
    return CONNINFO_PASSWORD.sub(lambda match: f"{match[1]}{substitute}", text)


class SecretsHidingFilter(SafeExceptionReporterFilter):
    hidden_settings = HIDDEN_NAMES

    def cleanse_setting(self, key, value):
        return self._cleanse(key, value, 0)

    def get_traceback_frame_variables(self, request, tb_frame):
        # A local variable named like a secret (password, key, token…) is hidden whole, as a setting is.
        return [
            (name, self.cleansed_substitute if self.hidden_settings.search(name) else value)
            for name, value in super().get_traceback_frame_variables(request, tb_frame)
        ]

    def cleanse_special_types(self, request, value):
        # Every local variable of the traceback passes here (unless the function marks its own).
        return self._cleanse("", super().cleanse_special_types(request, value), 0)

    def _cleanse(self, key: Any, value: Any, depth: int) -> Any:
        if (
            isinstance(key, str)
            and key
            and (key == settings.SESSION_COOKIE_NAME or self.hidden_settings.search(key))
        ):
            return self.cleansed_substitute
        if depth > MAX_DEPTH:
            return self.cleansed_substitute
        if isinstance(value, str):
            return hide_passwords(value, self.cleansed_substitute)
        if isinstance(value, dict):
            return {k: self._cleanse(k, v, depth + 1) for k, v in value.items()}
        if isinstance(value, list):
            return [self._cleanse("", v, depth + 1) for v in value]
        if isinstance(value, tuple):
            return tuple(self._cleanse("", v, depth + 1) for v in value)
        return super().cleanse_setting("", value)  # wraps callables, as Django does
