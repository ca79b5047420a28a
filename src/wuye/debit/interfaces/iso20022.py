"""ISO 20022 XML: the direct debit we send (pain.008.001.02), the bank's status report (pain.002.001.03)
and its debit notifications with late returns (camt.054.001.02).

Chinese card and account numbers are not IBANs, so every account is a generic identification
(``<Othr><Id>``) and every agent a ``NOTPROVIDED`` one (the batch goes to the creditor's own bank);
the currency is CNY. ``sepaxml`` cannot be used to write these (it requires IBANs); its published
pain.008.001.02 schema validates what we write in the tests.

Mapping of :class:`DebitFile` to pain.008: ``batch_no`` is the ``MsgId`` and the one ``PmtInfId``;
``NbOfTxs``/``CtrlSum`` are the control totals (group and payment information); each line is a
``DrctDbtTxInf`` with ``InstrId`` = line number, ``EndToEndId`` = reference, ``MndtId`` = agreement
number, the card as the debtor account and the memo as unstructured remittance information. The
creation time is the batch's creation date at midnight, so the file is the same every time.

Reading pain.002 (:func:`pain002_read`): the original group status RJCT (or every payment information
rejected) means the whole file was refused; transaction status ACSC, ACCP or ACCC is success, RJCT a
failure (retryable only for AM04, insufficient funds), anything else (PDNG, ACTC, ACSP...) unknown. A
report that lists fewer transactions than the original message had, under a group status that
accepts (ACSC, ACCP, ACCC, PART), is ``partial``: the unlisted lines succeeded by inference. A report
under any other group status (PDNG, ACTC, none) that lists fewer says nothing of the rest.

Reading camt.054 (:func:`camt054_read`): every booked debit entry whose transaction details carry
return information (``RtrInf``) or the bank transaction code of an unpaid direct debit
(``PMNT/IDDT/UPDD``) is a :class:`Return`; credits, pending entries and other debits are not.

Reading statements (:func:`statement_read`): a camt.053 end-of-day account statement or a camt.054
notification, one account, booked entries in both directions (reconciliation's check 2 matches the
credits); a camt.053 whose opening and closing balances do not differ by its entries is refused as
incomplete. :func:`camt053_write` writes one (the bank simulator).

XML is parsed only as UTF-8 and without a document type declaration: a DTD (the way to XML entity
attacks) is refused before the parser sees the file.
"""

from __future__ import annotations

import datetime
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from wuye.core.money import fen_to_yuan
from wuye.debit.interfaces.codes import (
    ISO_ACCEPTS_UNLISTED,
    ISO_REJECTED,
    ISO_SUCCESS,
    Bucket,
    iso_status_bucket,
)
from wuye.debit.interfaces.files import (
    BankFileError,
    DebitFile,
    DebitLine,
    Outcome,
    ResultFile,
    ResultLine,
    Return,
    codepoint,
    control_character,
    not_a_document_check,
)

PAIN008 = "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"
PAIN002 = "urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"
CAMT054 = "urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"
_NAMESPACE_PREFIX = "urn:iso:std:iso:20022:tech:xsd:"
CURRENCY = "CNY"
NOT_PROVIDED = "NOTPROVIDED"
# Statuses a pain.002 may give a transaction that is not final yet; written as they are.
_PENDING_STATUSES = frozenset({"PDNG", "ACTC", "ACSP", "ACWC", "RCVD"})
_REASON_CODE = re.compile(r"^[A-Z0-9]{1,4}$")
_AMOUNT = re.compile(r"^[0-9]{1,18}(\.[0-9]{1,17})?$")
_ENCODING_DECLARATION = re.compile(r"""^\s*<\?xml[^>]*\bencoding\s*=\s*["']([^"']+)["']""")
_ADDITIONAL_INFO_LENGTH = 105  # Max105Text


@dataclass(frozen=True)
class Iso20022Format:
    """The ISO 20022 messages as one bank format (pain.008 out, pain.002 and camt.054 in)."""

    code: str = "iso20022"
    name: str = "ISO 20022 XML (pain.008.001.02 / pain.002.001.03 / camt.054.001.02)"
    file_name: str = "{batch_no}.xml"
    result_file_name: str = "{batch_no}-pain002.xml"
    returns_file_name: str = "{file_id}-camt054.xml"


ISO20022 = Iso20022Format()


# Writing -------------------------------------------------------------------------------------------


class _Tree:
    """A document of one (default) namespace, built in schema order. The elements carry local names and
    the root declares the namespace (``default_namespace`` of ElementTree refuses the unqualified
    ``Ccy`` attribute)."""

    def __init__(self, namespace: str, root_tag: str):
        self.root = ET.Element("Document", {"xmlns": namespace})
        self.message = self.sub(self.root, root_tag)

    def sub(self, parent: ET.Element, name: str, text: str | None = None, **attributes: str) -> ET.Element:
        element = ET.SubElement(parent, name, attributes)
        if text is not None:
            element.text = text
        return element

    def path(self, parent: ET.Element, path: str, text: str | None = None) -> ET.Element:
        """ "Id/Othr/Id" under ``parent``: nested elements, the last with ``text``."""
        names = path.split("/")
        for name in names[:-1]:
            parent = self.sub(parent, name)
        return self.sub(parent, names[-1], text)

    def bytes(self) -> bytes:
        ET.indent(self.root, space="  ")
        return ET.tostring(self.root, encoding="UTF-8", xml_declaration=True) + b"\n"


