"""Banks' own text files (送盘, 回盘, 退票), described as data: one JSON file per format.

A :class:`TextFormat` is loaded from a JSON description (``src/wuye/debit/formats/<code>.json``; see
``docs/bank-formats.md`` for every key) and drives one generic writer and reader, so a new bank's
format is a new JSON file, not new code. A format has up to three layouts, each a header, detail and
trailer record (header and trailer may be absent): the debit file we send, the result file the bank
returns, and optionally a returns file of late reversals. A record is delimited (one character between
fields) or fixed width (every field a fixed number of bytes); each field is a named value, a constant,
or a column we skip.

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
- A result file is checked whole before anything is believed: every record's shape, numbers, dates and
  amounts; duplicate line numbers or references; the header's and trailer's counts and sums against the
  lines (a missing trailer or a short count is a truncated file). When the bank rejected the whole file
  its totals describe what it refused and are not checked against the lines.
"""

from __future__ import annotations

import datetime
import json
import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.core.money import fen_to_yuan
from wuye.debit.interfaces.codes import Bucket, CodeTable, FormatSpecError
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

TEXT, INT, AMOUNT, DATE = "text", "int", "amount", "date"
DEBIT, RESULT, RETURNS = "debit", "result", "returns"
HEADER, DETAIL, TRAILER = "header", "detail", "trailer"

# The values each layout can write or read: (file-level, line-level) names and their kinds. File-level
# values may appear in any record (a detail that repeats the batch number); line-level only in details.
VALUES: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    DEBIT: (
        {
            "batch_no": TEXT,
            "created_on": DATE,
            "collection_date": DATE,
            "creditor_name": TEXT,
            "creditor_account": TEXT,
            "creditor_id": TEXT,
            "count": INT,  # lines in this file (this part)
            "sum_fen": AMOUNT,  # their sum
            "part": INT,  # 1-based part number
            "parts": INT,  # how many parts the batch was split into
        },
        {
            "line_no": INT,
            "reference": TEXT,
            "agreement_no": TEXT,
            "card_number": TEXT,
            "holder_name": TEXT,
            "amount_fen": AMOUNT,
            "memo": TEXT,
        },
    ),
    RESULT: (
        {
            "batch_no": TEXT,
            "count": INT,
            "sum_fen": AMOUNT,
            "success_count": INT,
            "success_sum_fen": AMOUNT,
            "file_code": TEXT,  # the bank's code for the whole file (1xxx: rejected)
            "file_message": TEXT,
        },
        {"line_no": INT, "reference": TEXT, "amount_fen": AMOUNT, "code": TEXT, "message": TEXT},
    ),
    RETURNS: (
        {"file_id": TEXT, "created_on": DATE, "count": INT, "sum_fen": AMOUNT},
        {"reference": TEXT, "amount_fen": AMOUNT, "code": TEXT, "message": TEXT, "booked_on": DATE},
    ),
}
# What a file name pattern may use, per layout.
NAME_VALUES = {
    DEBIT: ("batch_no", "part", "parts"),
    RESULT: ("batch_no", "part", "parts"),
    RETURNS: ("file_id",),
}

LABELS = {
    "batch_no": gettext_lazy("batch number"),
    "created_on": gettext_lazy("creation date"),
    "collection_date": gettext_lazy("collection date"),
    "creditor_name": gettext_lazy("creditor name"),
    "creditor_account": gettext_lazy("creditor account"),
    "creditor_id": gettext_lazy("creditor id"),
    "count": gettext_lazy("line count"),
    "sum_fen": gettext_lazy("total amount"),
    "part": gettext_lazy("part number"),
    "parts": gettext_lazy("number of parts"),
    "line_no": gettext_lazy("line number"),
    "reference": gettext_lazy("reference"),
    "agreement_no": gettext_lazy("agreement number"),
    "card_number": gettext_lazy("card number"),
    "holder_name": gettext_lazy("account holder's name"),
    "amount_fen": gettext_lazy("amount"),
    "memo": gettext_lazy("memo"),
    "success_count": gettext_lazy("success count"),
    "success_sum_fen": gettext_lazy("success amount"),
    "file_code": gettext_lazy("file result code"),
    "file_message": gettext_lazy("file result message"),
    "code": gettext_lazy("result code"),
    "message": gettext_lazy("result message"),
    "file_id": gettext_lazy("file id"),
    "booked_on": gettext_lazy("booking date"),
}
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

