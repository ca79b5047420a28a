"""Check 2: the bank statement (camt.053) against what the channels' bills and the debit batches owe.
A settled day moves the channel's clearing account into the bank net of fees; a missing, late, short or
unannounced credit lands in its class (short and unannounced money in suspense); the same file again
changes nothing; a statement that cannot be trusted is refused whole."""

import datetime

import pytest
from django.db.models import Sum
from django.utils import translation

from tests.debit.factories import community_with_debit, digest, mandated_household, result_of
from tests.recon.test_runs import _household, back, paid
from wuye.debit.domain.batches import batch_build, batch_send
from wuye.debit.domain.results import result_settle
from wuye.debit.interfaces.files import BankFileError
from wuye.debit.interfaces.iso20022 import StatementEntry, camt053_write, statement_read
from wuye.ledger.enums import Account
from wuye.ledger.models import LedgerTransaction, Posting
from wuye.payments.domain.checks import ledger_check
from wuye.paysim import keys as sim_keys
from wuye.paysim.bank import Credit, bank_statement
from wuye.recon.domain.actions import difference_accept, suspense_clear
from wuye.recon.domain.runs import ReconError, recon_fetch
from wuye.recon.domain.settlements import statement_run
from wuye.recon.enums import Resolution
from wuye.recon.interfaces.bills import settlement_reference
from wuye.recon.models import Difference, ReconRun, Settlement

ACCOUNT = "6222000011112222"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def balance(account: str) -> int:
    return Posting.objects.filter(account=account).aggregate(t=Sum("amount_fen"))["t"] or 0


def credit(reference: str, amount_fen: int, day: datetime.date, *, value_on=None, index=1) -> StatementEntry:
    return StatementEntry(
        index=index,
        reference=f"B{day:%Y%m%d}{index:04d}",
        amount_fen=amount_fen,
        credit=True,
        booked_on=day,
        value_on=value_on or day,
        references=(reference,) if reference else (),
        text=f"结算 {reference}" if reference else "汇款",
    )


def statement(day: datetime.date, *entries: StatementEntry) -> bytes:
    return camt053_write(statement_id=f"ST{day:%Y%m%d}", account=ACCOUNT, day=day, entries=entries)


def wechat_day(paysim, community, day, amounts=(10000, 12345)):
    """Payments of ``day`` through WeChat Pay, its bill reconciled: what the bank should credit."""
    for amount in amounts:
        paid(paysim, _household(community, amount), "wechat", day)
    run = recon_fetch(community=community, method="wechat", day=day)
    assert run.found == dict.fromkeys(run.found, 0)
    return settlement_reference("wechat", sim_keys.WECHAT_MCHID, day)


def test_a_settled_day_moves_clearing_into_the_bank_net_of_fees_once(setup, paysim):
    reference = wechat_day(paysim, setup, back(2))
    assert balance(Account.WECHAT) == 22345
    name, data = bank_statement(paysim, account=ACCOUNT, day=back(1))

    run = statement_run(community=setup, data=data, file_name=name)

    settlement = Settlement.objects.get()
    fees = 60 + 74
    assert (settlement.reference, settlement.expected_fen, settlement.fee_fen, settlement.credited_fen) == (
        reference,
        22345 - fees,
        fees,
        22345 - fees,
    )
    assert (run.method, run.day, run.matched, run.found, run.their_paid_fen) == (
        "bank",
        back(1),
        1,
        {},
        22345 - fees,
    )
    assert (balance(Account.WECHAT), balance(Account.BANK), balance(Account.CHANNEL_FEES)) == (0, 22211, 134)
    assert ledger_check(community=setup) == []
    transactions = LedgerTransaction.objects.count()

    assert statement_run(community=setup, data=data) == run
    again = statement_run(
        community=setup, data=bank_statement(paysim, account=ACCOUNT, day=back(1))[1] + b" "
    )
    assert again != run and again.matched == 0 and again.found == {}
    assert (Settlement.objects.count(), LedgerTransaction.objects.count()) == (1, transactions)
    assert Difference.objects.count() == 0


