"""The billing API: fee items, billing runs (preview, issue), a household's bills, arrears; idempotency keys."""

import datetime
import json
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.billing.factories import FeeAssignmentFactory, FeeItemFactory
from tests.conftest import on_postgres
from tests.factories import (
    BuildingFactory,
    HouseholdFactory,
    HouseholdRoomFactory,
    RoomFactory,
    UnitFactory,
    staff,
)
from wuye.api.idempotency import STALE_AFTER, _fingerprint
from wuye.api.models import IdempotentRequest
from wuye.billing.domain import runs
from wuye.billing.domain.bills import line_waive
from wuye.billing.models import Bill, BillingRun, BillLine
from wuye.core.enums import Role
from wuye.core.models import ApiToken, Job
from wuye.ledger.models import LedgerTransaction, Posting

pytestmark = pytest.mark.django_db

D = Decimal
NOV = datetime.date(2026, 11, 1)


@pytest.fixture
def api(api_as, admin_user):
    return api_as(admin_user)


@pytest.fixture
def estate(community):
    """Building 1栋, unit 1单元: rooms 101 (89.55 m²) and 102 (100 m²) with households, 103 without.

    物业费 2.3456 yuan/m² on all three, 卫生费 15 yuan a room on 101 and 102 (102 with 10 % off), a
    fixed late fee of 2 yuan on 卫生费.
    """
    unit = UnitFactory(building=BuildingFactory(community=community, name="1栋"), name="1单元")
    rooms = {
        number: RoomFactory(unit=unit, number=number, built_area=area)
        for number, area in (("101", D("89.55")), ("102", D("100.00")), ("103", D("75.00")))
    }
    households = {
        number: HouseholdRoomFactory(
            household=HouseholdFactory(community=community, name=name), room=rooms[number]
        ).household
        for number, name in (("101", "张三"), ("102", "李四"))
    }
    start = datetime.date(2020, 1, 1)
    area = FeeItemFactory(community=community, name="物业费", price=D("2.3456"), valid_from=start)
    fixed = FeeItemFactory(
        community=community,
        name="卫生费",
        category="sanitation",
        method="fixed",
        price=D("15"),
        valid_from=start,
        late_fee_method="fixed",
        late_fee_fixed_fen=200,
    )
    for room in rooms.values():
        FeeAssignmentFactory(fee_item=area, room=room, starts_on=start)
    FeeAssignmentFactory(fee_item=fixed, room=rooms["101"], starts_on=start)
    FeeAssignmentFactory(
        fee_item=fixed, room=rooms["102"], starts_on=start, discount_percent=D("10"), discount_reason="低保"
    )
    return {"rooms": rooms, "households": households, "area": area, "fixed": fixed}


def issue(community, actor, period):
    return runs.run_issue(run=runs.run_preview(community=community, period=period, actor=actor), actor=actor)


# --- fee items -------------------------------------------------------------------------------------


def test_fee_item_list_shows_the_items_of_your_communities(api, community, estate):
    FeeItemFactory(name="别的小区")  # another community

    response = api.get("/fee-items")

    assert response.status_code == 200
    assert [item["name"] for item in response.json()] == ["物业费", "卫生费"]
    assert {item["community"] for item in response.json()} == {community.pk}


def test_fee_item_list_filtered_by_another_community_is_empty(api, estate):
    other = FeeItemFactory(name="别的小区")
    assert api.get("/fee-items", {"community": other.community_id}).json() == []


