"""Yuan text to fen, fen to figures and to Chinese capitals: exact, case by case."""

import pytest
from django.core.exceptions import ValidationError

from wuye.payments.money import MAX_COUNTER_FEN, amount_in_words, fen_to_yuan, mask_name, yuan_to_fen


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("0.01", 1),
        ("0.1", 10),
        ("0.10", 10),
        ("1", 100),
        ("1.00", 100),
        ("10.05", 1005),
        ("100.00", 10000),
        ("1001.50", 100150),
        ("12345.67", 1234567),
        (" 1,280.50 ", 128050),
        ("¥88", 8800),
        ("0.29", 29),  # 0.29 × 100 is 28.999… in binary floating point
        ("1000000", MAX_COUNTER_FEN),
    ],
)
def test_yuan_to_fen_is_exact(text, fen):
    assert yuan_to_fen(text) == fen


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("0.001", "decimals"),
        ("1.005", "decimals"),
        ("1.000", "decimals"),
        ("0", "zero"),
        ("0.00", "zero"),
        ("-5", "zero"),
        ("1000000.01", "too_large"),
        ("99999999999999999999", "too_large"),
        ("", "format"),
        ("abc", "format"),
        ("1e3", "format"),
        ("NaN", "format"),
        ("Infinity", "format"),
        ("1.2.3", "format"),
        (".5", "format"),
        ("１２", "format"),  # full-width digits are not taken for ASCII ones
    ],
)
def test_yuan_to_fen_refuses(text, code):
    with pytest.raises(ValidationError) as refused:
        yuan_to_fen(text)
    assert refused.value.code == code


@pytest.mark.parametrize(
    ("fen", "words"),
    [
        (0, "零元整"),
        (1, "壹分"),
        (5, "伍分"),
        (10, "壹角整"),
        (11, "壹角壹分"),
        (100, "壹元整"),
        (105, "壹元零伍分"),
        (150, "壹元伍角整"),
        (1000, "壹拾元整"),
        (1005, "壹拾元零伍分"),
        (2000, "贰拾元整"),
        (10000, "壹佰元整"),
        (12345, "壹佰贰拾叁元肆角伍分"),
        (100150, "壹仟零壹元伍角整"),
        (101000, "壹仟零壹拾元整"),
        (168032, "壹仟陆佰捌拾元叁角贰分"),
        (10000000, "壹拾万元整"),
        (10001000, "壹拾万零壹拾元整"),
        (10100000, "壹拾万壹仟元整"),
        (100050000, "壹佰万零伍佰元整"),
        (100500000, "壹佰万伍仟元整"),
        (1234567890, "壹仟贰佰叁拾肆万伍仟陆佰柒拾捌元玖角整"),
        (10000000000, "壹亿元整"),
        (10000000100, "壹亿零壹元整"),
        (10001000000, "壹亿零壹万元整"),
        (11000000000, "壹亿壹仟万元整"),
    ],
)
def test_amount_in_words(fen, words):
    assert amount_in_words(fen) == words


def test_amount_in_words_refuses_negative():
    with pytest.raises(ValueError, match="negative"):
        amount_in_words(-1)


@pytest.mark.parametrize(
    ("fen", "text"),
    [(0, "0.00"), (1, "0.01"), (10, "0.10"), (12345, "123.45"), (123456789, "1,234,567.89"), (-250, "-2.50")],
)
def test_fen_to_yuan(fen, text):
    assert fen_to_yuan(fen) == text


@pytest.mark.parametrize(("name", "masked"), [("王小明", "王**"), ("王明", "王*"), ("王", "*"), ("", "*")])
def test_mask_name(name, masked):
    assert mask_name(name) == masked