def _amount_text(fen: int) -> str:
    return fen_to_yuan(fen, grouping=False)


def _xml_text(
    value: str, *, where: str, field: str, max_length: int, required: bool = True, line: int | None = None
) -> str:
    """A value checked for what the schema and XML allow: not empty (when required), no character XML
    cannot carry, not longer than the schema's MaxNText (refused, never cut). ``line``: the debit
    line the value belongs to, for the error."""
    params = {"where": where, "field": field}
    if required and not value.strip():
        raise BankFileError(_("%(where)s: %(field)s is missing.") % params, line=line)
    char = control_character(value) or next((c for c in value if c in "\ufffe\uffff"), None)
    if char is not None:
        raise BankFileError(
            _("%(where)s: %(field)s contains “%(char)s” (U+%(codepoint)s), which XML cannot carry.")
            % {**params, "char": char, "codepoint": codepoint(char)},
            line=line,
        )
    if len(value) > max_length:
        raise BankFileError(
            _("%(where)s: %(field)s is %(length)s characters long; ISO 20022 allows %(max)s here.")
            % {**params, "length": len(value), "max": max_length},
            line=line,
        )
    return value


def _datetime_text(day: datetime.date) -> str:
    return f"{day.isoformat()}T00:00:00"


def pain008_write(debit_file: DebitFile) -> bytes:
    """The batch as one pain.008.001.02 document (UTF-8). Deterministic: the same batch gives the same
    bytes."""
    if not debit_file.lines:
        raise BankFileError(_("A debit file needs at least one line."))
    header = _("the file header")
    creditor_name = _xml_text(
        debit_file.creditor_name, where=header, field=_("creditor name"), max_length=140
    )
    creditor_account = _xml_text(
        debit_file.creditor_account, where=header, field=_("creditor account"), max_length=34
    )
    creditor_id = _xml_text(
        debit_file.creditor_id, where=header, field=_("creditor id"), max_length=35, required=False
    )
    tree = _Tree(PAIN008, "CstmrDrctDbtInitn")
    count, total = str(debit_file.count), _amount_text(debit_file.sum_fen)
    group = tree.sub(tree.message, "GrpHdr")
    tree.sub(group, "MsgId", debit_file.batch_no)
    tree.sub(group, "CreDtTm", _datetime_text(debit_file.created_on))
    tree.sub(group, "NbOfTxs", count)
    tree.sub(group, "CtrlSum", total)
    initiator = tree.sub(group, "InitgPty")
    tree.sub(initiator, "Nm", creditor_name)
    if creditor_id:
        tree.path(initiator, "Id/OrgId/Othr/Id", creditor_id)
    payment = tree.sub(tree.message, "PmtInf")
    tree.sub(payment, "PmtInfId", debit_file.batch_no)
    tree.sub(payment, "PmtMtd", "DD")
    tree.sub(payment, "NbOfTxs", count)
    tree.sub(payment, "CtrlSum", total)
    tree.sub(payment, "ReqdColltnDt", debit_file.collection_date.isoformat())
    tree.sub(tree.sub(payment, "Cdtr"), "Nm", creditor_name)
    creditor_account_element = tree.sub(payment, "CdtrAcct")
    tree.path(creditor_account_element, "Id/Othr/Id", creditor_account)
    tree.sub(creditor_account_element, "Ccy", CURRENCY)
    tree.path(payment, "CdtrAgt/FinInstnId/Othr/Id", NOT_PROVIDED)
    if creditor_id:
        tree.path(payment, "CdtrSchmeId/Id/OrgId/Othr/Id", creditor_id)
    for line in sorted(debit_file.lines, key=lambda line: line.line_no):
        where = _("debit line %(line)s") % {"line": line.line_no}
        transaction = tree.sub(payment, "DrctDbtTxInf")
        identification = tree.sub(transaction, "PmtId")
        tree.sub(identification, "InstrId", str(line.line_no))
        tree.sub(identification, "EndToEndId", line.reference)
        tree.sub(transaction, "InstdAmt", _amount_text(line.amount_fen), Ccy=CURRENCY)
        agreement = _xml_text(
            line.agreement_no, where=where, field=_("agreement number"), max_length=35, line=line.line_no
        )
        tree.path(transaction, "DrctDbtTx/MndtRltdInf/MndtId", agreement)
        tree.path(transaction, "DbtrAgt/FinInstnId/Othr/Id", NOT_PROVIDED)
        name = _xml_text(
            line.holder_name, where=where, field=_("account holder's name"), max_length=140, line=line.line_no
        )
        tree.sub(tree.sub(transaction, "Dbtr"), "Nm", name)
        tree.path(transaction, "DbtrAcct/Id/Othr/Id", line.card_number)
        if line.memo:
            memo = _xml_text(line.memo, where=where, field=_("memo"), max_length=140, line=line.line_no)
            tree.path(transaction, "RmtInf/Ustrd", memo)
    return tree.bytes()


