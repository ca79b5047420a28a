"""Banks' own text files (送盘, 回盘, 退票): one writer and one reader, driven by a :class:`TextFormat`
(the format's JSON description, :mod:`wuye.debit.interfaces.textformat`), so a new bank's format is a
new JSON file, not new code. ``docs/bank-formats.md`` explains every key and how to add a format.

Decisions, the same for every format:

- Writing is deterministic: the same :class:`DebitFile` gives byte-identical files (lines in line
  number order, nothing taken from the clock).
- Nothing is replaced or cut: a character the encoding cannot carry, a value longer than its field, a
  delimiter or line break inside a value are refused with the line and the field named.
- Widths count bytes in the file's encoding (a Chinese character is 2 bytes in GBK, 3 in UTF-8, 2 or 4
  in GB18030), as banks' specifications do.
- Splitting: a batch with more lines than ``max_lines`` is written as several parts, each a complete
  file with its own header and trailer whose totals are that part's (a bank checks each file on its
  own: Allinpay's 1103/1104); line numbers stay the batch's, so results of several parts match by line
  number. A single part is named by ``file_name``, parts by ``part_file_name``.
- Reading accepts CRLF or LF, whichever the file uses (transfers convert line endings), but one kind
  throughout: a mix, or a carriage return inside a line, is refused. The last line may lack its line
  ending; blank lines at the very end are ignored, a blank line anywhere else is refused.
- A byte order mark: a UTF-8 format strips a UTF-8 BOM (Windows tools add one); a GB18030 format strips
  GB18030's own; any other BOM is refused (a UTF-8 BOM on a GBK file means the file was saved as UTF-8).
- Encoding: bytes the format's encoding cannot decode are refused with the line and byte. A GBK or
  GB18030 file that is valid UTF-8 containing Chinese is refused as UTF-8: GBK decodes most UTF-8 without
  an error, into nonsense, while real GBK Chinese is practically never valid UTF-8.
- Fields are read without the spaces around them (fixed-width padding cannot be told from a value's
  own spaces), so a value's leading and trailing spaces do not survive a round trip.
- A result file is checked whole before anything is believed: every record's shape, numbers, dates and
  amounts; duplicate line numbers or references; the header's and trailer's counts and sums against the
  lines (a missing trailer or a short count is a truncated file). When the bank rejected the whole file
  its totals describe what it refused and are not checked against the lines.
"""

from __future__ import annotations

