"""The WeChat Pay API v3 side of paysim: the endpoints a merchant calls, signed answers, and signed,
encrypted notifications, as WeChat Pay writes them.

Requests carry ``Authorization: WECHATPAY2-SHA256-RSA2048 mchid=…,nonce_str=…,signature=…,timestamp=…,
serial_no=…`` signed by the merchant key over "METHOD\\nPATH?QUERY\\nTS\\nNONCE\\nBODY\\n". Answers and
notifications carry Wechatpay-Serial/Signature/Timestamp/Nonce headers over "TS\\nNONCE\\nBODY\\n",
signed with WeChat's public-key-mode key when the merchant sent that key's id (``Wechatpay-Serial:
PUB_KEY_ID_…``), and with the platform certificate's key otherwise.
"""

from __future__ import annotations

import datetime
import gzip
import hashlib
import json
import re
import secrets
import time
from typing import TYPE_CHECKING, Any

from wuye.paysim import keys as sim_keys
from wuye.paysim.bank import channel_settlements
from wuye.paysim.state import CHINA, CLOSED, PAID, UNPAID, WECHAT, SimOrder, SimRefund, now, order_fee_fen

if TYPE_CHECKING:
    from wuye.paysim.server import PaySim, Response

PUBLIC_KEY = "public_key"
CERTIFICATE = "certificate"
AUTH_PATTERN = re.compile(r'(\w+)="([^"]*)"')
REQUEST_WINDOW = 300  # seconds a request's timestamp may be off


def sign_headers(body: str, *, key_mode: str, at: float | None = None) -> dict[str, str]:
    keys = sim_keys.load()
    timestamp = str(int(time.time() if at is None else at))
    nonce = sim_keys.nonce_text()
    if key_mode == PUBLIC_KEY:
        private, serial = keys.wechat_pubkey_private, keys.wechat_pubkey_id
    else:
        private, serial = keys.platform_private, keys.platform_serial
    return {
        "Wechatpay-Serial": serial,
        "Wechatpay-Signature": sim_keys.rsa_sign(private, f"{timestamp}\n{nonce}\n{body}\n"),
        "Wechatpay-Timestamp": timestamp,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
        "Request-ID": secrets.token_hex(16),
    }


def _answer(status: int, data: dict | None, key_mode: str) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")) if data is not None else ""
    headers = sign_headers(body, key_mode=key_mode) if 200 <= status < 300 else {}
    return status, "application/json; charset=utf-8", body.encode(), headers


def _error(status: int, code: str, message: str) -> Response:
    return _answer(status, {"code": code, "message": message}, PUBLIC_KEY)


def _time(value: datetime.datetime | None) -> str | None:
    return value.isoformat() if value else None


def verify_request(method: str, target: str, headers: dict[str, str], body: str) -> tuple[str, str | None]:
    """(mchid, error) of a merchant request: the Authorization signature with the merchant's public key."""
    keys = sim_keys.load()
    authorization = headers.get("authorization", "")
    scheme, _, rest = authorization.partition(" ")
    fields = dict(AUTH_PATTERN.findall(rest))
    if scheme != "WECHATPAY2-SHA256-RSA2048" or not {
        "mchid",
        "nonce_str",
        "signature",
        "timestamp",
        "serial_no",
    } <= set(fields):
        return "", "Authorization missing or malformed"
    if fields["serial_no"] != keys.merchant_serial:
        return fields["mchid"], f"merchant certificate serial {fields['serial_no']} unknown"
    try:
        if abs(time.time() - int(fields["timestamp"])) > REQUEST_WINDOW:
            return fields["mchid"], "timestamp out of range"
    except ValueError:
        return fields["mchid"], "timestamp not a number"
    message = f"{method}\n{target}\n{fields['timestamp']}\n{fields['nonce_str']}\n{body}\n"
    if not sim_keys.rsa_verify(keys.merchant_public, message, fields["signature"]):
        return fields["mchid"], "signature does not verify"
    return fields["mchid"], None