def test_fee_item_detail_shows_every_input_of_the_charge(api, community):
    water = FeeItemFactory(
        community=community,
        name="水费",
        category="water",
        method="metered",
        price=D("3.2"),
        tiers=[{"up_to": "10", "price": "3.2"}, {"up_to": None, "price": "4.8"}],
        rounding_unit="jiao",
        rounding_mode="down",
        valid_from=datetime.date(2024, 1, 1),
        valid_to=datetime.date(2026, 12, 31),
        late_fee_method="daily_rate",
        late_fee_rate=D("0.0005"),
        late_fee_grace_days=10,
        late_fee_cap_fen=5000,
    )

    response = api.get(f"/fee-items/{water.pk}")

    assert response.status_code == 200
    assert response.json() == {
        "pk": water.pk,
        "community": community.pk,
        "name": "水费",
        "category": "water",
        "method": "metered",
        "price": "3.2000",
        "tiers": [{"up_to": "10", "price": "3.2"}, {"up_to": None, "price": "4.8"}],
        "meter_kind": "water",
        "cycle": "monthly",
        "timing": "postpaid",
        "due_day": 15,
        "valid_from": "2024-01-01",
        "valid_to": "2026-12-31",
        "rounding_unit": "jiao",
        "rounding_mode": "down",
        "late_fee_method": "daily_rate",
        "late_fee_grace_days": 10,
        "late_fee_rate": "0.000500",
        "late_fee_fixed_fen": 0,
        "late_fee_cap_fen": 5000,
        "is_active": True,
    }


def test_fee_item_detail_of_another_community_answers_404(api):
    assert api.get(f"/fee-items/{FeeItemFactory().pk}").status_code == 404


def test_fee_items_hidden_from_a_role_without_billing(api_as, community, estate):
    api = api_as(staff(community, Role.TECHNICIAN))
    assert api.get("/fee-items").json() == []
    assert api.get(f"/fee-items/{estate['area'].pk}").status_code == 404


# --- preview ---------------------------------------------------------------------------------------


def test_run_preview_returns_totals_by_item_and_building_and_problems(api, community, admin_user, estate):
    response = api.post("/billing/runs/preview", {"community": community.pk, "month": "2026-11"})

    assert response.status_code == 200
    body = response.json()
    run = BillingRun.objects.get()
    assert (body["pk"], body["community"], body["month"], body["state"]) == (
        run.pk,
        community.pk,
        "2026-11",
        "previewed",
    )
    assert (body["lines_issued"], body["total_fen"], body["created_by"]) == (0, 0, admin_user.username)
    # 物业费: 89.55 × 2.3456 = 210.04848 → 21005; 100 × 2.3456 = 234.56 → 23456.
    # 卫生费: 1500, and 1500 − 10 % = 1350.
    assert body["preview"] == {
        "lines": 4,
        "households": 2,
        "total_fen": 21005 + 23456 + 1500 + 1350,
        "pieces": [{"fee_item": "物业费", "month": "2026-11"}, {"fee_item": "卫生费", "month": "2026-11"}],
        "by_item": [
            {"fee_item": "物业费", "lines": 2, "gross_fen": 44461, "discount_fen": 0, "amount_fen": 44461},
            {"fee_item": "卫生费", "lines": 2, "gross_fen": 3000, "discount_fen": 150, "amount_fen": 2850},
        ],
        "by_building": [{"building": "1栋", "lines": 4, "amount_fen": 47311}],
        "problems": [
            {
                "code": "no_household",
                "fee_item": "物业费",
                "month": "2026-11",
                "count": 1,
                "rooms": ["1栋-1单元-103"],
            }
        ],
    }
    assert (Bill.objects.count(), BillLine.objects.count(), LedgerTransaction.objects.count()) == (0, 0, 0)


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "26-11", "2026/11", ""])
def test_run_preview_of_a_malformed_month_is_refused(api, community, estate, month):
    response = api.post("/billing/runs/preview", {"community": community.pk, "month": month})
    assert response.status_code == 422
    assert BillingRun.objects.count() == 0


def test_run_preview_in_another_community_answers_404(api, estate):
    other = FeeItemFactory().community
    response = api.post("/billing/runs/preview", {"community": other.pk, "month": "2026-11"})
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert BillingRun.objects.count() == 0


def test_run_preview_needs_billing_manage(api_as, community, estate):
    cashier = api_as(staff(community, Role.CASHIER))  # may view billing, not run it
    response = cashier.post("/billing/runs/preview", {"community": community.pk, "month": "2026-11"})
    assert response.status_code == 404
    assert BillingRun.objects.count() == 0


# --- issue -----------------------------------------------------------------------------------------