def _status_reason(tree: _Tree, parent: ET.Element, code: str, message: str) -> None:
    if not (code or message):
        return
    reason = tree.sub(parent, "StsRsnInf")
    if code:
        tree.sub(tree.sub(reason, "Rsn"), "Cd" if _REASON_CODE.match(code) else "Prtry", code)
    for start in range(0, len(message), _ADDITIONAL_INFO_LENGTH):
        tree.sub(reason, "AddtlInf", message[start : start + _ADDITIONAL_INFO_LENGTH])


def pain002_write(result: ResultFile, *, created_on: datetime.date | None = None) -> bytes:
    """A pain.002.001.03 status report for a batch, as a bank would send it (the bank simulator, round
    trips). A success line is written ACSC, a failure RJCT with its code as the reason, an unknown one
    PDNG (or the pending status given as its code); a rejected file has group status RJCT, a partial
    report group status PART."""
    created_on = created_on or datetime.date.today()
    tree = _Tree(PAIN002, "CstmrPmtStsRpt")
    group = tree.sub(tree.message, "GrpHdr")
    tree.sub(group, "MsgId", f"RPT-{result.batch_no}"[:35])
    tree.sub(group, "CreDtTm", _datetime_text(created_on))
    original = tree.sub(tree.message, "OrgnlGrpInfAndSts")
    tree.sub(original, "OrgnlMsgId", result.batch_no)
    tree.sub(original, "OrgnlMsgNmId", "pain.008.001.02")
    tree.sub(original, "OrgnlNbOfTxs", str(result.declared_count))
    tree.sub(original, "OrgnlCtrlSum", _amount_text(result.declared_sum_fen))
    if result.file_rejected:
        tree.sub(original, "GrpSts", ISO_REJECTED)
        _status_reason(tree, original, result.reject_code, result.reject_message)
    elif result.partial:
        tree.sub(original, "GrpSts", "PART")
    if result.lines:
        payment = tree.sub(tree.message, "OrgnlPmtInfAndSts")
        tree.sub(payment, "OrgnlPmtInfId", result.batch_no)
        for index, line in enumerate(result.lines, 1):
            where = _("result line %(line)s") % {"line": index}
            transaction = tree.sub(payment, "TxInfAndSts")
            if line.line_no:
                tree.sub(transaction, "OrgnlInstrId", str(line.line_no))
            if line.reference:
                tree.sub(transaction, "OrgnlEndToEndId", line.reference)
            if line.outcome == Outcome.SUCCESS:
                status = line.code if line.code in ISO_SUCCESS else "ACSC"
            elif line.outcome == Outcome.FAILED:
                status = ISO_REJECTED
            else:
                status = line.code if line.code in _PENDING_STATUSES else "PDNG"
            tree.sub(transaction, "TxSts", status)
            reason = "" if line.code == status else line.code
            message = _xml_text(
                line.message, where=where, field=_("result message"), max_length=10_000, required=False
            )
            _status_reason(tree, transaction, reason, message)
            if line.amount_fen:
                tree.path(transaction, "OrgnlTxRef/Amt/InstdAmt", _amount_text(line.amount_fen)).set(
                    "Ccy", CURRENCY
                )
    return tree.bytes()


def camt054_write(
    returns: Sequence[Return], *, message_id: str, created_on: datetime.date, account: str
) -> bytes:
    """A camt.054.001.02 debit notification carrying late returns, as a bank would send it (the bank
    simulator, round trips): one booked debit entry per return, bank transaction code PMNT/IDDT/UPDD,
    the return reason in ``RtrInf``."""
    header = _("the file header")
    message_id = _xml_text(message_id, where=header, field=_("file id"), max_length=35)
    account = _xml_text(account, where=header, field=_("creditor account"), max_length=34)
    tree = _Tree(CAMT054, "BkToCstmrDbtCdtNtfctn")
    group = tree.sub(tree.message, "GrpHdr")
    tree.sub(group, "MsgId", message_id)
    tree.sub(group, "CreDtTm", _datetime_text(created_on))
    notification = tree.sub(tree.message, "Ntfctn")
    tree.sub(notification, "Id", message_id)
    tree.sub(notification, "CreDtTm", _datetime_text(created_on))
    tree.path(tree.sub(notification, "Acct"), "Id/Othr/Id", account)
    for index, item in enumerate(returns, 1):
        where = _("return %(line)s") % {"line": index}
        entry = tree.sub(notification, "Ntry")
        tree.sub(entry, "Amt", _amount_text(item.amount_fen), Ccy=CURRENCY)
        tree.sub(entry, "CdtDbtInd", "DBIT")
        tree.sub(entry, "Sts", "BOOK")
        tree.path(entry, "BookgDt/Dt", item.booked_on.isoformat())
        tree.path(entry, "ValDt/Dt", item.booked_on.isoformat())
        domain = tree.path(entry, "BkTxCd/Domn")
        tree.sub(domain, "Cd", "PMNT")
        family = tree.sub(domain, "Fmly")
        tree.sub(family, "Cd", "IDDT")
        tree.sub(family, "SubFmlyCd", "UPDD")
        details = tree.path(entry, "NtryDtls/TxDtls")
        if item.reference:
            tree.path(details, "Refs/EndToEndId", item.reference)
        tree.path(details, "AmtDtls/TxAmt/Amt", _amount_text(item.amount_fen)).set("Ccy", CURRENCY)
        information = tree.sub(details, "RtrInf")
        if item.code:
            tree.sub(
                tree.sub(information, "Rsn"), "Cd" if _REASON_CODE.match(item.code) else "Prtry", item.code
            )
        message = _xml_text(
            item.message, where=where, field=_("result message"), max_length=10_000, required=False
        )
        for start in range(0, len(message), _ADDITIONAL_INFO_LENGTH):
            tree.sub(information, "AddtlInf", message[start : start + _ADDITIONAL_INFO_LENGTH])
    return tree.bytes()


