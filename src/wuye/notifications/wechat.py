"""The WeChat official account (公众号) behind the project's own interface, through ``wechatpy``:
template messages for the outbox's WeChat channel, and web authorisation (OAuth) for the portal.

Which account: the enabled ``WechatAccount`` of the message's company, else the operator's, else none
(the WeChat channel then goes to the log, as in the demo without paysim). A message's event needs a
``WechatTemplate`` naming the template and which values fill its fields; without one it fails at
once, saying so. WeChat's answers: a user who unfollowed the account (43004), refused messages
(43101), an unknown openid (40003) or template (40037) fail for good; rate limits (45009 …), WeChat
being busy (-1) and the network are tried again. An expired access token is fetched again by the SDK
itself; tokens live in Django's cache, shared by every process, as WeChat asks.

The API and OAuth addresses are WeChat's own, or the account's ``gateway_url`` (paysim) held to
``core.references.gateway_check`` like any outside service.
"""

from __future__ import annotations

import dataclasses
import logging

from django.core.cache import cache

from wuye.core.references import ReferenceRefusedError, gateway_check
from wuye.notifications.backends import (
    CONSOLE,
    Backend,
    DeliveryError,
    Outgoing,
    PermanentDeliveryError,
    Sent,
)
from wuye.notifications.domain.queries import company_account_template
from wuye.notifications.models import WechatAccount

logger = logging.getLogger("wuye.notifications")

API_BASE = "https://api.weixin.qq.com/"
OAUTH_BASE = "https://open.weixin.qq.com/connect/"
TIMEOUT_SECONDS = 10
# WeChat's error codes for which trying again cannot help.
FINAL_ERRORS = frozenset({40003, 40013, 40036, 40037, 40125, 41028, 43004, 43101, 47003, 48001})


class WechatError(Exception):
    """WeChat refused or could not be reached; the message is for staff and logs."""


def _bases(account: WechatAccount) -> tuple[str, str]:
    """(API base, OAuth base) for the SDK: WeChat's own, or the account's gateway for both."""
    if not account.gateway_url:
        return API_BASE, OAUTH_BASE
    gateway_check("wechat_mp", account.gateway_url)
    base = account.gateway_url.rstrip("/") + "/"
    return base, base + "connect/"


class _CacheStorage:
    """wechatpy's session storage on Django's cache: one access token per AppID for every process."""

    def get(self, key, default=None):
        return cache.get(f"wuye:wechat:{key}", default)

    def set(self, key, value, ttl=None):
        cache.set(f"wuye:wechat:{key}", value, max(int(ttl or 7200) - 300, 60))

    def delete(self, key):
        cache.delete(f"wuye:wechat:{key}")


def _client(account: WechatAccount):
    from wechatpy import WeChatClient

    api_base, _oauth = _bases(account)

    class Client(WeChatClient):
        API_BASE_URL = api_base + "cgi-bin/"

        def fetch_access_token(self):  # the SDK names WeChat's host here; ours may be the gateway
            return self._fetch_access_token(
                url=self.API_BASE_URL + "token",
                params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
            )

    return Client(account.app_id, account.secret(), session=_CacheStorage(), timeout=TIMEOUT_SECONDS)


def wechat_send(outgoing: Outgoing, *, fallback: Backend) -> Sent | None:
    """Send one template message to ``outgoing.address`` (an openid); the log when no account."""
    from wechatpy.exceptions import WeChatClientException

    account, template = company_account_template(WechatAccount, outgoing)
    if account is None:
        return fallback.send(outgoing)
    data = {field: {"value": outgoing.params.get(name, "")} for field, name in template.field_map}
    try:
        answer = _client(account).message.send_template(outgoing.address, template.template_id, data)
    except ReferenceRefusedError as error:
        raise PermanentDeliveryError(str(error)) from error
    except WeChatClientException as error:
        code = error.errcode if isinstance(error.errcode, int) else None
        text = f"{error.errcode}: {error.errmsg}"
        raise (PermanentDeliveryError(text) if code in FINAL_ERRORS else DeliveryError(text)) from error
    return Sent(ref=str(answer.get("msgid", "")), sms_account_id=None)


class WechatBackend:
    """The outbox's WeChat channel: template messages through the company's official account, or
    ``fallback`` (the log) when there is none."""

    name = "wechat"

    def __init__(self, fallback: Backend = CONSOLE):
        self.fallback = fallback

    def send(self, outgoing: Outgoing) -> Sent | None:
        return wechat_send(outgoing, fallback=self.fallback)


@dataclasses.dataclass(frozen=True)
class WechatUser:
    openid: str
    nickname: str = ""


def oauth_url(account: WechatAccount, *, redirect_uri: str, scope: str, state: str) -> str:
    """Where to send the owner's WeChat browser to authorise (``snsapi_base``: silently, for the
    openid; ``snsapi_userinfo``: WeChat asks the owner first, and gives the nickname too)."""
    from wechatpy import WeChatOAuth

    oauth = WeChatOAuth(account.app_id, "", redirect_uri, scope=scope, state=state)
    _api, oauth.OAUTH_BASE_URL = _bases(account)
    return oauth.authorize_url


def oauth_user(account: WechatAccount, *, code: str, scope: str) -> WechatUser:
    """Exchange the code WeChat sent back (once only: WeChat refuses it again) for the user's openid,
    and with ``snsapi_userinfo`` their nickname. WechatError when WeChat refuses or is unreachable."""
    from wechatpy import WeChatOAuth
    from wechatpy.exceptions import WeChatClientException

    try:
        oauth = WeChatOAuth(account.app_id, account.secret(), "", scope=scope)
        oauth.API_BASE_URL, _oauth = _bases(account)
        token = oauth.fetch_access_token(code)
        nickname = ""
        if scope == "snsapi_userinfo" and token.get("scope", "") == "snsapi_userinfo":
            nickname = str(oauth.get_user_info().get("nickname", ""))[:40]
    except ReferenceRefusedError as error:
        raise WechatError(str(error)) from error
    except WeChatClientException as error:
        raise WechatError(f"{error.errcode}: {error.errmsg}") from error
    openid = str(token.get("openid", ""))
    if not openid:
        raise WechatError("no openid in WeChat's answer")
    return WechatUser(openid=openid, nickname=nickname)
