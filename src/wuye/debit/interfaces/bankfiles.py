"""The bank file formats by code, and one set of functions that works with any of them.

The debit domain stores a format code per bank account and calls only these functions; whether the
bank takes a text file (:mod:`wuye.debit.interfaces.text`, described by a JSON file under
``src/wuye/debit/formats/``) or ISO 20022 XML (:mod:`wuye.debit.interfaces.iso20022`, code
``iso20022``) is decided here.

- ``debit_files_write(fmt, debit_file)`` → ``[(file name, bytes)]``: what to send, one file per part.
- ``result_file_read(fmt, data, file_name=None)`` → :class:`ResultFile`: the bank's answer, checked.
- ``returns_read(fmt, data, file_name=None)`` → ``[Return]``: late returns (camt.054 or a returns file).
- ``result_file_write``, ``returns_write``, ``debit_file_read``: the bank's side, for the bank simulator
  and round-trip tests.

All of them raise :class:`BankFileError` (translated, naming the line and the reason) and nothing
else for a bad file; none touches the database.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from django.utils.translation import gettext as _

from wuye.debit.interfaces.codes import Bucket, FormatSpecError, iso_reason_retryable
from wuye.debit.interfaces.files import BankFileError, DebitFile, ResultFile, Return
from wuye.debit.interfaces.iso20022 import (
    ISO20022,
    Iso20022Format,
    camt054_read,
    camt054_write,
    pain002_read,
    pain002_write,
    pain008_read,
    pain008_write,
)
from wuye.debit.interfaces.text import (
    file_name_make,
    text_debit_file_read,
    text_debit_files_write,
    text_result_file_name,
    text_result_file_read,
    text_result_file_write,
    text_returns_file_name,
    text_returns_read,
    text_returns_write,
)
from wuye.debit.interfaces.textformat import TextFormat, text_format_load

BankFormat = TextFormat | Iso20022Format

FORMATS_DIR = Path(__file__).resolve().parent.parent / "formats"


@cache
def bank_formats() -> dict[str, BankFormat]:
    """Every format we ship, by code: the JSON descriptions in ``formats/`` and ``iso20022``."""
    formats: dict[str, BankFormat] = {ISO20022.code: ISO20022}
    for path in sorted(FORMATS_DIR.glob("*.json")):
        fmt = text_format_load(path)
        if fmt.code != path.stem:
            raise FormatSpecError(f"{path.name}: its code is {fmt.code!r}; name the file {fmt.code}.json")
        formats[fmt.code] = fmt
    return formats


def bank_format_get(code: str) -> BankFormat:
    try:
        return bank_formats()[code]
    except KeyError:
        raise BankFileError(_("There is no bank file format “%(code)s”.") % {"code": code}) from None


def debit_files_write(fmt: BankFormat, debit_file: DebitFile) -> list[tuple[str, bytes]]:
    """The file(s) to send for a batch, [(file name, bytes)]: more than one when the format's
    ``max_lines`` splits it. The same batch always gives the same names and bytes."""
    if isinstance(fmt, Iso20022Format):
        name = file_name_make(fmt.file_name, batch_no=debit_file.batch_no)
        return [(name, pain008_write(debit_file))]
    return text_debit_files_write(fmt, debit_file)


def debit_file_read(fmt: BankFormat, data: bytes) -> DebitFile:
    """One debit file (one part) read back: for the bank simulator and round trips."""
    if isinstance(fmt, Iso20022Format):
        return pain008_read(data)
    return text_debit_file_read(fmt, data)


def result_file_read(fmt: BankFormat, data: bytes, *, file_name: str | None = None) -> ResultFile:
    """The bank's result file (回盘, or a pain.002), checked whole. ``file_name`` as the bank named it:
    a text format may carry the batch number only there, and a name that contradicts the content is
    refused."""
    if isinstance(fmt, Iso20022Format):
        return pain002_read(data)
    return text_result_file_read(fmt, data, file_name=file_name)


def result_file_write(
    fmt: BankFormat, result: ResultFile, *, created_on: datetime.date | None = None
) -> bytes:
    """A result file as the bank would write it (the bank simulator, round trips). ``created_on`` is the
    pain.002 creation date (default today); text formats carry none."""
    if isinstance(fmt, Iso20022Format):
        return pain002_write(result, created_on=created_on)
    return text_result_file_write(fmt, result)


def result_file_name(fmt: BankFormat, *, batch_no: str, part: int | None = None, parts: int = 1) -> str:
    """What the bank names its result file for a batch (or for one part of a split batch)."""
    if isinstance(fmt, Iso20022Format):
        return file_name_make(fmt.result_file_name, batch_no=batch_no)
    return text_result_file_name(fmt, batch_no=batch_no, part=part, parts=parts)


def returns_read(fmt: BankFormat, data: bytes, *, file_name: str | None = None) -> list[Return]:
    """Late returns: a camt.054 (ISO 20022), or the text format's returns file (refused with a clear
    message when the format has none). ``file_name`` is accepted for symmetry; no format needs it."""
    if isinstance(fmt, Iso20022Format):
        return camt054_read(data)
    return text_returns_read(fmt, data)


def returns_write(
    fmt: BankFormat,
    returns: Sequence[Return],
    *,
    file_id: str,
    created_on: datetime.date,
    account: str = "NOTPROVIDED",
) -> bytes:
    """A returns file (or camt.054, on ``account``) as the bank would write it: the bank simulator and
    round trips."""
    if isinstance(fmt, Iso20022Format):
        return camt054_write(returns, message_id=file_id, created_on=created_on, account=account)
    return text_returns_write(fmt, returns, file_id=file_id, created_on=created_on)


def returns_file_name(fmt: BankFormat, *, file_id: str) -> str:
    if isinstance(fmt, Iso20022Format):
        return file_name_make(fmt.returns_file_name, file_id=file_id)
    return text_returns_file_name(fmt, file_id=file_id)


def code_retryable(fmt: BankFormat, code: str) -> bool:
    """Whether a failure (or a late return) with this code may be tried again: the format's code table,
    or for ISO 20022 the reason code (AM04 only)."""
    if isinstance(fmt, Iso20022Format):
        return iso_reason_retryable(code)
    return fmt.codes.bucket(code) == Bucket.FAILED_RETRYABLE