def test_run_issue_issues_the_bills_and_returns_the_issued_run(
    api, community, admin_user, estate, django_capture_on_commit_callbacks
):
    run = runs.run_preview(community=community, period=NOV, actor=admin_user)

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/billing/runs/{run.pk}/issue", {})

    assert response.status_code == 202  # the job runs once the request's transaction commits
    assert api.post(f"/billing/runs/{run.pk}/issue", {}).status_code == 200  # issued: nothing more to do
    body = api.get(f"/billing/runs/{run.pk}").json()
    assert (body["state"], body["lines_issued"], body["total_fen"]) == ("issued", 4, 47311)
    assert body["issued_at"] is not None
    assert sorted(Bill.objects.values_list("household__name", "total_fen")) == [
        ("张三", 22505),
        ("李四", 24806),
    ]
    assert Posting.objects.aggregate(total=Sum("amount_fen"))["total"] == 0
    assert LedgerTransaction.objects.count() == 1


def test_run_issue_of_an_issued_run_changes_nothing(api, community, admin_user, estate):
    run = issue(community, admin_user, NOV)
    transactions, lines = LedgerTransaction.objects.count(), BillLine.objects.count()

    response = api.post(f"/billing/runs/{run.pk}/issue", {})

    assert response.status_code == 200
    assert (response.json()["state"], response.json()["lines_issued"]) == ("issued", 4)
    assert (LedgerTransaction.objects.count(), BillLine.objects.count()) == (transactions, lines)


def test_run_issue_of_a_void_run_is_refused(api, community, admin_user, estate):
    run = issue(community, admin_user, NOV)
    runs.run_void(run=run, reason="单价录错", actor=admin_user)
    transactions = LedgerTransaction.objects.count()

    response = api.post(f"/billing/runs/{run.pk}/issue", {})

    assert response.status_code == 400
    assert response.json() == {"detail": "This run was voided; preview the month again to bill it."}
    assert BillLine.objects.filter(is_void=False).count() == 0
    assert LedgerTransaction.objects.count() == transactions


def test_run_issue_needs_billing_manage(api_as, community, admin_user, estate):
    run = runs.run_preview(community=community, period=NOV, actor=admin_user)
    response = api_as(staff(community, Role.CASHIER)).post(f"/billing/runs/{run.pk}/issue", {})
    assert response.status_code == 404
    assert BillingRun.objects.get(pk=run.pk).state == "previewed"
    assert BillLine.objects.count() == 0


