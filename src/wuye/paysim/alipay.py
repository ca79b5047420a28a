"""The Alipay side of paysim: the openapi gateway (``/gateway.do``) and trade notifications.

Requests are the gateway's common parameters plus ``biz_content``, signed RSA2 by the app key over the
sorted ``k=v`` pairs without ``sign``. Answers are ``{"<method>_response": {…}, "sign": "…"}`` with the
signature over the exact text of the ``…_response`` object, which is what the SDK's
``_verify_and_return_sync_response`` cuts out and verifies. Notifications are form posts signed over the
sorted pairs without ``sign`` and ``sign_type``.
"""

from __future__ import annotations

import datetime
import io
import json
import secrets
import time
import urllib.parse
import zipfile
from typing import TYPE_CHECKING, Any

from wuye.paysim import keys as sim_keys
from wuye.paysim.state import ALIPAY, CLOSED, PAID, UNPAID, SimOrder, SimRefund, now, order_fee_fen

if TYPE_CHECKING:
    from wuye.paysim.server import PaySim, Response

CHINA = datetime.timezone(datetime.timedelta(hours=8))


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _field(text: str) -> str:
    """A CSV field of the bill, quoted when it holds a comma or a quote."""
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n') else text


def _fen(text: Any) -> int | None:
    """'12.34' → 1234 exactly, by string (the simulator never does money in float either)."""
    text = str(text or "")
    whole, _, part = text.partition(".")
    if not whole.isdigit() or (part and (not part.isdigit() or len(part) > 2)):
        return None
    return int(whole) * 100 + int((part or "0").ljust(2, "0"))


def _stamp(value: datetime.datetime | None) -> str:
    return value.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def signed_string(params: dict[str, str], *, skip: tuple[str, ...]) -> str:
    return "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k not in skip)


def _answer(method: str, content: dict[str, Any], *, signed: bool = True) -> Response:
    key = method.replace(".", "_") + "_response"
    inner = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    if signed:
        sign = sim_keys.rsa_sign(sim_keys.load().alipay_private, inner)
        raw = f'{{"{key}":{inner},"sign":"{sign}"}}'
    else:
        raw = f'{{"{key}":{inner}}}'
    return 200, "text/html;charset=utf-8", raw.encode("utf-8"), {}


def _ok(method: str, **fields: Any) -> Response:
    return _answer(method, {"code": "10000", "msg": "Success", **fields})


def _failed(method: str, sub_code: str, sub_msg: str, **fields: Any) -> Response:
    return _answer(
        method,
        {"code": "40004", "msg": "Business Failed", "sub_code": sub_code, "sub_msg": sub_msg, **fields},
    )


def handle(sim: PaySim, http_method: str, query: str, raw: bytes) -> Response:
    text = (
        query
        if http_method == "GET"
        else raw.decode("utf-8", errors="replace") + ("&" + query if query else "")
    )
    params = dict(urllib.parse.parse_qsl(text, keep_blank_values=True))
    method = params.get("method", "")
    sign = params.get("sign", "")
    if not method or not params.get("app_id"):
        return _answer(
            "error",
            {"code": "40001", "msg": "Missing Required Arguments", "sub_code": "isv.missing-method"},
            signed=False,
        )
    if params.get("sign_type") != "RSA2" or not sim_keys.rsa_verify(
        sim_keys.load().alipay_app_public, signed_string(params, skip=("sign",)), sign
    ):
        return _answer(
            method,
            {
                "code": "40002",
                "msg": "Invalid Arguments",
                "sub_code": "isv.invalid-signature",
                "sub_msg": "验签出错",
            },
            signed=False,
        )
    try:
        biz = json.loads(params.get("biz_content") or "{}")
    except ValueError:
        return _answer(
            method,
            {"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-biz-content"},
            signed=False,
        )
    app_id = params["app_id"]
    handlers = {
        "alipay.trade.precreate": lambda: _precreate(sim, app_id, params, biz),
        "alipay.trade.query": lambda: _query(sim, app_id, biz),
        "alipay.trade.close": lambda: _close(sim, app_id, biz),
        "alipay.trade.refund": lambda: _refund(sim, app_id, biz),
        "alipay.trade.fastpay.refund.query": lambda: _refund_query(sim, app_id, biz),
        "alipay.data.dataservice.bill.downloadurl.query": lambda: _bill_url(sim, app_id, biz),
    }
    if method not in handlers:
        return _answer(
            method,
            {"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-method"},
            signed=False,
        )
    return handlers[method]()