import datetime
import functools
import operator
import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.core.money import fen_to_yuan
from wuye.debit.interfaces.codes import Bucket
from wuye.debit.interfaces.files import (
    CONTROL_CHARACTER,
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
from wuye.debit.interfaces.textformat import (
    AMOUNT,
    DATE,
    DEBIT,
    DETAIL,
    ENCODINGS,
    HEADER,
    INT,
    LABELS,
    LINE_ENDINGS,
    RESULT,
    RETURNS,
    TEXT,
    TRAILER,
    VALUES,
    FieldSpec,
    LayoutSpec,
    RecordSpec,
    TextFormat,
    date_pattern,
    field_label,
)

RECORD_NAMES = {
    HEADER: gettext_lazy("header record"),
    DETAIL: gettext_lazy("detail record"),
    TRAILER: gettext_lazy("trailer record"),
}
KIND_NAMES = {
    DEBIT: gettext_lazy("debit file"),
    RESULT: gettext_lazy("result file"),
    RETURNS: gettext_lazy("returns file"),
}

BOMS = {"utf-8": b"\xef\xbb\xbf", "gb18030": b"\x84\x31\x95\x33"}
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_INT_TEXT = re.compile(r"^[0-9]+$")
_FEN_TEXT = re.compile(r"^[0-9]+$")
_YUAN_TEXT = re.compile(r"^([0-9]+)(?:\.([0-9]{1,2}))?$")
_SAFE_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


# Writing -------------------------------------------------------------------------------------------


def _value_text(field: FieldSpec, value: Any) -> str:
    if field.kind == AMOUNT:
        return fen_to_yuan(value, grouping=False) if field.unit == "yuan" else str(int(value))
    if field.kind == INT:
        return str(int(value))
    if field.kind == DATE:
        return value.strftime(field.date_format)
    return str(value)


def _yuan_text(fen: int) -> str:
    """``fen_to_yuan(fen, grouping=False)``, for the amount of every line written."""
    return f"{fen // 100}.{fen % 100:02d}" if fen >= 0 else fen_to_yuan(fen, grouping=False)


def _field_bytes(fmt: TextFormat, field: FieldSpec, values: Mapping[str, Any], where) -> bytes:
    """The field's bytes; ``where`` (a text, or a function giving it) names the record in a refusal.
    Every field of every line comes through here, so the messages are only made for a refusal."""
    if field.const is not None:
        text = field.const
    elif field.value is not None:
        text = _value_text(field, values[field.value])
    else:
        text = ""

    def params():
        return {"where": where() if callable(where) else where, "field": field_label(field)}

    char = control_character(text)
    if char is not None:
        raise BankFileError(
            _("%(where)s: %(field)s contains a control character (U+%(codepoint)s).")
            % {**params(), "codepoint": codepoint(char)}
        )
    if fmt.delimiter and fmt.delimiter in text:
        raise BankFileError(
            _("%(where)s: %(field)s contains the delimiter “%(delimiter)s”.")
            % {**params(), "delimiter": fmt.delimiter}
        )
    try:
        data = text.encode(fmt.encoding)
    except UnicodeEncodeError as error:
        char = text[error.start]
        raise BankFileError(
            _("%(where)s: %(field)s contains “%(char)s” (U+%(codepoint)s), which %(encoding)s cannot carry.")
            % {**params(), "char": char, "codepoint": codepoint(char), "encoding": fmt.encoding_label}
        ) from None
    if field.width is not None and len(data) > field.width:
        raise BankFileError(
            _(
                "%(where)s: %(field)s is %(length)s bytes in %(encoding)s, longer than the %(width)s bytes of its field."
            )
            % {**params(), "length": len(data), "encoding": fmt.encoding_label, "width": field.width}
        )
    if field.pad_to_width and field.width is not None:
        padding = field.pad.encode("ascii") * (field.width - len(data))
        data = data + padding if field.align == "left" else padding + data
    return data


def _record_bytes(fmt: TextFormat, record: RecordSpec, values: Mapping[str, Any], where) -> bytes:
    parts = [_field_bytes(fmt, field, values, where) for field in record.fields]
    delimiter = fmt.delimiter.encode("ascii")
    line = delimiter.join(parts)
    if fmt.trailing_delimiter:
        line += delimiter
    return line


def _column_texts(field: FieldSpec, values: list[Any]) -> list[str]:
    """A field's text for many lines (``_value_text`` of each)."""
    if field.kind == TEXT:
        return [str(value) for value in values]
    if field.kind == AMOUNT and field.unit == "yuan":
        return [_yuan_text(int(value)) for value in values]
    if field.kind in (AMOUNT, INT):
        return [str(int(value)) for value in values]
    return [_value_text(field, value) for value in values]


def _details_bytes(
    fmt: TextFormat,
    record: RecordSpec,
    file_values: Mapping[str, Any],
    line_values: Sequence[tuple[Any, Mapping[str, Any]]],
) -> list[bytes] | None:
    """The detail records of many lines, as ``_record_bytes`` writes each, built a column at a time
    (a debit file has a hundred thousand lines): one search for control characters and delimiters,
    one encoding and one width check per column. None when any value is wrong: then the records are
    written one by one, and ``_record_bytes`` names the line and the field it refuses."""
    count = len(line_values)
    delimiter = fmt.delimiter
    columns = []
    for field in record.fields:
        if field.const is not None or field.value is None:
            texts = [field.const or ""] * count
        elif line_values and field.value in line_values[0][1]:
            texts = _column_texts(field, [values[field.value] for _where, values in line_values])
        else:
            texts = _column_texts(field, [file_values[field.value]] * count)
        joined = "".join(texts)
        if CONTROL_CHARACTER.search(joined) is not None or (delimiter and delimiter in joined):
            return None
        try:
            # No text holds a line feed (checked above), and no character of GBK, GB18030 or UTF-8
            # encodes to a byte 0x0A: one encoding of the column, split back into its values.
            data = "\n".join(texts).encode(fmt.encoding).split(b"\n") if count else []
        except UnicodeEncodeError:
            return None
        if len(data) != count:
            return None
        if field.width is not None and data:
            if max(map(len, data)) > field.width:
                return None
            if field.pad_to_width:
                pad = field.pad.encode("ascii")
                if field.align == "left":
                    data = [value.ljust(field.width, pad) for value in data]
                else:
                    data = [value.rjust(field.width, pad) for value in data]
        columns.append(data)
    joiner = delimiter.encode("ascii")
    trailing = joiner if fmt.trailing_delimiter else b""
    return [joiner.join(parts) + trailing for parts in zip(*columns, strict=True)]


def _file_bytes(fmt: TextFormat, lines: list[bytes]) -> bytes:
    ending = LINE_ENDINGS[fmt.line_ending]
    data = ending.join(lines)
    return data + ending if fmt.final_line_ending else data


def _layout_write(
    fmt: TextFormat,
    layout: LayoutSpec,
    file_values: Mapping[str, Any],
    line_values: Iterable[tuple[Any, Mapping[str, Any]]],
    where_of=None,
) -> bytes:
    """The file's bytes. Each of ``line_values`` is (where, values): ``where`` names the line in a
    refusal, as text or as the argument of ``where_of``, which makes the text only when needed."""
    lines = []
    if layout.header is not None:
        lines.append(_record_bytes(fmt, layout.header, file_values, _("the file header")))
    line_values = list(line_values)
    details = _details_bytes(fmt, layout.detail, file_values, line_values)
    if details is not None:
        line_values, lines = [], lines + details
    for where, values in line_values:  # a value is wrong: which, and where
        try:
            if where_of is not None:
                where = functools.partial(where_of, where)
            lines.append(_record_bytes(fmt, layout.detail, {**file_values, **values}, where))
        except BankFileError as error:
            error.line = values.get("line_no")  # the debit line a value could not be written of
            raise
    if layout.trailer is not None:
        lines.append(_record_bytes(fmt, layout.trailer, file_values, _("the file trailer")))
    return _file_bytes(fmt, lines)


def file_name_make(pattern: str, **values: Any) -> str:
    name = pattern.format(**values)
    if not _SAFE_FILE_NAME.match(name):
        raise BankFileError(_("The file name “%(name)s” is not a plain file name.") % {"name": name})
    return name


def _debit_line_where(line_no: int) -> str:
    return _("debit line %(line)s") % {"line": line_no}


def text_debit_files_write(fmt: TextFormat, debit_file: DebitFile) -> list[tuple[str, bytes]]:
    """The debit file(s) for a batch: [(file name, bytes)], one per part."""
    if not debit_file.lines:
        raise BankFileError(_("A debit file needs at least one line."))
    lines = sorted(debit_file.lines, key=lambda line: line.line_no)
    size = fmt.max_lines or len(lines)
    chunks = [lines[start : start + size] for start in range(0, len(lines), size)]
    files = []
    names = VALUES[DEBIT][1]
    values_of = operator.attrgetter(*names)
    for part, chunk in enumerate(chunks, 1):
        file_values = {
            "batch_no": debit_file.batch_no,
            "created_on": debit_file.created_on,
            "collection_date": debit_file.collection_date,
            "creditor_name": debit_file.creditor_name,
            "creditor_account": debit_file.creditor_account,
            "creditor_id": debit_file.creditor_id,
            "count": len(chunk),
            "sum_fen": sum(line.amount_fen for line in chunk),
            "part": part,
            "parts": len(chunks),
        }
        line_values = [(line.line_no, dict(zip(names, values_of(line), strict=True))) for line in chunk]
        pattern = fmt.debit.file_name if len(chunks) == 1 else fmt.debit.part_file_name
        assert pattern is not None  # checked when the format was loaded
        name = file_name_make(pattern, batch_no=debit_file.batch_no, part=part, parts=len(chunks))
        files.append((name, _layout_write(fmt, fmt.debit, file_values, line_values, _debit_line_where)))
    return files


def text_result_file_name(fmt: TextFormat, *, batch_no: str, part: int | None = None, parts: int = 1) -> str:
    """The name the bank gives its result file for a batch (``part`` for a split batch)."""
    if part is None:
        return file_name_make(fmt.result.file_name, batch_no=batch_no, part=1, parts=1)
    pattern = fmt.result.part_file_name or fmt.result.file_name
    return file_name_make(pattern, batch_no=batch_no, part=part, parts=parts)


def text_result_file_write(fmt: TextFormat, result: ResultFile) -> bytes:
    """A result file as the bank would write it (the bank simulator, round trips). The codes decide
    what a reader makes of each line; ``outcome`` and ``retryable`` are not written. Totals are written
    as declared, so a simulator can write wrong ones on purpose."""
    successes = [line for line in result.lines if fmt.codes.bucket(line.code) == Bucket.SUCCESS]
    file_values = {
        "batch_no": result.batch_no,
        "count": result.declared_count,
        "sum_fen": result.declared_sum_fen,
        "success_count": len(successes),
        "success_sum_fen": sum(line.amount_fen for line in successes),
        "file_code": result.reject_code if result.file_rejected else fmt.codes.accepted_file_code,
        "file_message": result.reject_message if result.file_rejected else "",
    }
    line_values = [
        (
            _("result line %(line)s") % {"line": index},
            {
                "line_no": line.line_no,
                "reference": line.reference,
                "amount_fen": line.amount_fen,
                "code": line.code,
                "message": line.message,
            },
        )
        for index, line in enumerate(result.lines, 1)
    ]
    return _layout_write(fmt, fmt.result, file_values, line_values)


def text_returns_write(
    fmt: TextFormat, returns: Sequence[Return], *, file_id: str, created_on: datetime.date
) -> bytes:
    """A returns file as the bank would write it (the bank simulator, round trips)."""
    layout = _returns_layout(fmt)
    file_values = {
        "file_id": file_id,
        "created_on": created_on,
        "count": len(returns),
        "sum_fen": sum(item.amount_fen for item in returns),
    }
    line_values = [
        (
            _("return %(line)s") % {"line": index},
            {
                "reference": item.reference,
                "amount_fen": item.amount_fen,
                "code": item.code,
                "message": item.message,
                "booked_on": item.booked_on,
            },
        )
        for index, item in enumerate(returns, 1)
    ]
    return _layout_write(fmt, layout, file_values, line_values)


def text_returns_file_name(fmt: TextFormat, *, file_id: str) -> str:
    return file_name_make(_returns_layout(fmt).file_name, file_id=file_id)


def _returns_layout(fmt: TextFormat) -> LayoutSpec:
    if fmt.returns is None:
        raise BankFileError(_("The format “%(format)s” has no returns file.") % {"format": fmt.name})
    return fmt.returns


# Reading -------------------------------------------------------------------------------------------


class _RecordShapeError(BankFileError):
    """The line does not have the shape of the record tried (field count, width, a constant)."""


def _file_lines(fmt: TextFormat, data: bytes) -> list[bytes]:
    """The file's records as bytes, after the checks every text file passes (see the module docstring)."""
    not_a_document_check(data)
    for bom in UTF16_BOMS:
        if data.startswith(bom):
            raise BankFileError(
                _("The file is UTF-16 text (it starts with a UTF-16 byte order mark), not %(encoding)s.")
                % {"encoding": fmt.encoding_label}
            )
    for encoding, bom in BOMS.items():
        if data.startswith(bom):
            if encoding != fmt.encoding:
                raise BankFileError(
                    _(
                        "The file starts with a %(found)s byte order mark, but this format is %(encoding)s: the file was saved in the wrong encoding."
                    )
                    % {"found": ENCODINGS[encoding], "encoding": fmt.encoding_label},
                    line=1,
                )
            data = data[len(bom) :]
    if fmt.encoding != "utf-8" and not data.isascii():
        # GBK or GB18030 bytes of Chinese text are, in practice, never valid UTF-8 that decodes to Chinese
        # (their common lead bytes are UTF-8 continuation bytes), while UTF-8 read as GBK often decodes
        # without an error into nonsense: so a file that reads as UTF-8 Chinese is UTF-8.
        try:
            as_utf8 = data.decode("utf-8")
        except UnicodeDecodeError:
            as_utf8 = ""
        if any("\u4e00" <= char <= "\u9fff" for char in as_utf8):
            raise BankFileError(
                _(
                    "The file is UTF-8 text, but this format is %(encoding)s: the file was saved in the wrong encoding."
                )
                % {"encoding": fmt.encoding_label}
            )
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise BankFileError(
            _("Line %(line)s contains a NUL byte: this is not a text file.") % {"line": line}, line=line
        )
    if data.lstrip().startswith(b"<"):
        raise BankFileError(_("This is an XML or HTML file, not a bank text file."), line=1)
    pieces = data.split(b"\n")
    newline_at_end = pieces[-1] == b""
    if newline_at_end:
        pieces.pop()
    lines: list[bytes] = []
    first_ending = None
    for number, piece in enumerate(pieces, 1):
        has_ending = number < len(pieces) or newline_at_end
        ending = None
        if has_ending:
            ending = "CRLF" if piece.endswith(b"\r") else "LF"
            piece = piece.removesuffix(b"\r")
        if b"\r" in piece:
            raise BankFileError(
                _("Line %(line)s contains a carriage return inside the line.") % {"line": number}, line=number
            )
        if ending is not None:
            if first_ending is None:
                first_ending = ending
            elif ending != first_ending:
                raise BankFileError(
                    _(
                        "Line %(line)s ends with %(found)s, but line 1 ends with %(expected)s: a file uses one kind of line ending."
                    )
                    % {"line": number, "found": ending, "expected": first_ending},
                    line=number,
                )
        lines.append(piece)
    while lines and not lines[-1].strip(b" \t\x1a"):
        lines.pop()
    for number, piece in enumerate(lines, 1):
        if not piece:
            raise BankFileError(_("Line %(line)s is empty.") % {"line": number}, line=number)
    return lines


def _decode(fmt: TextFormat, raw: bytes, line: int) -> str:
    try:
        return raw.decode(fmt.encoding)
    except UnicodeDecodeError as error:
        raise BankFileError(
            _(
                "Line %(line)s is not valid %(encoding)s (byte %(byte)s): the file was probably saved in another encoding."
            )
            % {"line": line, "encoding": fmt.encoding_label, "byte": error.start + 1},
            line=line,
        ) from None


def _record_texts(fmt: TextFormat, record: RecordSpec, raw: bytes, line: int) -> list[str]:
    """The fields of one line as text, or _RecordShapeError when the line has another shape."""
    name = RECORD_NAMES[record.role]
    if fmt.layout == "fixed":
        _decode(fmt, raw, line)  # an encoding error is named for the whole line first
        if len(raw) != record.width:
            raise _RecordShapeError(
                _("Line %(line)s is %(found)s bytes long; a %(record)s is %(expected)s bytes.")
                % {"line": line, "found": len(raw), "record": name, "expected": record.width},
                line=line,
            )
        texts, start = [], 0
        for field in record.fields:
            piece = raw[start : start + field.width]
            start += field.width
            try:
                texts.append(piece.decode(fmt.encoding))
            except UnicodeDecodeError:
                raise BankFileError(
                    _(
                        "Line %(line)s: %(field)s cuts a character in two: the field widths do not fit this file."
                    )
                    % {"line": line, "field": field_label(field)},
                    line=line,
                ) from None
    else:
        text = _decode(fmt, raw, line)
        if fmt.trailing_delimiter:
            if not text.endswith(fmt.delimiter):
                raise _RecordShapeError(
                    _("Line %(line)s does not end with the delimiter “%(delimiter)s”.")
                    % {"line": line, "delimiter": fmt.delimiter},
                    line=line,
                )
            text = text[: -len(fmt.delimiter)]
        texts = text.split(fmt.delimiter)
        if len(texts) != len(record.fields):
            raise _RecordShapeError(
                _("Line %(line)s has %(found)s fields; a %(record)s has %(expected)s.")
                % {"line": line, "found": len(texts), "record": name, "expected": len(record.fields)},
                line=line,
            )
    for field, text in zip(record.fields, texts, strict=True):
        if field.const is not None and _unpad(field, text) != field.const:
            raise _RecordShapeError(
                _("Line %(line)s: %(field)s is “%(found)s”, but a %(record)s has “%(expected)s”.")
                % {
                    "line": line,
                    "field": field_label(field),
                    "found": text,
                    "record": name,
                    "expected": field.const,
                },
                line=line,
            )
    return texts


def _unpad(field: FieldSpec, text: str) -> str:
    text = text.strip(" ")
    if field.pad != " " and field.kind in (TEXT, "const"):
        text = text.lstrip(field.pad) if field.align == "right" else text.rstrip(field.pad)
    return text


def _value_parse(field: FieldSpec, text: str, line: int) -> Any:
    raw = text
    text = _unpad(field, text)
    if field.kind not in (INT, AMOUNT, DATE):
        return text  # text: nothing to check (and no message made, for every field of every line)
    params = {"line": line, "field": field_label(field), "value": raw.strip()}
    if field.kind == INT:
        if not _INT_TEXT.match(text):
            raise BankFileError(
                _("Line %(line)s: %(field)s must be a whole number, not “%(value)s”.") % params, line=line
            )
        return int(text)
    if field.kind == AMOUNT:
        if field.unit == "fen":
            if not _FEN_TEXT.match(text):
                raise BankFileError(
                    _("Line %(line)s: %(field)s must be an amount in fen, like 12345, not “%(value)s”.")
                    % params,
                    line=line,
                )
            return int(text)
        match = _YUAN_TEXT.match(text)
        if not match:
            raise BankFileError(
                _("Line %(line)s: %(field)s must be an amount in yuan, like 123.45, not “%(value)s”.")
                % params,
                line=line,
            )
        return int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))
    if field.kind == DATE:
        match = date_pattern(field.date_format, "").match(text)
        try:
            if not match:
                raise ValueError(text)
            return datetime.date(int(match["Y"]), int(match["m"]), int(match["d"]))
        except ValueError:
            example = datetime.date(2026, 12, 1).strftime(field.date_format)
            raise BankFileError(
                _("Line %(line)s: %(field)s must be a date like %(example)s, not “%(value)s”.")
                % {**params, "example": example},
                line=line,
            ) from None
    return text