def test_run_issue_answers_202_while_the_job_runs(
    api, community, admin_user, estate, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """With background jobs (not inline), the run is still issuing when the answer goes out."""
    settings.WUYE_JOBS = "thread"
    handed_out = []
    monkeypatch.setattr("wuye.core.jobs.dispatch", handed_out.append)
    run = runs.run_preview(community=community, period=NOV, actor=admin_user)

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/billing/runs/{run.pk}/issue", {})

    assert response.status_code == 202
    assert response.json()["state"] == "previewed"
    job = Job.objects.get()
    assert handed_out == [job.pk]  # after the commit, to a worker
    assert (job.name, job.kwargs, job.state, job.community) == (
        "wuye.billing.tasks.run_issue_job",
        {"run_pk": run.pk, "actor_pk": admin_user.pk},
        "queued",
        community,
    )


def test_run_detail_shows_progress_and_preview(api, community, admin_user, estate):
    run = issue(community, admin_user, NOV)
    body = api.get(f"/billing/runs/{run.pk}").json()
    assert (body["state"], body["progress_done"], body["progress_total"]) == ("issued", 3, 3)
    assert body["preview"]["total_fen"] == body["total_fen"] == 47311


def test_run_detail_of_another_community_answers_404(api, admin_user):
    other = FeeItemFactory().community
    run = runs.run_preview(community=other, period=NOV, actor=admin_user)
    assert api.get(f"/billing/runs/{run.pk}").status_code == 404


# --- a household's bills ---------------------------------------------------------------------------


def test_household_bills_show_every_input_of_each_line(api, community, admin_user, estate):
    issue(community, admin_user, NOV)
    household, room = estate["households"]["101"], estate["rooms"]["101"]
    fixed_line = BillLine.objects.get(household=household, fee_item=estate["fixed"])
    line_waive(line=fixed_line, reason="维修期间", approver=admin_user, actor=admin_user, amount_fen=500)

    response = api.get(f"/households/{household.pk}/bills")

    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["page"], body["limit"]) == (1, 1, 50)
    (bill,) = body["items"]
    stored = Bill.objects.get(household=household)
    assert {key: value for key, value in bill.items() if key not in ("lines", "created_at")} == {
        "pk": stored.pk,
        "community": community.pk,
        "household": household.pk,
        "month": "2026-11",
        "run": stored.run_id,
        "state": "open",
        "due_on": "2026-11-15",
        "total_fen": 22505,
        "due_fen": 22005,
        "paid_fen": 0,
        "waived_fen": 500,
        "outstanding_fen": 22005,
    }
    room_out = {
        "pk": room.pk,
        "label": "1栋-1单元-101",
        "building": "1栋",
        "unit": "1单元",
        "number": "101",
        "state": room.state,
    }
    assert bill["lines"] == [
        {
            "pk": BillLine.objects.get(household=household, fee_item=estate["area"]).pk,
            "room": room_out,
            "fee_item": {"pk": estate["area"].pk, "name": "物业费", "category": "property"},
            "month": "2026-11",
            "method": "built_area",
            "quantity": "89.55",
            "price": "2.3456",
            "tiers": [],
            "billable_days": 30,
            "period_days": 30,
            "rounding_unit": "fen",
            "rounding_mode": "half_up",
            "gross_fen": 21005,
            "discount_percent": "0.00",
            "discount_fixed_fen": 0,
            "discount_fen": 0,
            "amount_fen": 21005,
            "adjusted_fen": 0,
            "waived_fen": 0,
            "paid_fen": 0,
            "outstanding_fen": 21005,
            "is_void": False,
        },
        {
            "pk": fixed_line.pk,
            "room": room_out,
            "fee_item": {"pk": estate["fixed"].pk, "name": "卫生费", "category": "sanitation"},
            "month": "2026-11",
            "method": "fixed",
            "quantity": "1.00",
            "price": "15.0000",
            "tiers": [],
            "billable_days": 30,
            "period_days": 30,
            "rounding_unit": "fen",
            "rounding_mode": "half_up",
            "gross_fen": 1500,
            "discount_percent": "0.00",
            "discount_fixed_fen": 0,
            "discount_fen": 0,
            "amount_fen": 1500,
            "adjusted_fen": 0,
            "waived_fen": 500,
            "paid_fen": 0,
            "outstanding_fen": 1000,
            "is_void": False,
        },
    ]


def test_household_bills_newest_first_with_void_lines_outstanding_zero(api, community, admin_user, estate):
    household = estate["households"]["102"]
    october = issue(community, admin_user, datetime.date(2026, 10, 1))
    issue(community, admin_user, NOV)
    runs.run_void(run=october, reason="重开", actor=admin_user)

    bills = api.get(f"/households/{household.pk}/bills").json()["items"]

    assert [(bill["month"], bill["state"], bill["total_fen"], bill["outstanding_fen"]) for bill in bills] == [
        ("2026-11", "open", 24806, 24806),
        ("2026-10", "void", 0, 0),
    ]
    assert [(line["is_void"], line["amount_fen"], line["outstanding_fen"]) for line in bills[1]["lines"]] == [
        (True, 23456, 0),
        (True, 1350, 0),
    ]


def test_household_bills_query_count_does_not_grow_with_bills(api, community, admin_user, estate):
    household = estate["households"]["101"]
    issue(community, admin_user, datetime.date(2026, 10, 1))
    api.get("/fee-items")  # the token's first use is stamped once; keep it out of the counts
    with CaptureQueriesContext(connection) as one_month:
        assert len(api.get(f"/households/{household.pk}/bills").json()["items"]) == 1
    for month in (11, 12):
        issue(community, admin_user, datetime.date(2026, month, 1))
    with CaptureQueriesContext(connection) as three_months:
        assert len(api.get(f"/households/{household.pk}/bills").json()["items"]) == 3
    assert len(three_months) == len(one_month)