# Reading -------------------------------------------------------------------------------------------


class _Reader:
    """Finds elements of one namespace by paths like "GrpHdr/MsgId"."""

    def __init__(self, namespace: str):
        self.namespace = namespace

    def path(self, path: str) -> str:
        return "/".join(f"{{{self.namespace}}}{name}" for name in path.split("/"))

    def find(self, element: ET.Element, path: str) -> ET.Element | None:
        return element.find(self.path(path))

    def findall(self, element: ET.Element, path: str) -> list[ET.Element]:
        return element.findall(self.path(path))

    def text(self, element: ET.Element, path: str) -> str:
        found = element.find(self.path(path))
        return (found.text or "").strip() if found is not None else ""

    def texts(self, element: ET.Element, path: str) -> list[str]:
        return [(found.text or "").strip() for found in element.findall(self.path(path))]


def _xml_root(data: bytes, *, message: str, element: str) -> tuple[ET.Element, _Reader]:
    """Parse an ISO 20022 document and check it is the message expected (``message`` like "pain.002",
    its root element ``element``)."""
    not_a_document_check(data)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise BankFileError(_("The XML file is UTF-16; ISO 20022 files are UTF-8."))
    data = data.removeprefix(b"\xef\xbb\xbf")
    declared = _ENCODING_DECLARATION.match(data[:200].decode("ascii", errors="replace"))
    if declared and declared.group(1).lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise BankFileError(
            _("The XML file declares the encoding %(encoding)s; ISO 20022 files are UTF-8.")
            % {"encoding": declared.group(1)}
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BankFileError(
            _("The XML file is not valid UTF-8 (byte %(byte)s).") % {"byte": error.start + 1}
        ) from None
    if not text.lstrip().startswith("<"):
        raise BankFileError(_("This is not an XML file."))
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise BankFileError(
            _("The XML file declares a document type (DTD); bank messages never do, so it is refused.")
        )
    try:
        root = ET.fromstring(data)  # noqa: S314 (UTF-8 only, no DTD: checked above)
    except ET.ParseError as error:
        line, column = error.position
        raise BankFileError(
            _("The file is not well-formed XML (line %(line)s, column %(column)s).")
            % {"line": line, "column": column + 1},
            line=line,
        ) from None
    namespace, _sep, local = root.tag[1:].partition("}") if root.tag.startswith("{") else ("", "", root.tag)
    found = namespace.removeprefix(_NAMESPACE_PREFIX) if namespace.startswith(_NAMESPACE_PREFIX) else ""
    if (
        local != "Document"
        or not found.startswith(message + ".")
        or len(root) != 1
        or root[0].tag != f"{{{namespace}}}{element}"
    ):
        raise BankFileError(
            _("This is not a %(expected)s message (the document is %(found)s).")
            % {"expected": message, "found": found or local}
        )
    return root[0], _Reader(namespace)


def _amount_fen(reader: _Reader, element: ET.Element | None, *, where: str) -> int | None:
    """An amount element (``Ccy`` must be CNY) as fen; None when the element is absent."""
    if element is None:
        return None
    text = (element.text or "").strip()
    currency = element.get("Ccy", CURRENCY)
    if currency != CURRENCY:
        raise BankFileError(
            _("%(where)s: the amount is in %(currency)s; only CNY is accepted.")
            % {"where": where, "currency": currency}
        )
    return _decimal_fen(text, where=where)


def _decimal_fen(text: str, *, where: str) -> int:
    try:
        fen = Decimal(text) * 100 if _AMOUNT.match(text) else None
    except InvalidOperation:
        fen = None
    if fen is None or fen != fen.to_integral_value():
        raise BankFileError(
            _("%(where)s: “%(value)s” is not an amount in yuan with at most two decimals.")
            % {"where": where, "value": text}
        )
    return int(fen)


def _count(text: str, *, where: str) -> int | None:
    if not text:
        return None
    if not text.isascii() or not text.isdigit():
        raise BankFileError(
            _("%(where)s: the number of transactions “%(value)s” is not a whole number.")
            % {"where": where, "value": text}
        )
    return int(text)


def _reason(reader: _Reader, parent: ET.Element) -> tuple[str, str]:
    """The first status reason under ``parent``: (code, additional information)."""
    information = reader.find(parent, "StsRsnInf")
    if information is None:
        return "", ""
    code = reader.text(information, "Rsn/Cd") or reader.text(information, "Rsn/Prtry")
    return code, "".join(reader.texts(information, "AddtlInf"))


def pain002_read(data: bytes) -> ResultFile:
    """Read and check a pain.002 status report for one of our pain.008 batches (see the module
    docstring for what each status means)."""
    report, reader = _xml_root(data, message="pain.002", element="CstmrPmtStsRpt")
    original = reader.find(report, "OrgnlGrpInfAndSts")
    group_where = _("the original group information")
    if original is None or not reader.text(original, "OrgnlMsgId"):
        raise BankFileError(_("The status report does not say which message it answers (OrgnlGrpInfAndSts)."))
    batch_no = reader.text(original, "OrgnlMsgId")
    answered = reader.text(original, "OrgnlMsgNmId")
    if answered and not answered.startswith("pain.008"):
        raise BankFileError(
            _("The status report answers a %(found)s message, not a direct debit (pain.008).")
            % {"found": answered}
        )
    payments = reader.findall(report, "OrgnlPmtInfAndSts")
    declared_count = _count(reader.text(original, "OrgnlNbOfTxs"), where=group_where)
    declared_sum = reader.text(original, "OrgnlCtrlSum")
    declared_sum_fen = _decimal_fen(declared_sum, where=group_where) if declared_sum else None
    if declared_count is None and payments:
        counts = [_count(reader.text(p, "OrgnlNbOfTxs"), where=group_where) for p in payments]
        declared_count = None if None in counts else sum(counts)
    if declared_sum_fen is None and payments:
        sums = [reader.text(p, "OrgnlCtrlSum") for p in payments]
        if all(sums):
            declared_sum_fen = sum(_decimal_fen(s, where=group_where) for s in sums)
    group_status = reader.text(original, "GrpSts")
    reject_code, reject_message = _reason(reader, original)
    payment_statuses = {reader.text(p, "PmtInfSts") for p in payments}
    if not group_status and len(payment_statuses) == 1:
        group_status = payment_statuses.pop()
        if group_status == ISO_REJECTED and not (reject_code or reject_message):
            reject_code, reject_message = _reason(reader, payments[0])
    file_rejected = group_status == ISO_REJECTED
    if not file_rejected:
        reject_code = reject_message = ""

    lines: list[ResultLine] = []
    first_seen: dict[tuple[str, object], int] = {}
    index = 0
    for payment in payments:
        payment_status = reader.text(payment, "PmtInfSts") or group_status
        for transaction in reader.findall(payment, "TxInfAndSts"):
            index += 1
            instruction = reader.text(transaction, "OrgnlInstrId")
            reference = reader.text(transaction, "OrgnlEndToEndId")
            where = _("transaction %(index)s (%(reference)s)") % {
                "index": index,
                "reference": reference or instruction,
            }
            if instruction and not (instruction.isascii() and instruction.isdigit()):
                raise BankFileError(
                    _("%(where)s: OrgnlInstrId “%(value)s” is not one of our line numbers.")
                    % {"where": where, "value": instruction},
                    line=index,
                )
            line_no = int(instruction) if instruction else 0
            if not (line_no or reference):
                raise BankFileError(
                    _("%(where)s names no line: it has neither OrgnlInstrId nor OrgnlEndToEndId.")
                    % {"where": where},
                    line=index,
                )
            for key in (("line_no", line_no), ("reference", reference)):
                if key[1] and key in first_seen:
                    raise BankFileError(
                        _("%(where)s repeats a line of transaction %(first)s.")
                        % {"where": where, "first": first_seen[key]},
                        line=index,
                    )
                if key[1]:
                    first_seen[key] = index
            status = reader.text(transaction, "TxSts") or payment_status
            code, message = _reason(reader, transaction)
            amount = _amount_fen(reader, reader.find(transaction, "OrgnlTxRef/Amt/InstdAmt"), where=where)
            bucket = iso_status_bucket(status, code)
            if file_rejected:
                if bucket == Bucket.SUCCESS:
                    raise BankFileError(
                        _("%(where)s reports success, but the whole file was rejected.") % {"where": where},
                        line=index,
                    )
                outcome, retryable = Outcome.FAILED, True  # nothing was debited: the line may go again
            else:
                outcome = {Bucket.SUCCESS: Outcome.SUCCESS, Bucket.UNKNOWN: Outcome.UNKNOWN}.get(
                    bucket, Outcome.FAILED
                )
                retryable = bucket == Bucket.FAILED_RETRYABLE
            lines.append(
                ResultLine(
                    line_no=line_no,
                    reference=reference,
                    amount_fen=amount or 0,
                    outcome=outcome,
                    code=code or status,
                    message=message,
                    retryable=retryable,
                )
            )
    listed = len(lines)
    if declared_count is not None and listed > declared_count:
        raise BankFileError(
            _("The report lists %(found)s transactions, but the original message had %(declared)s.")
            % {"found": listed, "declared": declared_count}
        )
    partial = (
        not file_rejected
        and group_status in ISO_ACCEPTS_UNLISTED
        and (declared_count is None or listed < declared_count)
    )
    amounts_known = all(line.amount_fen for line in lines)
    listed_sum = sum(line.amount_fen for line in lines)
    if (
        not file_rejected
        and declared_count == listed
        and declared_sum_fen is not None
        and amounts_known
        and declared_sum_fen != listed_sum
    ):
        raise BankFileError(
            _(
                "The report's transactions add up to %(found)s yuan, but the original message had %(declared)s yuan."
            )
            % {"found": fen_to_yuan(listed_sum), "declared": fen_to_yuan(declared_sum_fen)}
        )
    return ResultFile(
        batch_no=batch_no,
        file_rejected=file_rejected,
        reject_code=reject_code,
        reject_message=reject_message,
        lines=tuple(lines),
        declared_count=listed if declared_count is None else declared_count,
        declared_sum_fen=listed_sum if declared_sum_fen is None else declared_sum_fen,
        partial=partial,
    )


def _date(reader: _Reader, element: ET.Element, path: str, *, where: str) -> datetime.date | None:
    text = reader.text(element, f"{path}/Dt") or reader.text(element, f"{path}/DtTm")[:10]
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text[:10])
    except ValueError:
        raise BankFileError(
            _("%(where)s: “%(value)s” is not a date.") % {"where": where, "value": text}
        ) from None