def handle(sim: PaySim, method: str, target: str, headers: dict[str, str], raw: bytes) -> Response:
    path, _, query = target.partition("?")
    params = dict(pair.split("=", 1) for pair in query.split("&") if "=" in pair)
    body = raw.decode("utf-8", errors="replace")
    if method == "GET" and path == "/v3/billdownload/file":
        return _bill_file(sim, params.get("token", ""), headers, target)
    mchid, error = verify_request(method, target, headers, body)
    if error:
        return _error(401, "SIGN_ERROR", error)
    key_mode = (
        PUBLIC_KEY if headers.get("wechatpay-serial") == sim_keys.load().wechat_pubkey_id else CERTIFICATE
    )
    data: dict[str, Any] = {}
    if body:
        try:
            data = json.loads(body)
        except ValueError:
            return _error(400, "PARAM_ERROR", "body is not JSON")
    if method == "POST" and path in ("/v3/pay/transactions/native", "/v3/pay/transactions/jsapi"):
        return _create(sim, path.rsplit("/", 1)[1].upper(), mchid, data, key_mode)
    if method == "GET" and path.startswith("/v3/pay/transactions/out-trade-no/"):
        return _query(sim, path.rsplit("/", 1)[1], mchid, key_mode)
    if method == "POST" and path.startswith("/v3/pay/transactions/out-trade-no/") and path.endswith("/close"):
        return _close(sim, path.split("/")[-2], mchid, key_mode)
    if method == "POST" and path == "/v3/refund/domestic/refunds":
        return _refund(sim, mchid, data, key_mode)
    if method == "GET" and path.startswith("/v3/refund/domestic/refunds/"):
        return _refund_query(sim, path.rsplit("/", 1)[1], key_mode)
    if method == "GET" and path == "/v3/bill/tradebill":
        return _bill(sim, mchid, params, key_mode, bill_text)
    if method == "GET" and path == "/v3/bill/fundflowbill":
        if params.get("account_type", "BASIC") != "BASIC":
            return _error(400, "PARAM_ERROR", "仅模拟基本账户")
        return _bill(sim, mchid, params, key_mode, fundflow_text)
    if method == "GET" and path == "/v3/certificates":
        return _certificates()
    return _error(404, "NOT_FOUND", f"{method} {path} is not simulated")


def _create(sim: PaySim, trade_type: str, mchid: str, data: dict, key_mode: str) -> Response:
    amount = (data.get("amount") or {}).get("total")
    required = ("appid", "mchid", "description", "out_trade_no", "notify_url")
    if any(not data.get(name) for name in required) or not isinstance(amount, int) or amount <= 0:
        return _error(
            400,
            "PARAM_ERROR",
            "参数错误：appid、mchid、description、out_trade_no、notify_url、amount.total 必填",
        )
    if data["mchid"] != mchid:
        return _error(400, "MCH_NOT_EXISTS", "商户号与请求签名的商户号不一致")
    openid = (data.get("payer") or {}).get("openid", "")
    if trade_type == "JSAPI" and not openid:
        return _error(400, "PARAM_ERROR", "JSAPI 下单需要 payer.openid")
    expires_at = None
    if data.get("time_expire"):
        try:
            expires_at = datetime.datetime.fromisoformat(data["time_expire"])
        except ValueError:
            return _error(400, "PARAM_ERROR", "time_expire 格式错误")
    with sim.lock:
        order = sim.orders.get((WECHAT, data["out_trade_no"]))
        if order is not None:
            if order.state == PAID:
                return _error(400, "ORDERPAID", "该订单已支付")
            if order.state == CLOSED:
                return _error(400, "ORDER_CLOSED", "订单已关闭")
            if order.amount_fen != amount or order.trade_type != trade_type:
                return _error(400, "INVALID_REQUEST", "商户订单号重复，且与原订单参数不一致")
        else:
            order = SimOrder(
                method=WECHAT,
                out_trade_no=data["out_trade_no"],
                amount_fen=amount,
                description=data["description"],
                notify_url=data["notify_url"],
                merchant_id=mchid,
                app_id=data["appid"],
                trade_type=trade_type,
                payer_ref=openid,
                key_mode=key_mode,
                expires_at=expires_at,
                prepay_id="wx" + now().strftime("%d%H%M%S") + secrets.token_hex(12),
            )
            sim.orders[(WECHAT, order.out_trade_no)] = order
            sim.tokens[order.token] = order
    if trade_type == "JSAPI":
        return _answer(200, {"prepay_id": order.prepay_id}, key_mode)
    return _answer(200, {"code_url": sim.phone_url(order)}, key_mode)


