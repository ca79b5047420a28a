"""The request state machine and who may drive it, as data.

``TRANSITIONS`` maps each action to the states it may start from and the state it leads to (``None``:
the state stays, as for a transfer between staff). ``domain.requests.request_transition`` is the one
function that applies it; anything not listed here is refused.
"""

from __future__ import annotations

from wuye.core.enums import Permission
from wuye.service.enums import RequestAction as A
from wuye.service.enums import RequestState as S

TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    A.ACCEPT: (frozenset({S.SUBMITTED}), S.ACCEPTED),
    A.REJECT: (frozenset({S.SUBMITTED, S.ACCEPTED}), S.REJECTED),
    A.ASSIGN: (frozenset({S.ACCEPTED}), S.ASSIGNED),
    A.TRANSFER: (frozenset({S.ASSIGNED, S.IN_PROGRESS, S.PAUSED}), None),
    A.START: (frozenset({S.ASSIGNED}), S.IN_PROGRESS),
    A.PAUSE: (frozenset({S.IN_PROGRESS}), S.PAUSED),
    A.RESUME: (frozenset({S.PAUSED}), S.IN_PROGRESS),
    A.FINISH: (frozenset({S.IN_PROGRESS}), S.DONE),
    A.RATE: (frozenset({S.DONE}), S.RATED),
    A.CLOSE: (frozenset({S.DONE, S.RATED}), S.CLOSED),
    A.REOPEN: (frozenset({S.DONE, S.RATED}), S.ASSIGNED),
    A.CANCEL: (frozenset({S.SUBMITTED, S.ACCEPTED, S.ASSIGNED}), S.CANCELLED),
}

# Actions that need a staff member to hand the request to.
NEEDS_ASSIGNEE = frozenset({A.ASSIGN, A.TRANSFER})


def target_state(action: str, state: str) -> str | None:
    """The state ``action`` leads to from ``state``, or None when the action is not allowed there."""
    sources, target = TRANSITIONS.get(action, (frozenset(), None))
    if state not in sources:
        return None
    return target or state


def is_allowed(action: str, state: str) -> bool:
    return target_state(action, state) is not None


def allowed_actions(state: str) -> list[str]:
    return [action for action in A.values if is_allowed(action, state)]


# Staff in the console: the permission each action needs, and whether SERVICE_HANDLE suffices for
# the assignee ("act on own"). Rating is the owner's (``request_rate``), never a staff button.
STAFF_ACTIONS: dict[str, str] = {
    A.ACCEPT: Permission.SERVICE_MANAGE,
    A.REJECT: Permission.SERVICE_MANAGE,
    A.ASSIGN: Permission.SERVICE_MANAGE,
    A.TRANSFER: Permission.SERVICE_MANAGE,
    A.START: Permission.SERVICE_HANDLE,
    A.PAUSE: Permission.SERVICE_HANDLE,
    A.RESUME: Permission.SERVICE_HANDLE,
    A.FINISH: Permission.SERVICE_HANDLE,
    A.CLOSE: Permission.SERVICE_MANAGE,
    A.REOPEN: Permission.SERVICE_MANAGE,
    A.CANCEL: Permission.SERVICE_MANAGE,
}


def staff_may(action: str, *, manage: bool, handle: bool, is_assignee: bool) -> bool:
    """Whether a staff member may take ``action``: SERVICE_MANAGE may do every staff action on any
    request; SERVICE_HANDLE the work actions on requests assigned to them."""
    needed = STAFF_ACTIONS.get(action)
    if needed is None:
        return False
    if manage:
        return True
    return needed == Permission.SERVICE_HANDLE and handle and is_assignee