def camt054_read(data: bytes) -> list[Return]:
    """The late returns in a camt.054 debit notification (see the module docstring)."""
    notification_message, reader = _xml_root(data, message="camt.054", element="BkToCstmrDbtCdtNtfctn")
    returns: list[Return] = []
    index = 0
    for notification in reader.findall(notification_message, "Ntfctn"):
        for entry in reader.findall(notification, "Ntry"):
            index += 1
            where = _("entry %(index)s") % {"index": index}
            if reader.text(entry, "CdtDbtInd") != "DBIT" or reader.text(entry, "Sts") != "BOOK":
                continue
            unpaid = reader.text(entry, "BkTxCd/Domn/Fmly/SubFmlyCd") == "UPDD"
            details = reader.findall(entry, "NtryDtls/TxDtls")
            booked_on = _date(reader, entry, "BookgDt", where=where) or _date(
                reader, entry, "ValDt", where=where
            )
            entry_amount = _amount_fen(reader, reader.find(entry, "Amt"), where=where)
            for detail in details:
                information = reader.find(detail, "RtrInf")
                if information is None and not unpaid:
                    continue
                if booked_on is None:
                    raise BankFileError(
                        _("%(where)s: a return without a booking date.") % {"where": where}, line=index
                    )
                amount = _amount_fen(reader, reader.find(detail, "AmtDtls/TxAmt/Amt"), where=where)
                if amount is None:
                    amount = _amount_fen(reader, reader.find(detail, "AmtDtls/InstdAmt/Amt"), where=where)
                if amount is None:
                    if len(details) != 1:
                        raise BankFileError(
                            _(
                                "%(where)s: a return without its own amount in an entry of several transactions."
                            )
                            % {"where": where},
                            line=index,
                        )
                    amount = entry_amount
                code = message = ""
                if information is not None:
                    code = reader.text(information, "Rsn/Cd") or reader.text(information, "Rsn/Prtry")
                    message = "".join(reader.texts(information, "AddtlInf"))
                returns.append(
                    Return(
                        reference=reader.text(detail, "Refs/EndToEndId"),
                        amount_fen=amount or 0,
                        code=code,
                        message=message,
                        booked_on=booked_on,
                    )
                )
    return returns


