"""ISO 20022: pain.008 valid against the published schema; pain.002 and camt.054 read as banks write them."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
import sepaxml
import xmlschema

from tests.debit.samples import ISO_CODES, debit_file, debit_line, result_for
from wuye.debit.interfaces.bankfiles import bank_format_get, code_retryable
from wuye.debit.interfaces.files import BankFileError, Outcome, ResultFile, ResultLine, Return
from wuye.debit.interfaces.iso20022 import (
    camt054_read,
    camt054_write,
    pain002_read,
    pain002_write,
    pain008_read,
    pain008_write,
)

PAIN008_XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.008.001.02.xsd"


@pytest.fixture(scope="module")
def pain008_schema():
    return xmlschema.XMLSchema(str(PAIN008_XSD))


# pain.008 --------------------------------------------------------------------------------------------


def test_pain008_is_valid_against_the_published_schema(pain008_schema):
    batch = debit_file(
        lines=[
            debit_line(1),
            debit_line(2, holder_name="吉田𠮷", memo=""),
            debit_line(3, amount_fen=1, agreement_no="A" * 35),
        ]
    )

    data = pain008_write(batch)

    pain008_schema.validate(data.decode("utf-8"))


def test_pain008_without_a_creditor_id_is_valid_too(pain008_schema):
    pain008_schema.validate(pain008_write(debit_file(2, creditor_id="")).decode("utf-8"))


def test_pain008_carries_the_batch(pain008_schema):
    batch = debit_file(lines=[debit_line(1, amount_fen=12345), debit_line(2, amount_fen=6789)])

    decoded = pain008_schema.to_dict(pain008_write(batch).decode("utf-8"))

    group = decoded["CstmrDrctDbtInitn"]["GrpHdr"]
    [payment] = decoded["CstmrDrctDbtInitn"]["PmtInf"]
    assert (group["MsgId"], group["NbOfTxs"], str(group["CtrlSum"])) == ("D20261202000123", "2", "191.34")
    assert (payment["PmtInfId"], payment["PmtMtd"], payment["ReqdColltnDt"]) == (
        "D20261202000123",
        "DD",
        "2026-12-05",
    )
    first = payment["DrctDbtTxInf"][0]
    assert first["PmtId"] == {"InstrId": "1", "EndToEndId": "D000123-000001"}
    assert (str(first["InstdAmt"]["$"]), first["InstdAmt"]["@Ccy"]) == ("123.45", "CNY")
    assert first["DrctDbtTx"]["MndtRltdInf"]["MndtId"] == "AG202600000001"
    assert first["DbtrAcct"]["Id"]["Othr"]["Id"] == "6222000000000001"
    assert first["Dbtr"]["Nm"] == "张三"
    assert first["RmtInf"]["Ustrd"] == ["物业费 2026-11"]


def test_pain008_is_byte_identical_when_written_again():
    batch = debit_file(4)

    assert pain008_write(batch) == pain008_write(debit_file(lines=reversed(batch.lines)))


def test_pain008_round_trip():
    batch = debit_file(5)

    assert pain008_read(pain008_write(batch)) == batch


def test_pain008_refuses_a_value_longer_than_the_schema_allows():
    batch = debit_file(lines=[debit_line(1), debit_line(2, agreement_no="A" * 36)])

    with pytest.raises(BankFileError) as refused:
        pain008_write(batch)

    assert (
        refused.value.message
        == "Debit line 2: agreement number is 36 characters long; ISO 20022 allows 35 here."
    )
    assert refused.value.line == 2


def test_pain008_refuses_a_missing_creditor_account():
    with pytest.raises(BankFileError, match=r"^The file header: creditor account is missing\.$"):
        pain008_write(debit_file(2, creditor_account=""))


# pain.002 --------------------------------------------------------------------------------------------


def test_pain002_round_trip():
    batch = debit_file(8)
    result = result_for(batch, ["success", "insufficient", "invalid_card", "pending"], codes=ISO_CODES)

    assert pain002_read(pain002_write(result, created_on=datetime.date(2026, 12, 6))) == result


PARTIAL = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <CstmrPmtStsRpt>
    <GrpHdr><MsgId>BANK-STS-0001</MsgId><CreDtTm>2026-12-06T09:30:00+08:00</CreDtTm></GrpHdr>
    <OrgnlGrpInfAndSts>
      <OrgnlMsgId>D20261202000123</OrgnlMsgId>
      <OrgnlMsgNmId>pain.008.001.02</OrgnlMsgNmId>
      <OrgnlNbOfTxs>5</OrgnlNbOfTxs>
      <OrgnlCtrlSum>512.34</OrgnlCtrlSum>
      <GrpSts>{group_status}</GrpSts>
    </OrgnlGrpInfAndSts>
    <OrgnlPmtInfAndSts>
      <OrgnlPmtInfId>D20261202000123</OrgnlPmtInfId>
      <TxInfAndSts>
        <StsId>S1</StsId>
        <OrgnlInstrId>2</OrgnlInstrId>
        <OrgnlEndToEndId>D000123-000002</OrgnlEndToEndId>
        <TxSts>RJCT</TxSts>
        <StsRsnInf><Rsn><Cd>AM04</Cd></Rsn><AddtlInf>余额不足</AddtlInf></StsRsnInf>
      </TxInfAndSts>
      <TxInfAndSts>
        <OrgnlEndToEndId>D000123-000004</OrgnlEndToEndId>
        <TxSts>RJCT</TxSts>
        <StsRsnInf><Rsn><Cd>AC04</Cd></Rsn></StsRsnInf>
        <OrgnlTxRef><Amt><InstdAmt Ccy="CNY">104.44</InstdAmt></Amt></OrgnlTxRef>
      </TxInfAndSts>
    </OrgnlPmtInfAndSts>
  </CstmrPmtStsRpt>
</Document>
"""


