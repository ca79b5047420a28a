"""``{% link 'app:name' arg ... %}``: ``{% url %}`` for the pages owners open most, reversed once.

Django's ``{% url %}`` reverses on every render (about 60 µs each here; the portal's home page has two
dozen links). ``link`` keeps the last reversals per process, keyed by everything a reversal depends on
in Wuye (the name, the arguments, the script prefix and the URL configuration), so the same link is
built once (arguments that are whole numbers or strings; others are reversed each time). A name that
does not reverse raises ``NoReverseMatch`` as ``{% url %}`` does. Loaded for every template
(``builtins`` in settings).
"""

from functools import lru_cache

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse

register = template.Library()


@lru_cache(maxsize=4096)
def _reversed(name: str, args: tuple, prefix: str, urlconf) -> str:
    return reverse(name, args=args, urlconf=urlconf)


@register.simple_tag
def link(name: str, *args) -> str:
    if all(type(arg) in (int, str) for arg in args):
        return _reversed(name, args, get_script_prefix(), get_urlconf())
    return reverse(name, args=args)  # anything else (an instance, a lazy string) as {% url %} does
