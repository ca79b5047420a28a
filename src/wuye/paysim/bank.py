"""PaySim's bank: reads Wuye's debit files (送盘) and answers with result files (回盘), returns and a
statement, in the batch's own format, with scripted outcomes. No database: files in, files out, and
the end-of-day statement (camt.053) of the property company's account: the channels' settlements of
the day before (T+1, net of fees and refunds, from paysim's own orders) and the debit batches it
answered that day (one credit per batch, the sum of its successful lines).

Outcomes are scripted by the card number's last digit, so a demo and a test can choose them by the
cards they give owners (``OUTCOME_BY_LAST_DIGIT``), or per line reference (``Script.by_reference``):

    0-6  success                         7  insufficient funds (retryable)
    8    account closed (final)          9  unknown (the bank is still processing)

``Script(reject_file=True)`` rejects the whole file (nothing debited), as a bank does when its
control totals do not add up.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from wuye.debit.interfaces import bankfiles
from wuye.debit.interfaces.files import DebitFile, Outcome, ResultFile, ResultLine, Return
from wuye.debit.interfaces.iso20022 import Iso20022Format, StatementEntry, camt053_write
from wuye.paysim.state import ALIPAY, WECHAT, order_fee_fen
from wuye.recon.interfaces.bills import settlement_reference

SUCCESS, INSUFFICIENT, CLOSED, UNKNOWN = "success", "insufficient", "closed", "unknown"
OUTCOME_BY_LAST_DIGIT = {
    **dict.fromkeys("0123456", SUCCESS),
    "7": INSUFFICIENT,
    "8": CLOSED,
    "9": UNKNOWN,
}
# (outcome, text code, ISO 20022 code, message, retryable)
_CODES = {
    SUCCESS: (Outcome.SUCCESS, "0000", "ACSC", "交易成功", False),
    INSUFFICIENT: (Outcome.FAILED, "51", "AM04", "余额不足", True),
    CLOSED: (Outcome.FAILED, "3045", "AC04", "账户已销户", False),
    UNKNOWN: (Outcome.UNKNOWN, "2000", "PDNG", "处理中", False),
}


@dataclass
class Script:
    """What the bank does with a file: outcomes by line reference, else by card number."""

    by_reference: dict[str, str] = field(default_factory=dict)
    reject_file: bool = False
    reject_code: str = "1103"
    reject_message: str = "汇总金额与明细不符"

    def outcome(self, reference: str, card_number: str) -> str:
        return self.by_reference.get(reference) or OUTCOME_BY_LAST_DIGIT[card_number[-1]]


def bank_result(
    format_code: str | bankfiles.BankFormat, data: bytes, *, script: Script | None = None
) -> tuple[str, bytes, DebitFile]:
    """The result file for one debit file (one part): (file name, bytes, the debit file as read).
    ``format_code``: a format's code, or the format itself (as the batch uses it)."""
    script = script or Script()
    fmt = bankfiles.bank_format_get(format_code) if isinstance(format_code, str) else format_code
    debit = bankfiles.debit_file_read(fmt, data)
    iso = isinstance(fmt, Iso20022Format)
    lines = []
    for line in debit.lines:
        outcome, text_code, iso_code, message, retryable = _CODES[
            script.outcome(line.reference, line.card_number)
        ]
        lines.append(
            ResultLine(
                line_no=line.line_no,
                reference=line.reference,
                amount_fen=line.amount_fen,
                outcome=outcome,
                code=iso_code if iso else text_code,
                message=message,
                retryable=retryable,
            )
        )
    result = ResultFile(
        batch_no=debit.batch_no,
        file_rejected=script.reject_file,
        reject_code=script.reject_code if script.reject_file else "",
        reject_message=script.reject_message if script.reject_file else "",
        lines=() if script.reject_file and iso else tuple(lines),
        declared_count=len(debit.lines),
        declared_sum_fen=sum(line.amount_fen for line in debit.lines),
    )
    if script.reject_file and not iso:
        code = script.reject_code
        result = ResultFile(
            batch_no=result.batch_no,
            file_rejected=True,
            reject_code=code,
            reject_message=script.reject_message,
            lines=tuple(
                ResultLine(
                    line.line_no,
                    line.reference,
                    line.amount_fen,
                    Outcome.FAILED,
                    code,
                    script.reject_message,
                    True,
                )
                for line in lines
            ),
            declared_count=result.declared_count,
            declared_sum_fen=result.declared_sum_fen,
        )
    name = bankfiles.result_file_name(fmt, batch_no=debit.batch_no)
    return name, bankfiles.result_file_write(fmt, result, created_on=debit.collection_date), debit


