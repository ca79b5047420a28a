"""Billing (收费): fee items, billing runs (preview and issue), a household's bills, and arrears.

Permissions are the console's: ``billing.view`` to read, ``billing.manage`` to preview and issue
runs, in the object's community. Anything outside those communities answers 404, as if it did not
exist. The two POSTs accept ``X-Idempotency-Key`` (see ``wuye.api.idempotency``).
"""

from __future__ import annotations

import datetime

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.errors import HttpError

from wuye.api.idempotency import IDEMPOTENCY_KEY_DOC, idempotent
from wuye.api.pagination import page_of
from wuye.api.schemas import ErrorOut
from wuye.api.schemas_billing import (
    ArrearsPageOut,
    ArrearsQuery,
    BillListQuery,
    BillPageOut,
    FeeItemListQuery,
    FeeItemOut,
    RunOut,
    RunPreviewIn,
)
from wuye.billing.domain import runs as run_domain
from wuye.billing.domain.arrears import Aging, arrears_by_household, bills_with_totals
from wuye.billing.enums import RunState
from wuye.billing.models import Bill, BillingRun, BillLine, FeeItem
from wuye.billing.tasks import run_issue_job
from wuye.core import jobs
from wuye.core.enums import Permission
from wuye.core.models import communities_for
from wuye.core.tenancy import scoped_get
from wuye.households.models import Household

router = Router(tags=["billing"])

VIEW, MANAGE = Permission.BILLING_VIEW, Permission.BILLING_MANAGE
POST_RESPONSES = {200: RunOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut}


def _run_out(run: BillingRun) -> dict:
    return RunOut.from_orm(run).model_dump(mode="json")


def _run_of(pk: int) -> BillingRun:
    return BillingRun.objects.select_related("created_by").get(pk=pk)


# --- fee items -----------------------------------------------------------------------------------------


@router.get("/fee-items", response=list[FeeItemOut], operation_id="fee_item_list")
def fee_item_list(request, filters: Query[FeeItemListQuery]):
    """Fee items (收费项目) with every input of their charges, by community then pk."""
    items = FeeItem.objects.for_user(request.user, VIEW)
    if filters.community is not None:
        items = items.filter(community_id=filters.community)
    return list(items.order_by("community_id", "pk"))


@router.get(
    "/fee-items/{feeitem_pk}", response={200: FeeItemOut, 404: ErrorOut}, operation_id="fee_item_detail"
)
def fee_item_detail(request, feeitem_pk: int):
    return scoped_get(FeeItem.objects, request, VIEW, pk=feeitem_pk)


# --- billing runs --------------------------------------------------------------------------------------


@router.post(
    "/billing/runs/preview",
    response=POST_RESPONSES,
    operation_id="billing_run_preview",
    openapi_extra={"parameters": [IDEMPOTENCY_KEY_DOC]},
)
def billing_run_preview(request, payload: RunPreviewIn):
    """Compute a run for a month without issuing it: totals by fee item and building, and the rooms
    that cannot be billed. Issue it with ``POST /billing/runs/{pk}/issue``."""

    def preview():
        community = communities_for(request.user, MANAGE).filter(pk=payload.community).first()
        if community is None:
            return 404, {"detail": _("Not found.")}
        year, month = (int(part) for part in payload.month.split("-"))
        run = run_domain.run_preview(
            community=community, period=datetime.date(year, month, 1), actor=request.user
        )
        return 200, _run_out(_run_of(run.pk))

    return idempotent(request, preview)