def test_a_missing_settlement_is_flagged_and_resolves_when_it_arrives_late(setup, paysim):
    reference = wechat_day(paysim, setup, back(3), amounts=(10000,))
    net = 10000 - 60

    quiet = statement_run(community=setup, data=statement(back(2)))

    missing = Difference.objects.get()
    assert (
        quiet.found,
        missing.kind,
        missing.method,
        missing.reference,
        missing.ours_fen,
        missing.state,
    ) == (
        {"settle_missing": 1},
        "settle_missing",
        "wechat",
        reference,
        net,
        "open",
    )
    assert balance(Account.BANK) == 0

    statement_run(community=setup, data=statement(back(1), credit(reference, net, back(1))))

    missing.refresh_from_db()
    late = Difference.objects.get(kind="settle_late")
    assert (missing.state, missing.resolution) == ("resolved", "matched_later")
    assert (late.state, late.theirs_fen, late.detail) == (
        "open",
        net,
        f"Value date {back(1).isoformat()}, due {back(2).isoformat()}.",
    )
    assert (balance(Account.BANK), balance(Account.WECHAT)) == (net, 0)
    difference_accept(difference=late, note="银行延迟入账")
    assert ledger_check(community=setup) == []


def test_a_short_credit_and_an_unannounced_one_wait_in_suspense_until_cleared(setup, paysim):
    reference = wechat_day(paysim, setup, back(2), amounts=(10000,))
    net = 10000 - 60

    run = statement_run(
        community=setup,
        data=statement(back(1), credit(reference, net - 100, back(1)), credit("", 5000, back(1), index=2)),
    )

    short = Difference.objects.get(kind="settle_amount")
    stray = Difference.objects.get(kind="bank_only")
    assert run.found == {"settle_amount": 1, "bank_only": 1}
    assert (short.state, short.suspense_fen, short.ours_fen, short.theirs_fen) == (
        "suspense",
        -100,
        net,
        net - 100,
    )
    assert (stray.state, stray.suspense_fen, stray.method) == ("suspense", 5000, "bank")
    assert (balance(Account.BANK), balance(Account.SUSPENSE), balance(Account.WECHAT)) == (
        net - 100 + 5000,
        -4900,
        0,
    )
    assert ledger_check(community=setup) == []

    suspense_clear(difference=stray, resolution=Resolution.REFUNDED, reason="退回汇款人")
    suspense_clear(difference=short, resolution=Resolution.WRITTEN_OFF, reason="银行少付，已确认")

    assert (balance(Account.BANK), balance(Account.SUSPENSE)) == (net - 100, 0)
    assert balance(Account.ADJUSTMENTS) == 100
    assert ledger_check(community=setup) == []


@pytest.mark.django_db
def test_a_debit_batch_is_settled_by_its_credit_on_the_collection_date(paysim):
    community = community_with_debit()
    mandated_household(community, (12000, 3000))
    mandated_household(community, (5000,), card="6222021234567890127")
    collect = back(3)
    batch = batch_build(
        company=community.company,
        communities=[community],
        cutoff_on=datetime.date(2026, 2, 20),
        collection_on=collect,
    )
    batch = batch_send(batch=batch, files_sha256="x" * 64)
    result = result_of(batch, {1: ("success", "0000", False), 2: ("failed", "51", True)})
    result_settle(batch=batch, result=result, file_name="r.txt", sha256=digest(result))
    assert balance(Account.DEBIT) == 15000
    credits = [Credit(ACCOUNT, collect, batch.number, 15000)]

    statement_run(
        community=community, data=bank_statement(paysim, account=ACCOUNT, day=collect, credits=credits)[1]
    )

    settlement = Settlement.objects.get()
    assert (settlement.method, settlement.reference, settlement.credited_fen, settlement.fee_fen) == (
        "debit",
        batch.number,
        15000,
        0,
    )
    assert (balance(Account.DEBIT), balance(Account.BANK)) == (0, 15000)
    assert Difference.objects.count() == 0
    assert ledger_check(community=community) == []


