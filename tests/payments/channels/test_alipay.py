"""The Alipay adapter against paysim, through the real python-alipay-sdk."""

from __future__ import annotations

import datetime
import io
import time
import urllib.parse
import zipfile

import pytest

from tests.payments.channels.helpers import attempt, forged_alipay, refund
from wuye.core.money import fen_to_yuan
from wuye.payments.channels import (
    ChannelError,
    ChannelRefused,
    NotifyRejected,
    adapter_for,
)
from wuye.payments.channels.alipay import wire_fen
from wuye.payments.enums import AttemptState, Channel, RefundState
from wuye.paysim import alipay as sim_alipay
from wuye.paysim import keys as sim_keys
from wuye.paysim.state import now

NOTIFY = "http://127.0.0.1:9/notify"


@pytest.fixture
def adapter(alipay_account):
    return adapter_for(alipay_account())


def _created(adapter, amount_fen=12345):
    payment = attempt(Channel.ALIPAY_QR, amount_fen=amount_fen)
    adapter.create(payment, description="2024年5月物业费", notify_url=NOTIFY)
    return payment


def _paid(adapter, paysim, amount_fen=12345):
    payment = _created(adapter, amount_fen)
    paysim.pay(payment.out_trade_no, notify=False)
    return payment


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("12.34", 1234),
        ("0.01", 1),
        ("100", 10000),
        ("100.5", 10050),
        ("0.10", 10),
        ("1.005", None),
        ("", None),
        ("abc", None),
        (None, None),
        ("0.00", 0),
        ("-1.00", None),
        ("1e3", None),
    ],
)
def test_wire_fen_is_exact(text, fen):
    assert wire_fen(text) == fen


@pytest.mark.parametrize(
    ("fen", "text"), [(1, "0.01"), (10, "0.10"), (12345, "123.45"), (10000, "100.00"), (0, "0.00")]
)
def test_fen_to_yuan_ungrouped_is_alipay_format(fen, text):
    assert fen_to_yuan(fen, grouping=False) == text


def test_precreate_returns_the_phone_link_of_an_order_of_the_exact_amount(adapter, paysim):
    payment = attempt(Channel.ALIPAY_QR, amount_fen=10001)

    qr_code = adapter.create(payment, description="2024年5月物业费", notify_url=NOTIFY)

    order = paysim.order(payment.out_trade_no)
    assert qr_code == f"{paysim.base_url}/phone/{order.token}"
    assert (order.amount_fen, order.description, order.notify_url) == (10001, "2024年5月物业费", NOTIFY)
    assert (order.app_id, order.trade_type) == (sim_keys.ALIPAY_APPID, "PRECREATE")
    assert order.expires_at == payment.expires_at.replace(microsecond=0)


def test_precreate_of_a_paid_order_is_refused(adapter, paysim):
    payment = _paid(adapter, paysim)

    with pytest.raises(ChannelRefused) as refused:
        adapter.create(payment, description="物业费", notify_url=NOTIFY)

    assert refused.value.code == "ACQ.TRADE_HAS_SUCCESS"


def test_query_before_the_qr_is_scanned_is_pending(adapter):
    payment = _created(adapter)

    result = adapter.query(payment)

    assert (result.state, result.amount_fen) == (AttemptState.PENDING, None)


def test_query_after_the_scan_is_pending_with_its_amount(adapter, paysim):
    payment = _created(adapter, 777)
    paysim.order(payment.out_trade_no).scanned = True

    result = adapter.query(payment)

    assert (result.state, result.amount_fen) == (AttemptState.PENDING, 777)


def test_query_of_a_paid_trade_whose_notification_was_lost_is_succeeded(adapter, paysim):
    payment = _paid(adapter, paysim, 20001)

    result = adapter.query(payment)

    order = paysim.order(payment.out_trade_no)
    assert (result.state, result.amount_fen) == (AttemptState.SUCCEEDED, 20001)
    assert (result.channel_trade_no, result.payer_ref, result.paid_at) == (
        order.channel_trade_no,
        order.payer_ref,
        order.paid_at,
    )


def test_close_of_a_scanned_unpaid_trade_closes_it(adapter, paysim):
    payment = _created(adapter)
    paysim.order(payment.out_trade_no).scanned = True

    adapter.close(payment)

    assert adapter.query(payment).state == AttemptState.CLOSED


