"""The service desk's calls into the notifications outbox (``wuye.notifications``).

The event ``service.request.changed`` and its message templates are registered by the notifications
app; the context sent here is plain JSON: request_pk, category, action, from_state, state (a
``RequestState`` code, shown as its label in the recipient's language), state_label, note.
"""

from __future__ import annotations

from wuye.notifications.domain.outbox import notify

REQUEST_CHANGED = "service.request.changed"


def notify_requester(*, request, context: dict, actor=None) -> None:
    """Tell the requester (when the request has one) that their request changed."""
    if request.person_id is None:
        return
    notify(
        community=request.community,
        event=REQUEST_CHANGED,
        people=[request.person],
        context=context,
        actor=actor,
    )
