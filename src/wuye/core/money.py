"""Money as people write it, in one place: fen (integers) to yuan text and back, and to Chinese capitals.

Amounts are stored and computed as integer fen (1 yuan = 100 fen). Everything here is exact: text is
parsed with Decimal, never float, and fen stay integers. The one convention for showing an amount:
two decimals and thousands separators ("1,234.50") wherever a person reads it (pages, messages, PDFs,
notices, the audit log); without separators (``grouping=False``) only where a program reads it back (a
form's initial value, a channel's wire format). Gateways' own formats are converted at the adapter
edge, from these helpers.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

FEN_PER_YUAN = 100
_TWO_PLACES = Decimal("0.01")
_YUAN_TEXT = re.compile(r"^-?\d+(\.\d+)?$", re.ASCII)


def fen_to_yuan(fen: int, *, grouping: bool = True, signed: bool = False) -> str:
    """12345 → "123.45"; 123456789 → "1,234,567.89" ("1234567.89" without ``grouping``).

    Negative amounts keep their sign; with ``signed`` a positive one gets "+" (adjustments: "+5.00").
    """
    fen = int(fen)
    sign = "-" if fen < 0 else ("+" if signed and fen > 0 else "")
    yuan, rest = divmod(abs(fen), FEN_PER_YUAN)
    whole = f"{yuan:,}" if grouping else str(yuan)
    return f"{sign}{whole}.{rest:02d}"


def yuan_to_fen(text: str | None, *, max_fen: int, allow_zero: bool = False) -> int:
    """Yuan as typed ("1,280.50", "¥12", " 88 ") → fen. Raises ValidationError (codes: format, decimals,
    zero, negative, too_large): more than two decimals is refused, never rounded; so is zero (unless
    ``allow_zero``), anything negative and anything above ``max_fen`` (the caller's limit)."""
    cleaned = str(text or "").strip().replace(",", "").removeprefix("¥").removeprefix("￥").strip()
    if not _YUAN_TEXT.match(cleaned):
        raise ValidationError(_("Enter an amount in yuan, like 1280 or 1280.50."), code="format")
    if "." in cleaned and len(cleaned.split(".")[1]) > 2:
        raise ValidationError(_("An amount has at most two decimals (fen)."), code="decimals")
    fen = decimal_to_fen(Decimal(cleaned))  # the pattern admits only plain decimals
    if fen < 0 or (fen == 0 and not allow_zero):
        if allow_zero:
            raise ValidationError(_("The amount cannot be negative."), code="negative")
        raise ValidationError(_("The amount must be more than zero."), code="zero")
    if fen > max_fen:
        raise ValidationError(
            _("The amount is too large: at most %(max)s yuan.") % {"max": fen_to_yuan(max_fen)},
            code="too_large",
        )
    return fen


def decimal_to_fen(yuan: Decimal) -> int:
    """Decimal("12.50") → 1250, for a yuan amount a form's DecimalField has already checked.

    Raises ValueError for more than two decimals (or a NaN/infinity) rather than rounding."""
    scaled = Decimal(yuan) * FEN_PER_YUAN
    if not scaled.is_finite() or scaled != scaled.to_integral_value():
        raise ValueError(f"{yuan!r} is not a whole number of fen")
    return int(scaled)


def fen_to_decimal(fen: int) -> Decimal:
    """1250 → Decimal("12.50"): yuan with two places, for a form's initial value or a spreadsheet cell."""
    return (Decimal(int(fen)) / FEN_PER_YUAN).quantize(_TWO_PLACES)


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PLACES = ("", "拾", "佰", "仟")
_SECTIONS = ("", "万", "亿", "万亿")


def _section_words(value: int) -> str:
    """0 < value < 10000 in capitals: inner zeros become one 零, trailing zeros are not written."""
    words, pending_zero = [], False
    for place in range(3, -1, -1):
        digit = value // 10**place % 10
        if digit == 0:
            pending_zero = bool(words)
            continue
        if pending_zero:
            words.append("零")
            pending_zero = False
        words.append(_DIGITS[digit] + _PLACES[place])
    return "".join(words)


def fen_to_capitals(fen: int) -> str:
    """Fen in Chinese capital numerals as written on receipts and cheques (人民币大写).

    123.45 → 壹佰贰拾叁元肆角伍分; 10.05 → 壹拾元零伍分; 1001.50 → 壹仟零壹元伍角整; 0 → 零元整.
    Following the PBOC rules for writing amounts: 整 after 元 or 角 when there are no fen; 零 for
    zeros between digits (one for a run of them) and between 元 and 分 when 角 is zero; 壹拾 not 拾.
    """
    fen = int(fen)
    if fen < 0:
        raise ValueError("amounts in words are not negative")
    yuan, cents = divmod(fen, FEN_PER_YUAN)
    jiao, fen_digit = divmod(cents, 10)
    if yuan >= 10**16:
        raise ValueError("amount too large")
    words: list[str] = []
    sections = []
    rest = yuan
    while rest:
        rest, section = divmod(rest, 10000)
        sections.append(section)
    pending_zero = False
    for index in range(len(sections) - 1, -1, -1):
        section = sections[index]
        if section == 0:
            pending_zero = bool(words)
            continue
        if words and (pending_zero or section < 1000):
            words.append("零")
        words.append(_section_words(section) + _SECTIONS[index])
        pending_zero = False
    if yuan:
        words.append("元")
    if jiao == 0 and fen_digit == 0:
        return "".join(words) + "整" if yuan else "零元整"
    if jiao:
        words.append(_DIGITS[jiao] + "角")
    elif yuan:
        words.append("零")
    words.append(_DIGITS[fen_digit] + "分" if fen_digit else "整")
    return "".join(words)
