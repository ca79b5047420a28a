"""WeChat Pay's fund-flow bill against its trade bills: paysim's fund flow agrees with its trade bill and
pays out the day before's net; a payout that disagrees is a FLOW difference, which a corrected file
resolves and a trade bill run leaves alone; a file that does not add up, or comes before its trade bill,
is refused and writes nothing."""

import pytest
from django.utils import translation

from tests.recon.test_runs import _household, back, paid
from wuye.paysim import keys as sim_keys
from wuye.paysim.wechat import fundflow_text
from wuye.recon.domain.fundflow import fundflow_fetch, fundflow_run
from wuye.recon.domain.runs import ReconError, recon_fetch
from wuye.recon.interfaces.bills import (
    FLOW_FEE,
    FLOW_PAYOUT,
    FLOW_TRADE,
    BillError,
    settlement_reference,
    wechat_fundflow_read,
)
from wuye.recon.models import Difference, ReconRun


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _resummed(text: bytes, old: str, new: str) -> bytes:
    """The fund-flow bill with the payout's amount changed and its summary made to add up again."""
    rows = text.decode().split("\r\n")
    rows = [row.replace(f",`{old},", f",`{new},") if ",`提现," in row else row for row in rows]
    body = [row.split(",`") for row in rows[1:-3]]
    incomes = [int(float(fields[6]) * 100 + 0.5) for fields in body if fields[5] == "收入"]
    expenses = [int(float(fields[6]) * 100 + 0.5) for fields in body if fields[5] == "支出"]
    summary = [len(body), len(incomes), sum(incomes), len(expenses), sum(expenses)]
    rows[-2] = ",".join(
        "`" + (str(v) if i in (0, 1, 3) else f"{v // 100}.{v % 100:02d}") for i, v in enumerate(summary)
    )
    return "\r\n".join(rows).encode()


def test_the_fund_flow_agrees_with_the_trade_bills_and_pays_out_the_day_before(setup, paysim):
    for amount in (10000, 12345):
        paid(paysim, _household(setup, amount), "wechat", back(2))
    paid(paysim, _household(setup, 5000), "wechat", back(1))
    recon_fetch(community=setup, method="wechat", day=back(2))
    recon_fetch(community=setup, method="wechat", day=back(1))

    run = fundflow_fetch(community=setup, day=back(1))

    flow = wechat_fundflow_read(fundflow_text(paysim, sim_keys.WECHAT_MCHID, back(1)))
    assert (flow.total(FLOW_TRADE), flow.total(FLOW_FEE), flow.total(FLOW_PAYOUT)) == (
        5000,
        -30,
        -(22345 - 134),
    )
    assert [line.voucher for line in flow.lines if line.kind == FLOW_PAYOUT] == [
        settlement_reference("wechat", sim_keys.WECHAT_MCHID, back(2))
    ]
    assert (run.document, run.matched, run.found, run.their_paid_fen, run.their_fee_fen) == (
        "fundflow",
        4,
        {"flow": 0},
        5000,
        30,
    )
    assert Difference.objects.count() == 0
    assert fundflow_fetch(community=setup, day=back(1)) == run


def test_a_payout_that_disagrees_is_a_difference_until_a_corrected_file(setup, paysim):
    paid(paysim, _household(setup, 10000), "wechat", back(2))
    recon_fetch(community=setup, method="wechat", day=back(2))
    recon_fetch(community=setup, method="wechat", day=back(1))
    good = fundflow_text(paysim, sim_keys.WECHAT_MCHID, back(1))
    wrong = _resummed(good, "99.40", "99.00")

    run = fundflow_run(community=setup, day=back(1), data=wrong)

    difference = Difference.objects.get()
    reference = settlement_reference("wechat", sim_keys.WECHAT_MCHID, back(2))
    assert (run.found, run.matched) == ({"flow": 1}, 3)
    assert (difference.kind, difference.reference, difference.ours_fen, difference.theirs_fen) == (
        "flow",
        reference,
        9940,
        9900,
    )
    recon_fetch(community=setup, method="wechat", day=back(1))  # the same trade bill: nothing to do with it
    difference.refresh_from_db()
    assert difference.state == "open"

    fundflow_run(community=setup, day=back(1), data=good)

    difference.refresh_from_db()
    assert (difference.state, difference.resolution) == ("resolved", "matched_later")


def test_a_fund_flow_that_does_not_add_up_or_comes_first_is_refused(setup, paysim):
    paid(paysim, _household(setup, 10000), "wechat", back(1))
    text = fundflow_text(paysim, sim_keys.WECHAT_MCHID, back(1))
    with pytest.raises(ReconError, match="trade bill"):
        fundflow_run(community=setup, day=back(1), data=text)
    recon_fetch(community=setup, method="wechat", day=back(1))
    before = (ReconRun.objects.count(), Difference.objects.count())
    rows = text.decode().split("\r\n")
    refusals = [
        ("\r\n".join(rows[:1] + rows[2:]).encode(), "do not add up"),  # a line lost
        ("\r\n".join(rows[:-3]).encode(), "cut short"),
        (b"nothing,here\r\n", "not a WeChat Pay fund-flow bill"),
        (text.replace(b"`100.00,", b"`100.001,", 1), "more decimals"),
    ]
    for data, words in refusals:
        with pytest.raises(BillError, match=words):
            fundflow_run(community=setup, day=back(1), data=data)
    assert (ReconRun.objects.count(), Difference.objects.count()) == before