def test_close_of_an_unscanned_trade_is_done_and_it_can_no_longer_be_paid(adapter, paysim):
    payment = _created(adapter)

    adapter.close(payment)

    with pytest.raises(ValueError, match="closed"):
        paysim.pay(payment.out_trade_no)


def test_close_of_a_paid_trade_is_refused(adapter, paysim):
    payment = _paid(adapter, paysim)

    with pytest.raises(ChannelRefused) as refused:
        adapter.close(payment)

    assert refused.value.code == "ACQ.TRADE_STATUS_ERROR"
    assert adapter.query(payment).state == AttemptState.SUCCEEDED


def test_partial_refund_succeeds_with_exact_amounts(adapter, paysim):
    payment = _paid(adapter, paysim, 12345)
    part = refund(payment, 2345)

    sent = adapter.refund(part, notify_url="")
    queried = adapter.refund_query(part)

    assert (sent.out_refund_no, sent.state, sent.amount_fen) == (
        part.out_refund_no,
        RefundState.SUCCEEDED,
        2345,
    )
    assert (queried.state, queried.amount_fen) == (RefundState.SUCCEEDED, 2345)
    assert paysim.order(payment.out_trade_no).refunded_fen == 2345
    assert adapter.query(payment).state == AttemptState.SUCCEEDED


def test_refund_sent_twice_with_one_number_refunds_once(adapter, paysim):
    payment = _paid(adapter, paysim, 10000)
    part = refund(payment, 4000)

    adapter.refund(part, notify_url="")
    adapter.refund(part, notify_url="")

    assert paysim.order(payment.out_trade_no).refunded_fen == 4000


def test_refund_beyond_what_was_paid_is_refused_and_refunds_nothing(adapter, paysim):
    payment = _paid(adapter, paysim, 10000)
    adapter.refund(refund(payment, 6000), notify_url="")

    with pytest.raises(ChannelRefused) as refused:
        adapter.refund(refund(payment, 4001), notify_url="")

    assert refused.value.code == "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"
    assert paysim.order(payment.out_trade_no).refunded_fen == 6000


def test_fully_refunded_trade_is_closed_at_alipay(adapter, paysim):
    payment = _paid(adapter, paysim, 10000)

    adapter.refund(refund(payment, 10000), notify_url="")

    assert adapter.query(payment).state == AttemptState.CLOSED


def test_refund_query_of_a_refund_alipay_never_had_is_failed(adapter, paysim):
    payment = _paid(adapter, paysim)

    result = adapter.refund_query(refund(payment, 100))

    assert (result.state, result.amount_fen) == (RefundState.FAILED, None)


def test_bill_download_is_a_zip_listing_the_paid_trade(adapter, paysim):
    payment = _paid(adapter, paysim, 12345)

    content = adapter.bill_download(now().date())

    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        (name,) = archive.namelist()
        text = archive.read(name).decode("gbk")
    assert name.endswith("_业务明细.csv")
    assert f"{payment.out_trade_no}\t,交易,2024年5月物业费" in text and ",123.45,123.45," in text


def test_answer_signed_by_a_key_we_do_not_trust_is_unknown(alipay_account, paysim):
    adapter = adapter_for(alipay_account(platform_public_key_ref=sim_keys.REF + "wechat_pubkey_public.pem"))

    with pytest.raises(ChannelError) as error:
        adapter.create(attempt(Channel.ALIPAY_QR), description="物业费", notify_url=NOTIFY)

    assert not isinstance(error.value, ChannelRefused)
    assert len(paysim.orders) == 1


def test_request_signed_with_another_key_is_refused_by_alipay(alipay_account, paysim):
    adapter = adapter_for(alipay_account(private_key_ref=sim_keys.REF + "merchant_private.pem"))

    with pytest.raises(ChannelRefused) as refused:
        adapter.create(attempt(Channel.ALIPAY_QR), description="物业费", notify_url=NOTIFY)

    assert refused.value.code == "isv.invalid-signature"
    assert paysim.orders == {}


def test_unreachable_gateway_is_unknown(alipay_account):
    adapter = adapter_for(alipay_account(gateway_url="http://127.0.0.1:1/gateway.do"))

    with pytest.raises(ChannelError):
        adapter.query(attempt(Channel.ALIPAY_QR))


