"""What a bank file says, independent of how it is written: the contract between the debit domain and
the file codecs (``text.py`` for the banks' own text formats, ``iso20022.py`` for pain/camt XML).

A :class:`DebitFile` is one batch to send (送盘); a :class:`ResultFile` is the bank's answer (回盘); a
:class:`Return` is a late reversal of a line that had succeeded (退票, camt.054 or the text format's
returns file). Amounts are integer fen. Nothing here touches the database.

A :class:`DebitLine` and a :class:`DebitFile` check themselves when built, so a batch that no codec could
write (a duplicate line number, a zero amount, a reference that is not ASCII) is refused before any
file exists. A :class:`ResultFile` does not: the reader checks what the bank wrote, with the file's own
line numbers, and the bank simulator may write inconsistent files on purpose.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# Our end-to-end id (ISO Max35Text) and the bank's agreement number: printable ASCII, no spaces.
_ASCII_ID = re.compile(r"^[!-~]{1,35}$")
_AGREEMENT = re.compile(r"^[!-~]{1,64}$")
_CARD = re.compile(r"^[0-9]{1,32}$")
# The batch number names the files: letters, digits, "-" and "_" only, at most 35 (ISO MsgId).
_BATCH_NO = re.compile(r"^[A-Za-z0-9_-]{1,35}$")


class BankFileError(Exception):
    """A bank file that cannot be written or read as it is. The message is translated and says where:
    the line of the file (reading) or the debit line (writing), and the reason. ``line`` is that line
    number, or None when the problem is the file as a whole."""

    def __init__(self, message: str, *, line: int | None = None):
        message = message[:1].upper() + message[1:]  # "debit line 2: ..." starts a sentence
        super().__init__(message)
        self.message = message
        self.line = line


# Files that are plainly something else: zip (xlsx, docx), OLE2 (xls, doc), PDF, gzip.
BINARY_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"%PDF", b"\x1f\x8b")


def not_a_document_check(data: bytes) -> None:
    """Refuse what is plainly not a bank file at all: nothing, or a spreadsheet, archive or PDF."""
    if not data.strip(b" \t\r\n\x1a"):
        raise BankFileError(_("The file is empty."))
    if data.startswith(BINARY_MAGIC):
        raise BankFileError(_("This is a spreadsheet, an archive or a PDF, not a bank file."))


# The characters of Unicode's categories Cc (controls), Cs (surrogates), Zl and Zp (line and paragraph
# separators), as one pattern: every field of every line goes through it.
CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def control_character(text: str) -> str | None:
    """The first character of ``text`` that has no place in a one-line field (a control character,
    a line or paragraph separator, a lone surrogate), or None."""
    found = CONTROL_CHARACTER.search(text)
    return found.group() if found else None


def codepoint(char: str) -> str:
    """ "𠮷" → "20BB7": how a message names a character that may not show."""
    return f"{ord(char):04X}"


# Field names for messages, translated when a message is made (not for every line written).
_HOLDER_NAME, _MEMO = gettext_lazy("account holder's name"), gettext_lazy("memo")


@dataclass(frozen=True)
class DebitLine:
    """One line of a debit file (送盘)."""

    line_no: int  # 1-based sequence within the batch, unique
    reference: str  # our end-to-end id, e.g. "D000123-000001" (printable ASCII, <= 35)
    agreement_no: str  # the bank's mandate/agreement number (协议号), printable ASCII
    card_number: str  # the debtor's card or account number, digits
    holder_name: str  # the account holder's name
    amount_fen: int  # > 0
    memo: str = ""  # e.g. "物业费 2026-11"

    def __post_init__(self):
        if (  # the common case as one expression (a debit file checks 100,000 lines)
            type(self.line_no) is int
            and self.line_no >= 1
            and type(self.amount_fen) is int
            and self.amount_fen > 0
            and _ASCII_ID.match(self.reference)
            and _AGREEMENT.match(self.agreement_no)
            and _CARD.match(self.card_number)
            and self.holder_name.strip()
            and CONTROL_CHARACTER.search(self.holder_name) is None
            and CONTROL_CHARACTER.search(self.memo) is None
        ):
            return
        # Something is wrong: the checks one by one, to name it.
        line = self.line_no
        if not isinstance(line, int) or isinstance(line, bool) or line < 1:
            raise BankFileError(_("Debit line numbers start at 1, not %(line)s.") % {"line": line})
        if not isinstance(self.amount_fen, int) or isinstance(self.amount_fen, bool) or self.amount_fen <= 0:
            raise BankFileError(
                _("Debit line %(line)s: the amount must be more than zero.") % {"line": line}, line=line
            )
        if not _ASCII_ID.match(self.reference):
            raise BankFileError(
                _(
                    "Debit line %(line)s: the reference “%(value)s” must be 1 to 35 ASCII letters, digits or signs, without spaces."
                )
                % {"line": line, "value": self.reference},
                line=line,
            )
        if not _AGREEMENT.match(self.agreement_no):
            raise BankFileError(
                _(
                    "Debit line %(line)s: the agreement number “%(value)s” must be 1 to 64 ASCII letters, digits or signs, without spaces."
                )
                % {"line": line, "value": self.agreement_no},
                line=line,
            )
        if not _CARD.match(self.card_number):
            raise BankFileError(
                _("Debit line %(line)s: the card number must be 1 to 32 digits.") % {"line": line},
                line=line,
            )
        if not self.holder_name.strip():
            raise BankFileError(
                _("Debit line %(line)s: the account holder's name is missing.") % {"line": line}, line=line
            )
        for label, value in ((_HOLDER_NAME, self.holder_name), (_MEMO, self.memo)):
            char = control_character(value)
            if char is not None:
                raise BankFileError(
                    _("Debit line %(line)s: %(field)s contains a control character (U+%(codepoint)s).")
                    % {"line": line, "field": label, "codepoint": codepoint(char)},
                    line=line,
                )


@dataclass(frozen=True)
class DebitFile:
    """One batch to send: a header (who collects, when) and its lines. ``count`` and ``sum_fen`` are
    the control totals every format writes in its header, trailer or group header."""

    batch_no: str  # e.g. "D20261202000123": names the files, and is the ISO MsgId
    created_on: datetime.date
    collection_date: datetime.date
    creditor_name: str  # the property company as the bank knows it
    creditor_account: str
    creditor_id: str
    lines: tuple[DebitLine, ...]

    def __post_init__(self):
        if not _BATCH_NO.match(self.batch_no):
            raise BankFileError(
                _(
                    "The batch number “%(value)s” must be 1 to 35 ASCII letters, digits, “-” or “_”: it names the files."
                )
                % {"value": self.batch_no}
            )
        for label, value in (
            (_("creditor name"), self.creditor_name),
            (_("creditor account"), self.creditor_account),
            (_("creditor id"), self.creditor_id),
        ):
            char = control_character(value)
            if char is not None:
                raise BankFileError(
                    _("The file header: %(field)s contains a control character (U+%(codepoint)s).")
                    % {"field": label, "codepoint": codepoint(char)}
                )
        object.__setattr__(self, "lines", tuple(self.lines))
        line_numbers: set[int] = set()
        first_reference: dict[str, int] = {}
        for line in self.lines:
            if line.line_no in line_numbers:
                raise BankFileError(
                    _("Debit line number %(line)s appears twice in the batch.") % {"line": line.line_no},
                    line=line.line_no,
                )
            line_numbers.add(line.line_no)
            if line.reference in first_reference:
                raise BankFileError(
                    _("Debit line %(line)s repeats the reference %(value)s of debit line %(first)s.")
                    % {
                        "line": line.line_no,
                        "value": line.reference,
                        "first": first_reference[line.reference],
                    },
                    line=line.line_no,
                )
            first_reference[line.reference] = line.line_no

    @property
    def count(self) -> int:
        return len(self.lines)

    @property
    def sum_fen(self) -> int:
        return sum(line.amount_fen for line in self.lines)


class Outcome(StrEnum):
    """What the bank says of one line. UNKNOWN is never a failure: query it, never retry it."""

    SUCCESS = "success"
    FAILED = "failed"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ResultLine:
    """The bank's answer for one debit line. ``line_no`` is 0 and ``reference`` empty when the bank's
    file does not carry them (match on the other); ``amount_fen`` is 0 when a pain.002 does not restate
    the amount. ``code`` is the bank's code (text formats) or the ISO reason code, else the ISO status
    (``ACSC``, ``PDNG``). ``retryable`` is only ever True for FAILED (insufficient funds; every line of a
    rejected file)."""

    line_no: int
    reference: str
    amount_fen: int
    outcome: Outcome
    code: str
    message: str
    retryable: bool


@dataclass(frozen=True)
class ResultFile:
    """The bank's answer to one debit file (回盘).

    ``file_rejected``: the bank refused the whole file (a 1xxx code, a pain.002 group status RJCT);
    nothing was debited, and every line goes back to the pool. ``declared_count`` and
    ``declared_sum_fen`` are the control totals as the file writes them (the lines' own totals when the
    format writes none). ``partial`` (pain.002 only): the report lists only some lines (usually the
    rejects) and the group status accepts the rest, so a line of the batch that is not listed
    succeeded by inference."""

    batch_no: str
    file_rejected: bool
    reject_code: str
    reject_message: str
    lines: tuple[ResultLine, ...]
    declared_count: int
    declared_sum_fen: int
    partial: bool = False


@dataclass(frozen=True)
class Return:
    """A late return: a line that had succeeded, reversed by the debtor's bank (camt.054 or the text
    format's returns file). ``reference`` is empty when the bank did not say which line."""

    reference: str
    amount_fen: int
    code: str
    message: str
    booked_on: datetime.date
