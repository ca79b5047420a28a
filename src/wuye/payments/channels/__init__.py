"""The wire to the online payment channels: one adapter interface, one adapter per channel.

The adapters wrap the channels' SDKs (``wechatpayv3``, ``python-alipay-sdk``) and use their own code to
sign requests, verify answers and notifications and decrypt; they add what the SDKs lack (the
timestamp window, signature probes, merchant and app checks, exact fen amounts) and translate every
answer into a :class:`ChannelResult` or :class:`RefundResult`. Money crosses this edge as integer fen;
the channel's own format (WeChat fen integers, Alipay yuan strings) exists only inside an adapter.

Outcomes: a clear answer becomes a state; anything else (network error, 5xx, an answer whose signature
does not verify) raises :class:`ChannelError`, which means *unknown* — the caller keeps the attempt
open and queries later, and never treats it as a failure.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from wuye.payments.models import ChannelAccount, PaymentAttempt, Refund

# A notification whose timestamp is further than this from our clock is refused (replays).
NOTIFY_WINDOW = datetime.timedelta(minutes=5)


class ChannelError(Exception):
    """The call failed or its answer could not be trusted: outcome UNKNOWN (never treat as failure)."""


class ChannelRefused(ChannelError):  # noqa: N818 (a refusal, named as the core reads it)
    """The channel answered clearly that it will not do it (a business error), with its own code and
    message, e.g. ``ORDERPAID`` or ``ACQ.TRADE_HAS_SUCCESS``. On create nothing was created; the message
    is the channel's and may be shown to staff."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class NotifyRejected(Exception):  # noqa: N818 (the interface's name)
    """A notification we will not act on. ``code``: signature, probe, timestamp, merchant, app, decrypt,
    format. Answer the channel with ``adapter.answer(False, ...)`` and change nothing."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ChannelResult:
    """What the channel says about one attempt (a query answer or a verified notification)."""

    out_trade_no: str
    state: str  # AttemptState value: SUCCEEDED, PENDING, CLOSED, FAILED or UNKNOWN
    amount_fen: int | None  # fen: the order total as the channel states it
    channel_trade_no: str = ""
    paid_at: datetime.datetime | None = None
    payer_ref: str = ""


@dataclass(frozen=True)
class RefundResult:
    out_refund_no: str
    state: str  # RefundState value: SUCCEEDED, PENDING, FAILED or UNKNOWN
    amount_fen: int | None  # fen refunded (or asked), as the channel states it
    channel_refund_no: str = ""


@dataclass(frozen=True)
class Notification:
    event_id: str  # WeChat: the body's "id"; Alipay: notify_id
    payment: ChannelResult | None
    refund: RefundResult | None


class Adapter(Protocol):
    method: str  # PaymentMethod.WECHAT or ALIPAY

    def create(self, attempt: PaymentAttempt, *, description: str, notify_url: str) -> str:
        """Place the order; returns the QR payload (code_url), or for JSAPI the prepay parameters as
        JSON text for ``WeixinJSBridge``. Raises ChannelRefused (nothing created) or ChannelError."""
        ...

    def query(self, attempt: PaymentAttempt) -> ChannelResult: ...

    def close(self, attempt: PaymentAttempt) -> None: ...

    def refund(self, refund: Refund, *, notify_url: str) -> RefundResult: ...

    def refund_query(self, refund: Refund) -> RefundResult: ...

    def bill_download(self, day: datetime.date) -> bytes: ...

    def parse_notify(self, headers: Mapping[str, str], body: bytes) -> Notification: ...

    def answer(self, ok: bool, message: str = "") -> tuple[int, str, bytes]: ...


def adapter_for(account: ChannelAccount) -> Adapter:
    """The adapter of a community's channel account (cached per configuration: keys load once)."""
    from wuye.payments.enums import PaymentMethod

    if account.method == PaymentMethod.WECHAT:
        from wuye.payments.channels.wechat import WechatAdapter

        return WechatAdapter.for_account(account)
    if account.method == PaymentMethod.ALIPAY:
        from wuye.payments.channels.alipay import AlipayAdapter

        return AlipayAdapter.for_account(account)
    raise ValueError(f"no online channel adapter for {account.method!r}")


def notify_well_formed(method: str, headers: Mapping[str, str], body: bytes) -> bool:
    """Whether a request to the notify address of ``method`` is shaped like that channel's notification
    (not whether it is genuine: that is ``parse_notify``'s signature check)."""
    from wuye.payments.enums import PaymentMethod

    if method == PaymentMethod.WECHAT:
        from wuye.payments.channels.wechat import notify_well_formed as well_formed
    elif method == PaymentMethod.ALIPAY:
        from wuye.payments.channels.alipay import notify_well_formed as well_formed
    else:
        return False
    return well_formed(headers, body)


def pem(text: str, kind: str) -> str:
    """A key as configured, in PEM: keys are often pasted as bare base64 (as the channels' consoles
    show them). ``kind``: 'PRIVATE KEY' or 'PUBLIC KEY'."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        return text + "\n"
    body = "".join(text.split())
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return f"-----BEGIN {kind}-----\n" + "\n".join(lines) + f"\n-----END {kind}-----\n"