def _record_values(fmt: TextFormat, record: RecordSpec, raw: bytes, line: int) -> dict[str, Any]:
    texts = _record_texts(fmt, record, raw, line)
    return {
        field.value: _value_parse(field, text, line)
        for field, text in zip(record.fields, texts, strict=True)
        if field.value is not None
    }


def _column_values(field: FieldSpec, texts: Sequence[str]) -> list[Any] | None:
    """``_value_parse`` of one field for many lines, or None when any value is wrong (the caller then
    reads the lines one by one, which names the line and the field)."""
    if field.kind == INT or (field.kind == AMOUNT and field.unit == "fen"):
        values = [_unpad(field, text) for text in texts]
        pattern = _INT_TEXT if field.kind == INT else _FEN_TEXT
        if not all(pattern.match(value) for value in values):
            return None
        return [int(value) for value in values]
    try:
        return [_value_parse(field, text, 0) for text in texts]
    except BankFileError:
        return None


def _details_values(
    fmt: TextFormat, record: RecordSpec, raws: Sequence[bytes]
) -> list[dict[str, Any]] | None:
    """The detail records of many lines, as ``_record_values`` reads each, read a column at a time (a
    result file has a hundred thousand lines): one decoding, one split per line, one parse per column.
    Delimited layouts only; None when anything is wrong (or the layout is fixed width): then the lines
    are read one by one, and ``_record_values`` names the line and the field it refuses."""
    if fmt.layout == "fixed" or not raws:
        return None
    try:
        rows = b"\n".join(raws).decode(fmt.encoding).split("\n")
    except UnicodeDecodeError:
        return None
    if len(rows) != len(raws):
        return None
    delimiter = fmt.delimiter
    if fmt.trailing_delimiter:
        if not all(row.endswith(delimiter) for row in rows):
            return None
        rows = [row[: -len(delimiter)] for row in rows]
    split = [row.split(delimiter) for row in rows]
    width = len(record.fields)
    if any(len(texts) != width for texts in split):
        return None
    names, columns = [], []
    for field, texts in zip(record.fields, zip(*split, strict=True), strict=True):
        if field.const is not None:
            if any(_unpad(field, text) != field.const for text in texts):
                return None
            continue
        if field.value is None:
            continue
        values = _column_values(field, texts)
        if values is None:
            return None
        names.append(field.value)
        columns.append(values)
    return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]