def transaction(sim: PaySim, order: SimOrder) -> dict[str, Any]:
    """The order as WeChat describes it (query answer, and the notification's decrypted resource)."""
    state = {UNPAID: "NOTPAY", PAID: "REFUND" if order.refunded_fen else "SUCCESS", CLOSED: "CLOSED"}[
        order.state
    ]
    descriptions = {"NOTPAY": "未支付", "SUCCESS": "支付成功", "REFUND": "转入退款", "CLOSED": "已关闭"}
    data: dict[str, Any] = {
        "appid": order.app_id,
        "mchid": order.merchant_id,
        "out_trade_no": order.out_trade_no,
        "trade_type": order.trade_type,
        "trade_state": state,
        "trade_state_desc": descriptions[state],
        "attach": "",
        "amount": {"total": order.amount_fen, "currency": "CNY"},
    }
    if order.state == PAID:
        data.update(
            {
                "transaction_id": order.channel_trade_no,
                "bank_type": "OTHERS",
                "success_time": _time(order.paid_at),
                "payer": {"openid": order.payer_ref},
            }
        )
        data["amount"].update({"payer_total": order.amount_fen, "payer_currency": "CNY"})
    return data


def _query(sim: PaySim, out_trade_no: str, mchid: str, key_mode: str) -> Response:
    with sim.lock:
        order = sim.orders.get((WECHAT, out_trade_no))
        if order is None or order.merchant_id != mchid:
            return _error(404, "ORDER_NOT_EXIST", "订单不存在")
        sim.expire(order)
        return _answer(200, transaction(sim, order), order.key_mode)


def _close(sim: PaySim, out_trade_no: str, mchid: str, key_mode: str) -> Response:
    with sim.lock:
        order = sim.orders.get((WECHAT, out_trade_no))
        if order is None or order.merchant_id != mchid:
            return _error(404, "ORDER_NOT_EXIST", "订单不存在")
        if order.state == PAID:
            return _error(400, "ORDERPAID", "订单已支付")
        order.state = CLOSED
    return _answer(204, None, key_mode)


def refund_json(order: SimOrder, refund: SimRefund) -> dict[str, Any]:
    return {
        "refund_id": refund.refund_id,
        "out_refund_no": refund.out_refund_no,
        "transaction_id": order.channel_trade_no,
        "out_trade_no": order.out_trade_no,
        "channel": "ORIGINAL",
        "user_received_account": "支付用户零钱",
        "create_time": _time(refund.created_at),
        "success_time": _time(refund.succeeded_at),
        "status": refund.status,
        "funds_account": "AVAILABLE",
        "amount": {
            "total": order.amount_fen,
            "refund": refund.amount_fen,
            "payer_total": order.amount_fen,
            "payer_refund": refund.amount_fen,
            "settlement_refund": refund.amount_fen,
            "settlement_total": order.amount_fen,
            "discount_refund": 0,
            "currency": "CNY",
        },
    }


def _refund(sim: PaySim, mchid: str, data: dict, key_mode: str) -> Response:
    amount = data.get("amount") or {}
    refund_fen, total_fen = amount.get("refund"), amount.get("total")
    if (
        not data.get("out_refund_no")
        or not isinstance(refund_fen, int)
        or not isinstance(total_fen, int)
        or refund_fen <= 0
    ):
        return _error(400, "PARAM_ERROR", "参数错误：out_refund_no、amount.refund、amount.total 必填")
    with sim.lock:
        order = sim.orders.get((WECHAT, data.get("out_trade_no", "")))
        if order is None and data.get("transaction_id"):
            order = next(
                (o for o in sim.orders.values() if o.channel_trade_no == data["transaction_id"]), None
            )
        if order is None or order.merchant_id != mchid:
            return _error(404, "RESOURCE_NOT_EXISTS", "订单不存在")
        existing = sim.refunds.get((WECHAT, data["out_refund_no"]))
        if existing is not None:
            if existing.amount_fen != refund_fen or existing.out_trade_no != order.out_trade_no:
                return _error(400, "INVALID_REQUEST", "退款单号重复，且与原退款参数不一致")
            return _answer(200, refund_json(order, existing), key_mode)
        if order.state != PAID:
            return _error(400, "INVALID_REQUEST", "订单未支付，不能退款")
        if total_fen != order.amount_fen:
            return _error(400, "INVALID_REQUEST", "订单金额与原订单不一致")
        if order.refunded_fen + refund_fen > order.amount_fen:
            return _error(400, "INVALID_REQUEST", "申请退款金额超过订单可退金额")
        refund = SimRefund(
            method=WECHAT,
            out_refund_no=data["out_refund_no"],
            out_trade_no=order.out_trade_no,
            amount_fen=refund_fen,
            notify_url=data.get("notify_url", ""),
        )
        order.refunded_fen += refund_fen
        sim.refunds[(WECHAT, refund.out_refund_no)] = refund
        answer = _answer(200, refund_json(order, refund), key_mode)
    sim.refund_created(refund)
    return answer


