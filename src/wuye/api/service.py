"""Service work (报修与投诉): the requests list, one request with its history and comments, the staff
actions along the request's state machine, and comments.

Permissions are the console's, checked the same way:

- reading needs ``service.view`` in the request's community (otherwise 404);
- an action or a comment needs ``service.handle`` there (otherwise 404), and then
  ``service.rules.staff_may``: ``service.manage`` may take every staff action on any request, a
  handler only the work actions (start, pause, resume, finish) on requests assigned to them, and
  only the assignee or a manager may comment. A visible request the user may not act on answers 403.

The transitions are the domain's (``request_transition``); an action not allowed from the request's
state answers 400 and changes nothing.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.errors import HttpError

from wuye.api.pagination import page_of
from wuye.api.schemas import ErrorOut
from wuye.api.schemas_work import (
    CommentIn,
    RequestActionIn,
    RequestCommentOut,
    RequestDetailOut,
    RequestListQuery,
    RequestPageOut,
)
from wuye.core.enums import Permission
from wuye.core.models import user_can
from wuye.core.tenancy import scoped_get
from wuye.service.domain import requests as domain
from wuye.service.domain.queries import (
    RequestFilter,
    assignable_staff,
    is_overdue,
    requests_for_list,
)
from wuye.service.models import ServiceRequest
from wuye.service.rules import NEEDS_ASSIGNEE, allowed_actions, staff_may

router = Router(tags=["service"])

VIEW = Permission.SERVICE_VIEW
HANDLE = Permission.SERVICE_HANDLE
MANAGE = Permission.SERVICE_MANAGE
WRITE_RESPONSES = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut}


def _request(request, servicerequest_pk: int, permission: str) -> ServiceRequest:
    return scoped_get(
        requests_for_list(ServiceRequest.objects.all()), request, permission, pk=servicerequest_pk
    )


def _rights(request, item: ServiceRequest) -> dict[str, bool]:
    """As the console's: the keyword arguments of ``staff_may``."""
    return {
        "manage": user_can(request.user, item.community_id, MANAGE),
        "handle": user_can(request.user, item.community_id, HANDLE),
        "is_assignee": item.assignee_id == request.user.pk,
    }


def _detail(request, item: ServiceRequest) -> ServiceRequest:
    rights = _rights(request, item)
    item.actions = [action for action in allowed_actions(item.state) if staff_may(action, **rights)]
    item.is_overdue = is_overdue(item, timezone.now())
    return item


@router.get("/requests", response=RequestPageOut, operation_id="service_request_list")
def service_request_list(request, filters: Query[RequestListQuery]):
    """Requests, newest first, filtered as in the console's inbox (``state=open`` for every open one,
    ``assignee=0`` for those nobody has yet)."""
    requests = ServiceRequest.objects.for_user(request.user, VIEW)
    if filters.community is not None:
        requests = requests.filter(community_id=filters.community)
    # The schema validated the query string; the inbox's own filter reads it, so that the API and the
    # console never disagree about what a filter means.
    requests = RequestFilter.from_query(request.GET).apply(requests, timezone.now())
    requests = requests_for_list(requests.order_by("-submitted_at", "-pk"))
    return page_of(requests, page=filters.page, limit=filters.limit)


@router.get(
    "/requests/{servicerequest_pk}",
    response={200: RequestDetailOut, 404: ErrorOut},
    operation_id="service_request_detail",
)
def service_request_detail(request, servicerequest_pk: int):
    """One request with its history (every state change), its comments and internal notes, and the
    actions you may take now."""
    return _detail(request, _request(request, servicerequest_pk, VIEW))


@router.post(
    "/requests/{servicerequest_pk}/actions",
    response={200: RequestDetailOut, **WRITE_RESPONSES},
    operation_id="service_request_act",
)
def service_request_act(request, servicerequest_pk: int, payload: RequestActionIn):
    """Take one action (accept, reject, assign, transfer, start, pause, resume, finish, close, reopen,
    cancel). Assign and transfer name the staff member (``assignee``), reject needs a ``note``."""
    item = _request(request, servicerequest_pk, HANDLE)
    if not staff_may(payload.action, **_rights(request, item)):
        raise HttpError(403, _("You may not take this action on this request."))
    assignee = None
    if payload.action in NEEDS_ASSIGNEE and payload.assignee is not None:
        assignee = assignable_staff(community=item.community).filter(pk=payload.assignee).first()
    domain.request_transition(
        request=item, action=payload.action, actor=request.user, note=payload.note, assignee=assignee
    )
    return _detail(request, _request(request, servicerequest_pk, VIEW))


@router.post(
    "/requests/{servicerequest_pk}/comments",
    response={200: RequestCommentOut, **WRITE_RESPONSES},
    operation_id="service_request_comment",
)
def service_request_comment(request, servicerequest_pk: int, payload: CommentIn):
    """An internal note, or (``internal: false``) a message the owner sees and is notified of. Only the
    assignee or someone who manages requests may write."""
    item = _request(request, servicerequest_pk, HANDLE)
    rights = _rights(request, item)
    if not (rights["manage"] or (rights["handle"] and rights["is_assignee"])):
        raise HttpError(403, _("Only the assignee or a service manager may comment on this request."))
    return domain.request_comment(
        request=item, body=payload.body, internal=payload.internal, actor=request.user
    )
