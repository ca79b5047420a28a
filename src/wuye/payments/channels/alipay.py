"""Alipay through ``python-alipay-sdk``: precreate (QR), query, close, refund, refund query, the bill
download address, and notifications.

The SDK signs requests (RSA2) and verifies every answer's signature; this adapter adds the
notification checks it lacks (app id, seller id, the 5-minute window on notify_time), converts yuan
strings to fen with Decimal, and turns everything unclear into ChannelError (unknown).
"""

from __future__ import annotations

import datetime
import functools
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from alipay import AliPay
from alipay.exceptions import AliPayException, AliPayValidationError
from alipay.utils import AliPayConfig
from django.core.exceptions import ValidationError

from wuye.core.money import fen_to_yuan, yuan_to_fen
from wuye.core.references import gateway_check
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
from wuye.payments.enums import AttemptState, PaymentMethod, RefundState

# Alipay writes amounts as yuan strings ("12.34"): sent as fen_to_yuan(fen, grouping=False), read with
# wire_fen. The upper bound only keeps a forged figure from passing as an amount.
WIRE_MAX_FEN = 10**15


def wire_fen(text: str | None) -> int | None:
    """An amount as Alipay sends it ("12.34") in fen, exactly; None for a missing or malformed one."""
    try:
        return yuan_to_fen(text, max_fen=WIRE_MAX_FEN, allow_zero=True)
    except ValidationError:
        return None


TRADE_STATES: dict[str, str] = {
    "TRADE_SUCCESS": AttemptState.SUCCEEDED,
    "TRADE_FINISHED": AttemptState.SUCCEEDED,
    "WAIT_BUYER_PAY": AttemptState.PENDING,
    "TRADE_CLOSED": AttemptState.CLOSED,
}
OK = "10000"
BUSINESS_FAILED = "40004"
# Gateway codes that refuse the request itself (arguments, signature, permissions): nothing happened.
REFUSED_CODES = {"40001", "40002", "40003", "40006"}
TIMEOUT = 15  # seconds
CHINA = ZoneInfo("Asia/Shanghai")  # Alipay writes its times in Beijing time, without a zone


@dataclass(frozen=True)
class AlipayConfig:
    app_id: str
    seller_id: str
    private_key: str
    alipay_public_key: str
    gateway: str


