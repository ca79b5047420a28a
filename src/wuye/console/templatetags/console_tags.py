from django import template

register = template.Library()


@register.filter
def change_rows(changes):
    """Audit ``changes`` as rows: (field, old, new) for changes, (field, None, value) for plain facts."""
    rows = []
    for field, value in (changes or {}).items():
        if isinstance(value, list) and len(value) == 2:
            rows.append((field, value[0], value[1], True))
        else:
            rows.append((field, None, value, False))
    return rows
