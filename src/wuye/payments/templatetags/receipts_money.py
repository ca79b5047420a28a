"""Fen as people read them: {{ amount_fen|yuan }} → 1,234.50; {{ amount_fen|yuan_words }} → 壹仟…"""

from django import template

from wuye.payments.money import amount_in_words, fen_to_yuan

register = template.Library()


@register.filter
def yuan(fen) -> str:
    return "" if fen in (None, "") else fen_to_yuan(int(fen))


@register.filter
def yuan_words(fen) -> str:
    return "" if fen in (None, "") else amount_in_words(int(fen))