def pain008_read(data: bytes) -> DebitFile:
    """Read a pain.008 back (ours, or one the bank simulator received): one payment information."""
    message, reader = _xml_root(data, message="pain.008", element="CstmrDrctDbtInitn")
    where = _("the file header")
    group = reader.find(message, "GrpHdr")
    payments = reader.findall(message, "PmtInf")
    if group is None or len(payments) != 1:
        raise BankFileError(_("The direct debit must have one group header and one payment information."))
    payment = payments[0]
    lines = []
    for index, transaction in enumerate(reader.findall(payment, "DrctDbtTxInf"), 1):
        line_where = _("transaction %(index)s (%(reference)s)") % {
            "index": index,
            "reference": reader.text(transaction, "PmtId/EndToEndId"),
        }
        instruction = reader.text(transaction, "PmtId/InstrId")
        try:
            lines.append(
                DebitLine(
                    line_no=int(instruction) if instruction.isascii() and instruction.isdigit() else 0,
                    reference=reader.text(transaction, "PmtId/EndToEndId"),
                    agreement_no=reader.text(transaction, "DrctDbtTx/MndtRltdInf/MndtId"),
                    card_number=reader.text(transaction, "DbtrAcct/Id/Othr/Id"),
                    holder_name=reader.text(transaction, "Dbtr/Nm"),
                    amount_fen=_amount_fen(reader, reader.find(transaction, "InstdAmt"), where=line_where)
                    or 0,
                    memo="".join(reader.texts(transaction, "RmtInf/Ustrd")),
                )
            )
        except BankFileError as error:
            raise BankFileError(
                _("%(where)s: %(reason)s") % {"where": line_where, "reason": error.message}, line=index
            ) from None
    count = _count(reader.text(group, "NbOfTxs"), where=where)
    control_sum = reader.text(group, "CtrlSum")
    sum_fen = sum(line.amount_fen for line in lines)
    if count != len(lines) or (control_sum and _decimal_fen(control_sum, where=where) != sum_fen):
        raise BankFileError(
            _(
                "The group header's control totals (%(count)s, %(sum)s) do not match the transactions (%(found_count)s, %(found_sum)s yuan)."
            )
            % {
                "count": count,
                "sum": control_sum,
                "found_count": len(lines),
                "found_sum": fen_to_yuan(sum_fen),
            }
        )
    try:
        created_on = datetime.date.fromisoformat(reader.text(group, "CreDtTm")[:10])
        collection_date = datetime.date.fromisoformat(reader.text(payment, "ReqdColltnDt"))
    except ValueError:
        raise BankFileError(_("The direct debit's dates are missing or not dates.")) from None
    return DebitFile(
        batch_no=reader.text(group, "MsgId"),
        created_on=created_on,
        collection_date=collection_date,
        creditor_name=reader.text(payment, "Cdtr/Nm"),
        creditor_account=reader.text(payment, "CdtrAcct/Id/Othr/Id"),
        creditor_id=reader.text(payment, "CdtrSchmeId/Id/OrgId/Othr/Id"),
        lines=tuple(lines),
    )