def _order(sim: PaySim, app_id: str, biz: dict) -> SimOrder | None:
    order = sim.orders.get((ALIPAY, str(biz.get("out_trade_no", ""))))
    return order if order is not None and order.app_id == app_id else None


def _precreate(sim: PaySim, app_id: str, params: dict[str, str], biz: dict) -> Response:
    method = "alipay.trade.precreate"
    amount = _fen(biz.get("total_amount"))
    if not biz.get("out_trade_no") or not biz.get("subject") or not amount:
        return _answer(
            method, {"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.missing-biz-params"}
        )
    expires_at = None
    if biz.get("time_expire"):
        try:
            expires_at = datetime.datetime.strptime(biz["time_expire"], "%Y-%m-%d %H:%M:%S").replace(
                tzinfo=CHINA
            )
        except ValueError:
            return _answer(
                method, {"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-time-expire"}
            )
    with sim.lock:
        order = sim.orders.get((ALIPAY, biz["out_trade_no"]))
        if order is not None:
            if order.state == PAID:
                return _failed(method, "ACQ.TRADE_HAS_SUCCESS", "交易已被支付")
            if order.state == CLOSED:
                return _failed(method, "ACQ.TRADE_HAS_CLOSE", "交易已经关闭")
            if order.amount_fen != amount or order.app_id != app_id:
                return _failed(method, "ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改")
        else:
            order = SimOrder(
                method=ALIPAY,
                out_trade_no=biz["out_trade_no"],
                amount_fen=amount,
                description=biz["subject"],
                notify_url=params.get("notify_url", ""),
                merchant_id=sim_keys.ALIPAY_SELLER_ID,
                app_id=app_id,
                trade_type="PRECREATE",
                expires_at=expires_at,
            )
            sim.orders[(ALIPAY, order.out_trade_no)] = order
            sim.tokens[order.token] = order
    return _ok(method, out_trade_no=order.out_trade_no, qr_code=sim.phone_url(order))


def trade(order: SimOrder) -> dict[str, Any]:
    """The trade as alipay.trade.query describes it. A fully refunded trade is TRADE_CLOSED at Alipay."""
    if order.state == PAID:
        status = "TRADE_CLOSED" if order.refunded_fen >= order.amount_fen else "TRADE_SUCCESS"
    else:
        status = {UNPAID: "WAIT_BUYER_PAY", CLOSED: "TRADE_CLOSED"}[order.state]
    data: dict[str, Any] = {
        "out_trade_no": order.out_trade_no,
        "trade_no": order.channel_trade_no,
        "trade_status": status,
        "total_amount": _yuan(order.amount_fen),
        "buyer_logon_id": "pay***@paysim.test" if order.payer_ref else "",
        "buyer_user_id": order.payer_ref,
    }
    if order.state == PAID:
        data.update(
            {
                "send_pay_date": _stamp(order.paid_at),
                "receipt_amount": _yuan(order.amount_fen),
                "buyer_pay_amount": _yuan(order.amount_fen),
                "point_amount": "0.00",
                "invoice_amount": _yuan(order.amount_fen),
            }
        )
    return data


def _query(sim: PaySim, app_id: str, biz: dict) -> Response:
    method = "alipay.trade.query"
    with sim.lock:
        order = _order(sim, app_id, biz)
        if order is not None:
            sim.expire(order)
        if order is None or (order.state == UNPAID and not order.scanned):
            # A precreated trade exists at Alipay once the payer has scanned its QR code.
            return _failed(method, "ACQ.TRADE_NOT_EXIST", "交易不存在")
        return _ok(method, **trade(order))


