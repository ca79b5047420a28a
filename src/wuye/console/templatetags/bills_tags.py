"""Template filters of the bills pages: bill states as tag colours (amounts: {% load money %})."""

from django import template

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
def state_colour(state: str) -> str:
    return STATE_COLOURS.get(state, "grey")