@dataclass
class _Read:
    """A layout read from a file: the file-level values (each with the line that said it first) and the
    details' values with their line numbers."""

    file_values: dict[str, Any]
    file_value_lines: dict[str, int]
    details: list[tuple[int, dict[str, Any]]]
    trailer_line: int | None
    header_line: int | None


def _layout_read(fmt: TextFormat, kind: str, data: bytes) -> _Read:
    layout = fmt.layout_of(kind)
    assert layout is not None
    lines = _file_lines(fmt, data)
    count = len(lines)
    # The first line says what the file is: a header, or (without one) a detail, or, in a file of one
    # line without a header, the trailer of a file with no details.
    if layout.header is not None:
        first = layout.header
    elif count == 1 and layout.trailer is not None:
        first = layout.trailer
    else:
        first = layout.detail
    try:
        first_values = _record_values(fmt, first, lines[0], 1)
    except _RecordShapeError as error:
        if first is layout.trailer and _parses(fmt, layout.detail, lines[0]):
            raise _truncated(count) from None
        raise _not_this_kind(fmt, kind, lines[0], error) from None
    header_values: dict[str, Any] = first_values if layout.header is not None else {}
    start = 1 if layout.header is not None else 0
    end = count
    trailer_values: dict[str, Any] = {}
    trailer_line = None
    if layout.trailer is not None:
        if first is layout.trailer:
            trailer_values = first_values
        elif count - start < 1:
            raise _truncated(count)
        else:
            try:
                trailer_values = _record_values(fmt, layout.trailer, lines[-1], count)
            except _RecordShapeError:
                # The last line is a detail, or a line cut short: either way the trailer is missing.
                raise _truncated(count) from None
        trailer_line, end = count, count - 1
    details = []
    rest = start + 1 if first is layout.detail and start < end else start
    if rest > start:
        details.append((1, first_values))
    fast = _details_values(fmt, layout.detail, lines[rest:end])
    if fast is not None:
        details.extend(zip(range(rest + 1, end + 1), fast, strict=True))
    else:
        for index in range(rest, end):
            line = index + 1
            details.append((line, _record_values(fmt, layout.detail, lines[index], line)))

    file_names = VALUES[kind][0]
    file_values: dict[str, Any] = {}
    file_value_lines: dict[str, int] = {}
    sources = []
    if layout.header is not None:
        sources.append((1, header_values))
    sources.extend(details)
    if trailer_line is not None:
        sources.append((trailer_line, trailer_values))
    for line, values in sources:
        for name, value in values.items():
            if name not in file_names:
                continue
            if name in file_values and file_values[name] != value:
                raise BankFileError(
                    _("Line %(line)s: %(field)s is “%(value)s”, but line %(first)s says “%(other)s”.")
                    % {
                        "line": line,
                        "field": LABELS[name],
                        "value": _shown(file_names[name], value),
                        "first": file_value_lines[name],
                        "other": _shown(file_names[name], file_values[name]),
                    },
                    line=line,
                )
            file_values.setdefault(name, value)
            file_value_lines.setdefault(name, line)
    return _Read(
        file_values=file_values,
        file_value_lines=file_value_lines,
        details=details,
        trailer_line=trailer_line,
        header_line=1 if layout.header is not None else None,
    )


