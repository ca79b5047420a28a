"""The WeChat Pay adapter against paysim, through the real wechatpayv3 SDK, in both key modes."""

from __future__ import annotations

import base64
import datetime
import json
import secrets
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from django.conf import settings

from tests.payments.channels.helpers import attempt, forged_wechat, refund
from wuye.payments.channels import ChannelError, ChannelRefused, NotifyRejected, adapter_for
from wuye.payments.enums import AttemptState, Channel, RefundState, WechatKeyMode
from wuye.paysim import keys as sim_keys
from wuye.paysim import wechat as sim_wechat
from wuye.paysim.state import now

MODES = [WechatKeyMode.PUBLIC_KEY, WechatKeyMode.CERTIFICATE]
NOTIFY = "http://127.0.0.1:9/notify"


@pytest.fixture(params=MODES)
def adapter(request, wechat_account):
    return adapter_for(wechat_account(request.param))


def test_create_native_returns_the_phone_link_of_an_order_of_the_exact_amount(adapter, paysim):
    payment = attempt(amount_fen=12345)

    code_url = adapter.create(payment, description="2024年5月物业费", notify_url=NOTIFY)

    order = paysim.order(payment.out_trade_no)
    assert code_url == f"{paysim.base_url}/phone/{order.token}"
    assert (order.amount_fen, order.description, order.notify_url) == (12345, "2024年5月物业费", NOTIFY)
    assert (order.merchant_id, order.app_id, order.trade_type) == (
        sim_keys.WECHAT_MCHID,
        sim_keys.WECHAT_APPID,
        "NATIVE",
    )
    assert order.expires_at == payment.expires_at.replace(microsecond=0)


def test_create_twice_with_the_same_number_gives_the_same_link(adapter, paysim):
    payment = attempt()

    first = adapter.create(payment, description="物业费", notify_url=NOTIFY)
    second = adapter.create(payment, description="物业费", notify_url=NOTIFY)

    assert first == second
    assert len(paysim.orders) == 1


def test_create_of_a_paid_order_is_refused_with_orderpaid(adapter, paysim):
    payment = attempt()
    adapter.create(payment, description="物业费", notify_url=NOTIFY)
    paysim.pay(payment.out_trade_no, notify=False)

    with pytest.raises(ChannelRefused) as refused:
        adapter.create(payment, description="物业费", notify_url=NOTIFY)

    assert refused.value.code == "ORDERPAID"