# Notifications -----------------------------------------------------------------------------------------


def _notification(paysim, adapter, amount_fen=12345, **kwargs):
    payment = _created(adapter, amount_fen)
    _, headers, body = paysim.notification_for(payment.out_trade_no, method="alipay", **kwargs)
    return payment, headers, body


def _rejected(adapter, headers, body) -> str:
    with pytest.raises(NotifyRejected) as rejected:
        adapter.parse_notify(headers, body)
    return rejected.value.code


def test_genuine_notification_is_read_with_exact_amount(adapter, paysim):
    payment, headers, body = _notification(paysim, adapter, 30303)

    notification = adapter.parse_notify(headers, body)

    order = paysim.order(payment.out_trade_no)
    assert notification.event_id == order.event_id
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
    payment = attempt(Channel.ALIPAY_QR, amount_fen=4242)
    adapter.create(payment, description="物业费", notify_url=notify_sink.url)
    notify_sink.answer = (200, b"success")

    deliveries = paysim.pay(payment.out_trade_no)

    assert [(d.status, d.answer) for d in deliveries] == [(200, "success")]
    _, headers, body = notify_sink.received[0]
    assert adapter.parse_notify(headers, body).payment.amount_fen == 4242


def test_notification_with_a_forged_signature_is_rejected(adapter, paysim):
    _, headers, body = _notification(paysim, adapter)

    assert _rejected(adapter, headers, forged_alipay(body)) == "signature"


def test_notification_with_a_tampered_amount_is_rejected(adapter, paysim):
    _, headers, body = _notification(paysim, adapter, 100)
    tampered = sim_alipay.tamper(body)

    assert dict(urllib.parse.parse_qsl(tampered.decode()))["total_amount"] == "1.01"
    assert _rejected(adapter, headers, tampered) == "signature"


# A few seconds past the window on either side: the signing and the check take time of their own.
@pytest.mark.parametrize("seconds", [-305, 305, -3600])
def test_notification_more_than_five_minutes_off_is_rejected(adapter, paysim, seconds):
    _, headers, body = _notification(paysim, adapter, at=time.time() + seconds)

    assert _rejected(adapter, headers, body) == "timestamp"


def test_notification_for_another_app_is_rejected(adapter, paysim):
    _, headers, body = paysim.notification_for(
        "WYOTHERAPP0000001", method="alipay", amount_fen=100, app_id="2021000000009999"
    )

    assert _rejected(adapter, headers, body) == "app"


def test_notification_for_another_seller_is_rejected(adapter, paysim):
    _, headers, body = paysim.notification_for(
        "WYOTHERSELLER0001", method="alipay", amount_fen=100, merchant_id="2088000000009999"
    )

    assert _rejected(adapter, headers, body) == "merchant"


def test_notification_without_sign_is_rejected(adapter, paysim):
    _, headers, body = _notification(paysim, adapter)
    params = [(k, v) for k, v in urllib.parse.parse_qsl(body.decode()) if k != "sign"]

    assert _rejected(adapter, headers, urllib.parse.urlencode(params).encode()) == "format"


def test_notification_of_a_refund_reads_as_the_refund(adapter, paysim):
    _payment, _, body = _notification(paysim, adapter, 5000)
    params = dict(urllib.parse.parse_qsl(body.decode()))
    params.update({"out_biz_no": "RF0001", "refund_fee": "10.00", "gmt_refund": params["gmt_payment"]})
    params.pop("sign")
    message = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "sign_type")
    params["sign"] = sim_keys.rsa_sign(sim_keys.load().alipay_private, message)

    notification = adapter.parse_notify({}, urllib.parse.urlencode(params).encode())

    assert notification.payment is None
    assert (notification.refund.out_refund_no, notification.refund.state) == ("RF0001", RefundState.SUCCEEDED)


def test_answers_are_what_alipay_expects(adapter):
    assert adapter.answer(True) == (200, "text/plain; charset=utf-8", b"success")
    assert adapter.answer(False, "bad") == (200, "text/plain; charset=utf-8", b"fail")


def test_expired_trade_cannot_be_paid(adapter, paysim):
    payment = _created(adapter)
    paysim.order(payment.out_trade_no).expires_at = now() - datetime.timedelta(seconds=1)

    with pytest.raises(ValueError, match="closed"):
        paysim.pay(payment.out_trade_no)
