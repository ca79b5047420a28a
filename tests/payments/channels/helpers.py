"""Attempts and refunds as the payment core stores them before calling a channel (unsaved: the
adapters read only their fields), and forgers for the rejection tests."""

from __future__ import annotations

import base64
import datetime
import json
import urllib.parse

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.utils import timezone

from wuye.payments.enums import Channel, PaymentMethod
from wuye.payments.models import PaymentAttempt, Refund

_FORGER = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def attempt(channel: str = Channel.WECHAT_NATIVE, amount_fen: int = 12345, **fields) -> PaymentAttempt:
    method = PaymentMethod.ALIPAY if channel == Channel.ALIPAY_QR else PaymentMethod.WECHAT
    values = {
        "channel": channel,
        "method": method,
        "amount_fen": amount_fen,
        "expires_at": timezone.now() + datetime.timedelta(minutes=15),
    }
    values.update(fields)
    return PaymentAttempt(**values)


def refund(of: PaymentAttempt, amount_fen: int, **fields) -> Refund:
    return Refund(attempt=of, amount_fen=amount_fen, reason=fields.pop("reason", "多收物业费"), **fields)


def forge_signature(message: str) -> str:
    """A well-formed SHA256withRSA signature by a key that is nobody's."""
    signature = _FORGER.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode()


def forged_wechat(headers: dict[str, str], body: bytes) -> dict[str, str]:
    message = f"{headers['Wechatpay-Timestamp']}\n{headers['Wechatpay-Nonce']}\n{body.decode()}\n"
    return {**headers, "Wechatpay-Signature": forge_signature(message)}


def forged_alipay(body: bytes, **changes: str) -> bytes:
    params = dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
    params.update(changes)
    params.pop("sign")
    message = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "sign_type")
    params["sign"] = forge_signature(message)
    return urllib.parse.urlencode(params).encode()


def decoded(body: bytes) -> dict:
    return json.loads(body)
