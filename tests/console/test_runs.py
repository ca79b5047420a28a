import datetime
from decimal import Decimal

from django.urls import reverse

from tests.billing.test_runs import assign, item, occupied_room
from tests.factories import staff
from wuye.billing.models import Bill, BillingRun, BillLine
from wuye.core.enums import Role


def test_preview_issue_and_void_from_the_console(admin_client, community, django_capture_on_commit_callbacks):
    fee = item(community, name="物业费", price=Decimal("2"))
    room = occupied_room(community, built_area=Decimal("100"))
    assign(fee, room)
    response = admin_client.post(reverse("console:runs"), {"month": "2026-11"})
    run = BillingRun.objects.get()
    assert response.url == reverse("console:run", args=[run.pk])
    page = admin_client.get(response.url).content.decode()
    assert "200.00" in page
    assert BillLine.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):  # the job runs once the request commits
        admin_client.post(reverse("console:run_issue", args=[run.pk]))
    run.refresh_from_db()
    assert (run.state, run.lines_issued, run.total_fen) == ("issued", 1, 20000)
    assert "200.00" in admin_client.get(reverse("console:run_progress", args=[run.pk])).content.decode()

    household = room.household_links.get().household
    assert "2026-11" in admin_client.get(reverse("console:household", args=[household.pk])).content.decode()

    admin_client.post(reverse("console:run_void", args=[run.pk]), {"reason": "价格错误"})
    assert Bill.objects.get().state == "void"


def test_bad_month_is_refused(admin_client, community):
    response = admin_client.post(reverse("console:runs"), {"month": "2026-13"})
    assert response.status_code == 200
    assert BillingRun.objects.count() == 0


def test_cashier_sees_runs_but_cannot_start_or_issue(client, community):
    client.force_login(staff(community, Role.CASHIER))
    assert client.get(reverse("console:runs")).status_code == 200
    assert client.post(reverse("console:runs"), {"month": "2026-11"}).status_code == 404
    run = BillingRun.objects.create(community=community, period=datetime.date(2026, 11, 1))
    assert client.post(reverse("console:run_issue", args=[run.pk])).status_code == 404
    assert BillingRun.objects.get(pk=run.pk).state == "previewed"


def test_issued_bill_is_on_the_household_timeline(admin_client, admin_user, community):
    from wuye.billing.domain import runs

    fee = item(community, name="物业费", price=Decimal("2"))
    room = occupied_room(community, built_area=Decimal("100"))
    assign(fee, room)
    runs.run_issue(
        run=runs.run_preview(community=community, period=datetime.date(2026, 11, 1), actor=admin_user),
        actor=admin_user,
    )
    household = room.household_links.get().household
    page = admin_client.get(reverse("console:household", args=[household.pk])).content.decode()
    timeline = page[page.index('id="timeline"') :]
    assert "2026-11" in timeline
    assert "200.00" in timeline  # in yuan, as every page shows money
    assert "20000" not in timeline