@router.post(
    "/billing/runs/{billingrun_pk}/issue",
    response={**POST_RESPONSES, 202: RunOut},
    operation_id="billing_run_issue",
    openapi_extra={"parameters": [IDEMPOTENCY_KEY_DOC]},
)
def billing_run_issue(request, billingrun_pk: int):
    """Issue the bills of a previewed run (or resume an interrupted one) as a background job.

    Answers 200 with the run once it is issued, or 202 while the job is still running (poll
    ``GET /billing/runs/{pk}``). Issuing a run that is already issued changes nothing and answers
    200, so a retry is harmless; a void run answers 400.
    """

    def issue():
        run = scoped_get(BillingRun.objects, request, MANAGE, pk=billingrun_pk)
        if run.state == RunState.VOID:
            raise HttpError(400, _("This run was voided; preview the month again to bill it."))
        if run.state != RunState.ISSUED:
            jobs.start(
                run_issue_job,
                actor=request.user,
                community_id=run.community_id,
                run_pk=run.pk,
                actor_pk=request.user.pk,
            )
        run = _run_of(run.pk)
        return (200 if run.state == RunState.ISSUED else 202), _run_out(run)

    return idempotent(request, issue)


@router.get(
    "/billing/runs/{billingrun_pk}", response={200: RunOut, 404: ErrorOut}, operation_id="billing_run_detail"
)
def billing_run_detail(request, billingrun_pk: int):
    """A run with its preview and, while it is issuing, its progress in rooms."""
    return scoped_get(BillingRun.objects.select_related("created_by"), request, VIEW, pk=billingrun_pk)


# --- bills ---------------------------------------------------------------------------------------------


@router.get(
    "/households/{household_pk}/bills",
    response={200: BillPageOut, 404: ErrorOut},
    operation_id="household_bill_list",
)
def household_bill_list(request, household_pk: int, filters: Query[BillListQuery]):
    """The household's bills, newest month first, each with all its lines (void ones included)."""
    household = scoped_get(Household.objects, request, VIEW, pk=household_pk)
    lines = BillLine.objects.select_related("fee_item", "room__building", "room__unit").order_by(
        "fee_item_id", "room_id", "pk"
    )
    bills = (
        bills_with_totals(Bill.objects.filter(household=household))
        .prefetch_related(Prefetch("lines", lines))
        .order_by("-period", "-pk")
    )
    return page_of(bills, page=filters.page, limit=filters.limit)


# --- arrears -------------------------------------------------------------------------------------------


def _aging(aging: Aging) -> dict:
    return {
        "total_fen": aging.total_fen,
        "days_0_30_fen": aging.days_0_30,
        "days_31_90_fen": aging.days_31_90,
        "days_91_180_fen": aging.days_91_180,
        "days_over_180_fen": aging.days_over_180,
        "late_fee_fen": aging.late_fee_fen,
        "lines": aging.lines,
    }


@router.get("/arrears", response=ArrearsPageOut, operation_id="arrears_list")
def arrears_list(request, filters: Query[ArrearsQuery]):
    """Households owing anything overdue as of ``as_of``, the largest amounts first, with aging buckets.

    A line is overdue from the day after its bill's due date; its days past due are counted to
    ``as_of``. Amounts are what is still owed now.
    """
    as_of = filters.as_of or timezone.localdate()
    communities = communities_for(request.user, VIEW).order_by("pk")
    if filters.community is not None:
        communities = communities.filter(pk=filters.community)
    rows = [
        row
        for community in communities
        for row in arrears_by_household(community=community, as_of=as_of, building_id=filters.building)
    ]
    rows.sort(key=lambda row: (-row.aging.total_fen, row.household.pk))
    totals = Aging()
    for row in rows:
        totals.add(row.aging)
    start = (filters.page - 1) * filters.limit
    return {
        "as_of": as_of,
        "count": len(rows),
        "page": filters.page,
        "limit": filters.limit,
        "totals": {**_aging(totals), "households": len(rows)},
        "items": [
            {
                **_aging(row.aging),
                "household": {"pk": row.household.pk, "name": row.household.name},
                "community": row.household.community_id,
                "rooms": row.rooms,
                "oldest_due_on": row.oldest_due_on,
                "days_past_due": (as_of - row.oldest_due_on).days,
            }
            for row in rows[start : start + filters.limit]
        ],
    }
