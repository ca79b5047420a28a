"""paysim's memory: orders, refunds, faults and delivered notifications. Everything is guarded by one
lock; no database."""

from __future__ import annotations

import datetime
import secrets
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

WECHAT = "wechat"
ALIPAY = "alipay"
METHODS = (WECHAT, ALIPAY)

# An order's life in the simulator, whatever the channel calls it.
UNPAID = "unpaid"
PAID = "paid"
CLOSED = "closed"

CHINA = datetime.timezone(datetime.timedelta(hours=8))


def now() -> datetime.datetime:
    return datetime.datetime.now(CHINA).replace(microsecond=0)


FEE_PER_10000 = 60  # the merchants' rate in the simulator: 0.60 %, as the bills print it


def fee_fen(amount_fen: int) -> int:
    """The channel's fee on a payment: the rate, rounded half up to the fen (WeChat and Alipay round so)."""
    return (amount_fen * FEE_PER_10000 + 5000) // 10000


def order_fee_fen(order: SimOrder) -> int:
    return order.fee_fen if order.fee_fen is not None else fee_fen(order.amount_fen)


@dataclass
class SimRefund:
    method: str
    out_refund_no: str
    out_trade_no: str
    amount_fen: int  # fen
    notify_url: str
    refund_id: str = field(default_factory=lambda: "50" + secrets.token_hex(14))
    status: str = "PROCESSING"  # WeChat's words: PROCESSING, SUCCESS, CLOSED, ABNORMAL
    created_at: datetime.datetime = field(default_factory=now)
    succeeded_at: datetime.datetime | None = None
    event_id: str = field(default_factory=lambda: secrets.token_hex(16))

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        data["succeeded_at"] = self.succeeded_at.isoformat() if self.succeeded_at else None
        return data


@dataclass
class SimOrder:
    method: str
    out_trade_no: str
    amount_fen: int  # fen
    description: str
    notify_url: str
    merchant_id: str  # WeChat mchid; Alipay seller id
    app_id: str
    trade_type: str  # NATIVE, JSAPI, PRECREATE
    payer_ref: str = ""  # openid (JSAPI) or the buyer's id once paid
    key_mode: str = "public_key"  # how WeChat signs for this merchant: public_key or certificate
    token: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    state: str = UNPAID
    scanned: bool = False  # Alipay creates a precreated trade when the QR is scanned
    channel_trade_no: str = ""
    prepay_id: str = ""
    # JSAPI: the merchant page the simulated WeixinJSBridge returns to after paying (``/phone/prepay/``).
    return_url: str = ""
    created_at: datetime.datetime = field(default_factory=now)
    expires_at: datetime.datetime | None = None
    paid_at: datetime.datetime | None = None
    cancelled: bool = False  # the payer pressed 取消 on the phone (the order stays open, as at WeChat)
    refunded_fen: int = 0  # fen
    fee_fen: int | None = (
        None  # fen the channel keeps; None: the rate (``fee_fen()``); set to script a wrong fee
    )
    event_id: str = field(default_factory=lambda: secrets.token_hex(16))  # the payment notification's

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("created_at", "expires_at", "paid_at"):
            value = getattr(self, name)
            data[name] = value.isoformat() if value else None
        return data


@dataclass
class Delivery:
    """One notification POSTed (or dropped, or held) by the simulator."""

    method: str
    out_trade_no: str
    url: str
    event_id: str
    status: int | None = None  # HTTP status of the answer; None when it did not get one
    answer: str = ""
    error: str = ""
    fault: str = ""  # dropped, held, tampered, duplicate
    at: str = field(default_factory=lambda: now().isoformat())


FAULT_FIELDS: dict[str, type] = {
    "duplicate": int,
    "delay": float,
    "reorder": bool,
    "drop": bool,
    "tamper": bool,
}
NO_FAULTS: dict[str, Any] = {"duplicate": 0, "delay": 0.0, "reorder": False, "drop": False, "tamper": False}


class Faults:
    """What to do to notifications: globally, or per order (an order's settings win).

    - duplicate: send N extra copies of each notification
    - delay: wait this many seconds before sending (in the background)
    - reorder: hold notifications; ``PaySim.release()`` sends the held ones newest first
    - drop: never send (the order is still paid: only a query finds out)
    - tamper: change the body after signing (the signature no longer matches)
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._global: dict[str, Any] = {}
        self._orders: dict[str, dict[str, Any]] = {}

    @staticmethod
    def _clean(fields: dict[str, Any]) -> dict[str, Any]:
        unknown = set(fields) - set(FAULT_FIELDS)
        if unknown:
            raise ValueError(f"unknown faults: {', '.join(sorted(unknown))}")
        return {name: FAULT_FIELDS[name](value) for name, value in fields.items()}

    def update(self, out_trade_no: str | None = None, **fields: Any) -> None:
        clean = self._clean(fields)
        with self._lock:
            if out_trade_no:
                self._orders.setdefault(out_trade_no, {}).update(clean)
            else:
                self._global.update(clean)

    def clear(self, out_trade_no: str | None = None) -> None:
        with self._lock:
            if out_trade_no:
                self._orders.pop(out_trade_no, None)
            else:
                self._global.clear()
                self._orders.clear()

    def for_order(self, out_trade_no: str) -> dict[str, Any]:
        with self._lock:
            return {**NO_FAULTS, **self._global, **self._orders.get(out_trade_no, {})}

    def as_json(self) -> dict[str, Any]:
        with self._lock:
            return {"global": dict(self._global), "orders": {k: dict(v) for k, v in self._orders.items()}}