@pytest.mark.parametrize("group_status", ["PART", "ACCP", "ACSC"])
def test_pain002_listing_only_rejects_is_partial(group_status):
    result = pain002_read(PARTIAL.format(group_status=group_status).encode())

    assert result == ResultFile(
        batch_no="D20261202000123",
        file_rejected=False,
        reject_code="",
        reject_message="",
        lines=(
            ResultLine(2, "D000123-000002", 0, Outcome.FAILED, "AM04", "余额不足", True),
            ResultLine(0, "D000123-000004", 10444, Outcome.FAILED, "AC04", "", False),
        ),
        declared_count=5,
        declared_sum_fen=51234,
        partial=True,
    )


@pytest.mark.parametrize("group_status", ["PDNG", "ACTC", "ACSP"])
def test_pain002_interim_report_is_not_partial(group_status):
    result = pain002_read(PARTIAL.format(group_status=group_status).encode())

    assert (result.partial, result.file_rejected, len(result.lines)) == (False, False, 2)


def test_pain002_partial_round_trip():
    batch = debit_file(5)
    rejects = result_for(batch, ["insufficient"], codes=ISO_CODES).lines[:2]
    result = ResultFile(
        batch_no=batch.batch_no,
        file_rejected=False,
        reject_code="",
        reject_message="",
        lines=rejects,
        declared_count=5,
        declared_sum_fen=batch.sum_fen,
        partial=True,
    )

    assert pain002_read(pain002_write(result)) == result


REJECTED = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03">
  <CstmrPmtStsRpt>
    <GrpHdr><MsgId>BANK-STS-0002</MsgId><CreDtTm>2026-12-06T09:30:00</CreDtTm></GrpHdr>
    <OrgnlGrpInfAndSts>
      <OrgnlMsgId>D20261202000123</OrgnlMsgId>
      <OrgnlMsgNmId>pain.008.001.02</OrgnlMsgNmId>
      <OrgnlNbOfTxs>3</OrgnlNbOfTxs>
      <OrgnlCtrlSum>303.33</OrgnlCtrlSum>
      {group}
    </OrgnlGrpInfAndSts>
    <OrgnlPmtInfAndSts>
      <OrgnlPmtInfId>D20261202000123</OrgnlPmtInfId>
      {payment}
    </OrgnlPmtInfAndSts>
  </CstmrPmtStsRpt>