def bank_returns(
    format_code: str,
    returns: list[tuple[str, int]],
    *,
    file_id: str,
    booked_on: datetime.date,
    code: str = "",
) -> tuple[str, bytes]:
    """A late-returns file (camt.054 for ISO 20022) for (reference, amount in fen) pairs: the debtor
    disputed the debit after the bank had reported it successful."""
    fmt = bankfiles.bank_format_get(format_code)
    iso = isinstance(fmt, Iso20022Format)
    rows = [
        Return(
            reference=reference,
            amount_fen=amount,
            code=code or ("MD06" if iso else "TP01"),
            message="付款人拒付",
            booked_on=booked_on,
        )
        for reference, amount in returns
    ]
    data = bankfiles.returns_write(fmt, rows, file_id=file_id, created_on=booked_on)
    return bankfiles.returns_file_name(fmt, file_id=file_id), data


CHANNEL_NAMES = {WECHAT: "财付通支付科技有限公司", ALIPAY: "支付宝（中国）网络技术有限公司"}
CHANNEL_MEMOS = {WECHAT: "微信支付结算", ALIPAY: "支付宝结算"}


@dataclass(frozen=True)
class Credit:
    """A debit batch the bank answered: credited to ``account`` on the collection date."""

    account: str
    day: datetime.date
    batch_no: str
    amount_fen: int


def batch_credit(debit: DebitFile, result_data: bytes, fmt) -> Credit | None:
    result = bankfiles.result_file_read(fmt, result_data)
    credited = sum(line.amount_fen for line in result.lines if line.outcome == Outcome.SUCCESS)
    if result.file_rejected or not credited:
        return None
    return Credit(debit.creditor_account, debit.collection_date, debit.batch_no, credited)


def channel_settlements(sim, day: datetime.date) -> list[tuple[str, str, int]]:
    """(channel, reference, fen) the channels pay on ``day``: every merchant's takings of the day before,
    less fees and refunds, as their bills of that day add up."""
    trade_day = day - datetime.timedelta(days=1)
    totals: dict[tuple[str, str], int] = {}
    with sim.lock:
        orders = {(order.method, order.out_trade_no): order for order in sim.orders.values()}
        for order in orders.values():
            if order.paid_at is not None and order.paid_at.date() == trade_day:
                key = (order.method, order.merchant_id if order.method == WECHAT else order.app_id)
                totals[key] = totals.get(key, 0) + order.amount_fen - order_fee_fen(order)
        for refund in sim.refunds.values():
            order = orders.get((refund.method, refund.out_trade_no))
            if (
                order is not None
                and refund.succeeded_at is not None
                and refund.succeeded_at.date() == trade_day
            ):
                key = (order.method, order.merchant_id if order.method == WECHAT else order.app_id)
                totals[key] = totals.get(key, 0) - refund.amount_fen
    return [
        (method, settlement_reference(method, merchant, trade_day), fen)
        for (method, merchant), fen in sorted(totals.items())
        if fen > 0
    ]


def bank_statement(
    sim, *, account: str, day: datetime.date, credits: list[Credit] = (), extra: list[StatementEntry] = ()
) -> tuple[str, bytes]:
    """The camt.053 statement of ``account`` for ``day`` (file name, bytes): the channels' settlements
    (see ``channel_settlements``), the batches in ``credits`` collected that day into the account, and
    ``extra`` entries (a test's stray credit)."""
    entries = []
    for method, reference, fen in channel_settlements(sim, day):
        entries.append(
            StatementEntry(
                index=len(entries) + 1,
                reference=f"{day:%Y%m%d}{len(entries) + 1:06d}",
                amount_fen=fen,
                credit=True,
                booked_on=day,
                value_on=day,
                references=(reference,),
                text=f"{CHANNEL_MEMOS[method]} {reference}",
                counterparty=CHANNEL_NAMES[method],
            )
        )
    for credit in credits:
        if credit.account == account and credit.day == day:
            entries.append(
                StatementEntry(
                    index=len(entries) + 1,
                    reference=f"{day:%Y%m%d}{len(entries) + 1:06d}",
                    amount_fen=credit.amount_fen,
                    credit=True,
                    booked_on=day,
                    value_on=day,
                    references=(credit.batch_no,),
                    text=f"批量代扣入账 {credit.batch_no}",
                )
            )
    for item in extra:
        entries.append(item)
    statement_id = f"ST{account[-10:]}{day:%Y%m%d}"
    return f"{statement_id}.xml", camt053_write(
        statement_id=statement_id, account=account, day=day, entries=entries
    )