def test_household_bills_of_another_community_answer_404(api):
    household = HouseholdRoomFactory().household
    assert api.get(f"/households/{household.pk}/bills").status_code == 404


def test_household_bills_hidden_from_a_role_without_billing(api_as, community, admin_user, estate):
    issue(community, admin_user, NOV)
    household = estate["households"]["101"]
    assert (
        api_as(staff(community, Role.TECHNICIAN)).get(f"/households/{household.pk}/bills").status_code == 404
    )
    assert api_as(staff(community, Role.CASHIER)).get(f"/households/{household.pk}/bills").status_code == 200


# --- arrears ---------------------------------------------------------------------------------------


@pytest.fixture
def three_months_owed(community, admin_user, estate):
    """Bills of 2026-01, 2026-05 and 2026-08, all due on the 15th, nothing paid."""
    for month in (1, 5, 8):
        issue(community, admin_user, datetime.date(2026, month, 1))
    return estate


def test_arrears_per_household_with_aging_buckets(api, community, three_months_owed):
    response = api.get("/arrears", {"as_of": "2026-09-01"})

    assert response.status_code == 200
    body = response.json()
    households, rooms = three_months_owed["households"], three_months_owed["rooms"]
    assert (body["as_of"], body["count"], body["page"], body["limit"]) == ("2026-09-01", 2, 1, 50)
    # 2026-09-01 is 229 days after 01-15 (over 180), 109 after 05-15 (91–180), 17 after 08-15 (0–30).
    assert [
        {key: value for key, value in item.items() if key != "rooms"}
        | {"rooms": [r["pk"] for r in item["rooms"]]}
        for item in body["items"]
    ] == [
        {
            "household": {"pk": households["102"].pk, "name": "李四"},
            "community": community.pk,
            "rooms": [rooms["102"].pk],
            "total_fen": 3 * 24806,
            "days_0_30_fen": 24806,
            "days_31_90_fen": 0,
            "days_91_180_fen": 24806,
            "days_over_180_fen": 24806,
            "late_fee_fen": 3 * 200,
            "lines": 6,
            "oldest_due_on": "2026-01-15",
            "days_past_due": 229,
        },
        {
            "household": {"pk": households["101"].pk, "name": "张三"},
            "community": community.pk,
            "rooms": [rooms["101"].pk],
            "total_fen": 3 * 22505,
            "days_0_30_fen": 22505,
            "days_31_90_fen": 0,
            "days_91_180_fen": 22505,
            "days_over_180_fen": 22505,
            "late_fee_fen": 3 * 200,
            "lines": 6,
            "oldest_due_on": "2026-01-15",
            "days_past_due": 229,
        },
    ]
    assert body["totals"] == {
        "total_fen": 3 * (24806 + 22505),
        "days_0_30_fen": 24806 + 22505,
        "days_31_90_fen": 0,
        "days_91_180_fen": 24806 + 22505,
        "days_over_180_fen": 24806 + 22505,
        "late_fee_fen": 1200,
        "lines": 12,
        "households": 2,
    }


def test_arrears_as_of_the_due_date_leaves_that_month_out(api, three_months_owed):
    body = api.get("/arrears", {"as_of": "2026-08-15"}).json()
    assert [(item["total_fen"], item["days_0_30_fen"], item["lines"]) for item in body["items"]] == [
        (2 * 24806, 0, 4),
        (2 * 22505, 0, 4),
    ]


def test_arrears_default_to_today(api, community, admin_user, estate):
    issue(community, admin_user, datetime.date(2026, 1, 1))
    body = api.get("/arrears").json()
    assert body["as_of"] == timezone.localdate().isoformat()
    assert body["count"] == (2 if timezone.localdate() > datetime.date(2026, 1, 15) else 0)