# Account statements (camt.053) and credit notifications (camt.054): what reconciliation reads ----------

CAMT053 = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
_STATEMENT_MESSAGES = {
    "camt.053": ("BkToCstmrStmt", "Stmt"),
    "camt.054": ("BkToCstmrDbtCdtNtfctn", "Ntfctn"),
}


@dataclass(frozen=True)
class StatementEntry:
    """One booked entry of a statement: ``reference`` is the bank's own (``AcctSvcrRef``, else
    ``NtryRef``, else the statement's id and the entry's place); ``references`` the end-to-end ids of
    its transactions; ``text`` its remittance and additional information."""

    index: int
    reference: str
    amount_fen: int  # fen, > 0
    credit: bool
    booked_on: datetime.date
    value_on: datetime.date
    references: tuple[str, ...] = ()
    text: str = ""
    counterparty: str = ""


@dataclass(frozen=True)
class Statement:
    message: str  # "camt.053" or "camt.054"
    statement_id: str
    account: str
    day: datetime.date
    entries: tuple[StatementEntry, ...]

    @property
    def credits(self) -> tuple[StatementEntry, ...]:
        return tuple(entry for entry in self.entries if entry.credit)


def statement_read(data: bytes) -> Statement:
    """A camt.053 account statement or a camt.054 notification of one account, booked entries only.
    Refused whole (``BankFileError``) when it is not one of those, covers several accounts, has an
    entry without amount, direction or dates, or when its opening and closing balances (camt.053) do not
    differ by its entries."""
    head = data[:4000].decode("utf-8", errors="replace")
    message = "camt.054" if "BkToCstmrDbtCdtNtfctn" in head else "camt.053"
    element, child = _STATEMENT_MESSAGES[message]
    root, reader = _xml_root(data, message=message, element=element)
    reports = reader.findall(root, child)
    if len(reports) != 1:
        raise BankFileError(
            _("The statement must cover one account (it has %(count)s).") % {"count": len(reports)}
        )
    report = reports[0]
    statement_id = reader.text(report, "Id") or reader.text(root, "GrpHdr/MsgId")
    account = reader.text(report, "Acct/Id/Othr/Id") or reader.text(report, "Acct/Id/IBAN")
    if not account:
        raise BankFileError(_("The statement does not name its account."))
    entries = []
    for index, entry in enumerate(reader.findall(report, "Ntry"), 1):
        where = _("entry %(index)s") % {"index": index}
        if reader.text(entry, "Sts") not in ("BOOK", ""):
            continue  # pending or information only: not money yet
        direction = reader.text(entry, "CdtDbtInd")
        if direction not in ("CRDT", "DBIT"):
            raise BankFileError(
                _("%(where)s: the direction “%(value)s” is neither CRDT nor DBIT.")
                % {"where": where, "value": direction},
                line=index,
            )
        amount = _amount_fen(reader, reader.find(entry, "Amt"), where=where)
        booked_on = _date(reader, entry, "BookgDt", where=where)
        value_on = _date(reader, entry, "ValDt", where=where) or booked_on
        if not amount or booked_on is None:
            raise BankFileError(
                _("%(where)s: an entry needs an amount above zero and a booking date.") % {"where": where},
                line=index,
            )
        details = reader.findall(entry, "NtryDtls/TxDtls")
        texts = [text for detail in details for text in reader.texts(detail, "RmtInf/Ustrd")]
        texts += reader.texts(entry, "AddtlNtryInf")
        counterparty = next(
            (
                name
                for detail in details
                for name in (
                    reader.text(detail, "RltdPties/Dbtr/Nm"),
                    reader.text(detail, "RltdPties/Cdtr/Nm"),
                )
                if name
            ),
            "",
        )
        entries.append(
            StatementEntry(
                index=index,
                reference=reader.text(entry, "AcctSvcrRef")
                or reader.text(entry, "NtryRef")
                or f"{statement_id}#{index}",
                amount_fen=amount,
                credit=direction == "CRDT",
                booked_on=booked_on,
                value_on=value_on,
                references=tuple(
                    ref
                    for detail in details
                    if (ref := reader.text(detail, "Refs/EndToEndId")) and ref != "NOTPROVIDED"
                ),
                text=" ".join(text for text in texts if text),
                counterparty=counterparty,
            )
        )
    period = reader.text(report, "FrToDt/FrDtTm")[:10]
    try:
        day = datetime.date.fromisoformat(period) if period else None
    except ValueError:
        raise BankFileError(
            _("%(where)s: “%(value)s” is not a date.") % {"where": _("the statement"), "value": period}
        ) from None
    if day is None:
        booked = {entry.booked_on for entry in entries}
        day = booked.pop() if len(booked) == 1 else None
    if day is None:
        raise BankFileError(_("The statement gives no period and its entries no single booking date."))
    if message == "camt.053":
        _balances_check(reader, report, entries)
    return Statement(message, statement_id, account, day, tuple(entries))


