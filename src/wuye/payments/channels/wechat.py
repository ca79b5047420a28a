"""WeChat Pay API v3 through the ``wechatpayv3`` SDK: Native (QR) and JSAPI orders, query, close,
refunds, the trade bill and notifications, in either key mode.

The SDK signs every request, verifies every 2xx answer and decrypts notification resources; this
adapter adds what it lacks: the notification timestamp window, refusing signature probes, checking the
merchant and app ids, exact fen amounts, and turning everything unclear into ChannelError (unknown).
"""

from __future__ import annotations

import datetime
import functools
import gzip
import hashlib
import json
import threading
import time
import uuid
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings
from wechatpayv3 import WeChatPay, WeChatPayType
from wechatpayv3.core import Core

from wuye.core.references import gateway_check, merchant_id_check
from wuye.payments.channels import (
    NOTIFY_WINDOW,
    ChannelError,
    ChannelRefused,
    ChannelResult,
    Notification,
    NotifyRejected,
    RefundResult,
    pem,
)
from wuye.payments.enums import AttemptState, Channel, PaymentMethod, RefundState, WechatKeyMode

TRADE_STATES: dict[str, str] = {
    "SUCCESS": AttemptState.SUCCEEDED,
    "REFUND": AttemptState.SUCCEEDED,  # paid, then (partly) refunded: the payment happened
    "NOTPAY": AttemptState.PENDING,
    "USERPAYING": AttemptState.PENDING,
    "CLOSED": AttemptState.CLOSED,
    "REVOKED": AttemptState.CLOSED,
    "PAYERROR": AttemptState.FAILED,
}
# ABNORMAL: the refund could not reach the payer's account and waits for the merchant to act; the money
# has not left, but it is not a final failure either, so it stays unknown (queried, shown to staff).
REFUND_STATES: dict[str, str] = {
    "SUCCESS": RefundState.SUCCEEDED,
    "PROCESSING": RefundState.PENDING,
    "CLOSED": RefundState.FAILED,
    "ABNORMAL": RefundState.UNKNOWN,
}
SIGNATURE_PROBE = "WECHATPAY/SIGNTEST/"
NOTIFY_HEADERS = ("wechatpay-signature", "wechatpay-timestamp", "wechatpay-nonce", "wechatpay-serial")
TIMEOUT = (5, 15)  # seconds: connect, read
CHINA = datetime.timezone(datetime.timedelta(hours=8))


@dataclass(frozen=True)
class WechatConfig:
    """A channel account with its keys resolved: the cache key of an adapter."""

    mchid: str
    appid: str
    key_mode: str
    merchant_serial_no: str
    private_key: str
    apiv3_key: str
    public_key: str
    public_key_id: str
    gateway: str
    cert_dir: str


class _Core(Core):
    """The SDK's core with our gateway. ``Core.__init__`` sets the real service's address and, in
    certificate mode with no cached certificate, downloads the platform certificates at once, so the
    gateway has to be in place before that first download."""

    def __init__(self, *, gateway: str, **kwargs: Any):
        self._gateway_override = gateway
        super().__init__(**kwargs)
        if gateway:
            self._gate_way = gateway

    def _init_certificates(self) -> None:
        if self._gateway_override:
            self._gate_way = self._gateway_override
        super()._init_certificates()


class _Client(WeChatPay):
    """The SDK's client (its pay/query/close/refund methods) around our core: ``WeChatPay.__init__``
    builds its own Core with the real gateway, so the few attributes it sets are set here."""

    def __init__(self, core: Core, *, mchid: str, appid: str):
        self._type = WeChatPayType.NATIVE
        self._mchid = mchid
        self._appid = appid
        self._notify_url = None
        self._partner_mode = False
        self._core = core


def _strip(text: str) -> str:
    return text.strip()