</Document>
"""
REASON = "<StsRsnInf><Rsn><Cd>FF01</Cd></Rsn><AddtlInf>文件格式错误</AddtlInf></StsRsnInf>"


@pytest.mark.parametrize(
    ("group", "payment"),
    [
        (f"<GrpSts>RJCT</GrpSts>{REASON}", ""),
        ("", f"<PmtInfSts>RJCT</PmtInfSts>{REASON}"),
    ],
    ids=["group status", "payment information status"],
)
def test_pain002_whole_file_rejected(group, payment):
    result = pain002_read(REJECTED.format(group=group, payment=payment).encode())

    assert (result.file_rejected, result.reject_code, result.reject_message) == (True, "FF01", "文件格式错误")
    assert (result.lines, result.partial) == ((), False)
    assert (result.declared_count, result.declared_sum_fen) == (3, 30333)


def test_pain002_rejected_file_round_trip():
    result = ResultFile(
        batch_no="D20261202000123",
        file_rejected=True,
        reject_code="AM05",
        reject_message="重复提交",
        lines=(),
        declared_count=3,
        declared_sum_fen=30333,
    )

    assert pain002_read(pain002_write(result)) == result


def _pain002_refused(data: bytes) -> str:
    with pytest.raises(BankFileError) as refused:
        pain002_read(data)
    return refused.value.message


def test_pain002_with_a_dtd_is_refused():
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03">&lol2;</Document>'
    )

    assert _pain002_refused(bomb.encode()) == (
        "The XML file declares a document type (DTD); bank messages never do, so it is refused."
    )


def test_pain008_is_not_a_pain002():
    assert _pain002_refused(pain008_write(debit_file(2))) == (
        "This is not a pain.002 message (the document is pain.008.001.02)."
    )


def test_text_file_is_not_xml():
    assert _pain002_refused("H|DKHP|D1|0|0.00\r\n".encode("gbk")) == "This is not an XML file."


def test_malformed_xml_is_refused_with_its_position():
    data = PARTIAL.format(group_status="PART").replace("</TxSts>", "</TxStatus>", 1).encode()

    assert _pain002_refused(data) == "The file is not well-formed XML (line 18, column 22)."


def test_xml_in_another_encoding_is_refused():
    data = PARTIAL.format(group_status="PART").replace('encoding="UTF-8"', 'encoding="GBK"').encode("gbk")

    assert _pain002_refused(data) == "The XML file declares the encoding GBK; ISO 20022 files are UTF-8."


def test_pain002_repeating_a_transaction_is_refused():
    data = PARTIAL.format(group_status="PART").replace("D000123-000004", "D000123-000002").encode()

    assert _pain002_refused(data) == "Transaction 2 (D000123-000002) repeats a line of transaction 1."


def test_pain002_listing_more_than_the_original_is_refused():
    data = PARTIAL.format(group_status="PART").replace("<OrgnlNbOfTxs>5<", "<OrgnlNbOfTxs>1<").encode()

    assert _pain002_refused(data) == "The report lists 2 transactions, but the original message had 1."


def test_pain002_amount_in_another_currency_is_refused():
    data = PARTIAL.format(group_status="PART").replace('Ccy="CNY"', 'Ccy="EUR"').encode()

    assert (
        _pain002_refused(data)
        == "Transaction 2 (D000123-000004): the amount is in EUR; only CNY is accepted."
    )


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "<OrgnlNbOfTxs>5<",
            "<OrgnlNbOfTxs>five<",
            "The original group information: the number of transactions “five” is not a whole number.",
        ),
        (
            ">104.44<",
            ">104,44<",
            "Transaction 2 (D000123-000004): “104,44” is not an amount in yuan with at most two decimals.",
        ),
        (
            ">104.44<",
            ">104.445<",
            "Transaction 2 (D000123-000004): “104.445” is not an amount in yuan with at most two decimals.",
        ),
        (
            ">104.44<",
            ">-104.44<",
            "Transaction 2 (D000123-000004): “-104.44” is not an amount in yuan with at most two decimals.",
        ),
    ],
)
def test_pain002_values_that_are_not_numbers_are_refused(old, new, message):
    data = PARTIAL.format(group_status="PART").replace(old, new).encode()

    assert _pain002_refused(data) == message


def test_pain002_foreign_instruction_id_is_refused():
    data = PARTIAL.format(group_status="PART").replace("<OrgnlInstrId>2<", "<OrgnlInstrId>B-2<").encode()

    assert _pain002_refused(data) == (
        "Transaction 1 (D000123-000002): OrgnlInstrId “B-2” is not one of our line numbers."
    )


def test_pain002_answering_a_credit_transfer_is_refused():
    data = PARTIAL.format(group_status="PART").replace(">pain.008.001.02<", ">pain.001.001.03<").encode()

    assert _pain002_refused(data) == (
        "The status report answers a pain.001.001.03 message, not a direct debit (pain.008)."
    )


def test_pain002_totals_that_do_not_match_are_refused():
    batch = debit_file(2)
    result = result_for(batch, ["success"], codes=ISO_CODES)
    data = pain002_write(result).replace(b"<OrgnlCtrlSum>", b"<OrgnlCtrlSum>1")

    assert _pain002_refused(data) == (
        "The report's transactions add up to 203.33 yuan, but the original message had 1,203.33 yuan."
    )


@pytest.mark.parametrize(
    ("code", "retryable"),
    [("AM04", True), ("AC04", False), ("AC06", False), ("MD01", False), ("MD06", False), ("MS02", False)],
)
def test_iso_reason_codes_retryable(code, retryable):
    assert code_retryable(bank_format_get("iso20022"), code) is retryable


# camt.054 --------------------------------------------------------------------------------------------

NOTIFICATION = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02">
  <BkToCstmrDbtCdtNtfctn>
    <GrpHdr><MsgId>N20261210</MsgId><CreDtTm>2026-12-10T18:00:00</CreDtTm></GrpHdr>
    <Ntfctn>
      <Id>N20261210-1</Id>
      <CreDtTm>2026-12-10T18:00:00</CreDtTm>
      <Acct><Id><Othr><Id>6222000011112222</Id></Othr></Id></Acct>
      <Ntry>
        <Amt Ccy="CNY">505.55</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
        <BookgDt><Dt>2026-12-05</Dt></BookgDt>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>IDDT</Cd><SubFmlyCd>ESDD</SubFmlyCd></Fmly></Domn></BkTxCd>
      </Ntry>
      <Ntry>
        <Amt Ccy="CNY">101.11</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts>
        <BookgDt><DtTm>2026-12-09T10:00:00</DtTm></BookgDt>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>IDDT</Cd><SubFmlyCd>UPDD</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>D000123-000001</EndToEndId></Refs>
          <RtrInf><Rsn><Cd>AM04</Cd></Rsn><AddtlInf>余额不足</AddtlInf></RtrInf>
        </TxDtls></NtryDtls>
      </Ntry>
      <Ntry>
        <Amt Ccy="CNY">206.66</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts>
        <BookgDt><Dt>2026-12-10</Dt></BookgDt>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>IDDT</Cd><SubFmlyCd>UPDD</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls>
          <TxDtls>
            <Refs><EndToEndId>D000123-000002</EndToEndId></Refs>
            <AmtDtls><TxAmt><Amt Ccy="CNY">102.22</Amt></TxAmt></AmtDtls>
            <RtrInf><Rsn><Cd>AC04</Cd></Rsn></RtrInf>
          </TxDtls>
          <TxDtls>
            <Refs><EndToEndId>D000123-000003</EndToEndId></Refs>
            <AmtDtls><TxAmt><Amt Ccy="CNY">104.44</Amt></TxAmt></AmtDtls>
            <RtrInf><Rsn><Prtry>MS02</Prtry></Rsn><AddtlInf>付款人拒绝</AddtlInf></RtrInf>
          </TxDtls>
        </NtryDtls>
      </Ntry>
      <Ntry>
        <Amt Ccy="CNY">103.33</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>PDNG</Sts>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>IDDT</Cd><SubFmlyCd>UPDD</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>D000123-000009</EndToEndId></Refs>
          <RtrInf><Rsn><Cd>MD06</Cd></Rsn></RtrInf>
        </TxDtls></NtryDtls>
      </Ntry>
      <Ntry>
        <Amt Ccy="CNY">2.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts>
        <BookgDt><Dt>2026-12-10</Dt></BookgDt>
        <BkTxCd><Domn><Cd>ACMT</Cd><Fmly><Cd>MDOP</Cd><SubFmlyCd>CHRG</SubFmlyCd></Fmly></Domn></BkTxCd>
      </Ntry>
    </Ntfctn>
  </BkToCstmrDbtCdtNtfctn>
</Document>
"""


def test_camt054_returns():
    returns = camt054_read(NOTIFICATION.encode())

    assert returns == [
        Return("D000123-000001", 10111, "AM04", "余额不足", datetime.date(2026, 12, 9)),
        Return("D000123-000002", 10222, "AC04", "", datetime.date(2026, 12, 10)),
        Return("D000123-000003", 10444, "MS02", "付款人拒绝", datetime.date(2026, 12, 10)),
    ]  # not the collection credit, the pending return or the bank's fee


def test_camt054_round_trip():
    returns = [
        Return("D000123-000001", 10111, "AM04", "余额不足", datetime.date(2026, 12, 9)),
        Return("D000123-000007", 10777, "MD06", "持卡人要求退款" * 20, datetime.date(2026, 12, 11)),
    ]

    data = camt054_write(
        returns, message_id="N1", created_on=datetime.date(2026, 12, 11), account="6222000011112222"
    )

    assert camt054_read(data) == returns


def test_camt054_is_not_a_pain002():
    assert _pain002_refused(NOTIFICATION.encode()) == (
        "This is not a pain.002 message (the document is camt.054.001.02)."
    )
