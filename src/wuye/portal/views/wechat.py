"""Signing in from the WeChat official account's menu (网页授权), and linking WeChat to an account.

The menu points at ``/m/wechat/`` (``?next=/m/…``; ``?account=<pk>`` for a company's own official
account, else the operator's). It sends the WeChat browser to WeChat's authorisation with a one-time
``state`` kept in the session; WeChat sends it back to ``/m/wechat/callback/`` with a code. A state
that is not the one this session was given (forged, replayed, or from another browser) is refused
before the code is used; a code is good once at WeChat. Then:

- an account linked to that openid is signed in at once;
- an owner already signed in (linking from 我的) has WeChat linked to their account;
- anyone else signs in with the one-time code as usual, and WeChat is linked to that account after.

``snsapi_base`` (silent: the openid only) is used from the menu; linking from 我的 asks for
``snsapi_userinfo`` (WeChat asks the owner), whose nickname becomes the display name if there is none.
An openid belongs to one account only; unlinking is on 我的.
"""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from wuye.notifications.models import WechatAccount
from wuye.notifications.wechat import WechatError, oauth_url, oauth_user
from wuye.owners.domain.accounts import AccountError, account_wechat_bind, account_wechat_unbind
from wuye.owners.models import OwnerAccount
from wuye.portal.auth import current_owner, owner_login, owner_required, safe_next
from wuye.portal.views.base import render_portal

SESSION_OAUTH = "wuye_wechat_oauth"  # {"state", "account", "scope", "next"} of the authorisation under way
SESSION_PENDING = "wuye_wechat_openid"  # {"openid", "nickname"}: to link once the owner has signed in
SESSION_VIA = "wuye_via_wechat"  # this session came through the official account's authorisation
SESSION_TRIED = "wuye_wechat_tried"  # the login page sent this WeChat browser to authorise once already
SCOPES = {"base": "snsapi_base", "userinfo": "snsapi_userinfo"}


def in_wechat(request) -> bool:
    """The page is open in WeChat's own browser: its user agent says MicroMessenger, or this session
    came in through the official account's authorisation (which only WeChat's browser goes through;
    paysim's simulated one in the demo is an ordinary browser)."""
    return "MicroMessenger" in request.headers.get("User-Agent", "") or bool(request.session.get(SESSION_VIA))


def official_account(pk: str | int | None = None) -> WechatAccount | None:
    accounts = WechatAccount.objects.filter(enabled=True)
    if pk:
        return accounts.filter(pk=pk).first() if str(pk).isdigit() else None
    return accounts.filter(company__isnull=True).first() or (
        accounts.first() if accounts.count() == 1 else None
    )


def _refused(request, message: str, status: int = 403):
    return render_portal(request, "portal/wechat_refused.html", {"message": message}, status=status)


@require_safe
def wechat_enter(request):
    """The official account's menu link: off to WeChat's authorisation, back at the callback."""
    account = official_account(request.GET.get("account"))
    if account is None:
        return _refused(request, _("This official account is not connected to the owner portal."), status=404)
    scope = SCOPES.get(request.GET.get("scope", "base"), "snsapi_base")
    state = secrets.token_urlsafe(16)
    request.session[SESSION_OAUTH] = {
        "state": state,
        "account": account.pk,
        "scope": scope,
        "next": safe_next(request, reverse("portal:home")),
    }
    redirect_uri = request.build_absolute_uri(reverse("portal:wechat_callback"))
    return redirect(oauth_url(account, redirect_uri=redirect_uri, scope=scope, state=state))


@require_safe
def wechat_callback(request):
    started = request.session.pop(SESSION_OAUTH, None)
    state = request.GET.get("state", "")
    if not started or not state or not secrets.compare_digest(str(started.get("state", "")), state):
        return _refused(
            request,
            _(
                "This WeChat authorisation has expired or is not yours. Open the portal from the official account's menu again."
            ),
        )
    target = started.get("next") or reverse("portal:home")
    code = request.GET.get("code", "")
    if not code:  # the owner declined in WeChat
        messages.info(request, _("WeChat was not linked."))
        return redirect(target)
    account = official_account(started.get("account"))
    if account is None:
        return _refused(request, _("This official account is not connected to the owner portal."), status=404)
    try:
        user = oauth_user(account, code=code, scope=started.get("scope", "snsapi_base"))
    except WechatError:
        return _refused(
            request,
            _("WeChat did not confirm who you are. Open the portal from the official account's menu again."),
        )
    request.session[SESSION_VIA] = True
    owner = current_owner(request)
    if owner is not None:
        try:
            account_wechat_bind(account=owner, openid=user.openid, nickname=user.nickname)
        except AccountError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request, _("WeChat is linked: open the portal from the official account's menu.")
            )
        return redirect(target)
    linked = OwnerAccount.objects.filter(wechat_openid=user.openid, is_active=True).first()
    if linked is not None:
        owner_login(request, linked)
        return redirect(target)
    request.session[SESSION_PENDING] = {"openid": user.openid, "nickname": user.nickname}
    messages.info(request, _("Log in once with your phone: WeChat will then sign you in by itself."))
    return redirect(f"{reverse('portal:login')}?{urlencode({'next': target})}")


def link_pending(request, owner: OwnerAccount) -> None:
    """After the one-time-code login: link the WeChat user who came from the menu, if any."""
    pending = request.session.pop(SESSION_PENDING, None)
    if not pending:
        return
    try:
        account_wechat_bind(
            account=owner, openid=pending.get("openid", ""), nickname=pending.get("nickname", "")
        )
    except AccountError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("WeChat is linked: open the portal from the official account's menu."))


@owner_required(household=False)
@require_POST
def wechat_unbind(request):
    account_wechat_unbind(account=request.owner)
    messages.success(request, _("WeChat is unlinked."))
    return redirect("portal:profile")