def _truncated(count: int) -> BankFileError:
    return BankFileError(
        _("The file ends after line %(line)s without a trailer record: it may be cut short.")
        % {"line": count},
        line=count,
    )


def _parses(fmt: TextFormat, record: RecordSpec, raw: bytes) -> bool:
    try:
        _record_values(fmt, record, raw, 1)
    except BankFileError:
        return False
    return True


def _shown(kind: str, value: Any) -> str:
    return fen_to_yuan(value) if kind == AMOUNT else str(value)


def _not_this_kind(fmt: TextFormat, kind: str, raw: bytes, error: BankFileError) -> BankFileError:
    """The first line is not what a file of this kind starts with: say what the file is, if we can tell."""
    if not isinstance(error, _RecordShapeError):
        return error  # the right record with a bad value, or not text at all: that message is clearer
    for other in (DEBIT, RESULT, RETURNS):
        layout = fmt.layout_of(other)
        if other == kind or layout is None:
            continue
        if not _parses(fmt, layout.header or layout.detail, raw):
            continue
        return BankFileError(
            _("This is a %(found)s of the format “%(format)s”, not a %(expected)s.")
            % {"found": KIND_NAMES[other], "format": fmt.name, "expected": KIND_NAMES[kind]},
            line=1,
        )
    return BankFileError(
        _("This is not a %(expected)s of the format “%(format)s”: %(reason)s")
        % {"expected": KIND_NAMES[kind], "format": fmt.name, "reason": error.message},
        line=1,
    )