def _refund_query(sim: PaySim, out_refund_no: str, key_mode: str) -> Response:
    with sim.lock:
        refund = sim.refunds.get((WECHAT, out_refund_no))
        if refund is None:
            return _error(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
        order = sim.orders[(WECHAT, refund.out_trade_no)]
        return _answer(200, refund_json(order, refund), order.key_mode)


def payment_notification(
    sim: PaySim, order: SimOrder, *, at: float | None = None
) -> tuple[dict[str, str], bytes]:
    return _notification(
        order.event_id,
        "TRANSACTION.SUCCESS",
        "支付成功",
        "transaction",
        transaction(sim, order),
        key_mode=order.key_mode,
        at=at,
    )


def refund_notification(
    sim: PaySim, order: SimOrder, refund: SimRefund, *, at: float | None = None
) -> tuple[dict[str, str], bytes]:
    resource = {
        "mchid": order.merchant_id,
        "out_trade_no": order.out_trade_no,
        "transaction_id": order.channel_trade_no,
        "out_refund_no": refund.out_refund_no,
        "refund_id": refund.refund_id,
        "refund_status": refund.status,
        "success_time": _time(refund.succeeded_at),
        "user_received_account": "支付用户零钱",
        "amount": {
            "total": order.amount_fen,
            "refund": refund.amount_fen,
            "payer_total": order.amount_fen,
            "payer_refund": refund.amount_fen,
        },
    }
    events = {
        "SUCCESS": ("REFUND.SUCCESS", "退款成功"),
        "ABNORMAL": ("REFUND.ABNORMAL", "退款异常"),
        "CLOSED": ("REFUND.CLOSED", "退款关闭"),
    }
    event_type, summary = events.get(refund.status, events["SUCCESS"])
    return _notification(
        refund.event_id, event_type, summary, "refund", resource, key_mode=order.key_mode, at=at
    )


def _notification(
    event_id: str,
    event_type: str,
    summary: str,
    original_type: str,
    resource: dict,
    *,
    key_mode: str,
    at: float | None,
) -> tuple[dict[str, str], bytes]:
    keys = sim_keys.load()
    created = datetime.datetime.fromtimestamp(time.time() if at is None else at, tz=now().tzinfo)
    plaintext = json.dumps(resource, ensure_ascii=False, separators=(",", ":"))
    nonce, ciphertext = sim_keys.aes_gcm_encrypt(keys.apiv3_key, plaintext, original_type)
    envelope = {
        "id": event_id,
        "create_time": created.replace(microsecond=0).isoformat(),
        "resource_type": "encrypt-resource",
        "event_type": event_type,
        "summary": summary,
        "resource": {
            "original_type": original_type,
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": ciphertext,
            "associated_data": original_type,
            "nonce": nonce,
        },
    }
    body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":"))
    headers = {"Content-Type": "application/json", **sign_headers(body, key_mode=key_mode, at=at)}
    return headers, body.encode("utf-8")


def tamper(body: bytes) -> bytes:
    """The body changed after signing, as an attacker on the way would: a different summary."""
    return (
        body.replace("支付成功".encode(), "支付成功！".encode(), 1)
        if "支付成功".encode() in body
        else body + b" "
    )


# Bills -------------------------------------------------------------------------------------------------

BILL_COLUMNS = (
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,"
    "应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,"
    "手续费,费率,订单金额,申请退款金额,费率备注"
)


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _fee(fen: int) -> str:
    """A fee as WeChat's bill prints it: yuan with five decimals."""
    return _yuan(fen) + "000"


