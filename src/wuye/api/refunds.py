"""Refunds (退款): the list, one refund, and a supervisor's approval or rejection.

Permission is the console's ``payments.refund`` in the refund's community (asking for a refund is
``payments.take``, on the payment: ``POST /payments/{pk}/refunds``). Approval is four eyes: someone
other than who asked, unless the community allows one person below an amount. The money moves in the
payments domain only (``refund_approve``); its refusals answer 400 with nothing changed. Approval
accepts ``X-Idempotency-Key``.
"""

from __future__ import annotations

from ninja import Query, Router

from wuye.api.errors import refusing
from wuye.api.idempotency import IDEMPOTENCY_KEY_DOC, idempotent
from wuye.api.pagination import page_of
from wuye.api.payments import refund_of, refunds
from wuye.api.schemas import ErrorOut
from wuye.api.schemas_payments import RefundListQuery, RefundOut, RefundPageOut, RefundRejectIn
from wuye.core.enums import Permission
from wuye.core.tenancy import scoped_get
from wuye.payments.domain.refunds import refund_approve, refund_reject
from wuye.payments.models import Refund

router = Router(tags=["payments"])

REFUND = Permission.PAYMENTS_REFUND


@router.get("/refunds", response=RefundPageOut, operation_id="refund_list")
def refund_list(request, filters: Query[RefundListQuery]):
    """Refunds, newest first; ``state=requested`` is what waits for approval."""
    found = refunds().for_user(request.user, REFUND)
    if filters.community is not None:
        found = found.filter(community_id=filters.community)
    if filters.state is not None:
        found = found.filter(state=filters.state)
    if filters.household is not None:
        found = found.filter(household_id=filters.household)
    return page_of(found.order_by("-created_at", "-pk"), page=filters.page, limit=filters.limit)


@router.get("/refunds/{refund_pk}", response={200: RefundOut, 404: ErrorOut}, operation_id="refund_detail")
def refund_detail(request, refund_pk: int):
    return scoped_get(refunds(), request, REFUND, pk=refund_pk)


@router.post(
    "/refunds/{refund_pk}/approve",
    response={200: RefundOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    operation_id="refund_approve",
    openapi_extra={"parameters": [IDEMPOTENCY_KEY_DOC]},
)
def refund_approve_operation(request, refund_pk: int):
    """Approve a requested refund: the money leaves the household's books at once (prepayment first,
    then the lines the payment paid, which reopen). A counter payment's refund is paid out by the
    cashier and is refunded at once; an online one is sent to its channel after commit."""

    def approve():
        refund = scoped_get(Refund.objects, request, REFUND, pk=refund_pk)
        refund_approve(refund=refund, actor=request.user)
        return 200, refund_of(refund.pk)

    return idempotent(request, refusing(approve))


@router.post(
    "/refunds/{refund_pk}/reject",
    response={200: RefundOut, 400: ErrorOut, 404: ErrorOut},
    operation_id="refund_reject",
)
def refund_reject_operation(request, refund_pk: int, payload: RefundRejectIn):
    """Reject a requested refund; nothing moves. Rejecting twice answers 400."""
    refund = scoped_get(Refund.objects, request, REFUND, pk=refund_pk)
    refund_reject(refund=refund, reason=payload.reason.strip(), actor=request.user)
    return refunds().get(pk=refund.pk)