def _totals_check(read: _Read, count: int, sum_fen: int) -> None:
    """The declared count and sum (header or trailer) against the lines."""
    declared_count = read.file_values.get("count")
    if declared_count is not None and declared_count != count:
        line = read.file_value_lines["count"]
        raise BankFileError(
            _(
                "Line %(line)s says the file has %(declared)s lines, but it has %(found)s: it may be cut short or padded."
            )
            % {"line": line, "declared": declared_count, "found": count},
            line=line,
        )
    declared_sum = read.file_values.get("sum_fen")
    if declared_sum is not None and declared_sum != sum_fen:
        line = read.file_value_lines["sum_fen"]
        raise BankFileError(
            _("Line %(line)s says the lines add up to %(declared)s yuan, but they add up to %(found)s yuan.")
            % {"line": line, "declared": fen_to_yuan(declared_sum), "found": fen_to_yuan(sum_fen)},
            line=line,
        )


def _duplicates_check(details: list[tuple[int, dict[str, Any]]]) -> None:
    seen: dict[tuple[str, Any], int] = {}
    for line, values in details:
        for name in ("line_no", "reference"):
            value = values.get(name)
            if value in (None, "", 0):
                continue
            if (name, value) in seen:
                message = (
                    _("Line %(line)s repeats line number %(value)s (first on line %(first)s).")
                    if name == "line_no"
                    else _("Line %(line)s repeats the reference %(value)s (first on line %(first)s).")
                )
                raise BankFileError(
                    message % {"line": line, "value": value, "first": seen[(name, value)]}, line=line
                )
            seen[(name, value)] = line