ENCODINGS = {"gbk": "GBK", "gb18030": "GB18030", "utf-8": "UTF-8"}
LINE_ENDINGS = {"crlf": b"\r\n", "lf": b"\n"}
BOMS = {"utf-8": b"\xef\xbb\xbf", "gb18030": b"\x84\x31\x95\x33"}
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

_CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_INT_TEXT = re.compile(r"^[0-9]+$")
_FEN_TEXT = re.compile(r"^[0-9]+$")
_YUAN_TEXT = re.compile(r"^([0-9]+)(?:\.([0-9]{1,2}))?$")
_DATE_DIRECTIVES = {"%Y": r"(?P<Y>[0-9]{4})", "%m": r"(?P<m>[0-9]{2})", "%d": r"(?P<d>[0-9]{2})"}
_SAFE_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


# The description -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    """One field of a record: a named value (``value``), a constant (``const``) or a skipped column."""

    label: str  # shown in messages: the bank's column name, or ours
    value: str | None
    const: str | None
    kind: str  # text, int, amount, date; "const" and "skip" for the others
    width: int | None  # bytes; required in fixed-width records, a maximum in delimited ones
    align: str  # "left" or "right"
    pad: str  # one ASCII character
    pad_to_width: bool  # fixed width always; delimited only when "pad" is given
    unit: str  # amounts: "fen" or "yuan"
    date_format: str  # dates: strftime with %Y %m %d only


@dataclass(frozen=True)
class RecordSpec:
    role: str  # header, detail or trailer
    fields: tuple[FieldSpec, ...]

    @property
    def width(self) -> int:
        return sum(field.width or 0 for field in self.fields)

    @property
    def names(self) -> set[str]:
        return {field.value for field in self.fields if field.value}


@dataclass(frozen=True)
class LayoutSpec:
    kind: str  # debit, result or returns
    header: RecordSpec | None
    detail: RecordSpec
    trailer: RecordSpec | None
    file_name: str
    part_file_name: str | None

    @property
    def records(self) -> tuple[RecordSpec, ...]:
        return tuple(r for r in (self.header, self.detail, self.trailer) if r is not None)

    @property
    def names(self) -> set[str]:
        return set().union(*(record.names for record in self.records))


@dataclass(frozen=True)
class TextFormat:
    """A bank's text format, from its JSON description (:func:`text_format_parse`)."""

    code: str
    name: str
    encoding: str  # gbk, gb18030 or utf-8
    line_ending: str  # crlf or lf (what we write; reading accepts either)
    final_line_ending: bool  # the last record ends with a line ending too
    layout: str  # delimited or fixed
    delimiter: str
    trailing_delimiter: bool
    max_lines: int | None
    debit: LayoutSpec
    result: LayoutSpec
    returns: LayoutSpec | None
    codes: CodeTable

    @property
    def encoding_label(self) -> str:
        return ENCODINGS[self.encoding]

    def layout_of(self, kind: str) -> LayoutSpec | None:
        return {DEBIT: self.debit, RESULT: self.result, RETURNS: self.returns}[kind]


def text_format_load(path: str | Path) -> TextFormat:
    """Read and check a format description from a JSON file (UTF-8)."""
    path = Path(path)
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise FormatSpecError(f"{path.name}: {error}") from error
    return text_format_parse(spec, origin=path.name)