def _close(sim: PaySim, app_id: str, biz: dict) -> Response:
    method = "alipay.trade.close"
    with sim.lock:
        order = _order(sim, app_id, biz)
        if order is None or (order.state == UNPAID and not order.scanned):
            if order is not None:
                order.state = CLOSED  # nothing at Alipay yet; the QR can no longer be paid here either
            return _failed(method, "ACQ.TRADE_NOT_EXIST", "交易不存在")
        if order.state == PAID:
            return _failed(method, "ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
        order.state = CLOSED
        return _ok(method, out_trade_no=order.out_trade_no, trade_no=order.channel_trade_no)


def _refund(sim: PaySim, app_id: str, biz: dict) -> Response:
    method = "alipay.trade.refund"
    amount = _fen(biz.get("refund_amount"))
    out_request_no = str(biz.get("out_request_no") or biz.get("out_trade_no") or "")
    if not amount:
        return _answer(
            method, {"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-refund-amount"}
        )
    with sim.lock:
        order = _order(sim, app_id, biz)
        if order is None:
            return _failed(method, "ACQ.TRADE_NOT_EXIST", "交易不存在")
        if order.state != PAID:
            return _failed(method, "ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
        existing = sim.refunds.get((ALIPAY, out_request_no))
        if existing is not None:
            if existing.amount_fen != amount or existing.out_trade_no != order.out_trade_no:
                return _failed(method, "ACQ.REQUEST_AMOUNT_EXCEED", "请求退款金额与原请求不一致")
            fund_change = "N"
        else:
            if order.refunded_fen + amount > order.amount_fen:
                return _failed(method, "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限")
            existing = SimRefund(
                method=ALIPAY,
                out_refund_no=out_request_no,
                out_trade_no=order.out_trade_no,
                amount_fen=amount,
                notify_url="",
            )
            existing.status = "SUCCESS"  # Alipay refunds synchronously
            existing.succeeded_at = now()
            order.refunded_fen += amount
            sim.refunds[(ALIPAY, out_request_no)] = existing
            fund_change = "Y"
        return _ok(
            method,
            trade_no=order.channel_trade_no,
            out_trade_no=order.out_trade_no,
            buyer_logon_id="pay***@paysim.test",
            fund_change=fund_change,
            refund_fee=_yuan(order.refunded_fen),
            gmt_refund_pay=_stamp(existing.succeeded_at),
            buyer_user_id=order.payer_ref,
        )


def _refund_query(sim: PaySim, app_id: str, biz: dict) -> Response:
    method = "alipay.trade.fastpay.refund.query"
    with sim.lock:
        order = _order(sim, app_id, biz)
        if order is None:
            return _failed(method, "ACQ.TRADE_NOT_EXIST", "交易不存在")
        refund = sim.refunds.get((ALIPAY, str(biz.get("out_request_no", ""))))
        if refund is None or refund.out_trade_no != order.out_trade_no:
            # Alipay: no refund under this number (it was not refunded), answered as a success without it.
            return _ok(method, out_trade_no=order.out_trade_no, trade_no=order.channel_trade_no)
        return _ok(
            method,
            out_trade_no=order.out_trade_no,
            trade_no=order.channel_trade_no,
            out_request_no=refund.out_refund_no,
            total_amount=_yuan(order.amount_fen),
            refund_amount=_yuan(refund.amount_fen),
            refund_status="REFUND_SUCCESS",
            gmt_refund_pay=_stamp(refund.succeeded_at),
        )


def bill_zip(sim: PaySim, app_id: str, day: datetime.date) -> bytes:
    """The day's trade bill as Alipay ships it: a zip holding a GBK CSV with # comment lines."""
    lines = [
        "#支付宝业务明细查询",
        f"#账号：[{sim_keys.ALIPAY_SELLER_ID}0156]",
        f"#起始日期：[{day:%Y年%m月%d日} 00:00:00]   终止日期：[{day + datetime.timedelta(days=1):%Y年%m月%d日} 00:00:00]",
        "#-----------------------------------------业务明细列表----------------------------------------",
        "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,订单金额（元）,商家实收（元）,退款批次号/请求号,服务费（元）",
    ]
    with sim.lock:
        orders = [o for o in sim.orders.values() if o.method == ALIPAY and o.app_id == app_id]
        refunds = [r for r in sim.refunds.values() if r.method == ALIPAY]
        by_no = {o.out_trade_no: o for o in orders}
        for order in orders:
            if order.paid_at and order.paid_at.date() == day:
                lines.append(
                    f"{order.channel_trade_no}\t,{order.out_trade_no}\t,交易,{_field(order.description)},{_stamp(order.created_at)},"
                    f"{_stamp(order.paid_at)},{_yuan(order.amount_fen)},{_yuan(order.amount_fen)},,{_yuan(order_fee_fen(order))}"
                )
        for refund in refunds:
            order = by_no.get(refund.out_trade_no)
            if order and refund.succeeded_at and refund.succeeded_at.date() == day:
                lines.append(
                    f"{order.channel_trade_no}\t,{order.out_trade_no}\t,退款,{_field(order.description)},{_stamp(order.created_at)},"
                    f"{_stamp(refund.succeeded_at)},-{_yuan(refund.amount_fen)},-{_yuan(refund.amount_fen)},{refund.out_refund_no},0.00"
                )
    lines.append(
        "#-----------------------------------------业务明细列表结束------------------------------------"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        # Stamped with the bill's own time (its next morning), not the clock: the same bill downloaded
        # twice is the same file, as Alipay's is.
        member = zipfile.ZipInfo(
            f"{sim_keys.ALIPAY_SELLER_ID}0156_{day:%Y%m%d}_业务明细.csv",
            date_time=(*(day + datetime.timedelta(days=1)).timetuple()[:3], 9, 0, 0),
        )
        member.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(member, "\r\n".join(lines).encode("gbk"))
    return buffer.getvalue()


def _bill_url(sim: PaySim, app_id: str, biz: dict) -> Response:
    method = "alipay.data.dataservice.bill.downloadurl.query"
    try:
        day = datetime.date.fromisoformat(str(biz.get("bill_date", "")))
    except ValueError:
        return _answer(
            method, {"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-bill-date"}
        )
    token = secrets.token_urlsafe(16)
    with sim.lock:
        sim.bills[token] = (bill_zip(sim, app_id, day), False)
    return _ok(method, bill_download_url=f"{sim.base_url}/alipay/bill?token={token}")


def notification(order: SimOrder, *, at: float | None = None) -> tuple[dict[str, str], bytes]:
    """The trade_status_sync notification of a paid order, signed with Alipay's key."""
    sent = datetime.datetime.fromtimestamp(time.time() if at is None else at, tz=CHINA)
    params = {
        "notify_time": sent.strftime("%Y-%m-%d %H:%M:%S"),
        "notify_type": "trade_status_sync",
        "notify_id": order.event_id,
        "charset": "utf-8",
        "version": "1.0",
        "sign_type": "RSA2",
        "app_id": order.app_id,
        "auth_app_id": order.app_id,
        "seller_id": order.merchant_id,
        "seller_email": "merchant@paysim.test",
        "buyer_id": order.payer_ref,
        "buyer_logon_id": "pay***@paysim.test",
        "out_trade_no": order.out_trade_no,
        "trade_no": order.channel_trade_no,
        "trade_status": "TRADE_SUCCESS",
        "subject": order.description,
        "total_amount": _yuan(order.amount_fen),
        "receipt_amount": _yuan(order.amount_fen),
        "invoice_amount": _yuan(order.amount_fen),
        "buyer_pay_amount": _yuan(order.amount_fen),
        "point_amount": "0.00",
        "fund_bill_list": json.dumps(
            [{"amount": _yuan(order.amount_fen), "fundChannel": "ALIPAYACCOUNT"}], separators=(",", ":")
        ),
        "gmt_create": _stamp(order.created_at),
        "gmt_payment": _stamp(order.paid_at),
    }
    params = {k: v for k, v in params.items() if v != ""}  # Alipay leaves out empty parameters
    params["sign"] = sim_keys.rsa_sign(
        sim_keys.load().alipay_private, signed_string(params, skip=("sign", "sign_type"))
    )
    body = urllib.parse.urlencode(params).encode("ascii")
    return {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, body


def tamper(body: bytes) -> bytes:
    """The body changed after signing, as an attacker would: one fen more on total_amount."""
    params = urllib.parse.parse_qsl(body.decode("ascii"), keep_blank_values=True)
    changed = [(k, _yuan((_fen(v) or 0) + 1) if k == "total_amount" else v) for k, v in params]
    return urllib.parse.urlencode(changed).encode("ascii")
