"""PaySim: a loopback HTTP server that plays WeChat Pay v3, Alipay, the partner bank, the SMS
providers (Alibaba Cloud, Tencent Cloud: ``sms``) and the WeChat official account platform (OAuth,
template messages: ``mp``) for Wuye's tests and demo.

    sim = PaySim(host="127.0.0.1", port=0).start()
    sim.base_url                      # http://127.0.0.1:<port>: the accounts' gateway_url
    sim.pay(out_trade_no)             # the owner confirms on the phone: paid, notification sent
    sim.pay(out_trade_no, notify=False)   # paid, notification lost (only a query finds out)
    sim.faults.update(duplicate=2)    # or per order: sim.faults.update(out_trade_no, drop=True)
    sim.notification_for(out_trade_no, method="wechat")  # (url, headers, body), correctly signed
    sim.sms_script.update(**{"13800000000": "limit"})  # what the SMS providers do to a phone
    sim.sms                           # the messages they accepted
    sim.mp.messages                   # WeChat template messages (paysim's official account platform: mp)
    sim.stop()

The standard library's threading HTTP server; state in memory under one lock; no Django, no database.
Notifications go to the notify_url the merchant gave with the order, through the faults.
"""

from __future__ import annotations

import html
import json
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from wuye.paysim import alipay, bank, mp, sms, wechat
from wuye.paysim import keys as sim_keys
from wuye.paysim.state import (
    CLOSED,
    METHODS,
    PAID,
    UNPAID,
    WECHAT,
    Delivery,
    Faults,
    SimOrder,
    SimRefund,
    now,
)

# (HTTP status, content type, body, extra headers)
Response = tuple[int, str, bytes, dict[str, str]]
PHONE_CSS = Path(__file__).resolve().parent / "static" / "paysim" / "phone.css"
DELIVERY_TIMEOUT = 10  # seconds
REFUND_OUTCOMES = ("SUCCESS", "PROCESSING", "CLOSED", "ABNORMAL")