def text_format_parse(spec: Any, *, origin: str = "format") -> TextFormat:
    """Check a format description (the parsed JSON) and build the :class:`TextFormat`; any mistake raises
    :class:`FormatSpecError` naming the key."""
    if not isinstance(spec, dict):
        raise FormatSpecError(f"{origin}: the description must be a JSON object")
    _keys(
        spec,
        origin,
        required={"code", "name", "encoding", "layout", "debit", "result", "codes"},
        optional={
            "line_ending",
            "final_line_ending",
            "delimiter",
            "trailing_delimiter",
            "max_lines",
            "amount_unit",
            "date_format",
            "returns",
            "comment",
        },
    )
    code = spec["code"]
    if not isinstance(code, str) or not _CODE.match(code):
        raise FormatSpecError(f"{origin}: 'code' must be lower-case letters, digits and _, like 'generic_cn'")
    encoding = str(spec["encoding"]).lower().replace("utf8", "utf-8")
    if encoding not in ENCODINGS:
        raise FormatSpecError(f"{origin}: 'encoding' must be one of GBK, GB18030, UTF-8")
    line_ending = str(spec.get("line_ending", "crlf")).lower()
    if line_ending not in LINE_ENDINGS:
        raise FormatSpecError(f"{origin}: 'line_ending' must be 'crlf' or 'lf'")
    layout = spec["layout"]
    if layout not in ("delimited", "fixed"):
        raise FormatSpecError(f"{origin}: 'layout' must be 'delimited' or 'fixed'")
    delimiter = spec.get("delimiter", "")
    if layout == "delimited":
        if not (
            isinstance(delimiter, str)
            and len(delimiter) == 1
            and delimiter.isascii()
            and not delimiter.isalnum()
            and delimiter not in "\r\n "
        ):
            raise FormatSpecError(f"{origin}: 'delimiter' must be one ASCII sign, like '|' or ','")
    elif delimiter or spec.get("trailing_delimiter"):
        raise FormatSpecError(f"{origin}: a fixed-width format has no delimiter")
    max_lines = spec.get("max_lines")
    if max_lines is not None and (
        not isinstance(max_lines, int) or isinstance(max_lines, bool) or max_lines < 1
    ):
        raise FormatSpecError(f"{origin}: 'max_lines' must be a positive whole number or null")
    unit = spec.get("amount_unit", "fen")
    date_format = spec.get("date_format", "%Y%m%d")
    defaults = {"unit": unit, "date_format": date_format, "fixed": layout == "fixed"}
    _check_unit(unit, f"{origin}: 'amount_unit'")
    _date_regex(date_format, f"{origin}: 'date_format'")
    debit = _layout_parse(spec["debit"], DEBIT, f"{origin}: debit", defaults)
    result = _layout_parse(spec["result"], RESULT, f"{origin}: result", defaults)
    returns = None
    if spec.get("returns") is not None:
        returns = _layout_parse(spec["returns"], RETURNS, f"{origin}: returns", defaults)
    if max_lines is not None and (not debit.part_file_name or not result.part_file_name):
        raise FormatSpecError(
            f"{origin}: a format with 'max_lines' needs 'part_file_name' for debit and result"
        )
    _require(debit, {"amount_fen"}, origin)
    _require_one(debit, ("line_no", "reference"), origin)
    _require(result, {"code"}, origin)
    _require_one(result, ("line_no", "reference"), origin)
    if "batch_no" not in result.names and "{batch_no" not in result.file_name:
        raise FormatSpecError(f"{origin}: result: the batch number must be in a record or in 'file_name'")
    if returns is not None:
        _require(returns, {"reference", "amount_fen", "code"}, origin)
        _require_one(returns, ("booked_on", "created_on"), origin)
    return TextFormat(
        code=code,
        name=str(spec["name"]),
        encoding=encoding,
        line_ending=line_ending,
        final_line_ending=bool(spec.get("final_line_ending", True)),
        layout=layout,
        delimiter=delimiter if layout == "delimited" else "",
        trailing_delimiter=bool(spec.get("trailing_delimiter", False)),
        max_lines=max_lines,
        debit=debit,
        result=result,
        returns=returns,
        codes=CodeTable.from_spec(spec["codes"], where=origin),
    )


def _keys(spec: dict, where: str, *, required: set[str], optional: set[str]) -> None:
    missing = required - set(spec)
    if missing:
        raise FormatSpecError(f"{where}: missing {sorted(missing)}")
    unknown = set(spec) - required - optional
    if unknown:
        raise FormatSpecError(f"{where}: unknown keys {sorted(unknown)}")


def _require(layout: LayoutSpec, names: set[str], origin: str) -> None:
    missing = names - layout.names
    if missing:
        raise FormatSpecError(f"{origin}: {layout.kind}: the records must carry {sorted(missing)}")


def _require_one(layout: LayoutSpec, names: tuple[str, ...], origin: str) -> None:
    if not layout.names & set(names):
        raise FormatSpecError(f"{origin}: {layout.kind}: the records must carry one of {list(names)}")