class WechatAdapter:
    method = PaymentMethod.WECHAT

    def __init__(self, config: WechatConfig):
        self.config = config
        self._client: _Client | None = None
        self._lock = threading.Lock()

    @classmethod
    def for_account(cls, account) -> WechatAdapter:
        """The account's adapter; ReferenceRefusedError if its gateway, merchant id or key references
        break the rules of ``channels.references`` (checked again here, before anything is read)."""
        gateway_check(account.method, account.gateway_url)
        merchant_id_check(account.merchant_id)
        public_key_mode = account.key_mode == WechatKeyMode.PUBLIC_KEY
        config = WechatConfig(
            mchid=account.merchant_id,
            appid=account.app_id,
            key_mode=account.key_mode,
            merchant_serial_no=account.merchant_serial_no.strip(),
            private_key=account.secret("private_key_ref"),
            apiv3_key=_strip(account.secret("apiv3_key_ref")),
            public_key=account.secret("platform_public_key_ref") if public_key_mode else "",
            public_key_id=account.platform_public_key_id.strip() if public_key_mode else "",
            gateway=account.gateway_url.rstrip("/"),
            cert_dir=str(settings.DATA_DIR / "wechatpay" / (account.merchant_id or "merchant")),
        )
        return _adapter(config)

    # The SDK client is built on first use: in certificate mode building it may download certificates,
    # and a channel that is down must give ChannelError on a call, not break adapter_for().
    @property
    def client(self) -> _Client:
        with self._lock:
            if self._client is None:
                config = self.config
                keys: dict[str, Any] = {}
                if config.key_mode == WechatKeyMode.PUBLIC_KEY:
                    keys = {
                        "public_key": pem(config.public_key, "PUBLIC KEY"),
                        "public_key_id": config.public_key_id,
                    }
                try:
                    core = _Core(
                        gateway=config.gateway,
                        mchid=config.mchid,
                        cert_serial_no=config.merchant_serial_no,
                        private_key=config.private_key,
                        apiv3_key=config.apiv3_key,
                        cert_dir=config.cert_dir,
                        timeout=TIMEOUT,
                        **keys,
                    )
                except requests.RequestException as exc:
                    raise ChannelError(f"WeChat Pay unreachable: {exc}") from exc
                except Exception as exc:  # the SDK raises bare Exception (no certificate, bad key)
                    raise ChannelError(f"WeChat Pay client: {exc}") from exc
                self._client = _Client(core, mchid=config.mchid, appid=config.appid)
            return self._client

    def _call(self, name: str, **kwargs: Any) -> tuple[int, Any]:
        """One SDK call: (HTTP status, decoded JSON or raw bytes). Network errors, 5xx, 429 and 2xx
        answers whose signature does not verify raise ChannelError (outcome unknown)."""
        try:
            status, content = getattr(self.client, name)(**kwargs)
        except requests.RequestException as exc:
            raise ChannelError(f"WeChat Pay unreachable: {exc}") from exc
        except ChannelError:
            raise
        except Exception as exc:  # the SDK raises bare Exception for an answer it cannot verify
            raise ChannelError(f"WeChat Pay answer not trusted: {exc}") from exc
        if status >= 500 or status == 429:
            raise ChannelError(f"WeChat Pay answered HTTP {status}")
        if isinstance(content, bytes):
            return status, content
        try:
            return status, json.loads(content) if content else {}
        except ValueError as exc:
            raise ChannelError(f"WeChat Pay answered HTTP {status} with no JSON") from exc

    @staticmethod
    def _refused(status: int, data: Any) -> ChannelRefused:
        data = data if isinstance(data, dict) else {}
        return ChannelRefused(str(data.get("code") or f"HTTP_{status}"), str(data.get("message") or ""))

    # Orders ------------------------------------------------------------------------------------------

    def create(self, attempt, *, description: str, notify_url: str) -> str:
        jsapi = attempt.channel == Channel.WECHAT_JSAPI
        if jsapi and not attempt.payer_ref:
            raise ChannelRefused("PAYER_MISSING", "JSAPI needs the payer's openid")
        kwargs: dict[str, Any] = {
            "description": description[:127],
            "out_trade_no": attempt.out_trade_no,
            "amount": {"total": int(attempt.amount_fen), "currency": "CNY"},
            "notify_url": notify_url,
            "pay_type": WeChatPayType.JSAPI if jsapi else WeChatPayType.NATIVE,
        }
        if jsapi:
            kwargs["payer"] = {"openid": attempt.payer_ref}
        if attempt.expires_at:
            kwargs["time_expire"] = attempt.expires_at.astimezone(CHINA).isoformat(timespec="seconds")
        status, data = self._call("pay", **kwargs)
        if status != 200 or not isinstance(data, dict):
            raise self._refused(status, data)
        if not jsapi:
            if not data.get("code_url"):
                raise ChannelError("WeChat Pay answered without code_url")
            return data["code_url"]
        prepay_id = data.get("prepay_id")
        if not prepay_id:
            raise ChannelError("WeChat Pay answered without prepay_id")
        return json.dumps(self.jsapi_params(prepay_id))

    def jsapi_params(self, prepay_id: str) -> dict[str, str]:
        """The parameters WeixinJSBridge 'getBrandWCPayRequest' takes, signed by the merchant key."""
        timestamp = str(int(time.time()))
        nonce = uuid.uuid4().hex
        package = f"prepay_id={prepay_id}"
        signature = self.client.sign([self.config.appid, timestamp, nonce, package])
        return {
            "appId": self.config.appid,
            "timeStamp": timestamp,
            "nonceStr": nonce,
            "package": package,
            "signType": "RSA",
            "paySign": signature,
        }

    def query(self, attempt) -> ChannelResult:
        """The order as WeChat has it. ORDER_NOT_EXIST: the order never reached WeChat (a Native or JSAPI
        order exists from the moment it is placed), so it can never be paid: FAILED."""
        status, data = self._call("query", out_trade_no=attempt.out_trade_no)
        if status == 404 and isinstance(data, dict) and data.get("code") == "ORDER_NOT_EXIST":
            return ChannelResult(attempt.out_trade_no, AttemptState.FAILED, None)
        if status != 200 or not isinstance(data, dict):
            raise ChannelError(f"WeChat Pay query answered HTTP {status}: {data}")
        if data.get("out_trade_no") != attempt.out_trade_no:
            raise ChannelError("WeChat Pay answered about another order")
        return self._payment(data)

    def close(self, attempt) -> None:
        """Close an unpaid order. A paid one raises ChannelRefused('ORDERPAID'); an order WeChat never
        had is closed as far as anyone can pay it."""
        status, data = self._call("close", out_trade_no=attempt.out_trade_no)
        if status in (200, 204):
            return
        if status == 404 and isinstance(data, dict) and data.get("code") == "ORDER_NOT_EXIST":
            return
        raise self._refused(status, data)

    # Refunds -----------------------------------------------------------------------------------------

    def refund(self, refund, *, notify_url: str) -> RefundResult:
        attempt = refund.attempt
        kwargs: dict[str, Any] = {
            "out_refund_no": refund.out_refund_no,
            "amount": {"refund": int(refund.amount_fen), "total": int(attempt.amount_fen), "currency": "CNY"},
            "out_trade_no": attempt.out_trade_no,
            "reason": (refund.reason or "")[:80] or None,
        }
        if notify_url:
            kwargs["notify_url"] = notify_url
        status, data = self._call("refund", **kwargs)
        if status != 200 or not isinstance(data, dict):
            raise self._refused(status, data)
        return self._refund(data, refund.out_refund_no)

    def refund_query(self, refund) -> RefundResult:
        """The refund as WeChat has it. RESOURCE_NOT_EXISTS: the request never reached WeChat, so no
        money left: FAILED (a new request with the same out_refund_no may be sent)."""
        status, data = self._call("query_refund", out_refund_no=refund.out_refund_no)
        if status == 404 and isinstance(data, dict) and data.get("code") == "RESOURCE_NOT_EXISTS":
            return RefundResult(refund.out_refund_no, RefundState.FAILED, None)
        if status != 200 or not isinstance(data, dict):
            raise ChannelError(f"WeChat Pay refund query answered HTTP {status}: {data}")
        return self._refund(data, refund.out_refund_no)

    # Bills -------------------------------------------------------------------------------------------

    def bill_download(self, day: datetime.date) -> bytes:
        """The day's trade bill (ALL), decompressed: CSV text as WeChat writes it (UTF-8)."""
        return self._bill("trade_bill", bill_date=day.isoformat(), bill_type="ALL", tar_type="GZIP")

    def fundflow_download(self, day: datetime.date) -> bytes:
        """The day's fund-flow bill of the basic account (资金账单), decompressed CSV text."""
        return self._bill("fundflow_bill", bill_date=day.isoformat(), account_type="BASIC", tar_type="GZIP")

    def _bill(self, call: str, **params) -> bytes:
        """Ask for a bill and download it. The SDK downloads without verification (the file is not
        signed), so its SHA1 is checked against the signed answer that gave the download address."""
        status, data = self._call(call, **params)
        if status != 200 or not isinstance(data, dict) or not data.get("download_url"):
            raise self._refused(status, data)
        status, content = self._call("download_bill", url=data["download_url"])
        if status != 200 or not isinstance(content, bytes):
            raise ChannelError(f"WeChat Pay bill download answered HTTP {status}")
        try:
            text = gzip.decompress(content)
        except (OSError, EOFError, zlib.error) as exc:
            raise ChannelError("WeChat Pay bill is not gzip") from exc
        checksum = hashlib.sha1(text, usedforsecurity=False).hexdigest()  # WeChat's choice of digest
        if data.get("hash_type", "SHA1") == "SHA1" and checksum != str(data.get("hash_value", "")).lower():
            raise ChannelError("WeChat Pay bill does not match its checksum")
        return text

    # Notifications -----------------------------------------------------------------------------------

    def parse_notify(self, headers: Mapping[str, str], body: bytes) -> Notification:
        """Check a notification and read it. In order: the headers are there; a signature probe
        (``WECHATPAY/SIGNTEST/…``, sent by WeChat to see that we check) is refused; the timestamp is within
        5 minutes (the SDK does not check it: a replayed genuine notification verifies forever); the
        signature over the raw body verifies (SDK); the resource decrypts with the APIv3 key (SDK); the
        merchant and app ids are ours. Raises NotifyRejected with the failing check's code."""
        flat = _flat_headers(headers)
        if any(not flat.get(name) for name in NOTIFY_HEADERS):
            raise NotifyRejected("format", "Wechatpay-* headers missing")
        if flat["wechatpay-signature"].startswith(SIGNATURE_PROBE):
            raise NotifyRejected("probe", "signature probe")
        try:
            timestamp = int(flat["wechatpay-timestamp"])
        except ValueError as exc:
            raise NotifyRejected("timestamp", "timestamp is not a number") from exc
        if abs(time.time() - timestamp) > NOTIFY_WINDOW.total_seconds():
            raise NotifyRejected("timestamp", f"timestamp {timestamp} is more than 5 minutes off")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NotifyRejected("format", "body is not UTF-8") from exc
        flat.setdefault("wechatpay-signature-type", "WECHATPAY2-SHA256-RSA2048")
        client = self.client
        try:
            verified = client._core._verify_signature(flat, text)  # the SDK's own check
        except requests.RequestException as exc:  # an unknown serial makes it fetch certificates
            raise ChannelError(f"WeChat Pay unreachable: {exc}") from exc
        except Exception as exc:  # bad serial, unknown signature type
            raise NotifyRejected("signature", f"signature not checkable: {exc}") from exc
        if not verified:
            raise NotifyRejected("signature", "signature does not verify")
        try:
            envelope = json.loads(text)
            result = client.decrypt_callback(flat, text)
        except ValueError as exc:
            raise NotifyRejected("format", "body is not JSON") from exc
        except Exception as exc:  # unsupported algorithm
            raise NotifyRejected("decrypt", str(exc)) from exc
        if not result:
            raise NotifyRejected("decrypt", "resource does not decrypt with the APIv3 key")
        try:
            resource = json.loads(result)
        except ValueError as exc:
            raise NotifyRejected("format", "resource is not JSON") from exc
        if not isinstance(envelope, dict) or not isinstance(resource, dict) or not envelope.get("id"):
            raise NotifyRejected("format", "notification without id")
        if resource.get("mchid") != self.config.mchid:
            raise NotifyRejected("merchant", f"merchant id {resource.get('mchid')!r} is not ours")
        if "out_refund_no" in resource:
            return Notification(str(envelope["id"]), None, self._refund(resource, resource["out_refund_no"]))
        if resource.get("appid") != self.config.appid:
            raise NotifyRejected("app", f"app id {resource.get('appid')!r} is not ours")
        if not resource.get("out_trade_no"):
            raise NotifyRejected("format", "resource without out_trade_no")
        return Notification(str(envelope["id"]), self._payment(resource), None)

    def answer(self, ok: bool, message: str = "") -> tuple[int, str, bytes]:
        """WeChat: 200 with no body on success; 4xx with {"code": "FAIL", "message": …} otherwise (it
        retries)."""
        if ok:
            return 200, "text/plain; charset=utf-8", b""
        body = json.dumps({"code": "FAIL", "message": message or "失败"}, ensure_ascii=False)
        return 400, "application/json; charset=utf-8", body.encode()

    # Reading answers ---------------------------------------------------------------------------------

    @staticmethod
    def _payment(data: dict) -> ChannelResult:
        amount = data.get("amount") or {}
        total = amount.get("total")
        return ChannelResult(
            out_trade_no=str(data.get("out_trade_no", "")),
            state=TRADE_STATES.get(str(data.get("trade_state")), AttemptState.UNKNOWN),
            amount_fen=total if isinstance(total, int) else None,
            channel_trade_no=str(data.get("transaction_id") or ""),
            paid_at=_time(data.get("success_time")),
            payer_ref=str((data.get("payer") or {}).get("openid") or ""),
        )

    @staticmethod
    def _refund(data: dict, out_refund_no: str) -> RefundResult:
        if data.get("out_refund_no") != out_refund_no:
            raise ChannelError("WeChat Pay answered about another refund")
        status = data.get("status") or data.get("refund_status")
        amount = (data.get("amount") or {}).get("refund")
        return RefundResult(
            out_refund_no=out_refund_no,
            state=REFUND_STATES.get(str(status), RefundState.UNKNOWN),
            amount_fen=amount if isinstance(amount, int) else None,
            channel_refund_no=str(data.get("refund_id") or ""),
        )