def _name_values(pattern: str, file_name: str) -> dict[str, str] | None:
    """What a file name says by its pattern ({batch_no}, {part}...), or None if it does not follow it."""
    regex = []
    for literal, name, _spec, _conv in string.Formatter().parse(pattern):
        regex.append(re.escape(literal))
        if name is not None:
            regex.append(
                f"(?P<{name}>[0-9]+)" if name in ("part", "parts") else f"(?P<{name}>[A-Za-z0-9_-]+?)"
            )
    match = re.fullmatch("".join(regex), file_name)
    return match.groupdict() if match else None


def _batch_no(fmt: TextFormat, read: _Read, file_name: str | None) -> str:
    """The batch number from the file, checked against the file name (the part pattern is tried first:
    "D1_02_RET.txt" is part 2 of D1, though "{batch_no}_RET.txt" would also read it as batch "D1_02")."""
    batch_no = read.file_values.get("batch_no")
    candidates = []
    if file_name:
        for pattern in (fmt.result.part_file_name, fmt.result.file_name):
            found = _name_values(pattern, file_name) if pattern else None
            if found and found.get("batch_no"):
                candidates.append(found["batch_no"])
    if batch_no and candidates and batch_no not in candidates:
        raise BankFileError(
            _("The file name %(name)s is for batch %(name_batch)s, but the file says batch %(batch)s.")
            % {"name": file_name, "name_batch": candidates[0], "batch": batch_no}
        )
    if not (batch_no or candidates):
        raise BankFileError(
            _("The file does not say its batch number; read it with its file name as the bank named it.")
        )
    return batch_no or candidates[0]