def _check_unit(unit: Any, where: str) -> None:
    if unit not in ("fen", "yuan"):
        raise FormatSpecError(f"{where}: must be 'fen' or 'yuan'")


def _date_regex(date_format: Any, where: str) -> re.Pattern[str]:
    """ "%Y%m%d" → a pattern that reads exactly that; only %Y, %m and %d (and literal signs) are allowed."""
    if not isinstance(date_format, str) or not date_format:
        raise FormatSpecError(f"{where}: must be a strftime pattern like '%Y%m%d'")
    parts, index = [], 0
    while index < len(date_format):
        piece = date_format[index : index + 2]
        if piece in _DATE_DIRECTIVES:
            parts.append(_DATE_DIRECTIVES[piece])
            index += 2
        elif date_format[index] == "%":
            raise FormatSpecError(f"{where}: only %Y, %m and %d are allowed, not {piece!r}")
        else:
            parts.append(re.escape(date_format[index]))
            index += 1
    if not all(d in date_format for d in _DATE_DIRECTIVES):
        raise FormatSpecError(f"{where}: a date needs %Y, %m and %d")
    return re.compile("".join(parts) + r"\Z")


def _layout_parse(spec: Any, kind: str, where: str, defaults: dict) -> LayoutSpec:
    if not isinstance(spec, dict):
        raise FormatSpecError(f"{where}: must be an object")
    _keys(spec, where, required={"detail", "file_name"}, optional={"header", "trailer", "part_file_name"})
    file_names, line_names = VALUES[kind]
    records = {}
    for role in (HEADER, DETAIL, TRAILER):
        if spec.get(role) is None:
            records[role] = None
            continue
        allowed = {**file_names, **line_names} if role == DETAIL else file_names
        records[role] = _record_parse(spec[role], role, allowed, f"{where}.{role}", defaults)
    file_name = _name_pattern(spec["file_name"], kind, f"{where}.file_name")
    part_file_name = None
    if spec.get("part_file_name") is not None:
        part_file_name = _name_pattern(spec["part_file_name"], kind, f"{where}.part_file_name")
        if "{part" not in part_file_name:
            raise FormatSpecError(f"{where}.part_file_name: must contain {{part}}")
    return LayoutSpec(
        kind=kind,
        header=records[HEADER],
        detail=records[DETAIL],
        trailer=records[TRAILER],
        file_name=file_name,
        part_file_name=part_file_name,
    )


def _name_pattern(pattern: Any, kind: str, where: str) -> str:
    """A file name pattern uses only the layout's names (``{batch_no}``, ``{part:02d}``...)."""
    if not isinstance(pattern, str) or not pattern:
        raise FormatSpecError(f"{where}: must be a pattern like '{{batch_no}}.txt'")
    allowed = NAME_VALUES[kind]
    try:
        fields = [name for _text, name, _spec, _conv in string.Formatter().parse(pattern) if name is not None]
    except ValueError as error:
        raise FormatSpecError(f"{where}: {error}") from error
    for name in fields:
        if name not in allowed:
            raise FormatSpecError(f"{where}: {{{name}}} is not one of {list(allowed)}")
    if allowed[0] not in fields:
        raise FormatSpecError(f"{where}: must contain {{{allowed[0]}}}")
    return pattern


def _record_parse(spec: Any, role: str, allowed: dict[str, str], where: str, defaults: dict) -> RecordSpec:
    if not isinstance(spec, list) or not spec:
        raise FormatSpecError(f"{where}: must be a non-empty list of fields")
    fields, seen = [], set()
    for index, field_spec in enumerate(spec, 1):
        field = _field_parse(field_spec, allowed, f"{where}[{index}]", defaults)
        if field.value:
            if field.value in seen:
                raise FormatSpecError(f"{where}[{index}]: {field.value!r} appears twice in the record")
            seen.add(field.value)
        fields.append(field)
    return RecordSpec(role=role, fields=tuple(fields))


