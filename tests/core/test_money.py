"""Fen to yuan text and back, to Chinese capitals, and the template filters: exact, case by case."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.utils import translation

from wuye.core.money import decimal_to_fen, fen_to_capitals, fen_to_decimal, fen_to_yuan, yuan_to_fen

MAX = 100_000_000  # ¥1,000,000, the counter's limit


@pytest.mark.parametrize(
    ("fen", "grouped", "plain"),
    [
        (0, "0.00", "0.00"),
        (1, "0.01", "0.01"),
        (10, "0.10", "0.10"),
        (99, "0.99", "0.99"),
        (100, "1.00", "1.00"),
        (12345, "123.45", "123.45"),
        (-12345, "-123.45", "-123.45"),
        (-1, "-0.01", "-0.01"),
        (100150, "1,001.50", "1001.50"),
        (123456789, "1,234,567.89", "1234567.89"),
        (-123456789, "-1,234,567.89", "-1234567.89"),
    ],
)
def test_fen_to_yuan_with_and_without_grouping(fen, grouped, plain):
    assert (fen_to_yuan(fen), fen_to_yuan(fen, grouping=False)) == (grouped, plain)


@pytest.mark.parametrize(
    ("fen", "text"),
    [(500, "+5.00"), (-1, "-0.01"), (0, "0.00"), (123456, "+1,234.56"), (-123456, "-1,234.56")],
)
def test_fen_to_yuan_signed_marks_positive_amounts(fen, text):
    assert fen_to_yuan(fen, signed=True) == text


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("0.01", 1),
        ("0.1", 10),
        ("0.10", 10),
        ("1", 100),
        ("1.00", 100),
        ("10.05", 1005),
        ("12", 1200),
        ("100.00", 10000),
        ("1001.50", 100150),
        ("12345.67", 1234567),
        ("1,280.50", 128050),
        (" 1,280.50 ", 128050),
        ("¥12", 1200),
        ("￥12.5", 1250),
        ("0.29", 29),  # 0.29 × 100 is 28.999… in binary floating point
        ("1000000", MAX),
    ],
)
def test_yuan_to_fen_is_exact(text, fen):
    assert yuan_to_fen(text, max_fen=MAX) == fen


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("12.345", "decimals"),
        ("0.001", "decimals"),
        ("1.000", "decimals"),
        ("0", "zero"),
        ("0.00", "zero"),
        ("-5", "zero"),
        ("1000000.01", "too_large"),
        ("99999999999999999999", "too_large"),
        ("", "format"),
        (None, "format"),
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
        yuan_to_fen(text, max_fen=MAX)
    assert refused.value.code == code


def test_yuan_to_fen_zero_when_allowed():
    assert yuan_to_fen("0", max_fen=MAX, allow_zero=True) == 0
    assert yuan_to_fen("0.00", max_fen=MAX, allow_zero=True) == 0


def test_yuan_to_fen_negative_refused_even_when_zero_allowed():
    with pytest.raises(ValidationError) as refused:
        yuan_to_fen("-0.01", max_fen=MAX, allow_zero=True)
    assert refused.value.code == "negative"


def test_yuan_to_fen_limit_is_the_callers():
    assert yuan_to_fen("200", max_fen=20000) == 20000
    with translation.override("en"):
        with pytest.raises(ValidationError) as refused:
            yuan_to_fen("200.01", max_fen=20000)
        assert refused.value.messages == ["The amount is too large: at most 200.00 yuan."]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "Enter an amount in yuan, like 1280 or 1280.50."),
        ("12.345", "An amount has at most two decimals (fen)."),
        ("0", "The amount must be more than zero."),
        ("2000000", "The amount is too large: at most 1,000,000.00 yuan."),
    ],
)
def test_yuan_to_fen_refusal_messages(text, message):
    with translation.override("en"):
        with pytest.raises(ValidationError) as refused:
            yuan_to_fen(text, max_fen=MAX)
        assert refused.value.messages == [message]


@pytest.mark.parametrize(
    ("value", "fen"),
    [(Decimal("12.50"), 1250), (Decimal("12.5"), 1250), (Decimal(0), 0), (Decimal("-23.75"), -2375)],
)
def test_decimal_to_fen_is_exact(value, fen):
    assert decimal_to_fen(value) == fen


@pytest.mark.parametrize("value", [Decimal("1.005"), Decimal("NaN"), Decimal("Infinity")])
def test_decimal_to_fen_refuses_fractions_of_a_fen(value):
    with pytest.raises(ValueError, match="whole number of fen"):
        decimal_to_fen(value)


@pytest.mark.parametrize(
    ("fen", "text"), [(0, "0.00"), (1, "0.01"), (1250, "12.50"), (-2375, "-23.75"), (10000, "100.00")]
)
def test_fen_to_decimal_has_two_places(fen, text):
    assert str(fen_to_decimal(fen)) == text


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
        (100010, "壹仟元壹角整"),  # 零 between 元 and 角 may be left out (PBOC); we leave it out
        (100150, "壹仟零壹元伍角整"),
        (101000, "壹仟零壹拾元整"),
        (168032, "壹仟陆佰捌拾元叁角贰分"),
        (10000000, "壹拾万元整"),
        (10001000, "壹拾万零壹拾元整"),
        (10100000, "壹拾万壹仟元整"),
        (100050000, "壹佰万零伍佰元整"),
        (100500000, "壹佰万伍仟元整"),
        (123456789, "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分"),
        (1234567890, "壹仟贰佰叁拾肆万伍仟陆佰柒拾捌元玖角整"),
        (10000000000, "壹亿元整"),
        (10000000100, "壹亿零壹元整"),
        (10001000000, "壹亿零壹万元整"),
        (11000000000, "壹亿壹仟万元整"),
    ],
)
def test_fen_to_capitals(fen, words):
    assert fen_to_capitals(fen) == words


def test_fen_to_capitals_refuses_negative():
    with pytest.raises(ValueError, match="negative"):
        fen_to_capitals(-1)


def _render(source: str, **context) -> str:
    return Template("{% load money %}" + source).render(Context(context))


@pytest.mark.parametrize(
    ("fen", "text"),
    [(123456, "1,234.56"), (-250, "-2.50"), (0, "0.00"), ("12345", "123.45"), (None, "—"), ("", "—")],
)
def test_yuan_filter_groups_thousands(fen, text):
    assert _render("{{ fen|yuan }}", fen=fen) == text


def test_yuan_plain_filter_has_no_separators():
    assert _render("{{ fen|yuan_plain }}", fen=123456) == "1234.56"


def test_yuan_signed_filter_marks_positive_amounts():
    assert _render("{{ a|yuan_signed }} {{ b|yuan_signed }}", a=123456, b=-5) == "+1,234.56 -0.05"


def test_yuan_capitals_filter():
    assert _render("{{ fen|yuan_capitals }}", fen=123456789) == "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分"