def test_arrears_paged_with_totals_over_every_page(api, three_months_owed):
    body = api.get("/arrears", {"as_of": "2026-09-01", "limit": 1, "page": 2}).json()
    assert (body["count"], [item["household"]["name"] for item in body["items"]]) == (2, ["张三"])
    assert body["totals"]["households"] == 2


def test_arrears_of_another_community_are_not_listed(api, three_months_owed):
    other = FeeItemFactory().community
    assert api.get("/arrears", {"as_of": "2026-09-01", "community": other.pk}).json()["items"] == []


def test_arrears_hidden_from_a_role_without_billing(api_as, community, three_months_owed):
    body = api_as(staff(community, Role.TECHNICIAN)).get("/arrears", {"as_of": "2026-09-01"}).json()
    assert (body["count"], body["items"]) == (0, [])


# --- X-Idempotency-Key -----------------------------------------------------------------------------


def _with_key(api, key):
    api.headers["X-Idempotency-Key"] = key
    return api


def test_preview_with_the_same_key_replays_the_first_response(api, community, estate):
    _with_key(api, "preview-2026-11")
    first = api.post("/billing/runs/preview", {"community": community.pk, "month": "2026-11"})
    again = api.post("/billing/runs/preview", {"month": "2026-11", "community": community.pk})

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert BillingRun.objects.count() == 1
    stored = IdempotentRequest.objects.get()
    assert (stored.key, stored.method, stored.path, stored.status_code) == (
        "preview-2026-11",
        "POST",
        "/api/v1/billing/runs/preview",
        200,
    )


def test_preview_key_reused_for_another_request_is_refused(api, community, estate):
    _with_key(api, "k1")
    api.post("/billing/runs/preview", {"community": community.pk, "month": "2026-11"})
    response = api.post("/billing/runs/preview", {"community": community.pk, "month": "2026-12"})
    assert response.status_code == 400
    assert response.json() == {"detail": "This idempotency key was already used for a different request."}
    assert BillingRun.objects.count() == 1


def test_same_key_of_another_user_is_another_request(api_as, community, estate):
    for user in (staff(community), staff(community)):
        api = _with_key(api_as(user), "k1")
        assert (
            api.post("/billing/runs/preview", {"community": community.pk, "month": "2026-11"}).status_code
            == 200
        )
    assert BillingRun.objects.count() == 2


def test_key_still_running_answers_409(api, admin_user, community, estate):
    body = {"community": community.pk, "month": "2026-11"}
    IdempotentRequest.objects.create(
        user=admin_user,
        key="k1",
        method="POST",
        path="/api/v1/billing/runs/preview",
        fingerprint=_fingerprint(json.dumps(body).encode()),
    )
    response = _with_key(api, "k1").post("/billing/runs/preview", body)
    assert response.status_code == 409
    assert BillingRun.objects.count() == 0


def test_key_left_running_by_a_dead_process_is_taken_over(api, admin_user, community, estate):
    body = {"community": community.pk, "month": "2026-11"}
    claim = IdempotentRequest.objects.create(
        user=admin_user,
        key="k1",
        method="POST",
        path="/api/v1/billing/runs/preview",
        fingerprint=_fingerprint(json.dumps(body).encode()),
    )
    IdempotentRequest.objects.filter(pk=claim.pk).update(created_at=timezone.now() - STALE_AFTER * 2)

    response = _with_key(api, "k1").post("/billing/runs/preview", body)

    assert response.status_code == 200
    assert BillingRun.objects.count() == 1
    assert IdempotentRequest.objects.get().status_code == 200