class PaySim:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, verbose: bool = False):
        self.host = host
        self.port = port
        self.verbose = verbose
        self.lock = threading.RLock()
        self.orders: dict[tuple[str, str], SimOrder] = {}
        self.tokens: dict[str, SimOrder] = {}
        self.refunds: dict[tuple[str, str], SimRefund] = {}
        self.bills: dict[str, tuple[bytes, bool]] = {}
        self.deliveries: list[Delivery] = []
        self.bank_credits: list[bank.Credit] = []  # debit batches the bank answered (its statements)
        self.faults = Faults()
        self.sms: list[sms.SmsRecord] = []  # messages the SMS providers accepted
        self.sms_script = sms.SmsScript()
        self.mp = mp.MpState()  # the WeChat official account platform: OAuth codes, template messages
        # What a WeChat refund becomes once accepted: SUCCESS (then notified), or stays PROCESSING until
        # complete_refund(), or ends CLOSED / ABNORMAL.
        self.refund_outcome = "SUCCESS"
        self._held: list[tuple[str, str, str, str, dict[str, str], bytes]] = []
        self._threads: set[threading.Thread] = set()
        self._server: ThreadingHTTPServer | None = None
        self._serving: threading.Thread | None = None

    # Life ----------------------------------------------------------------------------------------------

    def start(self) -> PaySim:
        handler = type("Handler", (_Handler,), {"sim": self})
        self._server = ThreadingHTTPServer((self.host, self.port), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._serving = threading.Thread(target=self._server.serve_forever, name="paysim", daemon=True)
        self._serving.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread (the management command)."""
        self.start()
        try:
            while self._serving is not None and self._serving.is_alive():
                self._serving.join(0.5)
        finally:
            self.stop()

    def stop(self) -> None:
        self.drain(timeout=2)
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> PaySim:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget every order, refund, bill, delivery, held notification and fault."""
        self.drain(timeout=5)
        with self.lock:
            self.orders.clear()
            self.tokens.clear()
            self.refunds.clear()
            self.bills.clear()
            self.deliveries.clear()
            self.bank_credits.clear()
            self.sms.clear()
            self.mp.clear()
            self._held.clear()
            self.refund_outcome = "SUCCESS"
        self.faults.clear()
        self.sms_script.clear()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def alipay_gateway(self) -> str:
        return f"{self.base_url}/gateway.do"

    def phone_url(self, order: SimOrder) -> str:
        return f"{self.base_url}/phone/{order.token}"

    # Orders --------------------------------------------------------------------------------------------

    def order(self, out_trade_no: str, *, method: str | None = None) -> SimOrder:
        with self.lock:
            for candidate in [method] if method else METHODS:
                found = self.orders.get((candidate, out_trade_no))
                if found is not None:
                    return found
        raise KeyError(out_trade_no)

    def expire(self, order: SimOrder) -> None:
        """Close an unpaid order past its time_expire, as the channel does (call with the lock held)."""
        if order.state == UNPAID and order.expires_at is not None and now() > order.expires_at:
            order.state = CLOSED

    def _mark_paid(self, order: SimOrder) -> None:
        if order.state == PAID:
            return
        self.expire(order)
        if order.state == CLOSED:
            raise ValueError(f"order {order.out_trade_no} is closed")
        order.state = PAID
        order.scanned = True
        order.paid_at = now()
        if order.method == WECHAT:
            order.channel_trade_no = (
                "4200"
                + order.paid_at.strftime("%Y%m%d")
                + "".join(secrets.choice("0123456789") for _ in range(16))
            )
            order.payer_ref = order.payer_ref or "o" + secrets.token_urlsafe(20)[:27]
        else:
            order.channel_trade_no = (
                order.paid_at.strftime("%Y%m%d")
                + "2200"
                + "".join(secrets.choice("0123456789") for _ in range(16))
            )
            order.payer_ref = "2088" + "".join(secrets.choice("0123456789") for _ in range(12))

    def pay(self, out_trade_no: str, *, method: str | None = None, notify: bool = True) -> list[Delivery]:
        """The owner confirms the payment: the order is paid, and (unless ``notify=False``, a lost
        notification) its notification goes out through the faults, in this thread unless delayed.
        Paying a paid order only sends its notification again (a channel retry: same id)."""
        with self.lock:
            order = self.order(out_trade_no, method=method)
            self._mark_paid(order)
        if not notify:
            return []
        return self._notify_payment(order, background=False)

    def _notify_payment(self, order: SimOrder, *, background: bool) -> list[Delivery]:
        if not order.notify_url:
            return []
        with self.lock:
            if order.method == WECHAT:
                headers, body = wechat.payment_notification(self, order)
            else:
                headers, body = alipay.notification(order)
        return self._dispatch(
            order.method,
            order.out_trade_no,
            order.event_id,
            order.notify_url,
            headers,
            body,
            background=background,
        )

    def notification_for(
        self,
        out_trade_no: str,
        *,
        method: str,
        notify_url: str | None = None,
        at: float | None = None,
        amount_fen: int | None = None,
        merchant_id: str | None = None,
        app_id: str | None = None,
        key_mode: str = wechat.PUBLIC_KEY,
    ) -> tuple[str, dict[str, str], bytes]:
        """A correctly signed payment notification for an order, to deliver yourself: (url, headers,
        body). The order is marked paid. An order paysim never saw (the bench creates attempts without
        calling the channel) is registered first from ``amount_fen`` (required then), ``merchant_id``,
        ``app_id`` (defaults: the test merchant's) and ``key_mode``. ``at``: the signing time (unix
        seconds), e.g. ten minutes ago for a stale notification. Every call for an order carries the
        same event id, as a channel's retries do; only the time, nonce and signature change."""
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}")
        with self.lock:
            order = self.orders.get((method, out_trade_no))
            if order is None:
                if amount_fen is None:
                    raise KeyError(f"{out_trade_no}: unknown to paysim; give amount_fen to register it")
                order = SimOrder(
                    method=method,
                    out_trade_no=out_trade_no,
                    amount_fen=int(amount_fen),
                    description="物业费",
                    notify_url=notify_url or "",
                    merchant_id=merchant_id
                    or (sim_keys.WECHAT_MCHID if method == WECHAT else sim_keys.ALIPAY_SELLER_ID),
                    app_id=app_id or (sim_keys.WECHAT_APPID if method == WECHAT else sim_keys.ALIPAY_APPID),
                    trade_type="NATIVE" if method == WECHAT else "PRECREATE",
                    key_mode=key_mode,
                )
                self.orders[(method, out_trade_no)] = order
                self.tokens[order.token] = order
            self._mark_paid(order)
            if method == WECHAT:
                headers, body = wechat.payment_notification(self, order, at=at)
            else:
                headers, body = alipay.notification(order, at=at)
            return notify_url or order.notify_url, headers, body

    # Refunds -------------------------------------------------------------------------------------------

    def refund_created(self, refund: SimRefund) -> None:
        """A WeChat refund was accepted (answered PROCESSING): it settles at once as ``refund_outcome``
        says, and its notification goes out in the background, after the answer."""
        if self.refund_outcome == "PROCESSING":
            return
        self.complete_refund(refund.out_refund_no, status=self.refund_outcome, background=True)

    def complete_refund(
        self, out_refund_no: str, *, status: str = "SUCCESS", background: bool = False
    ) -> list[Delivery]:
        if status not in REFUND_OUTCOMES or status == "PROCESSING":
            raise ValueError(f"status must be one of SUCCESS, CLOSED, ABNORMAL, not {status!r}")
        with self.lock:
            refund = self.refunds[(WECHAT, out_refund_no)]
            order = self.orders[(WECHAT, refund.out_trade_no)]
            refund.status = status
            if status == "SUCCESS":
                refund.succeeded_at = now()
            else:
                order.refunded_fen -= refund.amount_fen  # the money stays with the merchant
            if not refund.notify_url:
                return []
            headers, body = wechat.refund_notification(self, order, refund)
        return self._dispatch(
            WECHAT,
            order.out_trade_no,
            refund.event_id,
            refund.notify_url,
            headers,
            body,
            background=background,
        )

    def refund_notification_for(
        self, out_refund_no: str, *, at: float | None = None
    ) -> tuple[str, dict[str, str], bytes]:
        """A correctly signed notification of a WeChat refund's current state: (url, headers, body)."""
        with self.lock:
            refund = self.refunds[(WECHAT, out_refund_no)]
            order = self.orders[(WECHAT, refund.out_trade_no)]
            headers, body = wechat.refund_notification(self, order, refund, at=at)
            return refund.notify_url, headers, body

    # Delivery ------------------------------------------------------------------------------------------

    def deliver(
        self,
        url: str,
        headers: dict[str, str],
        body: bytes,
        *,
        method: str = "",
        out_trade_no: str = "",
        event_id: str = "",
        fault: str = "",
    ) -> Delivery:
        """POST one notification and record what the merchant answered."""
        record = Delivery(method=method, out_trade_no=out_trade_no, url=url, event_id=event_id, fault=fault)
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 (http(s) notify_url)
        try:
            with urllib.request.urlopen(request, timeout=DELIVERY_TIMEOUT) as response:  # noqa: S310
                record.status = response.status
                record.answer = response.read().decode("utf-8", errors="replace")[:500]
        except urllib.error.HTTPError as exc:
            record.status = exc.code
            record.answer = exc.read().decode("utf-8", errors="replace")[:500]
        except (urllib.error.URLError, OSError, ValueError) as exc:
            record.error = str(exc)
        with self.lock:
            self.deliveries.append(record)
        return record

    def _dispatch(
        self,
        method: str,
        out_trade_no: str,
        event_id: str,
        url: str,
        headers: dict[str, str],
        body: bytes,
        *,
        background: bool,
    ) -> list[Delivery]:
        faults = self.faults.for_order(out_trade_no)
        if faults["drop"]:
            record = Delivery(
                method=method, out_trade_no=out_trade_no, url=url, event_id=event_id, fault="dropped"
            )
            with self.lock:
                self.deliveries.append(record)
            return [record]
        label = ""
        if faults["tamper"]:
            body = (wechat.tamper if method == WECHAT else alipay.tamper)(body)
            label = "tampered"
        copies = 1 + max(0, faults["duplicate"])
        if faults["reorder"]:
            with self.lock:
                for _ in range(copies):
                    self._held.append((method, out_trade_no, event_id, url, headers, body))
                record = Delivery(
                    method=method, out_trade_no=out_trade_no, url=url, event_id=event_id, fault="held"
                )
                self.deliveries.append(record)
            return [record]

        def send() -> list[Delivery]:
            if faults["delay"] > 0:
                time.sleep(faults["delay"])
            return [
                self.deliver(
                    url,
                    headers,
                    body,
                    method=method,
                    out_trade_no=out_trade_no,
                    event_id=event_id,
                    fault=label or ("duplicate" if copy else ""),
                )
                for copy in range(copies)
            ]

        if background or faults["delay"] > 0:
            self._background(send)
            return []
        return send()

    def release(self) -> list[Delivery]:
        """Send the held notifications (fault 'reorder'), newest first."""
        with self.lock:
            held, self._held = self._held, []
        return [
            self.deliver(
                url, headers, body, method=method, out_trade_no=no, event_id=event_id, fault="reordered"
            )
            for method, no, event_id, url, headers, body in reversed(held)
        ]

    def _background(self, work) -> None:
        def run() -> None:
            try:
                work()
            finally:
                with self.lock:
                    self._threads.discard(thread)

        thread = threading.Thread(target=run, name="paysim-notify", daemon=True)
        with self.lock:
            self._threads.add(thread)
        thread.start()

    def drain(self, timeout: float = 10) -> bool:
        """Wait for notifications being sent in the background (delays, the phone page, refunds)."""
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                threads = list(self._threads)
            if not threads:
                return True
            for thread in threads:
                thread.join(max(0.0, deadline - time.monotonic()))
            if time.monotonic() >= deadline:
                with self.lock:
                    return not self._threads

    # HTTP ----------------------------------------------------------------------------------------------

    def route(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> Response:
        path, _, query = target.partition("?")
        if (
            path == "/"
            and method == "POST"
            and {"x-acs-action", "x-tc-action"} & {h.lower() for h in headers}
        ):
            return sms.handle(self, target, headers, raw)
        if path.startswith(("/connect/oauth2/", "/sns/", "/cgi-bin/")):
            return mp.handle(self, method, target, headers, raw)
        if path.startswith("/v3/"):
            return wechat.handle(self, method, target, headers, raw)
        if path == "/gateway.do":
            return alipay.handle(self, method, query, raw)
        if path == "/alipay/bill" and method == "GET":
            token = dict(p.split("=", 1) for p in query.split("&") if "=" in p).get("token", "")
            with self.lock:
                found = self.bills.get(token)
            if found is None:
                return _text(404, "no such bill")
            return 200, "application/zip", found[0], {}
        if path.startswith("/phone/prepay/") and method == "GET":
            return self._prepay(path.removeprefix("/phone/prepay/"), query)
        if path.startswith("/phone/"):
            return self._phone(method, path.removeprefix("/phone/"))
        if path == "/bank" or path.startswith("/bank/"):
            return bank.handle(self, method, path, headers, raw)
        if path.startswith("/_sim/") or path == "/":
            return self._control(method, path, raw)
        return _text(404, f"{method} {path} is not simulated")

    def _control(self, method: str, path: str, raw: bytes) -> Response:
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            return _json(400, {"error": "body is not JSON"})
        if path == "/" and method == "GET":
            return self._index()
        if path == "/_sim/phone.css" and method == "GET":
            return 200, "text/css; charset=utf-8", PHONE_CSS.read_bytes(), {}
        if path == "/_sim/orders" and method == "GET":
            with self.lock:
                orders = [o.as_json() for o in self.orders.values()]
                refunds = [r.as_json() for r in self.refunds.values()]
                deliveries = [vars(d).copy() for d in self.deliveries]
            return _json(200, {"orders": orders, "refunds": refunds, "deliveries": deliveries})
        if path == "/_sim/faults" and method == "GET":
            return _json(200, self.faults.as_json())
        if path == "/_sim/faults" and method == "POST":
            out_trade_no = data.pop("out_trade_no", None)
            try:
                if data.pop("clear", False):
                    self.faults.clear(out_trade_no)
                if data:
                    self.faults.update(out_trade_no, **data)
            except (ValueError, TypeError) as exc:
                return _json(400, {"error": str(exc)})
            return _json(200, self.faults.as_json())
        if path == "/_sim/pay" and method == "POST":
            try:
                deliveries = self.pay(
                    str(data.get("out_trade_no", "")),
                    method=data.get("method"),
                    notify=bool(data.get("notify", True)),
                )
            except (KeyError, ValueError) as exc:
                return _json(404, {"error": str(exc)})
            return _json(200, {"deliveries": [vars(d) for d in deliveries]})
        if path == "/_sim/sms" and method == "GET":
            with self.lock:
                return _json(200, {"messages": [record.as_json() for record in self.sms]})
        if path == "/_sim/sms" and method == "POST":  # {"13800000000": "limit", …}: what happens next
            try:
                self.sms_script.update(**{str(phone): str(outcome) for phone, outcome in data.items()})
            except ValueError as exc:
                return _json(400, {"error": str(exc)})
            return _json(200, {"script": dict(self.sms_script.by_phone)})
        if path == "/_sim/mp" and method == "GET":
            with self.lock:
                return _json(200, {"messages": [message.as_json() for message in self.mp.messages]})
        if path == "/_sim/mp" and method == "POST":  # {"<openid>": "unsubscribed" | "limit" | "ok"}
            try:
                self.mp.script.update(**{str(openid): str(outcome) for openid, outcome in data.items()})
            except ValueError as exc:
                return _json(400, {"error": str(exc)})
            return _json(200, {"script": dict(self.mp.script.by_openid)})
        if path == "/_sim/release" and method == "POST":
            return _json(200, {"deliveries": [vars(d) for d in self.release()]})
        if path == "/_sim/reset" and method == "POST":
            self.reset()
            return _json(200, {})
        return _json(404, {"error": f"{method} {path} unknown"})

    def _prepay(self, prepay_id: str, query: str) -> Response:
        """Stands in for WeixinJSBridge inside WeChat: a JSAPI order's pay sheet, by its prepay_id,
        returning to the merchant's page (``?return=``, http(s) only) once paid."""
        params = dict(urllib.parse.parse_qsl(query))
        back = params.get("return", "")
        with self.lock:
            order = next((o for o in self.orders.values() if o.prepay_id and o.prepay_id == prepay_id), None)
            if order is None:
                return _page(404, "支付失败", "<p class='result'>找不到这笔订单（prepay_id 无效）。</p>", "")
            if urllib.parse.urlsplit(back).scheme in ("http", "https"):
                order.return_url = back
        return 302, "text/plain; charset=utf-8", b"", {"Location": f"/phone/{order.token}"}

    def _phone(self, method: str, rest: str) -> Response:
        token, _, action = rest.partition("/")
        with self.lock:
            order = self.tokens.get(token)
            if order is None:
                return _page(
                    404, "二维码无效", "<p class='result'>找不到这笔订单，二维码可能已失效。</p>", ""
                )
            self.expire(order)
            order.scanned = True
        message = ""
        if method == "POST" and action == "confirm":
            try:
                with self.lock:
                    was_paid = order.state == PAID
                    self._mark_paid(order)
            except ValueError:
                message = "订单已关闭，无法支付。"
            else:
                if not was_paid:
                    self._notify_payment(order, background=True)
        elif method == "POST" and action == "cancel":
            with self.lock:
                order.cancelled = order.state == UNPAID
        elif method != "GET" or action:
            return _text(405, "not allowed")
        return _phone_page(self, order, message)

    def _index(self) -> Response:
        with self.lock:
            orders = sorted(self.orders.values(), key=lambda o: o.created_at, reverse=True)[:50]
            rows = "".join(
                f"<tr><td>{'微信支付' if o.method == WECHAT else '支付宝'}</td><td><a href='/phone/{o.token}'>{html.escape(o.out_trade_no)}</a></td>"
                f"<td>¥{_yuan(o.amount_fen)}</td><td>{_STATE_LABELS[o.state]}</td></tr>"
                for o in orders
            )
        body = f"<table><thead><tr><th>渠道</th><th>订单号</th><th>金额</th><th>状态</th></tr></thead><tbody>{rows}</tbody></table>"
        if not orders:
            body = "<p class='result'>还没有订单。</p>"
        return _page(200, "paysim 订单", body, "index")


_STATE_LABELS = {UNPAID: "待支付", PAID: "已支付", CLOSED: "已关闭"}


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _text(status: int, text: str) -> Response:
    return status, "text/plain; charset=utf-8", text.encode(), {}


def _json(status: int, data: Any) -> Response:
    return (
        status,
        "application/json; charset=utf-8",
        json.dumps(data, ensure_ascii=False, default=str).encode(),
        {},
    )


def _page(status: int, title: str, body: str, css_class: str) -> Response:
    document = (
        "<!doctype html><html lang='zh-Hans'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title><link rel='stylesheet' href='/_sim/phone.css'></head>"
        f"<body class='{css_class}'><main class='phone'>{body}"
        "<p class='note'>paysim 支付模拟器 · 测试环境，不会发生真实扣款</p></main></body></html>"
    )
    return status, "text/html; charset=utf-8", document.encode("utf-8"), {}


def _phone_page(sim: PaySim, order: SimOrder, message: str) -> Response:
    channel = "微信支付" if order.method == WECHAT else "支付宝"
    merchant = f"商户号 {order.merchant_id}" if order.method == WECHAT else f"应用 {order.app_id}"
    head = (
        f"<header class='brand'>{channel}</header>"
        f"<p class='merchant'>{html.escape(merchant)}</p>"
        f"<p class='amount' data-fen='{order.amount_fen}'>¥{_yuan(order.amount_fen)}</p>"
        f"<p class='description'>{html.escape(order.description)}</p>"
        f"<p class='order-no'>订单号 {html.escape(order.out_trade_no)}</p>"
    )
    if message:
        result = f"<p class='result error'>{html.escape(message)}</p>"
    elif order.state == PAID:
        result = "<p class='result paid'>支付成功</p><p class='hint'>请返回商户页面查看结果。</p>"
        if order.return_url:
            result += f"<p><a class='button' id='return' href='{html.escape(order.return_url, quote=True)}'>返回商户</a></p>"
    elif order.state == CLOSED:
        result = "<p class='result error'>订单已关闭</p>"
    elif order.cancelled:
        result = (
            "<p class='result'>已取消支付</p>"
            f"<form method='post' action='/phone/{order.token}/confirm'><button class='pay' type='submit'>重新支付</button></form>"
        )
    else:
        result = (
            f"<form method='post' action='/phone/{order.token}/confirm'><button class='pay' type='submit'>确认支付</button></form>"
            f"<form method='post' action='/phone/{order.token}/cancel'><button class='cancel' type='submit'>取消</button></form>"
        )
    return _page(200, f"{channel} · 付款", head + result, order.method)


class _Handler(BaseHTTPRequestHandler):
    sim: PaySim
    protocol_version = "HTTP/1.1"
    server_version = "paysim/1"

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        try:
            status, content_type, body, extra = self.sim.route(method, self.path, headers, raw)
        except Exception as exc:  # a simulator bug must answer, not hang the merchant
            status, content_type, body, extra = _json(500, {"code": "SYSTEM_ERROR", "message": repr(exc)})
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        if self.sim.verbose:
            super().log_message(format, *args)
