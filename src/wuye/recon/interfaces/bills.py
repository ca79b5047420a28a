"""Reading the channels' daily bills (对账单) into one shape, ``ChannelBill``.

- WeChat Pay v3 trade bill (``bill_type=ALL``): UTF-8 CSV (a BOM is tolerated), every field prefixed with a
  backtick, one row per payment (交易状态 SUCCESS) and per refund (REFUND), then a summary header and a
  summary row (count, paid total, refund total, …, fee total). Amounts are yuan, fees yuan with five
  decimals. The day is cut at 00:00 Beijing time.
- Alipay trade bill: a zip holding GBK CSV files; the 业务明细 file (not 汇总) has ``#`` comment lines
  around a header and rows of 交易 and 退款 (negative amounts); numbers are tab-padded.

A file that is not such a bill, whose rows do not add up to its own summary, that repeats a row or whose
amounts are not whole fen is refused whole with ``BillError`` (a translated message naming the row).
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import zipfile
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

PAYMENT, REFUND = "payment", "refund"


class BillError(Exception):
    """A bill refused whole; the message is translated."""


@dataclass(frozen=True, slots=True)
class BillLine:
    kind: str  # PAYMENT or REFUND
    out_trade_no: str
    amount_fen: int  # > 0: what was paid, or refunded
    fee_fen: int = 0  # what the channel kept (payments)
    out_refund_no: str = ""
    channel_trade_no: str = ""
    at: str = ""  # the channel's time, as printed
    row: int = 0  # the row number in the file, for messages


@dataclass
class ChannelBill:
    method: str
    lines: list[BillLine] = field(default_factory=list)

    @property
    def paid_fen(self) -> int:
        return sum(line.amount_fen for line in self.lines if line.kind == PAYMENT)

    @property
    def refunded_fen(self) -> int:
        return sum(line.amount_fen for line in self.lines if line.kind == REFUND)

    @property
    def fee_fen(self) -> int:
        return sum(line.fee_fen for line in self.lines)


_AMOUNT = re.compile(r"^-?\d{1,12}\.\d{1,5}$|^-?\d{1,12}$")


def _fen(text: str, *, row: int, column: str, places: int = 2) -> int:
    """Yuan text → fen. Up to ``places`` decimals; anything below a fen (fees have five decimals) is
    rounded half up, as the channels settle fees to the fen."""
    text = text.strip().lstrip("`").strip()
    if not _AMOUNT.match(text):
        raise BillError(
            _("Row %(row)s: %(column)s is not an amount: %(value)s.")
            % {"row": row, "column": column, "value": text}
        )
    negative = text.startswith("-")
    whole, _dot, decimals = text.lstrip("-").partition(".")
    if len(decimals) > places:
        raise BillError(
            _("Row %(row)s: %(column)s has more decimals than the bill allows: %(value)s.")
            % {"row": row, "column": column, "value": text}
        )
    decimals = (decimals + "00000")[:5]
    fen = int(whole) * 100 + int(decimals[:2]) + (1 if int(decimals[2:]) >= 500 else 0)
    return -fen if negative else fen


def _text(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding).removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        raise BillError(
            _("The file is not %(encoding)s text (byte %(position)s).")
            % {"encoding": encoding.upper(), "position": error.start}
        ) from error


WECHAT_HEADER = ("交易时间", "公众账号ID", "商户号")
WECHAT_SUMMARY = "总交易单数"


def wechat_bill_read(data: bytes) -> ChannelBill:
    """A WeChat Pay trade bill (decompressed). See the module's docstring."""
    rows = _text(data, "utf-8").splitlines()
    if not rows or not rows[0].startswith(",".join(WECHAT_HEADER)):
        raise BillError(_("This is not a WeChat Pay trade bill (the first row is not its header)."))
    header = rows[0].split(",")
    try:
        where = {
            name: header.index(name)
            for name in (
                "交易时间",
                "微信订单号",
                "商户订单号",
                "交易状态",
                "应结订单金额",
                "商户退款单号",
                "退款金额",
                "手续费",
            )
        }
    except ValueError as error:
        raise BillError(_("The bill's header lacks a column: %(error)s.") % {"error": error}) from error
    try:
        summary_at = next(index for index, row in enumerate(rows) if row.startswith(WECHAT_SUMMARY))
    except StopIteration:
        raise BillError(_("The bill has no summary rows: it is cut short.")) from None
    if summary_at + 1 >= len(rows):
        raise BillError(_("The bill has no summary rows: it is cut short."))
    bill = ChannelBill(method="wechat")
    seen: set[tuple[str, str]] = set()
    width = len(header)
    for number, row in enumerate(rows[1:summary_at], start=2):
        if not row.strip():
            continue
        # Every field starts with a backtick: split on ",`" so that a comma inside a product name stays.
        fields = row.removeprefix("`").split(",`")
        if len(fields) != width:
            raise BillError(
                _("Row %(row)s has %(found)s fields, the header %(expected)s.")
                % {"row": number, "found": len(fields), "expected": width}
            )
        state = fields[where["交易状态"]]
        out_trade_no = fields[where["商户订单号"]]
        if state == "REFUND":
            line = BillLine(
                kind=REFUND,
                out_trade_no=out_trade_no,
                out_refund_no=fields[where["商户退款单号"]],
                amount_fen=_fen(fields[where["退款金额"]], row=number, column="退款金额"),
                channel_trade_no=fields[where["微信订单号"]],
                at=fields[where["交易时间"]],
                row=number,
            )
        elif state == "SUCCESS":
            line = BillLine(
                kind=PAYMENT,
                out_trade_no=out_trade_no,
                amount_fen=_fen(fields[where["应结订单金额"]], row=number, column="应结订单金额"),
                fee_fen=_fen(fields[where["手续费"]], row=number, column="手续费", places=5),
                channel_trade_no=fields[where["微信订单号"]],
                at=fields[where["交易时间"]],
                row=number,
            )
        else:  # REVOKED, CLOSED…: not money
            continue
        _add(bill, seen, line)
    totals = [value.removeprefix("`") for value in rows[summary_at + 1].split(",")]
    if len(totals) < 5:
        raise BillError(_("The bill's summary row is incomplete."))
    count = int(totals[0]) if totals[0].isdigit() else -1
    paid = _fen(totals[1], row=summary_at + 2, column="应结订单总金额")
    refunded = _fen(totals[2], row=summary_at + 2, column="退款总金额")
    fees = _fen(totals[4], row=summary_at + 2, column="手续费总金额", places=5)
    _totals_check(bill, count=count, paid=paid, refunded=refunded, fees=fees)
    return bill


