"""The WeChat official account through wechatpy against paysim's official account platform: template
messages for the outbox's WeChat channel (sent, retryable, final), and OAuth codes (once only)."""

from __future__ import annotations

from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests

from tests.factories import PersonFactory
from tests.owners.factories import HouseholdBindingFactory
from wuye.notifications.domain.outbox import notify
from wuye.notifications.enums import Channel, MessageState
from wuye.notifications.models import Message, WechatAccount, WechatTemplate
from wuye.notifications.wechat import WechatError, oauth_url, oauth_user
from wuye.paysim import mp
from wuye.paysim.seed import paysim_wechat_account

pytestmark = pytest.mark.django_db

EVENT = "notices.notice.published"


@pytest.fixture
def account(paysim, community, settings):
    settings.PAYSIM_ENABLED = True
    return paysim_wechat_account(community.company, base_url=paysim.base_url)


def _follower(community, openid: str):
    person = PersonFactory(household__community=community, phone="")  # WeChat only: no SMS
    HouseholdBindingFactory(person=person, account__phone="13800009999", account__wechat_openid=openid)
    return person


def _notify(community, person, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(community=community, event=EVENT, people=[person], context={"title": "停水通知"})
    return Message.objects.get(person=person, channel=Channel.WECHAT)


def test_a_template_message_is_sent_with_its_fields(
    account, paysim, community, django_capture_on_commit_callbacks
):
    openid = mp.openid_for(mp.APP_ID, "alice")
    message = _notify(community, _follower(community, openid), django_capture_on_commit_callbacks)

    assert message.state == MessageState.SENT
    assert len(paysim.mp.messages) == 1
    sent = paysim.mp.messages[0]
    template = account.templates.get(event=EVENT)
    assert (sent.touser, sent.template_id) == (openid, template.template_id)
    assert sent.data == {"keyword1": {"value": community.name}, "keyword2": {"value": "停水通知"}}
    assert message.provider_ref == str(sent.msgid)


@pytest.mark.parametrize(
    ("outcome", "state", "code"),
    [(mp.UNSUBSCRIBED, MessageState.FAILED, "43004"), (mp.LIMIT, MessageState.QUEUED, "45009")],
)
def test_an_unfollowed_account_fails_and_a_rate_limit_is_tried_again(
    account, paysim, community, django_capture_on_commit_callbacks, outcome, state, code
):
    openid = mp.openid_for(mp.APP_ID, "bob")
    paysim.mp.script.update(**{openid: outcome})

    message = _notify(community, _follower(community, openid), django_capture_on_commit_callbacks)

    assert (message.state, message.attempts) == (state, 1)
    assert message.last_error.startswith(code)
    assert paysim.mp.messages == []


def test_a_wrong_app_secret_fails_for_good(
    account, paysim, community, django_capture_on_commit_callbacks, tmp_path, settings
):
    settings.SECRETS_DIR = tmp_path
    (tmp_path / "mp.txt").write_text("wrong")
    WechatAccount.objects.filter(pk=account.pk).update(app_secret_ref="file:mp.txt")

    message = _notify(
        community, _follower(community, mp.openid_for(mp.APP_ID, "c")), django_capture_on_commit_callbacks
    )

    assert message.state == MessageState.FAILED and message.last_error.startswith("40125")
    assert paysim.mp.messages == []


def test_an_event_without_a_template_fails_and_sends_nothing(
    account, paysim, community, django_capture_on_commit_callbacks
):
    WechatTemplate.objects.filter(account=account, event=EVENT).delete()

    message = _notify(
        community, _follower(community, mp.openid_for(mp.APP_ID, "d")), django_capture_on_commit_callbacks
    )

    assert message.state == MessageState.FAILED and EVENT in message.last_error
    assert paysim.mp.messages == []


def _authorise(url: str, user: str, *, allow: bool = True) -> dict[str, list[str]]:
    """What the WeChat browser does: open the authorisation page, allow if asked, follow back."""
    answer = requests.get(
        url.split("#")[0], cookies={mp.USER_COOKIE: quote(user)}, allow_redirects=False, timeout=5
    )
    if answer.status_code == 200:  # snsapi_userinfo asks first
        query = parse_qs(urlsplit(url.split("#")[0]).query)
        form = {name: values[0] for name, values in query.items()} | {"user": user}
        form["action"] = "allow" if allow else "deny"
        answer = requests.post(url.split("#")[0].split("?")[0], data=form, allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    return parse_qs(urlsplit(answer.headers["Location"]).query)


def test_oauth_gives_a_code_once_for_the_users_openid(account):
    url = oauth_url(
        account, redirect_uri="http://127.0.0.1:8000/m/wechat/callback/", scope="snsapi_base", state="s1"
    )
    back = _authorise(url, "alice")
    assert back["state"] == ["s1"]

    user = oauth_user(account, code=back["code"][0], scope="snsapi_base")

    assert (user.openid, user.nickname) == (mp.openid_for(mp.APP_ID, "alice"), "")
    with pytest.raises(WechatError, match="40029"):
        oauth_user(account, code=back["code"][0], scope="snsapi_base")  # replayed
    with pytest.raises(WechatError, match="40029"):
        oauth_user(account, code="forged", scope="snsapi_base")


def test_oauth_userinfo_asks_and_gives_the_nickname(account):
    url = oauth_url(account, redirect_uri="http://127.0.0.1:8000/cb/", scope="snsapi_userinfo", state="s2")
    user = oauth_user(account, code=_authorise(url, "王小明")["code"][0], scope="snsapi_userinfo")
    assert user.nickname == "王小明"
    refused = _authorise(url, "王小明", allow=False)
    assert "code" not in refused and refused["state"] == ["s2"]
