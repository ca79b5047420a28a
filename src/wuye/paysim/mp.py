"""PaySim's WeChat official account platform (公众平台): web authorisation (OAuth 2.0) and template
messages, as ``wechatpy`` talks to them, so the portal's sign-in from the account's menu and the
outbox's WeChat messages run with no official account.

- ``GET /connect/oauth2/authorize`` (what WeChat shows inside its browser): with ``snsapi_base`` it
  sends the user straight back with a code; with ``snsapi_userinfo`` it asks first (允许 / 拒绝).
  Who the WeChat user is: the ``paysim_wx_user`` cookie (a name, URL-quoted; the page lets you change it), else
  ``wx-demo-user``. Their openid is derived from the AppID and that name, as WeChat's is stable per
  account and user.
- ``GET /sns/oauth2/access_token``: a code once, within five minutes, for the AppID it was given to.
- ``GET /sns/userinfo``: the nickname, for an access token of the ``snsapi_userinfo`` scope.
- ``GET /cgi-bin/token``, ``POST /cgi-bin/message/template/send``: the account's access token and
  template messages, scripted per openid (``MpScript``): ``unsubscribed`` (43004, final), ``limit``
  (45009, retryable), else sent (``sim.mp_messages``).

The test account's AppID is WeChat Pay's test AppID (``keys.WECHAT_APPID``): JSAPI payment needs the
openid under the AppID the merchant is bound to. Its AppSecret is ``keys/mp_app_secret.txt``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from dataclasses import asdict, dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from wuye.paysim import keys as sim_keys
from wuye.paysim.state import now

# What the server's router takes back (server.Response), and the simulator (server.PaySim): named here,
# not imported, so that the server imports this module and not the other way round.
Response = tuple[int, str, bytes, dict[str, str]]
PaySim = Any

APP_ID = sim_keys.WECHAT_APPID
DEFAULT_USER = "wx-demo-user"
USER_COOKIE = "paysim_wx_user"
CODE_SECONDS = 300
UNSUBSCRIBED, LIMIT = "unsubscribed", "limit"
OUTCOMES = ("ok", UNSUBSCRIBED, LIMIT)


def app_secret() -> str:
    return sim_keys._text("mp_app_secret.txt")


def openid_for(app_id: str, user: str) -> str:
    digest = hashlib.sha256(f"{app_id}:{user}".encode()).digest()
    return "o" + base64.urlsafe_b64encode(digest).decode().rstrip("=")[:27]


@dataclass
class MpCode:
    app_id: str
    openid: str
    user: str
    scope: str
    expires: float
    used: bool = False


@dataclass
class MpMessage:
    touser: str
    template_id: str
    data: dict[str, Any]
    url: str
    msgid: int
    sent_at: str

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class MpScript:
    by_openid: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def outcome(self, openid: str) -> str:
        with self.lock:
            return self.by_openid.get(openid, "ok")

    def update(self, **by_openid: str) -> None:
        for outcome in by_openid.values():
            if outcome not in OUTCOMES:
                raise ValueError(f"unknown outcome {outcome!r}; one of {', '.join(OUTCOMES)}")
        with self.lock:
            self.by_openid.update(by_openid)

    def clear(self) -> None:
        with self.lock:
            self.by_openid.clear()


@dataclass
class MpState:
    codes: dict[str, MpCode] = field(default_factory=dict)
    user_tokens: dict[str, MpCode] = field(default_factory=dict)  # OAuth access token → its code
    app_tokens: set[str] = field(default_factory=set)
    messages: list[MpMessage] = field(default_factory=list)
    script: MpScript = field(default_factory=MpScript)

    def clear(self) -> None:
        self.codes.clear()
        self.user_tokens.clear()
        self.app_tokens.clear()
        self.messages.clear()
        self.script.clear()


def _json(data: dict[str, Any]) -> Response:
    return 200, "application/json; charset=utf-8", json.dumps(data, ensure_ascii=False).encode(), {}


def _error(code: int, message: str) -> Response:
    return _json({"errcode": code, "errmsg": message})


def _redirect(location: str, extra: dict[str, str] | None = None) -> Response:
    return 302, "text/plain; charset=utf-8", b"", {"Location": location, **(extra or {})}


def _user(headers: dict[str, str]) -> str:
    cookie = SimpleCookie()
    try:
        cookie.load(headers.get("cookie", ""))
    except Exception:  # a malformed Cookie header: the default user
        return DEFAULT_USER
    morsel = cookie.get(USER_COOKIE)
    return (unquote(morsel.value).strip() if morsel else "") or DEFAULT_USER


def handle(sim: PaySim, method: str, target: str, headers: dict[str, str], raw: bytes) -> Response:
    path, _, query = target.partition("?")
    params = dict(parse_qsl(query, keep_blank_values=True))
    if method == "POST" and headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        params.update(parse_qsl(raw.decode("utf-8", "replace")))
    state = sim.mp
    if path == "/connect/oauth2/authorize":
        return _authorize(sim, method, params, headers)
    if path == "/sns/oauth2/access_token" and method == "GET":
        if params.get("appid") != APP_ID or params.get("secret") != app_secret():
            return _error(40125, "invalid appsecret")
        with sim.lock:
            code = state.codes.get(params.get("code", ""))
            if code is None or code.used or code.expires < time.time() or code.app_id != params["appid"]:
                return _error(40029, "invalid code")
            code.used = True
            token = secrets.token_urlsafe(24)
            state.user_tokens[token] = code
        return _json(
            {
                "access_token": token,
                "expires_in": 7200,
                "refresh_token": secrets.token_urlsafe(24),
                "openid": code.openid,
                "scope": code.scope,
            }
        )
    if path == "/sns/userinfo" and method == "GET":
        with sim.lock:
            code = state.user_tokens.get(params.get("access_token", ""))
        if code is None or code.openid != params.get("openid"):
            return _error(40001, "invalid credential, access_token is invalid or not latest")
        if code.scope != "snsapi_userinfo":
            return _error(48001, "api unauthorized")
        return _json(
            {
                "openid": code.openid,
                "nickname": code.user,
                "sex": 0,
                "province": "",
                "city": "",
                "country": "",
                "headimgurl": "",
                "privilege": [],
            }
        )
    if path == "/cgi-bin/token" and method == "GET":
        if params.get("appid") != APP_ID or params.get("secret") != app_secret():
            return _error(40125, "invalid appsecret")
        token = secrets.token_urlsafe(32)
        with sim.lock:
            state.app_tokens.add(token)
        return _json({"access_token": token, "expires_in": 7200})
    if path == "/cgi-bin/message/template/send" and method == "POST":
        with sim.lock:
            known = params.get("access_token") in state.app_tokens
        if not known:
            return _error(40001, "invalid credential, access_token is invalid or not latest")
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return _error(47001, "data format error")
        openid = str(body.get("touser", ""))
        if not openid.startswith("o") or not body.get("template_id"):
            return _error(40003, "invalid openid")
        outcome = state.script.outcome(openid)
        if outcome == UNSUBSCRIBED:
            return _error(43004, "require subscribe")
        if outcome == LIMIT:
            return _error(45009, "reach max api daily quota limit")
        with sim.lock:
            msgid = 2_000_000_000 + len(state.messages) + 1
            state.messages.append(
                MpMessage(
                    touser=openid,
                    template_id=str(body["template_id"]),
                    data=body.get("data") or {},
                    url=str(body.get("url") or ""),
                    msgid=msgid,
                    sent_at=now().isoformat(),
                )
            )
        return _json({"errcode": 0, "errmsg": "ok", "msgid": msgid})
    return _error(40066, f"{method} {path} is not simulated")


def _authorize(sim: PaySim, method: str, params: dict[str, str], headers: dict[str, str]) -> Response:
    app_id, redirect_uri = params.get("appid", ""), params.get("redirect_uri", "")
    scope, state_value = params.get("scope", ""), params.get("state", "")
    if app_id != APP_ID:
        return _page("授权失败", "<p class='result'>公众号 AppID 无效（10003）。</p>", status=400)
    if urlsplit(redirect_uri).scheme not in ("http", "https") or scope not in (
        "snsapi_base",
        "snsapi_userinfo",
    ):
        return _page(
            "授权失败", "<p class='result'>redirect_uri 或 scope 参数错误（10004）。</p>", status=400
        )
    user = params.get("user", "").strip() or _user(headers)
    cookie = {"Set-Cookie": f"{USER_COOKIE}={quote(user, safe='')}; Path=/; SameSite=Lax"}
    action = params.get("action", "")
    if scope == "snsapi_userinfo" and not (method == "POST" and action in ("allow", "deny")):
        hidden = "".join(
            f"<input type='hidden' name='{name}' value='{html.escape(params.get(name, ''), quote=True)}'>"
            for name in ("appid", "redirect_uri", "response_type", "scope", "state")
        )
        body = (
            "<p class='result'>物业公众号 申请获得以下权限：获得你的公开信息（昵称、头像）。</p>"
            f"<form method='post'>{hidden}<p>微信用户：<input name='user' value='{html.escape(user, quote=True)}'></p>"
            "<button name='action' value='allow' class='confirm'>允许</button> "
            "<button name='action' value='deny' class='cancel'>拒绝</button></form>"
        )
        return _page("微信授权", body, extra=cookie)
    separator = "&" if "?" in redirect_uri else "?"
    if action == "deny":  # WeChat sends the user back without a code
        return _redirect(f"{redirect_uri}{separator}{urlencode({'state': state_value})}", cookie)
    code = secrets.token_urlsafe(18)
    with sim.lock:
        sim.mp.codes[code] = MpCode(
            app_id=app_id,
            openid=openid_for(app_id, user),
            user=user,
            scope=scope,
            expires=time.time() + CODE_SECONDS,
        )
    return _redirect(f"{redirect_uri}{separator}{urlencode({'code': code, 'state': state_value})}", cookie)


def _page(title: str, body: str, *, status: int = 200, extra: dict[str, str] | None = None) -> Response:
    page = (
        "<!doctype html><html lang='zh-hans'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title><link rel='stylesheet' href='/_sim/phone.css'></head>"
        f"<body class='phone'><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return status, "text/html; charset=utf-8", page.encode(), extra or {}