def _field_parse(spec: Any, allowed: dict[str, str], where: str, defaults: dict) -> FieldSpec:
    if not isinstance(spec, dict):
        raise FormatSpecError(f"{where}: a field must be an object")
    _keys(
        spec,
        where,
        required=set(),
        optional={"value", "const", "skip", "label", "width", "align", "pad", "unit", "date_format"},
    )
    sources = [key for key in ("value", "const", "skip") if spec.get(key) not in (None, False)]
    if len(sources) != 1:
        raise FormatSpecError(f"{where}: give exactly one of 'value', 'const' or 'skip'")
    value = const = None
    if "value" in sources:
        value = spec["value"]
        if value not in allowed:
            raise FormatSpecError(f"{where}: 'value' {value!r} is not one of {sorted(allowed)}")
        kind = allowed[value]
    elif "const" in sources:
        const = spec["const"]
        if not isinstance(const, str) or not const.isascii() or control_character(const):
            raise FormatSpecError(f"{where}: 'const' must be ASCII text")
        kind = "const"
    else:
        kind = "skip"
    width = spec.get("width")
    if width is None and const is not None and defaults["fixed"]:
        width = len(const)
    if width is not None and (not isinstance(width, int) or isinstance(width, bool) or width < 1):
        raise FormatSpecError(f"{where}: 'width' must be a positive whole number of bytes")
    if defaults["fixed"] and width is None:
        raise FormatSpecError(f"{where}: a fixed-width field needs 'width'")
    if const is not None and width is not None and len(const) > width:
        raise FormatSpecError(f"{where}: the constant is longer than 'width'")
    numeric = kind in (INT, AMOUNT)
    align = spec.get("align", "right" if numeric else "left")
    if align not in ("left", "right"):
        raise FormatSpecError(f"{where}: 'align' must be 'left' or 'right'")
    pad = spec.get("pad", "0" if numeric else " ")
    if not isinstance(pad, str) or len(pad) != 1 or not pad.isascii() or pad in "\r\n":
        raise FormatSpecError(f"{where}: 'pad' must be one ASCII character")
    if numeric and pad not in "0 ":
        raise FormatSpecError(f"{where}: a number pads with '0' or ' '")
    pad_to_width = defaults["fixed"] or "pad" in spec
    if pad_to_width and width is None:
        raise FormatSpecError(f"{where}: 'pad' needs 'width'")
    unit = spec.get("unit", defaults["unit"])
    _check_unit(unit, f"{where}: 'unit'")
    date_format = spec.get("date_format", defaults["date_format"])
    _date_regex(date_format, f"{where}: 'date_format'")
    label = spec.get("label")
    if label is not None and not isinstance(label, str):
        raise FormatSpecError(f"{where}: 'label' must be text")
    return FieldSpec(
        label=label or "",
        value=value,
        const=const,
        kind=kind,
        width=width,
        align=align,
        pad=pad,
        pad_to_width=pad_to_width,
        unit=unit,
        date_format=date_format,
    )


def field_label(field: FieldSpec) -> str:
    """What a message calls a field: the format's label, else our name for its value."""
    if field.label:
        return field.label
    if field.value:
        return str(LABELS[field.value])
    return field.const or "?"


# Writing -------------------------------------------------------------------------------------------


def _value_text(fmt: TextFormat, field: FieldSpec, value: Any) -> str:
    if field.kind == AMOUNT:
        return fen_to_yuan(value, grouping=False) if field.unit == "yuan" else str(int(value))
    if field.kind == INT:
        return str(int(value))
    if field.kind == DATE:
        return value.strftime(field.date_format)
    return str(value)


def _field_bytes(fmt: TextFormat, field: FieldSpec, values: Mapping[str, Any], where: str) -> bytes:
    if field.const is not None:
        text = field.const
    elif field.value is not None:
        text = _value_text(fmt, field, values[field.value])
    else:
        text = ""
    params = {"where": where, "field": field_label(field)}
    char = control_character(text)
    if char is not None:
        raise BankFileError(
            _("%(where)s: %(field)s contains a control character (U+%(codepoint)s).")
            % {**params, "codepoint": codepoint(char)}
        )
    if fmt.delimiter and fmt.delimiter in text:
        raise BankFileError(
            _("%(where)s: %(field)s contains the delimiter “%(delimiter)s”.")
            % {**params, "delimiter": fmt.delimiter}
        )
    try:
        data = text.encode(fmt.encoding)
    except UnicodeEncodeError as error:
        char = text[error.start]
        raise BankFileError(
            _("%(where)s: %(field)s contains “%(char)s” (U+%(codepoint)s), which %(encoding)s cannot carry.")
            % {**params, "char": char, "codepoint": codepoint(char), "encoding": fmt.encoding_label}
        ) from None
    if field.width is not None and len(data) > field.width:
        raise BankFileError(
            _(
                "%(where)s: %(field)s is %(length)s bytes in %(encoding)s, longer than the %(width)s bytes of its field."
            )
            % {**params, "length": len(data), "encoding": fmt.encoding_label, "width": field.width}
        )
    if field.pad_to_width and field.width is not None:
        padding = field.pad.encode("ascii") * (field.width - len(data))
        data = data + padding if field.align == "left" else padding + data
    return data


