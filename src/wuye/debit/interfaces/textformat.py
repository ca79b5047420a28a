"""A bank's text format as data: the JSON description, checked and turned into a :class:`TextFormat`.

One JSON file per format (``src/wuye/debit/formats/<code>.json``; every key is explained in
``docs/bank-formats.md``). A format has up to three layouts: the debit file we send, the result file
the bank returns, and optionally a returns file of late reversals. Each layout is a header, detail
and trailer record (header and trailer may be absent) and the file names. A record is a list of
fields, each a named value (:data:`VALUES` lists the names each layout knows), a constant or a
skipped column, with its width, padding, alignment, amount unit and date format. The codec that
writes and reads files from a description is :mod:`wuye.debit.interfaces.text`.

Every mistake in a description raises :class:`FormatSpecError` naming the file and the key, when the
format is loaded, never when a file is being written.
"""

from __future__ import annotations

import json
import re
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_lazy

from wuye.debit.interfaces.codes import CodeTable, FormatSpecError
from wuye.debit.interfaces.files import control_character

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
ENCODINGS = {"gbk": "GBK", "gb18030": "GB18030", "utf-8": "UTF-8"}
LINE_ENDINGS = {"crlf": b"\r\n", "lf": b"\n"}
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
DATE_DIRECTIVES = {"%Y": r"(?P<Y>[0-9]{4})", "%m": r"(?P<m>[0-9]{2})", "%d": r"(?P<d>[0-9]{2})"}


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
    date_pattern(date_format, f"{origin}: 'date_format'")
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


def date_pattern(date_format: Any, where: str) -> re.Pattern[str]:
    """ "%Y%m%d" → a pattern that reads exactly that; only %Y, %m and %d (and literal signs) are allowed."""
    if not isinstance(date_format, str) or not date_format:
        raise FormatSpecError(f"{where}: must be a strftime pattern like '%Y%m%d'")
    parts, index = [], 0
    while index < len(date_format):
        piece = date_format[index : index + 2]
        if piece in DATE_DIRECTIVES:
            parts.append(DATE_DIRECTIVES[piece])
            index += 2
        elif date_format[index] == "%":
            raise FormatSpecError(f"{where}: only %Y, %m and %d are allowed, not {piece!r}")
        else:
            parts.append(re.escape(date_format[index]))
            index += 1
    if not all(d in date_format for d in DATE_DIRECTIVES):
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
    date_pattern(date_format, f"{where}: 'date_format'")
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
