"""The one filter library for amounts in templates: {% load money %}.

{{ amount_fen|yuan }} → 1,234.50; {{ amount_fen|yuan_plain }} → 1234.50 (for a value a program reads);
{{ amount_fen|yuan_signed }} → +1,234.50; {{ amount_fen|yuan_capitals }} → 壹仟贰佰叁拾肆元伍角整.
A missing amount (None or "") shows as a dash.
"""

from django import template

from wuye.core.money import fen_to_capitals, fen_to_yuan

register = template.Library()

MISSING = "—"


def _missing(fen) -> bool:
    return fen is None or fen == ""


@register.filter
def yuan(fen) -> str:
    return MISSING if _missing(fen) else fen_to_yuan(int(fen))


@register.filter
def yuan_plain(fen) -> str:
    return MISSING if _missing(fen) else fen_to_yuan(int(fen), grouping=False)


@register.filter
def yuan_signed(fen) -> str:
    return MISSING if _missing(fen) else fen_to_yuan(int(fen), signed=True)


@register.filter
def yuan_capitals(fen) -> str:
    return MISSING if _missing(fen) else fen_to_capitals(int(fen))
