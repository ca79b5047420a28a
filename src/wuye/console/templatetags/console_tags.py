from django import template

from wuye.core.audit import field_display

register = template.Library()


@register.filter
def change_rows(changes):
    """Audit ``changes`` as rows (label, old, new, is_change); plain facts have no old value."""
    rows = []
    for field, value in (changes or {}).items():
        if isinstance(value, list) and len(value) == 2:
            label, old = field_display(field, value[0])
            rows.append((label, old, field_display(field, value[1])[1], True))
        else:
            label, shown = field_display(field, value)
            rows.append((label, None, shown, False))
    return rows


@register.filter
def percent_of(part, whole):
    """part / whole as a percentage with one decimal, from integers (no float on money)."""
    if not whole:
        return "—"
    tenths = (int(part) * 2000 + int(whole)) // (2 * int(whole))
    return f"{tenths // 10}.{tenths % 10}%"
