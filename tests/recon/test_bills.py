"""The channels' bills read into one shape: exact fen, fees, refunds; anything malformed refused whole."""

import datetime
import io
import zipfile

import pytest
from django.utils import translation

from wuye.paysim import keys as sim_keys
from wuye.paysim.alipay import bill_zip
from wuye.paysim.state import ALIPAY, CHINA, WECHAT, SimOrder, SimRefund
from wuye.paysim.wechat import bill_text
from wuye.recon.interfaces.bills import PAYMENT, REFUND, BillError, alipay_bill_read, wechat_bill_read

DAY = datetime.date(2026, 11, 30)


@pytest.fixture(autouse=True)
def _english():
    """The refusals are matched by their English words (the messages themselves are translated)."""
    with translation.override("en"):
        yield


AT = datetime.datetime(2026, 11, 30, 23, 59, 58, tzinfo=CHINA)


def _orders(sim, method):
    sim.reset()
    merchant = sim_keys.WECHAT_MCHID if method == WECHAT else sim_keys.ALIPAY_SELLER_ID
    app = sim_keys.WECHAT_APPID if method == WECHAT else sim_keys.ALIPAY_APPID
    for number, amount in (("A1", 12345), ("A2", 99), ("A3", 250000)):
        sim.orders[(method, number)] = SimOrder(
            method=method,
            out_trade_no=number,
            amount_fen=amount,
            description="物业费, 2026年11月",  # a comma inside a field
            notify_url="",
            merchant_id=merchant,
            app_id=app,
            trade_type="NATIVE",
            state="paid",
            channel_trade_no=f"T{number}",
            paid_at=AT,
        )
    sim.orders[(method, "A3")].fee_fen = 1
    # Paid a second after midnight Beijing time: the next day's bill.
    sim.orders[(method, "A2")].paid_at = AT + datetime.timedelta(seconds=3)
    sim.refunds[(method, "R1")] = SimRefund(
        method=method,
        out_refund_no="R1",
        out_trade_no="A1",
        amount_fen=2345,
        notify_url="",
        status="SUCCESS",
        succeeded_at=AT,
    )


def test_wechat_bill_reads_payments_refunds_and_fees_in_fen(paysim):
    _orders(paysim, WECHAT)
    bill = wechat_bill_read(bill_text(paysim, sim_keys.WECHAT_MCHID, DAY))

    assert [
        (line.kind, line.out_trade_no, line.amount_fen, line.fee_fen, line.out_refund_no)
        for line in bill.lines
    ] == [
        (PAYMENT, "A1", 12345, 74, ""),
        (PAYMENT, "A3", 250000, 1, ""),
        (REFUND, "A1", 2345, 0, "R1"),
    ]
    assert (bill.paid_fen, bill.refunded_fen, bill.fee_fen) == (262345, 2345, 75)


def test_alipay_bill_reads_the_gbk_detail_file_of_the_zip(paysim):
    _orders(paysim, ALIPAY)
    bill = alipay_bill_read(bill_zip(paysim, sim_keys.ALIPAY_APPID, DAY))

    assert [
        (line.kind, line.out_trade_no, line.amount_fen, line.fee_fen, line.out_refund_no)
        for line in bill.lines
    ] == [
        (PAYMENT, "A1", 12345, 74, ""),
        (PAYMENT, "A3", 250000, 1, ""),
        (REFUND, "A1", 2345, 0, "R1"),
    ]


def _wechat(paysim) -> bytes:
    _orders(paysim, WECHAT)
    return bill_text(paysim, sim_keys.WECHAT_MCHID, DAY)


def _drop_row(data: bytes, index: int) -> bytes:
    rows = data.split(b"\r\n")
    del rows[index]
    return b"\r\n".join(rows)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda data: data[: len(data) // 2], "cut short"),
        (lambda data: _drop_row(data, 1), "do not add up"),
        (lambda data: data.replace(b"`123.45", b"`123.4567", 1), "more decimals"),
        (lambda data: data.replace(b"`123.45", b"`12x.45", 1), "not an amount"),
        (lambda data: b"\xef\xbb\xbf" + data.replace(b"\r\n", b"\n"), None),  # BOM and LF: read the same
        (lambda data: data.decode().encode("gbk"), "not UTF-8"),
        (lambda data: b"hello,world\r\n", "not a WeChat Pay trade bill"),
        (lambda data: b"", "not a WeChat Pay trade bill"),
    ],
    ids=["truncated", "totals", "decimals", "amount", "bom-lf", "encoding", "not-a-bill", "empty"],
)
def test_wechat_bill_refused_whole_with_a_clear_reason(paysim, change, message):
    data = change(_wechat(paysim))
    if message is None:
        assert wechat_bill_read(data).paid_fen == 262345
        return
    with pytest.raises(BillError, match=message):
        wechat_bill_read(data)


def test_a_repeated_row_is_refused(paysim):
    rows = _wechat(paysim).split(b"\r\n")
    rows.insert(2, rows[1])
    with pytest.raises(BillError, match="repeats A1"):
        wechat_bill_read(b"\r\n".join(rows))


def test_alipay_bill_without_its_closing_line_or_detail_file_is_refused(paysim):
    _orders(paysim, ALIPAY)
    data = bill_zip(paysim, sim_keys.ALIPAY_APPID, DAY)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        text = archive.read(archive.namelist()[0])
    with pytest.raises(BillError, match="cut short"):
        alipay_bill_read(text.rsplit(b"\r\n", 1)[0])
    empty = io.BytesIO()
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("x_汇总.csv", "")
    with pytest.raises(BillError, match="no detail file"):
        alipay_bill_read(empty.getvalue())
    with pytest.raises(BillError, match="not GBK"):
        alipay_bill_read(b"\xff\xfe\xfa")