def _balances_check(reader: _Reader, report: ET.Element, entries: list[StatementEntry]) -> None:
    """Opening (OPBD) and closing (CLBD) booked balances, when both are given, differ by the entries."""
    balances = {}
    for balance in reader.findall(report, "Bal"):
        code = reader.text(balance, "Tp/CdOrPrtry/Cd")
        amount = _amount_fen(
            reader, reader.find(balance, "Amt"), where=_("the balance %(code)s") % {"code": code}
        )
        sign = -1 if reader.text(balance, "CdtDbtInd") == "DBIT" else 1
        balances[code] = sign * (amount or 0)
    if "OPBD" in balances and "CLBD" in balances:
        moved = sum(entry.amount_fen if entry.credit else -entry.amount_fen for entry in entries)
        if balances["OPBD"] + moved != balances["CLBD"]:
            raise BankFileError(
                _(
                    "The closing balance %(closing)s is not the opening balance %(opening)s plus the entries (%(moved)s): the statement is incomplete."
                )
                % {
                    "closing": fen_to_yuan(balances["CLBD"], grouping=False),
                    "opening": fen_to_yuan(balances["OPBD"], grouping=False),
                    "moved": fen_to_yuan(moved, grouping=False),
                }
            )


def camt053_write(
    *,
    statement_id: str,
    account: str,
    day: datetime.date,
    entries: Sequence[StatementEntry],
    opening_fen: int = 0,
) -> bytes:
    """A camt.053.001.02 end-of-day statement of ``account`` for ``day``, as a bank sends it (the bank
    simulator, round trips): opening and closing booked balances and every entry, booked."""
    header = _("the file header")
    statement_id = _xml_text(statement_id, where=header, field=_("file id"), max_length=35)
    account = _xml_text(account, where=header, field=_("creditor account"), max_length=34)
    tree = _Tree(CAMT053, "BkToCstmrStmt")
    group = tree.sub(tree.message, "GrpHdr")
    tree.sub(group, "MsgId", statement_id)
    tree.sub(group, "CreDtTm", _datetime_text(day))
    report = tree.sub(tree.message, "Stmt")
    tree.sub(report, "Id", statement_id)
    tree.sub(report, "CreDtTm", _datetime_text(day))
    period = tree.sub(report, "FrToDt")
    tree.sub(period, "FrDtTm", _datetime_text(day))
    tree.sub(period, "ToDtTm", f"{day.isoformat()}T23:59:59")
    tree.path(tree.sub(report, "Acct"), "Id/Othr/Id", account)
    closing = opening_fen + sum(entry.amount_fen if entry.credit else -entry.amount_fen for entry in entries)
    for code, fen in (("OPBD", opening_fen), ("CLBD", closing)):
        balance = tree.sub(report, "Bal")
        tree.path(balance, "Tp/CdOrPrtry/Cd", code)
        tree.sub(balance, "Amt", _amount_text(abs(fen)), Ccy=CURRENCY)
        tree.sub(balance, "CdtDbtInd", "CRDT" if fen >= 0 else "DBIT")
        tree.path(balance, "Dt/Dt", day.isoformat())
    for item in entries:
        where = _("entry %(index)s") % {"index": item.index}
        entry = tree.sub(report, "Ntry")
        tree.sub(entry, "NtryRef", item.reference)
        tree.sub(entry, "Amt", _amount_text(item.amount_fen), Ccy=CURRENCY)
        tree.sub(entry, "CdtDbtInd", "CRDT" if item.credit else "DBIT")
        tree.sub(entry, "Sts", "BOOK")
        tree.path(entry, "BookgDt/Dt", item.booked_on.isoformat())
        tree.path(entry, "ValDt/Dt", item.value_on.isoformat())
        tree.sub(entry, "AcctSvcrRef", item.reference)
        domain = tree.path(entry, "BkTxCd/Domn")
        tree.sub(domain, "Cd", "PMNT")
        family = tree.sub(domain, "Fmly")
        tree.sub(family, "Cd", "RCDT" if item.credit else "ICDT")
        tree.sub(family, "SubFmlyCd", "OTHR")
        details = tree.path(entry, "NtryDtls/TxDtls")
        for reference in item.references[:1]:
            tree.path(details, "Refs/EndToEndId", reference)
        if item.counterparty:
            tree.path(details, "RltdPties/Dbtr/Nm" if item.credit else "RltdPties/Cdtr/Nm", item.counterparty)
        text = _xml_text(item.text, where=where, field=_("memo"), max_length=140, required=False)
        if text:
            tree.path(details, "RmtInf/Ustrd", text)
    return tree.bytes()