FUNDFLOW_HEADER = ("记账时间", "微信支付业务单号", "资金流水单号")
FUNDFLOW_SUMMARY = "资金流水总笔数"
# 业务类型 of the fund-flow bill as reconciliation reads them; other types (adjustments...) stay "other".
FLOW_TRADE, FLOW_FEE, FLOW_REFUND, FLOW_PAYOUT = "交易", "手续费", "退款", "提现"


@dataclass(frozen=True)
class FlowLine:
    kind: str  # 业务类型: FLOW_TRADE, FLOW_FEE, FLOW_REFUND, FLOW_PAYOUT or another
    income: bool
    amount_fen: int  # > 0
    voucher: str  # 业务凭证号: the order or refund number, or a payout's settlement reference
    row: int


@dataclass
class FundFlow:
    lines: list[FlowLine] = field(default_factory=list)

    def total(self, kind: str) -> int:
        """Fen moved by lines of ``kind``, income positive, expense negative."""
        return sum(
            line.amount_fen if line.income else -line.amount_fen for line in self.lines if line.kind == kind
        )


def wechat_fundflow_read(data: bytes) -> FundFlow:
    """WeChat Pay's fund-flow bill of the basic account (资金账单, decompressed): backticked fields, then
    the summary (count, incomes, income, expenses, expense) that the lines must add up to."""
    rows = _text(data, "utf-8").splitlines()
    if not rows or not rows[0].startswith(",".join(FUNDFLOW_HEADER)):
        raise BillError(_("This is not a WeChat Pay fund-flow bill (the first row is not its header)."))
    header = [name.replace("（", "(").replace("）", ")") for name in rows[0].split(",")]
    try:
        where = {name: header.index(name) for name in ("业务类型", "收支类型", "收支金额(元)", "业务凭证号")}
    except ValueError as error:
        raise BillError(_("The bill's header lacks a column: %(error)s.") % {"error": error}) from error
    summary_at = next((index for index, row in enumerate(rows) if row.startswith(FUNDFLOW_SUMMARY)), None)
    if summary_at is None or summary_at + 1 >= len(rows):
        raise BillError(_("The bill has no summary rows: it is cut short."))
    flow = FundFlow()
    for number, row in enumerate(rows[1:summary_at], start=2):
        if not row.strip():
            continue
        fields = row.removeprefix("`").split(",`")
        if len(fields) != len(header):
            raise BillError(
                _("Row %(row)s has %(found)s fields, the header %(expected)s.")
                % {"row": number, "found": len(fields), "expected": len(header)}
            )
        direction = fields[where["收支类型"]]
        if direction not in ("收入", "支出"):
            raise BillError(
                _("Row %(row)s: %(column)s is not an amount: %(value)s.")
                % {"row": number, "column": "收支类型", "value": direction}
            )
        amount = _fen(fields[where["收支金额(元)"]], row=number, column="收支金额")
        if amount <= 0:
            raise BillError(
                _("Row %(row)s: %(column)s is not an amount: %(value)s.")
                % {"row": number, "column": "收支金额", "value": fields[where["收支金额(元)"]]}
            )
        flow.lines.append(
            FlowLine(
                kind=fields[where["业务类型"]],
                income=direction == "收入",
                amount_fen=amount,
                voucher=fields[where["业务凭证号"]],
                row=number,
            )
        )
    totals = [value.removeprefix("`") for value in rows[summary_at + 1].split(",")]
    if len(totals) < 5 or not all(totals[index].isdigit() for index in (0, 1, 3)):
        raise BillError(_("The bill's summary row is incomplete."))
    incomes = [line for line in flow.lines if line.income]
    expenses = [line for line in flow.lines if not line.income]
    declared = (
        int(totals[0]),
        int(totals[1]),
        _fen(totals[2], row=summary_at + 2, column="收入金额"),
        int(totals[3]),
        _fen(totals[4], row=summary_at + 2, column="支出金额"),
    )
    found = (
        len(flow.lines),
        len(incomes),
        sum(line.amount_fen for line in incomes),
        len(expenses),
        sum(line.amount_fen for line in expenses),
    )
    if declared != found:
        raise BillError(
            _(
                "The bill's lines do not add up to its summary (%(found)s against %(declared)s): it is incomplete."
            )
            % {"found": found, "declared": declared}
        )
    return flow


