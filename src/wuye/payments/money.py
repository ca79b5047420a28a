"""Amounts as people write them: yuan text in, fen out; fen to figures and to Chinese capitals (大写).

Everything here is exact: text is parsed with Decimal, never float, and fen stay integers.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# The most a single counter prepayment may be (fen): ¥1,000,000. Anything above is a typing error.
MAX_COUNTER_FEN = 100_000_000

_YUAN_TEXT = re.compile(r"^-?\d+(\.\d+)?$", re.ASCII)


def yuan_to_fen(text: str, *, max_fen: int = MAX_COUNTER_FEN) -> int:
    """'123.45' → 12345. Refuses more than two decimals, zero or less, and more than ``max_fen``."""
    cleaned = str(text or "").strip().replace(",", "").removeprefix("¥").removeprefix("￥").strip()
    if not _YUAN_TEXT.match(cleaned):
        raise ValidationError(_("Enter an amount in yuan, like 1280 or 1280.50."), code="format")
    if "." in cleaned and len(cleaned.split(".")[1]) > 2:
        raise ValidationError(_("An amount has at most two decimals (fen)."), code="decimals")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:  # pragma: no cover (the pattern admits only plain decimals)
        raise ValidationError(_("Enter an amount in yuan, like 1280 or 1280.50."), code="format") from None
    fen = int(value * 100)
    if fen <= 0:
        raise ValidationError(_("The amount must be more than zero."), code="zero")
    if fen > max_fen:
        raise ValidationError(
            _("The amount is too large: at most %(max)s yuan.") % {"max": fen_to_yuan(max_fen)},
            code="too_large",
        )
    return fen


def fen_to_yuan(fen: int, *, grouping: bool = True) -> str:
    """12345 → '123.45'; 123456789 → '1,234,567.89'; negative amounts keep their sign."""
    sign = "-" if fen < 0 else ""
    yuan, rest = divmod(abs(int(fen)), 100)
    whole = f"{yuan:,}" if grouping else str(yuan)
    return f"{sign}{whole}.{rest:02d}"


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


def amount_in_words(fen: int) -> str:
    """Fen in Chinese capital numerals as written on receipts and cheques (人民币大写).

    123.45 → 壹佰贰拾叁元肆角伍分; 10.05 → 壹拾元零伍分; 1001.50 → 壹仟零壹元伍角整; 0 → 零元整.
    Following the PBOC rules for writing amounts: 整 after 元 or 角 when there are no fen; 零 for
    zeros between digits (one for a run of them) and between 元 and 分 when 角 is zero; 壹拾 not 拾.
    """
    fen = int(fen)
    if fen < 0:
        raise ValueError("amounts in words are not negative")
    yuan, cents = divmod(fen, 100)
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


def mask_name(name: str) -> str:
    """王小明 → 王**: enough for an owner to recognise the receipt, too little to identify a stranger."""
    name = (name or "").strip()
    if len(name) <= 1:
        return "*"
    return name[0] + "*" * (len(name) - 1)