def bill_text(sim: PaySim, mchid: str, day: datetime.date) -> bytes:
    """The day's ALL trade bill in WeChat's layout: every field prefixed with a backtick, then totals."""
    rows, paid_total, refund_total, fee_total, count = [], 0, 0, 0, 0
    with sim.lock:
        orders = [o for o in sim.orders.values() if o.method == WECHAT and o.merchant_id == mchid]
        refunds = [r for r in sim.refunds.values() if r.method == WECHAT]
        by_no = {o.out_trade_no: o for o in orders}
        for order in orders:
            if order.paid_at is None or order.paid_at.date() != day:
                continue
            count += 1
            paid_total += order.amount_fen
            fee = order_fee_fen(order)
            fee_total += fee
            fields = [
                order.paid_at.strftime("%Y-%m-%d %H:%M:%S"),
                order.app_id,
                mchid,
                "0",
                "",
                order.channel_trade_no,
                order.out_trade_no,
                order.payer_ref,
                order.trade_type,
                "SUCCESS",
                "OTHERS",
                "CNY",
                _yuan(order.amount_fen),
                "0.00",
                "0",
                "0",
                "0.00",
                "0.00",
                "",
                "",
                order.description,
                "",
                _fee(fee),
                "0.60%",
                _yuan(order.amount_fen),
                "0.00",
                "",
            ]
            rows.append(",".join("`" + f for f in fields))
        for refund in refunds:
            order = by_no.get(refund.out_trade_no)
            if order is None or refund.succeeded_at is None or refund.succeeded_at.date() != day:
                continue
            count += 1
            refund_total += refund.amount_fen
            fields = [
                refund.succeeded_at.strftime("%Y-%m-%d %H:%M:%S"),
                order.app_id,
                mchid,
                "0",
                "",
                order.channel_trade_no,
                order.out_trade_no,
                order.payer_ref,
                order.trade_type,
                "REFUND",
                "OTHERS",
                "CNY",
                "0.00",
                "0.00",
                refund.refund_id,
                refund.out_refund_no,
                _yuan(refund.amount_fen),
                "0.00",
                "ORIGINAL",
                "SUCCESS",
                order.description,
                "",
                "0.00000",
                "0.60%",
                "0.00",
                _yuan(refund.amount_fen),
                "",
            ]
            rows.append(",".join("`" + f for f in fields))
    summary = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
    totals = [
        str(count),
        _yuan(paid_total),
        _yuan(refund_total),
        "0.00",
        _fee(fee_total),
        _yuan(paid_total),
        _yuan(refund_total),
    ]
    lines = [BILL_COLUMNS, *rows, summary, ",".join("`" + t for t in totals)]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


FUNDFLOW_COLUMNS = (
    "记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,收支金额(元),账户结余(元),"
    "资金变更提交申请人,备注,业务凭证号"
)