ALIPAY_COLUMNS = (
    "支付宝交易号",
    "商户订单号",
    "业务类型",
    "完成时间",
    "订单金额（元）",
    "退款批次号/请求号",
    "服务费（元）",
)


def alipay_bill_read(data: bytes) -> ChannelBill:
    """An Alipay trade bill: the zip as downloaded, or its 业务明细 CSV. See the module's docstring."""
    if data[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = [name for name in archive.namelist() if name.endswith(".csv") and "汇总" not in name]
                if len(names) != 1:
                    raise BillError(_("The Alipay bill archive holds no detail file (业务明细)."))
                data = archive.read(names[0])
        except zipfile.BadZipFile as error:
            raise BillError(_("The Alipay bill archive is damaged.")) from error
    text = _text(data, "gbk")
    rows = text.splitlines()
    header_at = next((index for index, row in enumerate(rows) if row.startswith("支付宝交易号,")), None)
    if header_at is None:
        raise BillError(_("This is not an Alipay trade bill (no 支付宝交易号 header)."))
    if not any(row.startswith("#") and "结束" in row for row in rows[header_at:]):
        raise BillError(_("The bill has no closing line: it is cut short."))
    header = [name.strip() for name in rows[header_at].split(",")]
    missing = [name for name in ALIPAY_COLUMNS if name not in header]
    if missing:
        raise BillError(_("The bill's header lacks a column: %(error)s.") % {"error": "、".join(missing)})
    where = {name: header.index(name) for name in ALIPAY_COLUMNS}
    bill = ChannelBill(method="alipay")
    seen: set[tuple[str, str]] = set()
    for offset, fields in enumerate(csv.reader(rows[header_at + 1 :])):
        number = header_at + 2 + offset
        if not fields or fields[0].startswith("#"):
            continue
        if len(fields) != len(header):
            raise BillError(
                _("Row %(row)s has %(found)s fields, the header %(expected)s.")
                % {"row": number, "found": len(fields), "expected": len(header)}
            )
        fields = [value.strip() for value in fields]
        kind = {"交易": PAYMENT, "退款": REFUND}.get(fields[header.index("业务类型")])
        if kind is None:
            continue
        amount = _fen(fields[where["订单金额（元）"]], row=number, column="订单金额（元）")
        line = BillLine(
            kind=kind,
            out_trade_no=fields[where["商户订单号"]],
            out_refund_no=fields[where["退款批次号/请求号"]] if kind == REFUND else "",
            amount_fen=abs(amount),
            fee_fen=_fen(fields[where["服务费（元）"]], row=number, column="服务费（元）")
            if kind == PAYMENT
            else 0,
            channel_trade_no=fields[where["支付宝交易号"]],
            at=fields[where["完成时间"]],
            row=number,
        )
        _add(bill, seen, line)
    return bill


def _add(bill: ChannelBill, seen: set, line: BillLine) -> None:
    if not line.out_trade_no or (line.kind == REFUND and not line.out_refund_no):
        raise BillError(_("Row %(row)s has no order number.") % {"row": line.row})
    if line.amount_fen <= 0:
        raise BillError(_("Row %(row)s: the amount must be more than zero.") % {"row": line.row})
    key = (line.kind, line.out_refund_no or line.out_trade_no)
    if key in seen:
        raise BillError(_("Row %(row)s repeats %(number)s.") % {"row": line.row, "number": key[1]})
    seen.add(key)
    bill.lines.append(line)


def _totals_check(bill: ChannelBill, *, count: int, paid: int, refunded: int, fees: int) -> None:
    found = (len(bill.lines), bill.paid_fen, bill.refunded_fen, bill.fee_fen)
    if found != (count, paid, refunded, fees):
        raise BillError(
            _(
                "The rows do not add up to the bill's summary: %(rows)s rows, %(paid)s fen paid, %(refunded)s"
                " fen refunded, %(fees)s fen fees; the summary says %(count)s, %(s_paid)s, %(s_refunded)s,"
                " %(s_fees)s."
            )
            % {
                "rows": found[0],
                "paid": found[1],
                "refunded": found[2],
                "fees": found[3],
                "count": count,
                "s_paid": paid,
                "s_refunded": refunded,
                "s_fees": fees,
            }
        )


READERS = {"wechat": wechat_bill_read, "alipay": alipay_bill_read}


# How a channel's credit to the merchant's bank account names what it settles: one merchant's takings of
# one trade day (T+1, net of fees and refunds), e.g. WX1900000109 20261202 as one word.
SETTLEMENT_PREFIXES = {"wechat": "WX", "alipay": "ALI"}


def settlement_reference(method: str, merchant: str, trade_day: datetime.date) -> str:
    """The reference a channel's settlement credit carries: prefix, merchant (WeChat's mchid, Alipay's app
    id) and the trade day."""
    return f"{SETTLEMENT_PREFIXES[method]}{merchant}{trade_day:%Y%m%d}"


def bill_read(method: str, data: bytes) -> ChannelBill:
    reader = READERS.get(method)
    if reader is None:
        raise BillError(_("No bill reader for the channel %(method)s.") % {"method": method})
    return reader(data)
