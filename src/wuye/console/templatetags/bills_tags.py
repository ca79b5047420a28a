"""Template filters of the bills pages: fen shown as yuan, bill states as tag colours."""

from django import template

from wuye.billing.domain.bills import format_yuan
from wuye.billing.enums import BillState

register = template.Library()

STATE_COLOURS = {
    BillState.OPEN: "blue",
    BillState.PARTIAL: "orange",
    BillState.PAID: "green",
    BillState.WAIVED: "purple",
    BillState.VOID: "grey",
}


@register.filter
def yuan(fen) -> str:
    """12345 → "123.45" (fen are integers; None shows as a dash)."""
    return "—" if fen is None else format_yuan(int(fen))


@register.filter
def yuan_signed(fen) -> str:
    return "—" if fen is None else format_yuan(int(fen), signed=True)


@register.filter
def state_colour(state: str) -> str:
    return STATE_COLOURS.get(state, "grey")
