"""Payments (收银): the payment attempts list and one attempt, a counter payment of chosen bill lines,
and a refund asked for on a payment.

Permissions are the console's: ``billing.view`` to read payments, ``payments.take`` to take a counter
payment and to ask for a refund, in the object's community; anything outside those communities answers
404. Money is written only by the payments domain (``counter_payment_take``, ``refund_request``); its
refusals answer 400 with nothing changed. Both POSTs accept ``X-Idempotency-Key``.
"""

from __future__ import annotations

import hashlib

from django.db.models import QuerySet
from django.http import Http404
from ninja import Query, Router

from wuye.api.errors import refusing
from wuye.api.idempotency import HEADER, IDEMPOTENCY_KEY_DOC, idempotent
from wuye.api.pagination import page_of
from wuye.api.schemas import ErrorOut
from wuye.api.schemas_payments import (
    PaymentDetailOut,
    PaymentListQuery,
    PaymentPageOut,
    PaymentTakeIn,
    PaymentTakeOut,
    RefundOut,
    RefundRequestIn,
)
from wuye.billing.models import BillLine
from wuye.core.enums import Permission
from wuye.core.tenancy import scoped_get
from wuye.households.models import Household
from wuye.payments.domain.payments import counter_payment_take
from wuye.payments.domain.refunds import refund_request
from wuye.payments.interfaces.forms import new_counter_key
from wuye.payments.models import PaymentAttempt, Refund

router = Router(tags=["payments"])

VIEW, TAKE = Permission.BILLING_VIEW, Permission.PAYMENTS_TAKE


def attempts() -> QuerySet[PaymentAttempt]:
    """Attempts with what their list rows and detail show, in one query."""
    return PaymentAttempt.objects.select_related("household", "receipt", "order", "created_by")


def payment_detail_of(pk: int) -> dict:
    """The JSON of one attempt's detail (what an idempotent POST stores and replays)."""
    return PaymentDetailOut.from_orm(attempts().get(pk=pk)).model_dump(mode="json")


def refunds() -> QuerySet[Refund]:
    """Refunds with what their list rows and detail show, in one query."""
    return Refund.objects.select_related("household", "requested_by", "approved_by")


def refund_of(pk: int) -> dict:
    return RefundOut.from_orm(refunds().get(pk=pk)).model_dump(mode="json")


@router.get("/payments", response=PaymentPageOut, operation_id="payment_list")
def payment_list(request, filters: Query[PaymentListQuery]):
    """Payment attempts (counter, QR, JSAPI, bank debit), newest first."""
    found = attempts().for_user(request.user, VIEW)
    if filters.community is not None:
        found = found.filter(community_id=filters.community)
    if filters.household is not None:
        found = found.filter(household_id=filters.household)
    if filters.state is not None:
        found = found.filter(state=filters.state)
    if filters.method is not None:
        found = found.filter(method=filters.method)
    return page_of(found.order_by("-created_at", "-pk"), page=filters.page, limit=filters.limit)


@router.get(
    "/payments/{paymentattempt_pk}",
    response={200: PaymentDetailOut, 404: ErrorOut},
    operation_id="payment_detail",
)
def payment_detail(request, paymentattempt_pk: int):
    """One payment with what it paid (its receipt's items), what can still be refunded, and its refunds."""
    return scoped_get(attempts(), request, VIEW, pk=paymentattempt_pk)


def _counter_key(request, payload: PaymentTakeIn) -> str:
    """The counter form's one-time key: the body's, else one derived from the user and
    X-Idempotency-Key (so a retry with the header finds the same payment even past the stored answer),
    else a new one."""
    if payload.key:
        return payload.key
    header = (request.headers.get(HEADER) or "").strip()
    if header:
        return hashlib.sha256(f"{request.user.pk}:{header}".encode()).hexdigest()[:24]
    return new_counter_key()


@router.post(
    "/households/{household_pk}/payments",
    response={200: PaymentTakeOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    operation_id="payment_take",
    openapi_extra={"parameters": [IDEMPOTENCY_KEY_DOC]},
)
def payment_take(request, household_pk: int, payload: PaymentTakeIn):
    """Take a payment at the counter for the chosen open lines of the household: each line's outstanding
    amount plus the late fee it costs today, in one order, attempt, ledger transaction and receipt.

    Lines that are not the household's answer 404; lines paid meanwhile, being collected by bank debit,
    too little cash, or a method that is not a counter's answer 400 and record nothing.
    """

    def take():
        household = scoped_get(Household.objects, request, TAKE, pk=household_pk)
        chosen = sorted(set(payload.lines))
        owned = BillLine.objects.filter(
            community_id=household.community_id, household=household, pk__in=chosen
        ).count()
        if owned != len(chosen):
            raise Http404
        result = counter_payment_take(
            household=household,
            line_ids=chosen,
            method=payload.method,
            tendered_fen=payload.tendered_fen,
            key=_counter_key(request, payload),
            actor=request.user,
        )
        return 200, {
            "created": result.created,
            "change_fen": result.change_fen,
            "payment": payment_detail_of(result.attempt.pk),
        }

    return idempotent(request, refusing(take))


@router.post(
    "/payments/{paymentattempt_pk}/refunds",
    response={200: RefundOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    operation_id="payment_refund_request",
    openapi_extra={"parameters": [IDEMPOTENCY_KEY_DOC]},
)
def payment_refund_request(request, paymentattempt_pk: int, payload: RefundRequestIn):
    """Ask to refund part or all of a received payment; it waits for a supervisor's approval
    (``POST /refunds/{pk}/approve``), by someone other than who asked."""

    def ask():
        attempt = scoped_get(PaymentAttempt.objects, request, TAKE, pk=paymentattempt_pk)
        refund = refund_request(
            attempt=attempt, amount_fen=payload.amount_fen, reason=payload.reason, actor=request.user
        )
        return 200, refund_of(refund.pk)

    return idempotent(request, refusing(ask))