def _record_bytes(fmt: TextFormat, record: RecordSpec, values: Mapping[str, Any], where: str) -> bytes:
    parts = [_field_bytes(fmt, field, values, where) for field in record.fields]
    delimiter = fmt.delimiter.encode("ascii")
    line = delimiter.join(parts)
    if fmt.trailing_delimiter:
        line += delimiter
    return line


def _file_bytes(fmt: TextFormat, lines: list[bytes]) -> bytes:
    ending = LINE_ENDINGS[fmt.line_ending]
    data = ending.join(lines)
    return data + ending if fmt.final_line_ending else data


def _layout_write(
    fmt: TextFormat,
    layout: LayoutSpec,
    file_values: Mapping[str, Any],
    line_values: Iterable[tuple[str, Mapping[str, Any]]],
) -> bytes:
    lines = []
    if layout.header is not None:
        lines.append(_record_bytes(fmt, layout.header, file_values, _("the file header")))
    for where, values in line_values:
        lines.append(_record_bytes(fmt, layout.detail, {**file_values, **values}, where))
    if layout.trailer is not None:
        lines.append(_record_bytes(fmt, layout.trailer, file_values, _("the file trailer")))
    return _file_bytes(fmt, lines)


def file_name_make(pattern: str, **values: Any) -> str:
    name = pattern.format(**values)
    if not _SAFE_FILE_NAME.match(name):
        raise BankFileError(_("The file name “%(name)s” is not a plain file name.") % {"name": name})
    return name


def text_debit_files_write(fmt: TextFormat, debit_file: DebitFile) -> list[tuple[str, bytes]]:
    """The debit file(s) for a batch: [(file name, bytes)], one per part."""
    if not debit_file.lines:
        raise BankFileError(_("A debit file needs at least one line."))
    lines = sorted(debit_file.lines, key=lambda line: line.line_no)
    size = fmt.max_lines or len(lines)
    chunks = [lines[start : start + size] for start in range(0, len(lines), size)]
    files = []
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
        line_values = [
            (
                _("debit line %(line)s") % {"line": line.line_no},
                {name: getattr(line, name) for name in VALUES[DEBIT][1]},
            )
            for line in chunk
        ]
        pattern = fmt.debit.file_name if len(chunks) == 1 else fmt.debit.part_file_name
        assert pattern is not None  # checked when the format was loaded
        name = file_name_make(pattern, batch_no=debit_file.batch_no, part=part, parts=len(chunks))
        files.append((name, _layout_write(fmt, fmt.debit, file_values, line_values)))
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
        match = _date_regex(field.date_format, "").match(text)
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
    except BankFileError as error:
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
            raise BankFileError(
                _("The file ends after line %(line)s without a trailer record: it may be cut short.")
                % {"line": count},
                line=count,
            )
        else:
            try:
                trailer_values = _record_values(fmt, layout.trailer, lines[-1], count)
            except _RecordShapeError:
                # The last line is a detail, or a line cut short: either way the trailer is missing.
                raise BankFileError(
                    _("The file ends after line %(line)s without a trailer record: it may be cut short.")
                    % {"line": count},
                    line=count,
                ) from None
        trailer_line, end = count, count - 1
    details = []
    for index in range(start, end):
        line = index + 1
        if first is layout.detail and index == 0:
            details.append((line, first_values))
        else:
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
        try:
            _record_texts(fmt, layout.header or layout.detail, raw, 1)
        except BankFileError:
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