class AlipayAdapter:
    method = PaymentMethod.ALIPAY

    def __init__(self, config: AlipayConfig):
        self.config = config
        self.client = AliPay(
            appid=config.app_id,
            app_private_key_string=pem(config.private_key, "PRIVATE KEY"),
            alipay_public_key_string=pem(config.alipay_public_key, "PUBLIC KEY"),
            sign_type="RSA2",
            config=AliPayConfig(timeout=TIMEOUT),
        )
        if config.gateway:
            self.client._gateway = config.gateway

    @classmethod
    def for_account(cls, account) -> AlipayAdapter:
        """The account's adapter; ReferenceRefusedError if its gateway or key references break the rules
        of ``channels.references`` (checked again here, before anything is read)."""
        gateway_check(account.method, account.gateway_url)
        config = AlipayConfig(
            app_id=account.app_id,
            seller_id=account.merchant_id,
            private_key=account.secret("private_key_ref"),
            alipay_public_key=account.secret("platform_public_key_ref"),
            gateway=account.gateway_url,
        )
        return _adapter(config)

    def _call(self, name: str, *args: Any, **kwargs: Any) -> dict:
        """One SDK call, answer verified by the SDK. Network errors, unsigned or unverifiable answers and
        the gateway's 'try again' codes raise ChannelError; a refusal of the request raises ChannelRefused."""
        try:
            return getattr(self.client, name)(*args, **kwargs)
        except AliPayValidationError as exc:
            raise ChannelError("Alipay answer signature does not verify") from exc
        except AliPayException as exc:
            # An unsigned answer (error_response): the gateway refused the request as such.
            code, sub_code, message = _error_of(str(exc))
            if code in REFUSED_CODES:
                raise ChannelRefused(sub_code or code, message) from exc
            raise ChannelError(f"Alipay answered {code} {sub_code}: {message}") from exc
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise ChannelError(f"Alipay unreachable or answer unreadable: {exc}") from exc

    @staticmethod
    def _refused(data: dict) -> ChannelError:
        code = str(data.get("code"))
        sub_code = str(data.get("sub_code") or code)
        message = str(data.get("sub_msg") or data.get("msg") or "")
        if (code == BUSINESS_FAILED and sub_code != "ACQ.SYSTEM_ERROR") or code in REFUSED_CODES:
            return ChannelRefused(sub_code, message)
        return ChannelError(f"Alipay answered {code} {sub_code}: {message}")

    # Orders ------------------------------------------------------------------------------------------

    def create(self, attempt, *, description: str, notify_url: str) -> str:
        extra: dict[str, Any] = {}
        if attempt.expires_at:
            extra["time_expire"] = attempt.expires_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")
        data = self._call(
            "api_alipay_trade_precreate",
            subject=description[:256],
            out_trade_no=attempt.out_trade_no,
            total_amount=fen_to_yuan(int(attempt.amount_fen), grouping=False),
            notify_url=notify_url,
            **extra,
        )
        if data.get("code") != OK:
            raise self._refused(data)
        if data.get("out_trade_no") != attempt.out_trade_no or not data.get("qr_code"):
            raise ChannelError("Alipay answered without this order's qr_code")
        return data["qr_code"]

    def query(self, attempt) -> ChannelResult:
        """The trade as Alipay has it. ACQ.TRADE_NOT_EXIST is normal for a precreated QR nobody has
        scanned yet (Alipay creates the trade on the scan): PENDING."""
        data = self._call("api_alipay_trade_query", out_trade_no=attempt.out_trade_no)
        if data.get("code") == BUSINESS_FAILED and data.get("sub_code") == "ACQ.TRADE_NOT_EXIST":
            return ChannelResult(attempt.out_trade_no, AttemptState.PENDING, None)
        if data.get("code") != OK:
            raise ChannelError(f"Alipay query answered {data.get('code')} {data.get('sub_code')}")
        if data.get("out_trade_no") != attempt.out_trade_no:
            raise ChannelError("Alipay answered about another order")
        return self._payment(data)

    def close(self, attempt) -> None:
        """Close an unpaid trade. A trade nobody scanned does not exist yet (nothing to close; the QR
        expires by its time_expire); a paid one raises ChannelRefused (ACQ.TRADE_STATUS_ERROR)."""
        data = self._call("api_alipay_trade_close", out_trade_no=attempt.out_trade_no)
        if data.get("code") == OK:
            return
        if data.get("code") == BUSINESS_FAILED and data.get("sub_code") == "ACQ.TRADE_NOT_EXIST":
            return
        raise self._refused(data)

    # Refunds -----------------------------------------------------------------------------------------

    def refund(self, refund, *, notify_url: str = "") -> RefundResult:
        """Alipay refunds synchronously: 10000 means refunded. Its answer states the trade's refunds so
        far (refund_fee), not this one's, so the amount is the one asked (Alipay refunds all of it or
        none). Sending the same out_request_no again is answered 10000 without moving money twice."""
        attempt = refund.attempt
        data = self._call(
            "api_alipay_trade_refund",
            refund_amount=fen_to_yuan(int(refund.amount_fen), grouping=False),
            out_trade_no=attempt.out_trade_no,
            out_request_no=refund.out_refund_no,
            refund_reason=(refund.reason or "")[:256],
        )
        if data.get("code") != OK:
            raise self._refused(data)
        if data.get("out_trade_no") != attempt.out_trade_no:
            raise ChannelError("Alipay answered about another order")
        return RefundResult(
            refund.out_refund_no,
            RefundState.SUCCEEDED,
            int(refund.amount_fen),
            str(data.get("trade_no") or ""),
        )

    def refund_query(self, refund) -> RefundResult:
        """10000 with a refund_amount (and REFUND_SUCCESS) is refunded; 10000 without one means Alipay has
        no such refund (Alipay: not refunded; it may be sent again with the same number): FAILED."""
        data = self._call(
            "api_alipay_trade_fastpay_refund_query",
            out_request_no=refund.out_refund_no,
            out_trade_no=refund.attempt.out_trade_no,
        )
        if data.get("code") == BUSINESS_FAILED and data.get("sub_code") == "ACQ.TRADE_NOT_EXIST":
            return RefundResult(refund.out_refund_no, RefundState.FAILED, None)
        if data.get("code") != OK:
            raise ChannelError(f"Alipay refund query answered {data.get('code')} {data.get('sub_code')}")
        amount = wire_fen(data.get("refund_amount"))
        status = data.get("refund_status")
        if amount and status in (None, "", "REFUND_SUCCESS"):
            return RefundResult(
                refund.out_refund_no, RefundState.SUCCEEDED, amount, str(data.get("trade_no") or "")
            )
        return RefundResult(refund.out_refund_no, RefundState.FAILED, None)

    # Bills -------------------------------------------------------------------------------------------

    def bill_download_url(self, day: datetime.date) -> str:
        data = self._call(
            "server_api",
            "alipay.data.dataservice.bill.downloadurl.query",
            {"bill_type": "trade", "bill_date": day.isoformat()},
        )
        if data.get("code") != OK or not data.get("bill_download_url"):
            raise self._refused(data)
        return data["bill_download_url"]

    def bill_download(self, day: datetime.date) -> bytes:
        """The day's trade bill as Alipay delivers it: a zip of CSV files (GBK)."""
        url = self.bill_download_url(day)
        if not url.startswith(("https://", "http://")):
            raise ChannelError("Alipay bill address is not http(s)")
        try:
            with urllib.request.urlopen(url, timeout=TIMEOUT) as response:  # noqa: S310 (checked above)
                return response.read()
        except (urllib.error.URLError, OSError) as exc:
            raise ChannelError(f"Alipay bill download failed: {exc}") from exc

    # Notifications -----------------------------------------------------------------------------------

    def parse_notify(self, headers: Mapping[str, str], body: bytes) -> Notification:
        """Check an asynchronous notification (form-encoded) and read it: the RSA2 signature over the
        sorted parameters without sign and sign_type (SDK ``verify``), then notify_time within 5 minutes,
        the app id, and the seller id when the account has one."""
        params = _form(body)
        sign = params.pop("sign", "")
        if not sign or not params.get("notify_id"):
            raise NotifyRejected("format", "sign or notify_id missing")
        try:
            verified = self.client.verify(dict(params), sign)
        except (AliPayException, ValueError, TypeError) as exc:
            raise NotifyRejected("signature", f"signature not checkable: {exc}") from exc
        if not verified:
            raise NotifyRejected("signature", "signature does not verify")
        sent_at = _time(params.get("notify_time"))
        if sent_at is None:
            raise NotifyRejected("timestamp", "notify_time missing")
        if abs(datetime.datetime.now(datetime.UTC) - sent_at) > NOTIFY_WINDOW:
            raise NotifyRejected(
                "timestamp", f"notify_time {params['notify_time']} is more than 5 minutes off"
            )
        if params.get("app_id") != self.config.app_id:
            raise NotifyRejected("app", f"app id {params.get('app_id')!r} is not ours")
        if self.config.seller_id and params.get("seller_id") != self.config.seller_id:
            raise NotifyRejected("merchant", f"seller id {params.get('seller_id')!r} is not ours")
        if not params.get("out_trade_no"):
            raise NotifyRejected("format", "out_trade_no missing")
        event_id = params["notify_id"]
        if params.get("out_biz_no") and params.get("refund_fee"):
            # A refund changed the trade. refund_fee is the trade's refunds so far, not this refund's.
            refund = RefundResult(
                params["out_biz_no"], RefundState.SUCCEEDED, None, params.get("trade_no", "")
            )
            return Notification(event_id, None, refund)
        return Notification(event_id, self._payment(params), None)

    def answer(self, ok: bool, message: str = "") -> tuple[int, str, bytes]:
        """Alipay reads the body: 'success' stops its retries, anything else makes it send again."""
        return 200, "text/plain; charset=utf-8", b"success" if ok else b"fail"

    # Reading answers ---------------------------------------------------------------------------------

    @staticmethod
    def _payment(data: Mapping[str, Any]) -> ChannelResult:
        return ChannelResult(
            out_trade_no=str(data.get("out_trade_no", "")),
            state=TRADE_STATES.get(str(data.get("trade_status")), AttemptState.UNKNOWN),
            amount_fen=wire_fen(data.get("total_amount")),
            channel_trade_no=str(data.get("trade_no") or ""),
            paid_at=_time(data.get("gmt_payment") or data.get("send_pay_date")),
            payer_ref=str(
                data.get("buyer_open_id") or data.get("buyer_id") or data.get("buyer_user_id") or ""
            ),
        )


