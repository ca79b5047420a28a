"""Bills, arrears, dunning and collection-rate pages: they render, act, and refuse what a role lacks."""

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.billing.test_bills import (
    household_with_room,
    issue_bill,
    money_snapshot,
    pay,
    property_fee,
    sanitation_fee,
)
from tests.factories import BuildingFactory, CommunityFactory, PersonFactory, staff
from tests.isolation.bills import build as build_foreign_bill
from wuye.billing.enums import BillState, LateFeeMethod
from wuye.billing.models import Adjustment, Bill, BillLine
from wuye.core.enums import Role
from wuye.core.models import AuditLog

DUE = datetime.date(2024, 3, 15)


@pytest.fixture
def bill(community):
    building = BuildingFactory(community=community, name="7栋")
    household = household_with_room(community, unit__building=building)
    household.name = "王家"
    household.save()
    PersonFactory(household=household, name="王先生", phone="13911112222")
    late = {"late_fee_method": LateFeeMethod.DAILY_RATE, "late_fee_rate": Decimal("0.0005")}
    return issue_bill(
        household, items=[property_fee(community, **late), sanitation_fee(community)], due_on=DUE
    )


def _client_for(client, community, role):
    user = staff(community, role)
    client.force_login(user)
    return user


def test_bill_list_filters(admin_client, community, bill):
    other = household_with_room(community)
    issue_bill(other, items=[sanitation_fee(community, name="其他费")], period=datetime.date(2024, 4, 1))
    url = reverse("console:bills")
    body = admin_client.get(url).content.decode()
    assert "王家" in body and other.name in body
    assert "2 张账单" in body or "2 bills" in body
    march = admin_client.get(url, {"month": "2024-03"}).content.decode()
    assert "王家" in march and other.name not in march
    by_text = admin_client.get(url, {"q": "13911112222"}).content.decode()
    assert "王家" in by_text and other.name not in by_text
    building = bill.lines.first().room.building
    by_building = admin_client.get(url, {"building": building.pk}).content.decode()
    assert "王家" in by_building and other.name not in by_building
    assert "王家" not in admin_client.get(url, {"state": "paid"}).content.decode()
    assert "王家" in admin_client.get(url, {"state": "open", "household": bill.household_id}).content.decode()


def test_bill_list_query_count_does_not_grow_with_bills(
    admin_client, community, django_assert_max_num_queries
):
    item = sanitation_fee(community)
    for _ in range(5):
        issue_bill(household_with_room(community), items=[item])
    with django_assert_max_num_queries(12):
        assert admin_client.get(reverse("console:bills")).status_code == 200


