"""paysim itself: the phone page, fault injection, the HTTP control, and the demo accounts."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.core.management import get_commands

from tests.payments.channels.helpers import attempt
from wuye.payments.channels import NotifyRejected, adapter_for
from wuye.payments.enums import Channel, PaymentMethod, WechatKeyMode
from wuye.payments.models import ChannelAccount
from wuye.paysim.seed import paysim_accounts
from wuye.paysim.state import CLOSED, PAID, UNPAID, Faults


def _http(url: str, data: dict | bytes | None = None, *, method: str | None = None) -> tuple[int, bytes]:
    body = json.dumps(data).encode() if isinstance(data, dict) else data
    request = urllib.request.Request(url, data=body, method=method or ("POST" if body is not None else "GET"))  # noqa: S310 (loopback)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.fixture
def wechat(wechat_account):
    return adapter_for(wechat_account())


def _order(wechat, notify_url, amount_fen=12345):
    payment = attempt(amount_fen=amount_fen)
    code_url = wechat.create(payment, description="2024年5月物业费", notify_url=notify_url)
    return payment, code_url


# The phone page ----------------------------------------------------------------------------------------


def test_phone_page_shows_the_amount_merchant_and_description(wechat, paysim, notify_sink):
    _, code_url = _order(wechat, notify_sink.url, 12345)

    status, page = _http(code_url)

    text = page.decode()
    assert status == 200
    assert "微信支付" in text and "¥123.45" in text and "2024年5月物业费" in text and "1900000109" in text
    assert "确认支付" in text and "取消" in text
    assert "<script" not in text and "style=" not in text


def test_phone_confirm_pays_and_sends_the_signed_notification(wechat, paysim, notify_sink):
    payment, code_url = _order(wechat, notify_sink.url, 12345)

    status, page = _http(code_url + "/confirm", b"")
    assert paysim.drain(timeout=5)

    assert status == 200 and "支付成功" in page.decode()
    assert paysim.order(payment.out_trade_no).state == PAID
    assert len(notify_sink.received) == 1
    _, headers, body = notify_sink.received[0]
    assert wechat.parse_notify(headers, body).payment.amount_fen == 12345


def test_phone_confirm_twice_notifies_once(wechat, paysim, notify_sink):
    _, code_url = _order(wechat, notify_sink.url)

    _http(code_url + "/confirm", b"")
    _http(code_url + "/confirm", b"")
    assert paysim.drain(timeout=5)

    assert len(notify_sink.received) == 1


def test_phone_cancel_leaves_the_order_unpaid(wechat, paysim, notify_sink):
    payment, code_url = _order(wechat, notify_sink.url)

    status, page = _http(code_url + "/cancel", b"")

    assert status == 200 and "已取消支付" in page.decode()
    assert paysim.order(payment.out_trade_no).state == UNPAID
    assert notify_sink.received == []


def test_phone_page_of_a_closed_order_cannot_pay(wechat, paysim, notify_sink):
    payment, code_url = _order(wechat, notify_sink.url)
    wechat.close(payment)

    _, page = _http(code_url + "/confirm", b"")

    assert "订单已关闭" in page.decode()
    assert paysim.order(payment.out_trade_no).state == CLOSED
    assert notify_sink.received == []


def test_phone_page_of_an_unknown_token_is_404(paysim):
    status, _ = _http(paysim.base_url + "/phone/nosuchtoken")

    assert status == 404


def test_alipay_phone_scan_makes_the_trade_exist(alipay_account, paysim, notify_sink):
    adapter = adapter_for(alipay_account())
    payment = attempt(Channel.ALIPAY_QR)
    qr_code = adapter.create(payment, description="物业费", notify_url=notify_sink.url)
    assert adapter.query(payment).amount_fen is None

    status, page = _http(qr_code)

    assert status == 200 and "支付宝" in page.decode()
    assert adapter.query(payment).amount_fen == 12345


# Faults ------------------------------------------------------------------------------------------------


def test_drop_sends_nothing_but_the_order_is_paid(wechat, paysim, notify_sink):
    payment, _ = _order(wechat, notify_sink.url)
    paysim.faults.update(drop=True)

    deliveries = paysim.pay(payment.out_trade_no)

    assert [d.fault for d in deliveries] == ["dropped"]
    assert notify_sink.received == []
    assert paysim.order(payment.out_trade_no).state == PAID


def test_duplicate_sends_the_same_notification_n_more_times(wechat, paysim, notify_sink):
    payment, _ = _order(wechat, notify_sink.url)
    paysim.faults.update(duplicate=2)

    deliveries = paysim.pay(payment.out_trade_no)

    assert [d.fault for d in deliveries] == ["", "duplicate", "duplicate"]
    bodies = {body for _, _, body in notify_sink.received}
    assert len(notify_sink.received) == 3 and len(bodies) == 1
    event_ids = {wechat.parse_notify(headers, body).event_id for _, headers, body in notify_sink.received}
    assert event_ids == {paysim.order(payment.out_trade_no).event_id}


def test_delay_sends_later_in_the_background(wechat, paysim, notify_sink):
    payment, _ = _order(wechat, notify_sink.url)
    paysim.faults.update(delay=0.3)

    started = time.monotonic()
    assert paysim.pay(payment.out_trade_no) == []
    assert notify_sink.received == []
    assert paysim.drain(timeout=5)

    assert time.monotonic() - started >= 0.3
    assert len(notify_sink.received) == 1


def test_reorder_holds_then_sends_newest_first(wechat, paysim, notify_sink):
    first, _ = _order(wechat, notify_sink.url, 100)
    second, _ = _order(wechat, notify_sink.url, 200)
    paysim.faults.update(reorder=True)

    paysim.pay(first.out_trade_no)
    paysim.pay(second.out_trade_no)
    assert notify_sink.received == []
    released = paysim.release()

    assert [d.out_trade_no for d in released] == [second.out_trade_no, first.out_trade_no]
    amounts = [wechat.parse_notify(h, b).payment.amount_fen for _, h, b in notify_sink.received]
    assert amounts == [200, 100]


def test_tamper_changes_the_body_after_signing(wechat, paysim, notify_sink):
    payment, _ = _order(wechat, notify_sink.url)
    paysim.faults.update(payment.out_trade_no, tamper=True)

    paysim.pay(payment.out_trade_no)

    _, headers, body = notify_sink.received[0]
    with pytest.raises(NotifyRejected) as rejected:
        wechat.parse_notify(headers, body)
    assert rejected.value.code == "signature"


def test_order_faults_win_over_global_ones_and_apply_to_that_order_only(wechat, paysim, notify_sink):
    dropped, _ = _order(wechat, notify_sink.url, 100)
    doubled, _ = _order(wechat, notify_sink.url, 200)
    paysim.faults.update(duplicate=1)
    paysim.faults.update(dropped.out_trade_no, drop=True)

    paysim.pay(dropped.out_trade_no)
    paysim.pay(doubled.out_trade_no)

    amounts = [wechat.parse_notify(h, b).payment.amount_fen for _, h, b in notify_sink.received]
    assert amounts == [200, 200]


def test_unknown_fault_is_refused():
    with pytest.raises(ValueError, match="unknown faults: explode"):
        Faults().update(explode=True)


# HTTP control ------------------------------------------------------------------------------------------


def test_faults_are_set_and_orders_listed_over_http(wechat, paysim, notify_sink):
    payment, _ = _order(wechat, notify_sink.url, 4321)

    status, answer = _http(
        paysim.base_url + "/_sim/faults", {"out_trade_no": payment.out_trade_no, "duplicate": 1}
    )
    assert status == 200
    assert json.loads(answer)["orders"] == {payment.out_trade_no: {"duplicate": 1}}
    status, answer = _http(paysim.base_url + "/_sim/pay", {"out_trade_no": payment.out_trade_no})
    assert status == 200 and len(json.loads(answer)["deliveries"]) == 2
    status, answer = _http(paysim.base_url + "/_sim/orders")

    listing = json.loads(answer)
    assert status == 200
    assert [(o["out_trade_no"], o["amount_fen"], o["state"]) for o in listing["orders"]] == [
        (payment.out_trade_no, 4321, PAID)
    ]
    assert len(listing["deliveries"]) == 2 and {d["status"] for d in listing["deliveries"]} == {200}


def test_http_pay_without_notification_and_clear_faults(wechat, paysim, notify_sink):
    payment, _ = _order(wechat, notify_sink.url)
    _http(paysim.base_url + "/_sim/faults", {"drop": True})

    _http(paysim.base_url + "/_sim/faults", {"clear": True})
    status, _ = _http(paysim.base_url + "/_sim/pay", {"out_trade_no": payment.out_trade_no, "notify": False})

    assert status == 200
    assert paysim.faults.as_json() == {"global": {}, "orders": {}}
    assert paysim.order(payment.out_trade_no).state == PAID
    assert notify_sink.received == []


def test_http_bad_fault_is_400(paysim):
    status, answer = _http(paysim.base_url + "/_sim/faults", {"explode": True})

    assert status == 400 and "explode" in json.loads(answer)["error"]


def test_index_lists_orders(wechat, paysim, notify_sink):
    payment, _ = _order(wechat, notify_sink.url)

    status, page = _http(paysim.base_url + "/")

    assert status == 200 and payment.out_trade_no in page.decode()


# Demo accounts and the command -------------------------------------------------------------------------


def test_paysim_accounts_point_at_paysim_and_work(community, paysim, notify_sink):
    wechat_account, alipay_account = paysim_accounts(community, base_url=paysim.base_url)

    assert ChannelAccount.objects.filter(community=community).count() == 2
    assert (wechat_account.method, wechat_account.gateway_url) == (PaymentMethod.WECHAT, paysim.base_url)
    assert alipay_account.gateway_url == paysim.base_url + "/gateway.do"
    payment = attempt(amount_fen=1)
    adapter_for(wechat_account).create(payment, description="物业费", notify_url=notify_sink.url)
    qr = adapter_for(alipay_account).create(
        attempt(Channel.ALIPAY_QR, amount_fen=2), description="物业费", notify_url=notify_sink.url
    )
    assert qr.startswith(paysim.base_url + "/phone/")


def test_paysim_accounts_again_updates_instead_of_adding(community, paysim, settings):
    settings.WUYE_PAYSIM_URL = "http://127.0.0.1:8999"
    paysim_accounts(community)

    wechat_account, _ = paysim_accounts(community, key_mode=WechatKeyMode.CERTIFICATE)

    assert ChannelAccount.objects.filter(community=community).count() == 2
    assert (wechat_account.key_mode, wechat_account.platform_public_key_ref) == (
        WechatKeyMode.CERTIFICATE,
        "",
    )
    assert wechat_account.gateway_url == "http://127.0.0.1:8999"


def test_paysim_command_is_installed():
    assert get_commands()["paysim"] == "wuye.paysim"
