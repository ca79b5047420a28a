"""Owner sessions of the portal: separate from staff login, and never a Django user.

The session holds the account's pk (``SESSION_ACCOUNT``) and the household the owner is looking at
(``SESSION_HOUSEHOLD``). ``owner_required`` loads both on every request, so an account disabled or
a binding removed by staff takes effect at the owner's next click.
"""

from __future__ import annotations

from functools import wraps

from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from wuye.owners.domain.queries import binding_of, portal_frame
from wuye.owners.models import OwnerAccount

SESSION_ACCOUNT = "wuye_owner"
SESSION_HOUSEHOLD = "wuye_owner_household"
SESSION_LOGIN_PHONE = "wuye_owner_login_phone"


def owner_login(request, account: OwnerAccount) -> None:
    # A new session key at the privilege change (session fixation); a staff login in the same
    # browser keeps its own keys.
    request.session.cycle_key()
    request.session[SESSION_ACCOUNT] = account.pk
    request.session.pop(SESSION_HOUSEHOLD, None)
    request.session.pop(SESSION_LOGIN_PHONE, None)


def owner_logout(request) -> None:
    for key in (SESSION_ACCOUNT, SESSION_HOUSEHOLD, SESSION_LOGIN_PHONE):
        request.session.pop(key, None)
    request.session.cycle_key()


def current_owner(request) -> OwnerAccount | None:
    pk = request.session.get(SESSION_ACCOUNT)
    if pk is None:
        return None
    return OwnerAccount.objects.filter(pk=pk, is_active=True).first()


def household_switch(request, household_pk: int) -> bool:
    """Look at another bound household; False (nothing changes) if the account is not bound to it."""
    if binding_of(request.owner, household_pk) is None:
        return False
    request.session[SESSION_HOUSEHOLD] = household_pk
    return True


def safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/m/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ):
        return target
    return default


def owner_required(view=None, *, household: bool = True):
    """Only for a logged-in owner: sets ``request.owner``, ``request.binding`` (the current household's
    binding, or None) and ``request.household``; speaks the account's language.

    With ``household=True`` (the default) an owner without any household is sent to the binding page.
    """

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            account_pk = request.session.get(SESSION_ACCOUNT)
            asked = request.session.get(SESSION_HOUSEHOLD)
            frame = None if account_pk is None else portal_frame(account_pk=account_pk, household_pk=asked)
            if frame is None or frame.account is None:
                return redirect(f"{reverse('portal:login')}?{urlencode({'next': request.get_full_path()})}")
            account, binding = frame.account, frame.binding
            request.owner = account
            request.several_households = frame.several_households
            translation.activate(account.language)
            request.LANGUAGE_CODE = account.language
            if binding is None:
                request.session.pop(SESSION_HOUSEHOLD, None)
            elif binding.household_id != asked:
                request.session[SESSION_HOUSEHOLD] = binding.household_id
            request.binding = binding
            request.household = binding.household if binding is not None else None
            if household and binding is None:
                return redirect("portal:bind")
            return view(request, *args, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate
