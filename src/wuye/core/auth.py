"""Staff password login: the authentication backend that throttles it, and the login forms that say
why a locked login is refused (the console's and Django admin's).

The throttle sits in the backend, not in a view, so every ``authenticate()`` goes through it: the
console's login page, ``/admin/login/`` and whatever login comes next. The rules are in
``wuye.core.domain.logins``.
"""

from __future__ import annotations

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wuye.core import net
from wuye.core.domain.logins import login_fail, login_refuse, login_succeed
from wuye.core.domain.queries import login_locked_until


def client_address(request) -> str:
    """The network address a request comes from, for counting failed logins (``core.net``: the
    trusted proxies' X-Forwarded-For honoured)."""
    if request is None:
        return ""
    return net.client_address(request)


class ThrottledModelBackend(ModelBackend):
    """Django's username and password check, refused while the account or the address is locked.

    A locked login raises ``PermissionDenied``, which makes ``authenticate()`` stop at once: the
    password is not even checked. A wrong password counts against both; a right one clears the
    account's count.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        address = client_address(request)
        now = timezone.now()
        if login_refuse(username=username, address=address, now=now) is not None:
            raise PermissionDenied
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            login_fail(username=username, address=address, now=now)
        else:
            login_succeed(username=username)
        return user


LOCKED_MESSAGE = _(
    "Too many failed logins: logging in is locked until %(time)s, even with the right password. "
    "Try again then, or ask an administrator to lift the lock."
)


class ThrottledLoginMixin:
    """A refused login says so when the account or the address is locked, and until when."""

    def get_invalid_login_error(self):
        until = login_locked_until(
            username=self.cleaned_data.get("username") or "",
            address=client_address(self.request),
            now=timezone.now(),
        )
        if until is None:
            return super().get_invalid_login_error()
        return ValidationError(
            LOCKED_MESSAGE,
            code="locked",
            params={"time": timezone.localtime(until).strftime("%Y-%m-%d %H:%M")},
        )


class StaffLoginForm(ThrottledLoginMixin, AuthenticationForm):
    """The console's login form."""


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """Django admin's login form (``admin.site.login_form``)."""