@functools.lru_cache(maxsize=64)
def _adapter(config: AlipayConfig) -> AlipayAdapter:
    return AlipayAdapter(config)


def notify_well_formed(headers: Mapping[str, str], body: bytes) -> bool:
    """Whether a request could be an Alipay notification at all: a form with notify_id and sign. A cheap
    look, no keys: a notification of this shape that does not verify is still kept in the inbox."""
    try:
        params = _form(body)
    except NotifyRejected:
        return False
    return bool(params.get("notify_id")) and bool(params.get("sign"))


def _form(body: bytes) -> dict[str, str]:
    """The notification's parameters, decoded in the charset it names (utf-8 unless it says gbk)."""
    try:
        text = body.decode("ascii")
        pairs = urllib.parse.parse_qsl(text, keep_blank_values=True, encoding="latin-1")
        charset = dict(pairs).get("charset", "utf-8") or "utf-8"
        pairs = urllib.parse.parse_qsl(text, keep_blank_values=True, encoding=charset, errors="strict")
    except (UnicodeDecodeError, LookupError, ValueError) as exc:
        raise NotifyRejected("format", "body is not a form") from exc
    params: dict[str, str] = {}
    for key, value in pairs:
        if key in params:
            raise NotifyRejected("format", f"parameter {key} given twice")
        params[key] = value
    return params


def _time(text: Any) -> datetime.datetime | None:
    if not text:
        return None
    try:
        return datetime.datetime.strptime(str(text), "%Y-%m-%d %H:%M:%S").replace(tzinfo=CHINA)
    except ValueError:
        return None


def _error_of(text: str) -> tuple[str, str, str]:
    """(code, sub_code, message) from the SDK's exception text, which carries the raw answer."""
    start = text.find("{")
    try:
        answer = json.loads(text[start:]) if start >= 0 else {}
    except ValueError:
        return "0", "", text
    for value in answer.values():
        if isinstance(value, dict) and "code" in value:
            message = str(value.get("sub_msg") or value.get("msg") or "")
            return str(value["code"]), str(value.get("sub_code") or ""), message
    return "0", "", text
