"""Signing in from the WeChat official account's menu: OAuth through wechatpy against paysim.

The Django test client is the portal side; ``requests`` is the WeChat browser at paysim's
authorisation page (with the simulated WeChat user's cookie).
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import pytest
import requests
from django.urls import reverse

from tests.owners.factories import OwnerAccountFactory
from tests.paysim.fixtures import _paysim_server, paysim  # noqa: F401
from tests.portal.conftest import log_in
from wuye.core.models import AuditLog
from wuye.owners.models import OwnerAccount
from wuye.paysim import mp
from wuye.paysim.seed import paysim_wechat_account
from wuye.portal.auth import SESSION_ACCOUNT
from wuye.portal.views.wechat import SESSION_PENDING

pytestmark = pytest.mark.django_db

WECHAT_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 "
    "Chrome/116.0.0.0 Mobile Safari/537.36 MicroMessenger/8.0.49.2600(0x28003133) NetType/WIFI Language/zh_CN"
)


@pytest.fixture
def official(paysim):  # noqa: F811
    return paysim_wechat_account(None, base_url=paysim.base_url)


def _wechat(client, user: str, *, start: str = "/m/wechat/?next=/m/notices/", allow: bool = True):
    """Open ``start`` in the portal, authorise as ``user`` at paysim, land on the callback: its response."""
    to_wechat = client.get(start)
    assert to_wechat.status_code == 302
    url = to_wechat["Location"].split("#")[0]
    answer = requests.get(url, cookies={mp.USER_COOKIE: quote(user)}, allow_redirects=False, timeout=5)
    if answer.status_code == 200:  # snsapi_userinfo: WeChat asks
        form = dict(part.split("=", 1) for part in urlsplit(url).query.split("&"))
        form = {key: requests.utils.unquote(value) for key, value in form.items()}
        form.update(user=user, action="allow" if allow else "deny")
        answer = requests.post(url.split("?")[0], data=form, allow_redirects=False, timeout=5)
    back = urlsplit(answer.headers["Location"])
    assert back.path == reverse("portal:wechat_callback")
    return client.get(f"{back.path}?{back.query}"), f"{back.path}?{back.query}"


def test_a_new_wechat_user_logs_in_once_with_the_code_then_is_linked(client, official, owner, sms):
    response, _callback = _wechat(client, "alice")

    assert response.status_code == 302 and response["Location"].startswith(reverse("portal:login"))
    assert SESSION_ACCOUNT not in client.session and client.session[SESSION_PENDING]["openid"]
    with sms.delivered():
        client.post(reverse("portal:login"), {"phone": "13912345678"})
    client.post(reverse("portal:login_verify"), {"code": sms.code("13912345678")})

    owner.account.refresh_from_db()
    assert owner.account.wechat_openid == mp.openid_for(mp.APP_ID, "alice")
    assert AuditLog.objects.filter(action="owners.account.wechat_bound").count() == 1


def test_a_linked_wechat_user_is_signed_in_from_the_menu(client, official, owner):
    OwnerAccount.objects.filter(pk=owner.account.pk).update(wechat_openid=mp.openid_for(mp.APP_ID, "alice"))

    response, _callback = _wechat(client, "alice")

    assert (response.status_code, response["Location"]) == (302, "/m/notices/")
    assert client.session[SESSION_ACCOUNT] == owner.account.pk
    assert client.get("/m/notices/").status_code == 200


def test_a_replayed_or_forged_state_is_refused_and_signs_nobody_in(client, official, owner):
    OwnerAccount.objects.filter(pk=owner.account.pk).update(wechat_openid=mp.openid_for(mp.APP_ID, "alice"))
    client.get("/m/wechat/")
    forged = client.get(reverse("portal:wechat_callback"), {"code": "x", "state": "not-the-one"})
    assert forged.status_code == 403 and SESSION_ACCOUNT not in client.session

    response, callback = _wechat(client, "alice")
    assert response.status_code == 302 and client.session[SESSION_ACCOUNT] == owner.account.pk
    other = client.__class__()
    replayed = other.get(callback)  # the same code and state in another browser
    assert replayed.status_code == 403 and SESSION_ACCOUNT not in other.session


def test_an_owner_links_wechat_from_me_with_the_nickname_and_unlinks_it(client, official, owner):
    OwnerAccount.objects.filter(pk=owner.account.pk).update(display_name="")
    log_in(client, owner.account)

    response, _callback = _wechat(client, "王小明的微信", start="/m/wechat/?scope=userinfo&next=/m/me/")

    assert (response.status_code, response["Location"]) == (302, "/m/me/")
    owner.account.refresh_from_db()
    assert (owner.account.wechat_openid, owner.account.display_name) == (
        mp.openid_for(mp.APP_ID, "王小明的微信"),
        "王小明的微信",
    )
    assert "wechat-link" in client.get("/m/me/").content.decode()
    client.post(reverse("portal:wechat_unbind"))
    owner.account.refresh_from_db()
    assert owner.account.wechat_openid == ""
    assert AuditLog.objects.filter(action="owners.account.wechat_unbound").count() == 1


def test_an_openid_belongs_to_one_account_only(client, official, owner):
    taken = mp.openid_for(mp.APP_ID, "alice")
    other = OwnerAccountFactory(phone="13700001111", wechat_openid=taken)
    log_in(client, owner.account)

    response, _callback = _wechat(client, "alice", start="/m/wechat/?next=/m/me/")

    assert response.status_code == 302
    owner.account.refresh_from_db()
    other.refresh_from_db()
    assert (owner.account.wechat_openid, other.wechat_openid) == ("", taken)


def test_declining_in_wechat_links_nothing(client, official, owner):
    log_in(client, owner.account)
    response, _callback = _wechat(client, "alice", start="/m/wechat/?scope=userinfo&next=/m/me/", allow=False)
    assert (response.status_code, response["Location"]) == (302, "/m/me/")
    owner.account.refresh_from_db()
    assert owner.account.wechat_openid == ""


def test_the_login_page_inside_wechat_asks_wechat_first_once(client, official):
    first = client.get(reverse("portal:login"), HTTP_USER_AGENT=WECHAT_UA)
    assert first.status_code == 302 and first["Location"].startswith(reverse("portal:wechat"))
    again = client.get(reverse("portal:login"), HTTP_USER_AGENT=WECHAT_UA)
    assert again.status_code == 200  # no loop: the phone form
    assert client.get(reverse("portal:login")).status_code == 200  # other browsers: the phone form


def test_without_an_official_account_the_menu_link_says_so(client):
    response = client.get("/m/wechat/")
    assert response.status_code == 404
    assert 'id="wechat-refused"' in response.content.decode()
