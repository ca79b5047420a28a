"""Every Excel import refuses a zip bomb before opening it: a clear message, nothing written or kept.

The households import and the meter readings import both read uploads through one check
(wuye.core.excel.workbook_inspect, called by the one workbook opener of the imports).
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from tests.core.test_excel import compressible_sheet, huge_declared_range, small_workbook
from tests.factories import BuildingFactory, UnitFactory
from tests.households.test_excel import HEADER_ROW, counts, row
from wuye.billing.models import MeterReading
from wuye.households.enums import ImportState
from wuye.households.models import ImportBatch

HOUSEHOLDS = (tuple(HEADER_ROW), tuple(row("101")))
READINGS = (("表号", "月份", "读数", "换表"), ("W-1", "2024-02", 110, "否"))


@pytest.fixture(autouse=True)
def _english(client):
    """Pages and messages in English (the msgids), whatever the catalog says."""
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


def households_import(client, content):
    response = client.post(reverse("console:imports"), {"file": SimpleUploadedFile("rooms.xlsx", content)})
    batch = ImportBatch.objects.get()
    page = client.get(reverse("console:import_detail", kwargs={"importbatch_pk": batch.pk}))
    return response, batch, page.content.decode()


def readings_import(client, content):
    response = client.post(
        reverse("console:readings_import"), {"file": SimpleUploadedFile("抄表.xlsx", content)}
    )
    return response, [problem.message for problem in response.context["preview"].problems]


def test_households_import_refuses_a_sheet_declaring_the_whole_grid(admin_client, community):
    before = counts()

    _response, batch, page = households_import(admin_client, huge_declared_range(small_workbook(HOUSEHOLDS)))

    assert (batch.state, bytes(batch.content)) == (ImportState.REFUSED, b"")
    assert [problem["code"] for problem in batch.report["problems"]] == ["sheet_too_large"]
    assert "A sheet of the workbook spans A1:XFD1048576, 17179869184 cells, more than the 1000000" in page
    assert counts() == before


def test_households_import_refuses_a_workbook_that_unpacks_too_large(admin_client, community, settings):
    settings.IMPORT_MAX_UNPACKED_BYTES = 1024 * 1024
    before = counts()
    bomb = compressible_sheet(small_workbook(HOUSEHOLDS), rows=30_000)  # about 2 MB unpacked
    assert len(bomb) < 100 * 1024

    _response, batch, page = households_import(admin_client, bomb)

    assert (batch.state, bytes(batch.content)) == (ImportState.REFUSED, b"")
    assert [problem["code"] for problem in batch.report["problems"]] == ["workbook_too_large"]
    assert "Unpacked, the workbook would be larger than 1.0\xa0MB, so it was not opened." in page
    assert counts() == before


def test_readings_import_refuses_a_sheet_declaring_the_whole_grid(admin_client, community):
    response, messages = readings_import(admin_client, huge_declared_range(small_workbook(READINGS)))

    assert response.status_code == 200 and response.context["apply_form"] is None
    assert len(messages) == 1 and messages[0].startswith("A sheet of the workbook spans A1:XFD1048576")
    assert MeterReading.objects.count() == 0


def test_readings_import_refuses_a_workbook_that_unpacks_too_large(admin_client, community, settings):
    settings.IMPORT_MAX_UNPACKED_BYTES = 1024 * 1024

    response, messages = readings_import(
        admin_client, compressible_sheet(small_workbook(READINGS), rows=30_000)
    )

    assert response.context["apply_form"] is None
    assert messages == [
        "Unpacked, the workbook would be larger than 1.0\xa0MB, so it was not opened. "
        "Keep only the sheet to import, or split it into several files."
    ]
    assert MeterReading.objects.count() == 0


def test_a_workbook_within_the_limits_still_imports(admin_client, community):
    UnitFactory(building=BuildingFactory(community=community, name="1栋"), name="1单元")

    _response, batch, _page = households_import(admin_client, small_workbook(HOUSEHOLDS))
    assert batch.report["problems"] == [] and batch.state == ImportState.PREVIEWED
