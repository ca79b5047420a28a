"""The partner dashboard's pages: who sees which communities, the filters, the Excel export, and the
bank's landing in the console."""

import io

import openpyxl
import pytest
from django.urls import reverse

from tests.factories import CommunityFactory, UserFactory, staff
from tests.partner.factories import partner_data
from wuye.core.enums import Role
from wuye.core.models import AuditLog

pytestmark = pytest.mark.django_db
PERIOD = {"to": "2026-04", "months": "4"}


@pytest.fixture
def data():
    return partner_data()


def _bank(client, *communities):
    user = UserFactory(first_name="刘洋", roles=[(community, Role.BANK) for community in communities])
    client.force_login(user)
    return user


def _body(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_the_bank_sees_its_community_only(client, data):
    _bank(client, data.a)

    response = client.get(reverse("partner:dashboard"), PERIOD)

    body = _body(response)
    figures = response.context["dashboard"]
    assert [item.community for item in figures.communities] == [data.a]
    assert (figures.total.households, figures.total.mandated, figures.total.lines.sent) == (10, 6, 9)
    assert data.a.name in body and data.b.name not in body
    assert "60.0%" in body and "37.5%" in body and "320.00" in body  # share, success rate, debit yuan
    assert 'id="partner-chart-data"' in body and "vendor/chartjs/chart.umd.js" in body
    assert "<script>" not in body  # no inline script: only the JSON data block and files


def test_the_bank_of_two_communities_sees_each_and_the_total(client, data):
    _bank(client, data.a, data.b)

    figures = client.get(reverse("partner:dashboard"), PERIOD).context["dashboard"]
    assert [item.community for item in figures.communities] == [data.a, data.b]
    assert (figures.total.households, figures.total.lines.sent) == (11, 10)

    only_b = client.get(reverse("partner:dashboard"), {**PERIOD, "community": data.b.pk})
    assert [item.community for item in only_b.context["dashboard"].communities] == [data.b]
    assert only_b.context["dashboard"].total.households == 1


def test_another_communitys_figures_answer_404(client, data):
    _bank(client, data.a)
    stranger = CommunityFactory(name="别处小区")

    for pk in (data.b.pk, stranger.pk, "x"):
        response = client.get(reverse("partner:dashboard"), {"community": pk})
        assert response.status_code == 404, pk
        assert client.get(reverse("partner:export"), {"community": pk}).status_code == 404


def test_months_that_do_not_read_fall_back_to_the_last_twelve(client, data):
    _bank(client, data.a)

    response = client.get(reverse("partner:dashboard"), {"to": "April", "months": "-3"})

    assert len(response.context["dashboard"].months) == 12


@pytest.mark.parametrize("role", [Role.ADMINISTRATOR, Role.SUPERVISOR])
def test_administrators_and_supervisors_see_the_dashboard(client, data, role):
    client.force_login(staff(data.a, role))
    assert client.get(reverse("partner:dashboard"), PERIOD).context["dashboard"].total.households == 10


@pytest.mark.parametrize("role", [Role.CASHIER, Role.FRONT_DESK, Role.TECHNICIAN])
def test_staff_without_partner_view_are_refused(client, data, role):
    client.force_login(staff(data.a, role))
    assert client.get(reverse("partner:dashboard")).status_code == 404
    assert client.get(reverse("partner:export")).status_code == 404


def test_anonymous_goes_to_the_login(client, data):
    response = client.get(reverse("partner:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("console:login"))


def test_the_dashboard_is_read_only(client, data):
    _bank(client, data.a)
    before = AuditLog.objects.count()
    assert client.post(reverse("partner:dashboard"), PERIOD).status_code == 405
    assert client.post(reverse("partner:export"), PERIOD).status_code == 405
    assert AuditLog.objects.count() == before


def test_export_has_the_tables_in_numbers(client, data):
    _bank(client, data.a, data.b)

    response = client.get(reverse("partner:export"), PERIOD)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="partner-2026-01-2026-04.xlsx"' in response["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    communities, lines, reasons, funds = workbook.worksheets
    rows = list(communities.iter_rows(values_only=True))
    assert len(rows) == 4  # header, A, B, total
    assert rows[1][:4] == (data.a.name, 10, 6, pytest.approx(0.6))
    assert rows[2][:3] == (data.b.name, 1, 1)
    assert rows[3][:3] == ("合计", 11, 7)
    assert rows[3][-6:] == (10, 4, pytest.approx(0.444), 410, 652, pytest.approx(0.629))
    month_rows = list(lines.iter_rows(values_only=True))
    assert [row[0] for row in month_rows[1:]] == ["2026-01", "2026-02", "2026-03", "2026-04", "合计"]
    assert month_rows[2][:6] == ("2026-02", 7, 480, 2, 240, 3)
    assert list(reasons.iter_rows(min_row=2, values_only=True)) == [
        ("51", "code 51", 3, 90),
        ("14", "code 14", 1, 40),
    ]
    fund_rows = list(funds.iter_rows(values_only=True))
    assert fund_rows[2][:5] == ("2026-02", 300, 0, 0, 132)
    assert fund_rows[-1][0] == "合计" and fund_rows[-1][-2] == 652
    assert communities.cell(row=2, column=4).number_format == "0.0%"
    assert funds.cell(row=3, column=2).number_format == "#,##0.00"


def test_export_writes_a_formula_like_text_as_text(client, data):
    from wuye.debit.models import DebitLine

    DebitLine.objects.filter(result_code="14").update(result_message='=HYPERLINK("http://x","y")')
    _bank(client, data.a)

    content = client.get(reverse("partner:export"), PERIOD).content

    reasons = openpyxl.load_workbook(io.BytesIO(content)).worksheets[2]
    cell = reasons.cell(row=3, column=2)
    assert (cell.value, cell.data_type, cell.quotePrefix) == ('=HYPERLINK("http://x","y")', "s", True)


def test_the_console_sends_the_bank_to_its_dashboard(client, data):
    _bank(client, data.a)
    response = client.get(reverse("console:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("partner:dashboard")


def test_staff_keep_the_console_and_see_the_dashboard_in_its_menu(client, data):
    client.force_login(staff(data.a, Role.SUPERVISOR))
    body = _body(client.get(reverse("console:home")))
    assert reverse("partner:dashboard") in body

    client.force_login(staff(data.a, Role.CASHIER))
    assert reverse("partner:dashboard") not in _body(client.get(reverse("console:home")))


def test_a_bank_user_with_a_staff_role_elsewhere_keeps_the_console(client, data):
    user = _bank(client, data.a)
    user.staff_roles.create(community=data.b, role=Role.CASHIER)
    assert client.get(reverse("console:home")).status_code == 200
    body = _body(client.get(reverse("partner:dashboard")))
    assert reverse("console:home") in body  # the way back to the console
    assert data.b.name not in body  # a cashier's community is not the bank's