@functools.lru_cache(maxsize=64)
def _adapter(config: WechatConfig) -> WechatAdapter:
    return WechatAdapter(config)


# The encrypted resource of a v3 notification's envelope, as WeChat Pay sends it.
RESOURCE_FIELDS = ("algorithm", "ciphertext", "nonce")


def notify_well_formed(headers: Mapping[str, str], body: bytes) -> bool:
    """Whether a request could be a WeChat Pay v3 notification at all: the four Wechatpay-* headers, and
    a JSON object with the envelope's id, event_type and encrypted resource. A cheap look, no keys: a
    notification of this shape that does not verify is still kept in the inbox, with the reason."""
    flat = _flat_headers(headers)
    if any(not flat.get(name) for name in NOTIFY_HEADERS):
        return False
    try:
        envelope = json.loads(body)
    except ValueError:  # not JSON, or not UTF-8
        return False
    if not isinstance(envelope, dict):
        return False
    resource = envelope.get("resource")
    return (
        all(isinstance(envelope.get(name), str) and envelope[name] for name in ("id", "event_type"))
        and isinstance(resource, dict)
        and all(isinstance(resource.get(name), str) and resource[name] for name in RESOURCE_FIELDS)
    )


def _flat_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Header names in lower case, from a plain dict, Django's request.headers or request.META."""
    flat = {}
    for name, value in headers.items():
        key = name.lower()
        if key.startswith("http_"):
            key = key[5:].replace("_", "-")
        flat[key] = str(value)
    return flat


def _time(text: Any) -> datetime.datetime | None:
    if not text:
        return None
    try:
        return datetime.datetime.fromisoformat(str(text))
    except ValueError:
        return None