def fundflow_text(sim: PaySim, mchid: str, day: datetime.date) -> bytes:
    """The day's fund-flow bill of the merchant's basic account in WeChat's layout: each payment as income
    with its fee as an expense beside it, each refund as an expense, and at 09:00 the payout (提现) to the
    bank of the day before's net, its voucher the settlement reference; then the totals."""
    moves: list[tuple[datetime.datetime, str, str, str, bool, int, str]] = []
    for method, reference, fen in channel_settlements(sim, day):
        if method == WECHAT and reference.startswith(f"WX{mchid}"):
            at = datetime.datetime.combine(day, datetime.time(9), tzinfo=CHINA)
            moves.append((at, "", "结算提现", "提现", False, fen, reference))
    with sim.lock:
        orders = [o for o in sim.orders.values() if o.method == WECHAT and o.merchant_id == mchid]
        by_no = {o.out_trade_no: o for o in orders}
        for order in orders:
            if order.paid_at is None or order.paid_at.date() != day:
                continue
            moves.append(
                (
                    order.paid_at,
                    order.channel_trade_no,
                    "基本账户",
                    "交易",
                    True,
                    order.amount_fen,
                    order.out_trade_no,
                )
            )
            fee = order_fee_fen(order)
            if fee:
                moves.append(
                    (
                        order.paid_at,
                        order.channel_trade_no,
                        "交易手续费",
                        "手续费",
                        False,
                        fee,
                        order.out_trade_no,
                    )
                )
        for refund in sim.refunds.values():
            order = by_no.get(refund.out_trade_no)
            if (
                refund.method != WECHAT
                or order is None
                or refund.succeeded_at is None
                or refund.succeeded_at.date() != day
            ):
                continue
            moves.append(
                (
                    refund.succeeded_at,
                    refund.refund_id,
                    "退款",
                    "退款",
                    False,
                    refund.amount_fen,
                    refund.out_refund_no,
                )
            )
    rows = []
    balance = sum(move[5] for move in moves if move[3] == "提现")  # yesterday's net, waiting for its payout
    incomes = [move for move in moves if move[4]]
    expenses = [move for move in moves if not move[4]]
    for index, (at, trade_no, name, kind, income, fen, voucher) in enumerate(
        sorted(moves, key=lambda m: m[0]), 1
    ):
        balance += fen if income else -fen
        fields = [
            at.strftime("%Y-%m-%d %H:%M:%S"),
            trade_no,
            f"{day:%Y%m%d}{index:010d}",
            name,
            kind,
            "收入" if income else "支出",
            _yuan(fen),
            f"-{_yuan(-balance)}" if balance < 0 else _yuan(balance),
            "system",
            "",
            voucher,
        ]
        rows.append(",".join("`" + f for f in fields))
    summary = "资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额"
    totals = [
        str(len(moves)),
        str(len(incomes)),
        _yuan(sum(move[5] for move in incomes)),
        str(len(expenses)),
        _yuan(sum(move[5] for move in expenses)),
    ]
    lines = [FUNDFLOW_COLUMNS, *rows, summary, ",".join("`" + t for t in totals)]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _bill(sim: PaySim, mchid: str, params: dict[str, str], key_mode: str, writer) -> Response:
    try:
        day = datetime.date.fromisoformat(params.get("bill_date", ""))
    except ValueError:
        return _error(400, "PARAM_ERROR", "bill_date 格式错误")
    if day > now().date():
        # WeChat has a day's bill from 10:00 the next day; paysim already has today's (tests need it).
        return _error(400, "NO_STATEMENT_EXIST", "账单日期不能晚于今天")
    text = writer(sim, mchid, day)
    token = secrets.token_urlsafe(16)
    with sim.lock:
        sim.bills[token] = (text, params.get("tar_type", "") == "GZIP")
    return _answer(
        200,
        {
            "hash_type": "SHA1",
            "hash_value": hashlib.sha1(text).hexdigest(),  # noqa: S324 (WeChat's checksum)
            "download_url": f"{sim.base_url}/v3/billdownload/file?token={token}",
        },
        key_mode,
    )


def _bill_file(sim: PaySim, token: str, headers: dict[str, str], target: str) -> Response:
    _, error = verify_request("GET", target, headers, "")
    if error:
        return _error(401, "SIGN_ERROR", error)
    with sim.lock:
        found = sim.bills.get(token)
    if found is None:
        return _error(404, "RESOURCE_NOT_EXISTS", "账单不存在或已过期")
    text, compressed = found
    # Not signed, as WeChat's file downloads are not: the merchant checks the SHA1 from the signed answer.
    return 200, "application/octet-stream", gzip.compress(text) if compressed else text, {}


def _certificates() -> Response:
    keys = sim_keys.load()
    nonce, ciphertext = sim_keys.aes_gcm_encrypt(keys.apiv3_key, keys.platform_cert_pem, "certificate")
    from cryptography import x509

    certificate = x509.load_pem_x509_certificate(keys.platform_cert_pem.encode())
    data = {
        "data": [
            {
                "serial_no": keys.platform_serial,
                "effective_time": certificate.not_valid_before_utc.astimezone(now().tzinfo).isoformat(),
                "expire_time": certificate.not_valid_after_utc.astimezone(now().tzinfo).isoformat(),
                "encrypt_certificate": {
                    "algorithm": "AEAD_AES_256_GCM",
                    "nonce": nonce,
                    "associated_data": "certificate",
                    "ciphertext": ciphertext,
                },
            }
        ]
    }
    return _answer(200, data, CERTIFICATE)