def test_unexpected_error_releases_the_key(api, community, estate, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(runs, "run_preview", broken)
    _with_key(api, "k1")
    with pytest.raises(RuntimeError):
        api.post("/billing/runs/preview", {"community": community.pk, "month": "2026-11"})
    assert IdempotentRequest.objects.count() == 0
    monkeypatch.undo()
    assert (
        api.post("/billing/runs/preview", {"community": community.pk, "month": "2026-11"}).status_code == 200
    )


def test_refusal_is_replayed_too(api, community, estate):
    other = FeeItemFactory().community
    _with_key(api, "k1")
    first = api.post("/billing/runs/preview", {"community": other.pk, "month": "2026-11"})
    again = api.post("/billing/runs/preview", {"community": other.pk, "month": "2026-11"})
    assert (first.status_code, again.status_code, again["Idempotent-Replayed"]) == (404, 404, "true")


def test_issue_with_the_same_key_issues_once(
    api, community, admin_user, estate, django_capture_on_commit_callbacks
):
    run = runs.run_preview(community=community, period=NOV, actor=admin_user)
    _with_key(api, "issue-1")
    with django_capture_on_commit_callbacks(execute=True):
        first = api.post(f"/billing/runs/{run.pk}/issue", {})
    with django_capture_on_commit_callbacks(execute=True):
        again = api.post(f"/billing/runs/{run.pk}/issue", {})
    assert (first.status_code, again.status_code, again["Idempotent-Replayed"]) == (202, 202, "true")
    assert again.json() == first.json()
    assert (BillLine.objects.count(), LedgerTransaction.objects.count()) == (4, 1)


@pytest.mark.parametrize("key", ["", "   ", "x" * 101])
def test_unusable_key_is_refused(api, community, estate, key):
    response = _with_key(api, key).post(
        "/billing/runs/preview", {"community": community.pk, "month": "2026-11"}
    )
    assert response.status_code == 400
    assert BillingRun.objects.count() == 0
    assert IdempotentRequest.objects.count() == 0


def test_openapi_documents_the_key_on_both_posts(client):
    schema = client.get("/api/v1/openapi.json").json()
    for path in ("/api/v1/billing/runs/preview", "/api/v1/billing/runs/{billingrun_pk}/issue"):
        parameters = schema["paths"][path]["post"].get("parameters", [])
        assert "X-Idempotency-Key" in [parameter["name"] for parameter in parameters], path


# --- one key, two requests at once (PostgreSQL) -----------------------------------------------------


def _post_at_once(admin_user, community, monkeypatch, headers: dict) -> tuple[list[int], int]:
    """Two POSTs of the same preview; the first is held inside the operation until the second has
    its answer. Returns ([first status, second status], runs created)."""
    _token, key = ApiToken.issue(user=admin_user, name="t")
    headers = {"Authorization": f"Bearer {key}", "Accept-Language": "en", **headers}
    body = json.dumps({"community": community.pk, "month": "2026-11"})
    first_inside, release = threading.Event(), threading.Event()
    original = runs.run_preview

    def held(**kwargs):
        if not first_inside.is_set():
            first_inside.set()
            release.wait(20)
        return original(**kwargs)

    monkeypatch.setattr(runs, "run_preview", held)
    answers = {}

    def post(name):
        try:
            answers[name] = Client().post(
                "/api/v1/billing/runs/preview", body, content_type="application/json", headers=headers
            )
        finally:
            connection.close()

    first = threading.Thread(target=post, args=("first",))
    first.start()
    assert first_inside.wait(20)
    second = threading.Thread(target=post, args=("second",))
    second.start()
    second.join(20)
    release.set()
    first.join(20)
    return [answers["first"].status_code, answers["second"].status_code], BillingRun.objects.count()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_key_sent_twice_at_once_previews_once(admin_user, community, estate, monkeypatch):
    if not on_postgres():
        pytest.skip("SQLite serializes the writers, so the requests cannot overlap; needs PostgreSQL")
    statuses, created = _post_at_once(admin_user, community, monkeypatch, {"X-Idempotency-Key": "k1"})
    assert statuses == [200, 409]
    assert created == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_control_without_a_key_both_requests_preview(admin_user, community, estate, monkeypatch):
    """The control of the test above: without a key nothing stops the second request."""
    if not on_postgres():
        pytest.skip("SQLite serializes the writers, so the requests cannot overlap; needs PostgreSQL")
    statuses, created = _post_at_once(admin_user, community, monkeypatch, {})
    assert statuses == [200, 200]
    assert created == 2