def test_bill_detail_explains_each_line(admin_client, bill):
    response = admin_client.get(reverse("console:bill", args=[bill.pk]), {"as_of": "2024-03-26"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "89.50" in body and "2.5000" in body and "31/31" in body and "223.750000" in body
    assert "223.75" in body and "20.00" in body and "243.75" in body  # line amounts and bill outstanding
    assert 'id="bill-late-fee">1.23<' in body  # 22375 × 0.0005 × 11 days = 123.0625 fen
    assert "卫生费" in body and "7栋" in body


def test_bill_detail_in_english(client, community, bill):
    _client_for(client, community, Role.CASHIER)
    body = client.get(
        reverse("console:bill", args=[bill.pk]), headers={"Accept-Language": "en"}
    ).content.decode()
    assert "Built-up area 89.50 m² × 2.5000 yuan/m²/month × 31/31 days = 223.750000 yuan" in body
    assert "rounded half up to the fen: 223.75 yuan" in body


def test_adjust_line_from_the_console(admin_client, admin_user, bill):
    line = bill.lines.order_by("pk").first()
    url = reverse("console:billline_adjust", args=[line.pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"amount": "-23.75", "reason": "面积更正", "approver": admin_user.pk})
    assert response.status_code == 302
    assert response.url == reverse("console:bill", args=[bill.pk])
    line.refresh_from_db()
    assert (line.adjusted_fen, line.outstanding_fen) == (-2375, 20000)
    adjustment = Adjustment.objects.get()
    assert (adjustment.amount_fen, adjustment.reason, adjustment.approved_by) == (
        -2375,
        "面积更正",
        admin_user,
    )
    detail = admin_client.get(reverse("console:bill", args=[bill.pk])).content.decode()
    assert "面积更正" in detail and "-23.75" in detail


def test_adjust_refused_shows_the_reason_and_changes_nothing(admin_client, admin_user, bill):
    line = bill.lines.order_by("pk").first()
    before = money_snapshot()
    response = admin_client.post(
        reverse("console:billline_adjust", args=[line.pk]),
        {"amount": "-300.00", "reason": "太多", "approver": admin_user.pk},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 200
    assert "cannot be lowered" in response.content.decode()
    assert money_snapshot() == before


def test_adjust_approver_must_hold_billing_manage(admin_client, community, bill):
    cashier = staff(community, Role.CASHIER)
    line = bill.lines.order_by("pk").first()
    before = money_snapshot()
    response = admin_client.post(
        reverse("console:billline_adjust", args=[line.pk]),
        {"amount": "5", "reason": "x", "approver": cashier.pk},
    )
    assert response.status_code == 200  # the cashier is not among the approvers offered
    assert money_snapshot() == before


def test_waive_line_and_whole_bill(admin_client, admin_user, bill):
    first = bill.lines.order_by("pk").first()
    response = admin_client.post(
        reverse("console:billline_waive", args=[first.pk]),
        {"amount": "3.75", "reason": "抹零", "approver": admin_user.pk},
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.waived_fen, first.outstanding_fen) == (375, 22000)
    assert admin_client.get(reverse("console:bill_waive", args=[bill.pk])).status_code == 200
    response = admin_client.post(
        reverse("console:bill_waive", args=[bill.pk]), {"reason": "困难户", "approver": admin_user.pk}
    )
    assert response.status_code == 302
    assert list(BillLine.objects.filter(bill=bill).order_by("pk").values_list("waived_fen", flat=True)) == [
        22375,
        2000,
    ]
    bill.refresh_from_db()
    assert bill.state == BillState.WAIVED
    assert AuditLog.objects.filter(action="billing.bill.waived", household_id=bill.household_id).count() == 1


def test_waive_late_fee_from_the_console_takes_two_people(admin_client, client, community, bill):
    line = bill.lines.order_by("pk").first()
    url = reverse("console:billline_late_fee_waive", args=[line.pk])
    approve = reverse("console:billline_late_fee_waiver_approve", args=[line.pk])
    assert admin_client.post(url, {"reason": ""}).status_code == 200
    assert BillLine.objects.get(pk=line.pk).late_fee_waiver_requested_at is None
    assert admin_client.post(url, {"reason": "首次"}).status_code == 302
    stored = BillLine.objects.get(pk=line.pk)
    assert (stored.late_fee_waiver_reason, stored.late_fee_waived_at) == ("首次", None)
    page = admin_client.get(reverse("console:bill", args=[bill.pk]), {"as_of": "2024-04-30"}).content.decode()
    assert approve in page and 'id="bill-late-fee">0.00<' not in page
    # The one who asked cannot approve: nothing changes.
    assert admin_client.post(approve).status_code == 302
    assert BillLine.objects.get(pk=line.pk).late_fee_waived_at is None
    _client_for(client, community, Role.SUPERVISOR)
    assert client.post(approve).status_code == 302
    assert BillLine.objects.get(pk=line.pk).late_fee_waived_at is not None
    body = admin_client.get(reverse("console:bill", args=[bill.pk]), {"as_of": "2024-04-30"}).content.decode()
    assert 'id="bill-late-fee">0.00<' in body


def test_reject_a_late_fee_waiver_from_the_console(admin_client, client, community, bill):
    line = bill.lines.order_by("pk").first()
    admin_client.post(reverse("console:billline_late_fee_waive", args=[line.pk]), {"reason": "首次"})
    _client_for(client, community, Role.SUPERVISOR)
    assert client.post(reverse("console:billline_late_fee_waiver_reject", args=[line.pk])).status_code == 302
    stored = BillLine.objects.get(pk=line.pk)
    assert (stored.late_fee_waiver_requested_at, stored.late_fee_waived_at) == (None, None)
    assert AuditLog.objects.filter(action="billing.line.late_fee_waiver_rejected").count() == 1


@pytest.mark.parametrize("role", [Role.CASHIER, Role.FRONT_DESK])
def test_billing_view_reads_but_cannot_adjust_or_waive(client, community, bill, role):
    _client_for(client, community, role)
    line = bill.lines.order_by("pk").first()
    for name in ("console:bills", "console:arrears", "console:dunning", "console:collection_rate"):
        assert client.get(reverse(name)).status_code == 200, name
    detail = client.get(reverse("console:bill", args=[bill.pk])).content.decode()
    assert reverse("console:billline_adjust", args=[line.pk]) not in detail
    before = money_snapshot()
    for name, pk, data in (
        ("console:billline_adjust", line.pk, {"amount": "1", "reason": "x"}),
        ("console:billline_waive", line.pk, {"reason": "x"}),
        ("console:billline_late_fee_waive", line.pk, {"reason": "x"}),
        ("console:bill_waive", bill.pk, {"reason": "x"}),
    ):
        assert client.get(reverse(name, args=[pk])).status_code == 404, name
        assert client.post(reverse(name, args=[pk]), data).status_code == 404, name
    for name in ("console:billline_late_fee_waiver_approve", "console:billline_late_fee_waiver_reject"):
        assert client.post(reverse(name, args=[line.pk])).status_code == 404, name
    assert money_snapshot() == before


def test_technician_sees_no_billing(client, community, bill):
    _client_for(client, community, Role.TECHNICIAN)
    assert client.get(reverse("console:bills")).status_code == 404
    assert client.get(reverse("console:bill", args=[bill.pk])).status_code == 404
    assert client.get(reverse("console:arrears")).status_code == 404
    household_page = client.get(reverse("console:household", args=[bill.household_id])).content.decode()
    assert 'id="bills"' not in household_page


def test_household_page_lists_bills_with_lines(admin_client, admin_user, bill):
    line = bill.lines.order_by("pk").first()
    from wuye.billing.domain.bills import line_adjust

    line_adjust(line=line, amount_fen=100, reason="补收", approver=admin_user, actor=admin_user)
    body = admin_client.get(reverse("console:household", args=[bill.household_id])).content.decode()
    assert 'id="bills"' in body
    assert "2024-03" in body and "物业费" in body and "卫生费" in body and "223.75" in body
    assert reverse("console:bill", args=[bill.pk]) in body
    assert "244.75" in body  # after the adjustment
    assert "补收" in body  # the adjustment is on the timeline


def test_arrears_page_totals_and_drill_down(admin_client, community, bill):
    pay(bill.lines.order_by("pk")[1], 2000)
    response = admin_client.get(reverse("console:arrears"), {"as_of": "2024-05-01"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "223.75" in body and "王家" in body and "7栋" in body
    building = bill.lines.first().room.building
    drilled = admin_client.get(reverse("console:arrears"), {"as_of": "2024-05-01", "building": building.pk})
    assert "王家" in drilled.content.decode()
    household = admin_client.get(
        reverse("console:household_arrears", args=[bill.household_id]), {"as_of": "2024-05-01"}
    ).content.decode()
    assert ">47<" in household and "223.75" in household and "5.26" in household  # 47 days, late fee 5.26


def test_dunning_page_prints_one_notice_per_household(admin_client, community, bill):
    other = household_with_room(community)
    issue_bill(other, items=[sanitation_fee(community, name="其他费")], due_on=DUE)
    body = admin_client.get(reverse("console:dunning"), {"as_of": "2024-05-01"}).content.decode()
    assert body.count('class="dunning-notice') == 2
    assert "王家" in body and "243.75" in body


def test_dunning_export_is_a_workbook(admin_client, bill):
    response = admin_client.get(reverse("console:dunning_export"), {"as_of": "2024-05-01"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.worksheets[0]["A2"].value == "王家"
    assert workbook.worksheets[0]["E2"].value == 243.75


def test_collection_rate_page(admin_client, bill):
    pay(bill.lines.order_by("pk")[0], 22375)
    body = admin_client.get(
        reverse("console:collection_rate"), {"to": "2024-04", "months": "2"}
    ).content.decode()
    assert "2024-03" in body and "2024-04" in body
    assert "91.8%" in body  # 22375 / 24375 = 917.94… ‰
    assert "—" in body  # April has no bills
    # The billed column is the amount billed (应收), not the fee item's billing time (计费时点).
    assert body.count('<th class="num">应收</th>') == 2
    assert "计费时点" not in body


def test_dunning_notices_read_in_chinese(admin_client, bill):
    body = admin_client.get(reverse("console:dunning"), {"as_of": "2024-05-01"}).content.decode()
    notices = re.findall(r'<article class="dunning-notice.*?</article>', body, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", "".join(notices))
    assert len(notices) == 1
    assert "缴费提醒" in text
    assert re.findall(r"[A-Za-z]{3,}", text) == []


def test_console_bill_pages_of_another_community_answer_404(client, community):
    other = CommunityFactory()
    foreign = build_foreign_bill(other, staff(other))
    _client_for(client, community, Role.ADMINISTRATOR)
    for name, kwargs in (
        ("console:bill", {"bill_pk": foreign["bill_pk"]}),
        ("console:bill_waive", {"bill_pk": foreign["bill_pk"]}),
        ("console:billline_adjust", {"billline_pk": foreign["billline_pk"]}),
        ("console:billline_waive", {"billline_pk": foreign["billline_pk"]}),
        ("console:billline_late_fee_waive", {"billline_pk": foreign["billline_pk"]}),
        ("console:household_arrears", {"household_pk": Bill.objects.get(pk=foreign["bill_pk"]).household_id}),
    ):
        url = reverse(name, kwargs=kwargs)
        assert client.get(url).status_code == 404, name
        assert client.post(url, {"reason": "x", "amount": "1"}).status_code == 404, name
    for name in ("console:billline_late_fee_waiver_approve", "console:billline_late_fee_waiver_reject"):
        url = reverse(name, kwargs={"billline_pk": foreign["billline_pk"]})
        assert client.post(url).status_code == 404, name
    assert Adjustment.objects.count() == 0