def text_result_file_read(fmt: TextFormat, data: bytes, *, file_name: str | None = None) -> ResultFile:
    """Read and check a result file (回盘); see the module docstring for what is refused."""
    read = _layout_read(fmt, RESULT, data)
    _duplicates_check(read.details)
    batch_no = _batch_no(fmt, read, file_name)
    file_code = str(read.file_values.get("file_code", "")).strip()
    file_message = str(read.file_values.get("file_message", "")).strip()
    file_rejected = bool(file_code) and fmt.codes.bucket(file_code) == Bucket.FILE_REJECTED
    buckets = [(line, values, fmt.codes.bucket(values.get("code", ""))) for line, values in read.details]
    rejecting = [(line, values) for line, values, bucket in buckets if bucket == Bucket.FILE_REJECTED]
    if file_rejected:
        for line, _values, bucket in buckets:
            if bucket == Bucket.SUCCESS:
                raise BankFileError(
                    _("Line %(line)s reports success, but the file was rejected with code %(code)s.")
                    % {"line": line, "code": file_code},
                    line=line,
                )
        reject_code, reject_message = file_code, file_message
    elif rejecting:
        first_line, first_values = rejecting[0]
        for line, values, bucket in buckets:
            if bucket != Bucket.FILE_REJECTED:
                raise BankFileError(
                    _(
                        "Line %(first)s has code %(code)s, which rejects the whole file, but line %(line)s has code %(other)s."
                    )
                    % {
                        "first": first_line,
                        "code": first_values["code"],
                        "line": line,
                        "other": values.get("code", ""),
                    },
                    line=line,
                )
        if file_code and fmt.codes.bucket(file_code) == Bucket.SUCCESS:
            raise BankFileError(
                _(
                    "Line %(line)s has code %(code)s, which rejects the whole file, but the file's code %(file_code)s accepts it."
                )
                % {"line": first_line, "code": first_values["code"], "file_code": file_code},
                line=first_line,
            )
        file_rejected = True
        reject_code, reject_message = first_values["code"], first_values.get("message", "")
    else:
        reject_code = reject_message = ""
    lines = []
    for _line, values, bucket in buckets:
        if file_rejected:
            outcome, retryable = Outcome.FAILED, True  # nothing was debited: the line may go again
        else:
            outcome = {Bucket.SUCCESS: Outcome.SUCCESS, Bucket.UNKNOWN: Outcome.UNKNOWN}.get(
                bucket, Outcome.FAILED
            )
            retryable = bucket == Bucket.FAILED_RETRYABLE
        lines.append(
            ResultLine(
                line_no=values.get("line_no", 0),
                reference=values.get("reference", ""),
                amount_fen=values.get("amount_fen", 0),
                outcome=outcome,
                code=values.get("code", ""),
                message=values.get("message", ""),
                retryable=retryable,
            )
        )
    count, sum_fen = len(lines), sum(line.amount_fen for line in lines)
    if not file_rejected:
        _totals_check(read, count, sum_fen)
        successes = [line for line in lines if line.outcome == Outcome.SUCCESS]
        for name, found in (
            ("success_count", len(successes)),
            ("success_sum_fen", sum(s.amount_fen for s in successes)),
        ):
            declared = read.file_values.get(name)
            if declared is not None and declared != found:
                line = read.file_value_lines[name]
                raise BankFileError(
                    _("Line %(line)s: %(field)s is %(declared)s, but the lines give %(found)s.")
                    % {
                        "line": line,
                        "field": LABELS[name],
                        "declared": _shown(VALUES[RESULT][0][name], declared),
                        "found": _shown(VALUES[RESULT][0][name], found),
                    },
                    line=line,
                )
    return ResultFile(
        batch_no=batch_no,
        file_rejected=file_rejected,
        reject_code=reject_code,
        reject_message=reject_message,
        lines=tuple(lines),
        declared_count=read.file_values.get("count", count),
        declared_sum_fen=read.file_values.get("sum_fen", sum_fen),
        partial=False,
    )


def text_debit_file_read(fmt: TextFormat, data: bytes) -> DebitFile:
    """Read one debit file (one part) back: for the bank simulator and round trips. Values the format
    does not carry come back empty (text) or as the other date; a format without line references or
    without any date cannot be read back."""
    read = _layout_read(fmt, DEBIT, data)
    _duplicates_check(read.details)
    lines = []
    for line, values in read.details:
        try:
            lines.append(
                DebitLine(
                    line_no=values.get("line_no", 0),
                    reference=values.get("reference", ""),
                    agreement_no=values.get("agreement_no", ""),
                    card_number=values.get("card_number", ""),
                    holder_name=values.get("holder_name", ""),
                    amount_fen=values.get("amount_fen", 0),
                    memo=values.get("memo", ""),
                )
            )
        except BankFileError as error:
            raise BankFileError(
                _("Line %(line)s: %(reason)s") % {"line": line, "reason": error.message}, line=line
            ) from None
    _totals_check(read, len(lines), sum(line.amount_fen for line in lines))
    values = read.file_values
    created_on = values.get("created_on") or values.get("collection_date")
    collection_date = values.get("collection_date") or created_on
    if created_on is None or collection_date is None:
        raise BankFileError(_("The debit file carries no date, so it cannot be read back."))
    return DebitFile(
        batch_no=values.get("batch_no", ""),
        created_on=created_on,
        collection_date=collection_date,
        creditor_name=values.get("creditor_name", ""),
        creditor_account=values.get("creditor_account", ""),
        creditor_id=values.get("creditor_id", ""),
        lines=tuple(lines),
    )


def text_returns_read(fmt: TextFormat, data: bytes) -> list[Return]:
    """Read and check a returns file (late reversals)."""
    _returns_layout(fmt)
    read = _layout_read(fmt, RETURNS, data)
    returns = []
    for _line, values in read.details:
        returns.append(
            Return(
                reference=values["reference"],
                amount_fen=values["amount_fen"],
                code=values["code"],
                message=values.get("message", ""),
                booked_on=values.get("booked_on") or read.file_values["created_on"],
            )
        )
    _totals_check(read, len(returns), sum(item.amount_fen for item in returns))
    return returns