def test_create_jsapi_returns_prepay_parameters_signed_by_the_merchant(wechat_account, paysim):
    adapter = adapter_for(wechat_account())
    payment = attempt(Channel.WECHAT_JSAPI, payer_ref="oUpF8uMuAJO_M2pxb1Q9zNjWeS6o")

    params = json.loads(adapter.create(payment, description="物业费", notify_url=NOTIFY))

    order = paysim.order(payment.out_trade_no)
    assert (order.trade_type, order.payer_ref) == ("JSAPI", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o")
    assert params["package"] == f"prepay_id={order.prepay_id}"
    assert (params["appId"], params["signType"]) == (sim_keys.WECHAT_APPID, "RSA")
    merchant = serialization.load_pem_public_key((sim_keys.KEYS_DIR / "merchant_public.pem").read_bytes())
    message = f"{params['appId']}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n"
    merchant.verify(
        base64.b64decode(params["paySign"]), message.encode(), padding.PKCS1v15(), hashes.SHA256()
    )


def test_create_jsapi_without_openid_is_refused_before_calling(wechat_account, paysim):
    adapter = adapter_for(wechat_account())

    with pytest.raises(ChannelRefused) as refused:
        adapter.create(attempt(Channel.WECHAT_JSAPI), description="物业费", notify_url=NOTIFY)

    assert refused.value.code == "PAYER_MISSING"
    assert paysim.orders == {}


def test_query_of_an_unpaid_order_is_pending_with_its_amount(adapter):
    payment = attempt(amount_fen=9999)
    adapter.create(payment, description="物业费", notify_url=NOTIFY)

    result = adapter.query(payment)

    assert (result.out_trade_no, result.state, result.amount_fen) == (
        payment.out_trade_no,
        AttemptState.PENDING,
        9999,
    )
    assert (result.channel_trade_no, result.paid_at) == ("", None)


def test_query_of_a_paid_order_whose_notification_was_lost_is_succeeded(adapter, paysim):
    payment = attempt(amount_fen=20001)
    adapter.create(payment, description="物业费", notify_url=NOTIFY)
    assert paysim.pay(payment.out_trade_no, notify=False) == []

    result = adapter.query(payment)

    order = paysim.order(payment.out_trade_no)
    assert (result.state, result.amount_fen) == (AttemptState.SUCCEEDED, 20001)
    assert (result.channel_trade_no, result.payer_ref) == (order.channel_trade_no, order.payer_ref)
    assert result.paid_at == order.paid_at
    assert paysim.deliveries == []


def test_query_of_an_order_wechat_never_had_is_failed(adapter):
    result = adapter.query(attempt())

    assert (result.state, result.amount_fen) == (AttemptState.FAILED, None)


def test_close_of_an_unpaid_order_closes_it(adapter, paysim):
    payment = attempt()
    adapter.create(payment, description="物业费", notify_url=NOTIFY)

    adapter.close(payment)

    assert adapter.query(payment).state == AttemptState.CLOSED
    with pytest.raises(ValueError, match="closed"):
        paysim.pay(payment.out_trade_no)


def test_close_of_a_paid_order_is_refused_and_it_stays_paid(adapter, paysim):
    payment = attempt()
    adapter.create(payment, description="物业费", notify_url=NOTIFY)
    paysim.pay(payment.out_trade_no, notify=False)

    with pytest.raises(ChannelRefused) as refused:
        adapter.close(payment)

    assert refused.value.code == "ORDERPAID"
    assert adapter.query(payment).state == AttemptState.SUCCEEDED


def test_close_of_an_order_wechat_never_had_is_done(adapter, paysim):
    adapter.close(attempt())

    assert paysim.orders == {}


def test_order_past_its_expiry_is_closed(adapter, paysim):
    payment = attempt()
    adapter.create(payment, description="物业费", notify_url=NOTIFY)
    paysim.order(payment.out_trade_no).expires_at = now() - datetime.timedelta(seconds=1)

    assert adapter.query(payment).state == AttemptState.CLOSED


def _paid(adapter, paysim, amount_fen=12345):
    payment = attempt(amount_fen=amount_fen)
    adapter.create(payment, description="物业费", notify_url=NOTIFY)
    paysim.pay(payment.out_trade_no, notify=False)
    return payment


def test_partial_refund_is_pending_then_succeeded_with_exact_amounts(adapter, paysim):
    payment = _paid(adapter, paysim, 12345)
    part = refund(payment, 2345)

    sent = adapter.refund(part, notify_url="")
    queried = adapter.refund_query(part)

    assert (sent.out_refund_no, sent.state, sent.amount_fen) == (
        part.out_refund_no,
        RefundState.PENDING,
        2345,
    )
    assert (queried.state, queried.amount_fen) == (RefundState.SUCCEEDED, 2345)
    assert queried.channel_refund_no == sent.channel_refund_no != ""
    assert paysim.order(payment.out_trade_no).refunded_fen == 2345
    assert adapter.query(payment).state == AttemptState.SUCCEEDED  # REFUND: it was paid


def test_refund_sent_twice_with_one_number_refunds_once(adapter, paysim):
    payment = _paid(adapter, paysim, 10000)
    part = refund(payment, 4000)

    first = adapter.refund(part, notify_url="")
    second = adapter.refund(part, notify_url="")

    assert first.channel_refund_no == second.channel_refund_no
    assert paysim.order(payment.out_trade_no).refunded_fen == 4000
    assert len(paysim.refunds) == 1


def test_refund_beyond_what_was_paid_is_refused_and_refunds_nothing(adapter, paysim):
    payment = _paid(adapter, paysim, 10000)
    adapter.refund(refund(payment, 6000), notify_url="")

    with pytest.raises(ChannelRefused) as refused:
        adapter.refund(refund(payment, 4001), notify_url="")

    assert refused.value.code == "INVALID_REQUEST"
    assert paysim.order(payment.out_trade_no).refunded_fen == 6000


def test_full_refund_in_two_parts_is_allowed(adapter, paysim):
    payment = _paid(adapter, paysim, 10000)

    adapter.refund(refund(payment, 6000), notify_url="")
    adapter.refund(refund(payment, 4000), notify_url="")

    assert paysim.order(payment.out_trade_no).refunded_fen == 10000


def test_refund_query_of_a_refund_wechat_never_had_is_failed(adapter, paysim):
    payment = _paid(adapter, paysim)

    result = adapter.refund_query(refund(payment, 100))

    assert (result.state, result.amount_fen) == (RefundState.FAILED, None)


def test_refund_left_processing_queries_pending_until_completed(adapter, paysim):
    paysim.refund_outcome = "PROCESSING"
    payment = _paid(adapter, paysim)
    part = refund(payment, 100)
    adapter.refund(part, notify_url="")

    assert adapter.refund_query(part).state == RefundState.PENDING
    paysim.complete_refund(part.out_refund_no, status="ABNORMAL")
    assert adapter.refund_query(part).state == RefundState.UNKNOWN


def test_refund_closed_at_wechat_is_failed_and_gives_the_amount_back(adapter, paysim):
    paysim.refund_outcome = "PROCESSING"
    payment = _paid(adapter, paysim, 5000)
    part = refund(payment, 5000)
    adapter.refund(part, notify_url="")

    paysim.complete_refund(part.out_refund_no, status="CLOSED")

    assert adapter.refund_query(part).state == RefundState.FAILED
    assert paysim.order(payment.out_trade_no).refunded_fen == 0


def test_refund_notification_is_sent_and_reads_as_the_refund(adapter, paysim, notify_sink):
    payment = _paid(adapter, paysim, 5000)
    part = refund(payment, 1500)

    adapter.refund(part, notify_url=notify_sink.url)
    assert paysim.drain(timeout=5)

    assert len(notify_sink.received) == 1
    _, headers, body = notify_sink.received[0]
    notification = adapter.parse_notify(headers, body)
    assert notification.payment is None
    assert notification.refund.out_refund_no == part.out_refund_no
    assert (notification.refund.state, notification.refund.amount_fen) == (RefundState.SUCCEEDED, 1500)
    assert notification.event_id == paysim.refunds[("wechat", part.out_refund_no)].event_id


def test_trade_bill_lists_the_paid_order_and_matches_its_checksum(adapter, paysim):
    payment = _paid(adapter, paysim, 12345)

    text = adapter.bill_download(now().date()).decode()

    lines = text.strip().split("\r\n")
    assert lines[0].startswith("交易时间,公众账号ID,商户号")
    assert f"`{payment.out_trade_no}" in lines[1] and "`123.45" in lines[1]
    assert lines[-1].startswith("`1,`123.45,`0.00")


def test_certificate_mode_downloads_the_platform_certificate_into_the_data_folder(wechat_account, paysim):
    mchid = "19" + secrets.token_hex(4)
    adapter = adapter_for(wechat_account(WechatKeyMode.CERTIFICATE, merchant_id=mchid))
    payment = attempt()

    adapter.create(payment, description="物业费", notify_url=NOTIFY)

    cached = Path(settings.DATA_DIR) / "wechatpay" / mchid / f"{sim_keys.load().platform_serial}.pem"
    assert cached.read_text() == sim_keys.load().platform_cert_pem
    assert paysim.order(payment.out_trade_no).key_mode == sim_wechat.CERTIFICATE


def test_public_key_mode_is_answered_with_the_public_key(wechat_account, paysim):
    adapter = adapter_for(wechat_account(WechatKeyMode.PUBLIC_KEY))
    payment = attempt()

    adapter.create(payment, description="物业费", notify_url=NOTIFY)

    assert paysim.order(payment.out_trade_no).key_mode == sim_wechat.PUBLIC_KEY


def test_answer_signed_by_a_key_we_do_not_trust_is_unknown(wechat_account, paysim):
    adapter = adapter_for(wechat_account(platform_public_key_ref=sim_keys.REF + "alipay_public.pem"))

    with pytest.raises(ChannelError) as error:
        adapter.create(attempt(), description="物业费", notify_url=NOTIFY)

    assert not isinstance(error.value, ChannelRefused)
    assert len(paysim.orders) == 1  # WeChat did place it: the outcome is unknown, not failed


def test_request_signed_with_another_key_is_refused_by_wechat(wechat_account, paysim):
    adapter = adapter_for(wechat_account(private_key_ref=sim_keys.REF + "alipay_app_private.pem"))

    with pytest.raises(ChannelRefused) as refused:
        adapter.create(attempt(), description="物业费", notify_url=NOTIFY)

    assert refused.value.code == "SIGN_ERROR"
    assert paysim.orders == {}


def test_unreachable_gateway_is_unknown(wechat_account):
    adapter = adapter_for(wechat_account(gateway_url="http://127.0.0.1:1"))

    with pytest.raises(ChannelError):
        adapter.query(attempt())


# Notifications -----------------------------------------------------------------------------------------


def _notification(paysim, adapter, **kwargs):
    payment = attempt(amount_fen=kwargs.pop("amount_fen", 12345))
    adapter.create(payment, description="物业费", notify_url=NOTIFY)
    _, headers, body = paysim.notification_for(payment.out_trade_no, method="wechat", **kwargs)
    return payment, headers, body


def test_genuine_notification_is_read_with_exact_amount(adapter, paysim):
    payment, headers, body = _notification(paysim, adapter, amount_fen=30303)

    notification = adapter.parse_notify(headers, body)

    order = paysim.order(payment.out_trade_no)
    assert notification.event_id == json.loads(body)["id"] == order.event_id
    assert notification.refund is None
    result = notification.payment
    assert (result.out_trade_no, result.state, result.amount_fen) == (
        payment.out_trade_no,
        AttemptState.SUCCEEDED,
        30303,
    )
    assert (result.channel_trade_no, result.payer_ref, result.paid_at) == (
        order.channel_trade_no,
        order.payer_ref,
        order.paid_at,
    )


def test_notification_delivered_by_paysim_is_read(adapter, paysim, notify_sink):
    payment = attempt(amount_fen=4242)
    adapter.create(payment, description="物业费", notify_url=notify_sink.url)

    deliveries = paysim.pay(payment.out_trade_no)

    assert [(d.status, d.fault) for d in deliveries] == [(200, "")]
    _, headers, body = notify_sink.received[0]
    assert adapter.parse_notify(headers, body).payment.amount_fen == 4242


def test_notification_headers_as_django_meta_are_read(adapter, paysim):
    _, headers, body = _notification(paysim, adapter)
    meta = {"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()}

    assert adapter.parse_notify(meta, body).payment.state == AttemptState.SUCCEEDED


def _rejected(adapter, headers, body) -> str:
    with pytest.raises(NotifyRejected) as rejected:
        adapter.parse_notify(headers, body)
    return rejected.value.code


def test_notification_with_a_forged_signature_is_rejected(adapter, paysim):
    _, headers, body = _notification(paysim, adapter)

    assert _rejected(adapter, forged_wechat(headers, body), body) == "signature"


def test_signature_probe_is_rejected(adapter, paysim):
    _, headers, body = _notification(paysim, adapter)
    probe = {**headers, "Wechatpay-Signature": "WECHATPAY/SIGNTEST/" + headers["Wechatpay-Signature"]}

    assert _rejected(adapter, probe, body) == "probe"


# A few seconds past the window on either side: the signing and the check take time of their own.
@pytest.mark.parametrize("seconds", [-305, 305, -3600])
def test_notification_more_than_five_minutes_off_is_rejected(adapter, paysim, seconds):
    _, headers, body = _notification(paysim, adapter, at=time.time() + seconds)

    assert _rejected(adapter, headers, body) == "timestamp"


def test_notification_four_minutes_old_is_accepted(adapter, paysim):
    _, headers, body = _notification(paysim, adapter, at=time.time() - 240)

    assert adapter.parse_notify(headers, body).payment.state == AttemptState.SUCCEEDED


def test_notification_for_another_merchant_is_rejected(wechat_account, paysim):
    adapter = adapter_for(wechat_account())
    _, headers, body = paysim.notification_for(
        "WYOTHERMERCHANT01", method="wechat", amount_fen=100, merchant_id="1900000999"
    )

    assert _rejected(adapter, headers, body) == "merchant"


def test_notification_for_another_app_is_rejected(wechat_account, paysim):
    adapter = adapter_for(wechat_account())
    _, headers, body = paysim.notification_for(
        "WYOTHERAPP0000001", method="wechat", amount_fen=100, app_id="wx0000000000000000"
    )

    assert _rejected(adapter, headers, body) == "app"


def test_notification_with_a_tampered_body_is_rejected(adapter, paysim):
    _, headers, body = _notification(paysim, adapter)

    assert _rejected(adapter, headers, sim_wechat.tamper(body)) == "signature"


def test_notification_encrypted_with_another_apiv3_key_is_rejected(wechat_account, paysim, monkeypatch):
    monkeypatch.setenv("WUYE_CHANNEL_OTHER_APIV3_KEY", "0123456789abcdef0123456789abcdef")
    adapter = adapter_for(wechat_account(apiv3_key_ref="env:WUYE_CHANNEL_OTHER_APIV3_KEY"))
    _, headers, body = paysim.notification_for("WYAPIV3KEY0000001", method="wechat", amount_fen=100)

    assert _rejected(adapter, headers, body) == "decrypt"


def test_notification_without_signature_headers_is_rejected(adapter, paysim):
    _, headers, body = _notification(paysim, adapter)
    del headers["Wechatpay-Signature"]

    assert _rejected(adapter, headers, body) == "format"


def test_notification_signed_in_the_other_key_mode_is_read(wechat_account, paysim):
    """A merchant moving from certificates to the public key gets both for a while: both verify."""
    adapter = adapter_for(wechat_account(WechatKeyMode.PUBLIC_KEY))
    _, headers, body = paysim.notification_for(
        "WYMODESWITCH00001", method="wechat", amount_fen=100, key_mode=sim_wechat.CERTIFICATE
    )

    assert headers["Wechatpay-Serial"] == sim_keys.load().platform_serial
    assert adapter.parse_notify(headers, body).payment.amount_fen == 100


def test_answers_are_what_wechat_expects(wechat_account):
    adapter = adapter_for(wechat_account())

    assert adapter.answer(True) == (200, "text/plain; charset=utf-8", b"")
    status, content_type, body = adapter.answer(False, "签名错误")
    assert (status, content_type) == (400, "application/json; charset=utf-8")
    assert json.loads(body) == {"code": "FAIL", "message": "签名错误"}