def test_a_statement_that_cannot_be_trusted_is_refused_and_writes_nothing(setup, paysim):
    reference = wechat_day(paysim, setup, back(2), amounts=(10000,))
    unreconciled = settlement_reference("wechat", sim_keys.WECHAT_MCHID, back(3))
    before = (ReconRun.objects.count(), Posting.objects.count(), Difference.objects.count())
    good = statement(back(1), credit(reference, 9940, back(1)))
    refusals = [
        (statement(back(1), credit(unreconciled, 500, back(1))), ReconError, "bill is not reconciled"),
        (statement(back(-1)), ReconError, "a day still to come"),
        (good.replace(b'<Amt Ccy="CNY">99.40', b'<Amt Ccy="CNY">99.41', 1), BankFileError, "closing balance"),
        (good.replace(b'<Amt Ccy="CNY">99.40', b'<Amt Ccy="USD">99.40'), BankFileError, "USD"),
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>' + good[38:], BankFileError, "DTD"),
        (good.replace(b"camt.053.001.02", b"pain.002.001.03"), BankFileError, "not a camt.053"),
    ]
    for data, error, words in refusals:
        with pytest.raises(error, match=words):
            statement_run(community=setup, data=data)
    with pytest.raises(ReconError, match="not of"):
        statement_run(community=setup, data=good, day=back(2))
    assert (ReconRun.objects.count(), Posting.objects.count(), Difference.objects.count()) == before


@pytest.mark.django_db
def test_a_statement_of_another_account_is_refused(paysim):
    community = community_with_debit()
    with pytest.raises(ReconError, match="account 6222999900001111"):
        statement_run(
            community=community,
            data=camt053_write(statement_id="S1", account="6222999900001111", day=back(1), entries=[]),
        )
    assert ReconRun.objects.count() == 0


def test_the_statement_reader_reads_a_camt054_credit_notification():
    data = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"><BkToCstmrDbtCdtNtfctn>
<GrpHdr><MsgId>N1</MsgId><CreDtTm>2026-12-01T10:00:00</CreDtTm></GrpHdr>
<Ntfctn><Id>N1</Id><Acct><Id><Othr><Id>6222000011112222</Id></Othr></Id></Acct>
<Ntry><Amt Ccy="CNY">99.40</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>2026-12-01</Dt></BookgDt><ValDt><Dt>2026-12-01</Dt></ValDt><AcctSvcrRef>R9</AcctSvcrRef>
<NtryDtls><TxDtls><Refs><EndToEndId>WX190000010920261130</EndToEndId></Refs>
<RltdPties><Dbtr><Nm>财付通支付科技有限公司</Nm></Dbtr></RltdPties></TxDtls></NtryDtls></Ntry>
<Ntry><Amt Ccy="CNY">5.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>PDNG</Sts>
<BookgDt><Dt>2026-12-01</Dt></BookgDt></Ntry>
</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>""".encode()

    read = statement_read(data)

    assert (read.message, read.account, read.day, len(read.entries)) == (
        "camt.054",
        "6222000011112222",
        datetime.date(2026, 12, 1),
        1,
    )
    entry = read.entries[0]
    assert (entry.reference, entry.amount_fen, entry.credit, entry.references, entry.counterparty) == (
        "R9",
        9940,
        True,
        ("WX190000010920261130",),
        "财付通支付科技有限公司",
    )


def test_a_settlement_credited_twice_waits_in_suspense_and_the_ledger_check_sees_a_hand_posting(
    setup, paysim
):
    from wuye.ledger.domain.ledger import Entry, transaction_post
    from wuye.ledger.enums import TransactionKind

    reference = wechat_day(paysim, setup, back(3), amounts=(10000,))
    statement_run(community=setup, data=statement(back(2), credit(reference, 9940, back(2))))

    statement_run(community=setup, data=statement(back(1), credit(reference, 9940, back(1))))

    twice = Difference.objects.get()
    assert (twice.kind, twice.state, twice.suspense_fen) == ("bank_only", "suspense", 9940)
    assert (Settlement.objects.count(), balance(Account.BANK)) == (1, 2 * 9940)
    assert ledger_check(community=setup) == []

    transaction_post(
        community_id=setup.pk,
        kind=TransactionKind.SETTLEMENT,
        entries=[Entry(Account.BANK, 100), Entry(Account.WECHAT, -100)],
    )
    assert {difference.check for difference in ledger_check(community=setup)} == {"settlements"}