# HTTP: the bank's e-banking page, where the property office uploads a debit file and downloads the
# result (the demo runs the whole cycle with no bank). Answers (status, content type, body, headers).

_PAGE = """<!doctype html><html lang="zh-hans"><head><meta charset="utf-8"><title>模拟银行 · 批量代扣</title>
<link rel="stylesheet" href="/_sim/phone.css"></head><body class="index"><main>
<h1>模拟银行 · 批量代扣</h1>
<p>上传物业系统导出的送盘文件，下载回盘文件，再到物业系统“代扣批次”页面导入。</p>
<p>扣款结果按卡号末位：0–6 成功，7 余额不足（可重试），8 账户已销户，9 处理中（结果未知）。</p>
<form method="post" action="/bank/debit" enctype="multipart/form-data">
<p><label>文件格式 <select name="format">{options}</select></label></p>
<p><label>送盘文件 <input type="file" name="file" required></label></p>
<p><label><input type="checkbox" name="reject" value="1"> 整批拒绝（汇总金额不符）</label></p>
<p><button type="submit">提交并下载回盘文件</button></p>
</form>
<form method="post" action="/bank/returns" enctype="multipart/form-data">
<h2>退票（成功后退回）</h2>
<p><label>文件格式 <select name="format">{options}</select></label></p>
<p><label>业务流水号 <input name="reference" required></label>
<label>金额（分） <input name="amount_fen" required inputmode="numeric"></label></p>
<p><button type="submit">下载退票文件</button></p>
</form>
<form method="post" action="/bank/statement" enctype="multipart/form-data">
<h2>对账单（camt.053）</h2>
<p>当日入账：微信支付、支付宝前一日交易的结算款（T+1，扣除手续费与退款），以及当日回盘的代扣批次。</p>
<p><label>账号 <input name="account" required inputmode="numeric"></label>
<label>日期 <input name="date" type="date" required></label></p>
<p><button type="submit">下载对账单</button></p>
</form></main></body></html>"""


def _form(headers: dict[str, str], raw: bytes) -> dict[str, tuple[str, bytes]]:
    """multipart/form-data as {name: (file name, bytes)}."""
    from email import policy
    from email.parser import BytesParser

    message = BytesParser(policy=policy.HTTP).parsebytes(
        f"Content-Type: {headers.get('content-type', '')}\r\n\r\n".encode() + raw
    )
    fields = {}
    if message.is_multipart():
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name:
                fields[name] = (part.get_filename() or "", part.get_payload(decode=True) or b"")
    return fields


def _download(name: str, data: bytes) -> tuple[int, str, bytes, dict[str, str]]:
    return 200, "application/octet-stream", data, {"Content-Disposition": f'attachment; filename="{name}"'}


def handle(
    sim, method: str, path: str, headers: dict[str, str], raw: bytes
) -> tuple[int, str, bytes, dict[str, str]]:
    if path in ("/bank", "/bank/") and method == "GET":
        options = "".join(f'<option value="{code}">{code}</option>' for code in bankfiles.bank_formats())
        return 200, "text/html; charset=utf-8", _PAGE.format(options=options).encode(), {}
    if method != "POST" or path not in ("/bank/debit", "/bank/returns", "/bank/statement"):
        return 404, "text/plain; charset=utf-8", b"not simulated", {}
    fields = _form(headers, raw)
    code = fields.get("format", ("", b"generic_cn"))[1].decode() or "generic_cn"
    try:
        if path == "/bank/debit":
            script = Script(reject_file=bool(fields.get("reject")))
            name, data, debit = bank_result(code, fields.get("file", ("", b""))[1], script=script)
            credit = batch_credit(debit, data, bankfiles.bank_format_get(code))
            if credit is not None:
                with sim.lock:
                    sim.bank_credits.append(credit)
            return _download(name, data)
        if path == "/bank/statement":
            account = fields.get("account", ("", b""))[1].decode().strip()
            day = datetime.date.fromisoformat(fields.get("date", ("", b""))[1].decode().strip())
            with sim.lock:
                credits = list(sim.bank_credits)
            return _download(*bank_statement(sim, account=account, day=day, credits=credits))
        reference = fields.get("reference", ("", b""))[1].decode().strip()
        amount = int(fields.get("amount_fen", ("", b"0"))[1].decode().strip() or 0)
        today = datetime.date.today()
        name, data = bank_returns(code, [(reference, amount)], file_id=f"TP{today:%Y%m%d}", booked_on=today)
        return _download(name, data)
    except (bankfiles.BankFileError, ValueError, KeyError) as error:
        return 400, "text/plain; charset=utf-8", f"银行拒收：{error}".encode(), {}
