"""Console pages of the Excel import (upload, preview, apply, template) and the household export."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from tests.factories import (
    BuildingFactory,
    CommunityFactory,
    HouseholdRoomFactory,
    PersonFactory,
    UnitFactory,
    staff,
)
from tests.households.test_excel import HEADER_ROW, counts, row, xlsx
from wuye.core.enums import Role
from wuye.core.models import AuditLog
from wuye.households.enums import ImportState
from wuye.households.interfaces.excel import CONTENT_TYPE, problem_message
from wuye.households.models import ImportBatch


@pytest.fixture
def building(community):
    building = BuildingFactory(community=community, name="1栋")
    UnitFactory(building=building, name="1单元")
    return building


def upload(client, content: bytes, name="rooms.xlsx"):
    return client.post(reverse("console:imports"), {"file": SimpleUploadedFile(name, content, CONTENT_TYPE)})


def sheet_rows(content: bytes) -> list[tuple]:
    workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    return list(workbook.worksheets[0].iter_rows(values_only=True))


def test_import_list_shows_form_template_link_and_history(admin_client, community):
    ImportBatch.objects.create(community=community, file_name="上次的文件.xlsx", content=b"")
    ImportBatch.objects.create(community=CommunityFactory(), file_name="别人的文件.xlsx", content=b"")
    response = admin_client.get(reverse("console:imports"))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in body
    assert reverse("console:import_template") in body
    assert "上次的文件.xlsx" in body
    assert "别人的文件.xlsx" not in body


def test_upload_stores_a_preview_and_writes_nothing(admin_client, community, building):
    before = counts()
    response = upload(admin_client, xlsx([row("101", owner="王小明"), row("102")]))
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("console:import_detail", kwargs={"importbatch_pk": batch.pk})
    assert counts() == before
    assert (batch.community, batch.file_name, batch.state) == (community, "rooms.xlsx", ImportState.PREVIEWED)
    page = admin_client.get(response.url).content.decode()
    assert reverse("console:import_apply", kwargs={"importbatch_pk": batch.pk}) in page
    assert "1栋-1单元-101" in page


def test_upload_without_a_file_shows_the_form_error(admin_client, community):
    response = admin_client.post(reverse("console:imports"), {})
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_preview_lists_every_problem_with_its_row(admin_client, community, building):
    rows = [
        row("101", built="九十"),
        row("102"),
        row(""),
        row("102"),
        row("105", building="9栋"),
        row("106", building="9号楼"),
    ]
    batch_url = upload(admin_client, xlsx(rows)).url
    body = admin_client.get(batch_url).content.decode()
    batch = ImportBatch.objects.get()
    assert batch.state == ImportState.REFUSED
    assert [(p["row"], p["code"]) for p in batch.report["problems"]] == [
        (2, "not_number"),
        (4, "missing_value"),
        (5, "duplicate_room"),
        (7, "label_variants"),
    ]
    assert 'class="problems"' in body
    with translation.override("zh-hans"):
        for problem in batch.report["problems"]:
            message = escape(problem_message(problem["code"], problem["params"]))
            column = escape(problem["params"].get("column") or "—")
            assert (
                f'<td>Sheet</td><td class="num">{problem["row"]}</td><td>{column}</td><td>{message}</td>'
                in body
            )
    assert reverse("console:import_apply", kwargs={"importbatch_pk": batch.pk}) not in body


@pytest.mark.parametrize(
    ("content", "name", "code"),
    [
        (b"\x89PNG\r\n\x1a\nnot a workbook", "rooms.xlsx", "file_type"),
        (b"", "rooms.xlsx", "file_empty"),
        (xlsx([]), "rooms.xlsx", "no_rows"),
    ],
)
def test_upload_of_a_bad_file_says_why(admin_client, community, building, content, name, code):
    before = counts()
    response = upload(admin_client, content, name)
    batch = ImportBatch.objects.get()
    assert [p["code"] for p in batch.report["problems"]] == [code]
    assert admin_client.get(response.url).status_code == 200
    assert admin_client.post(reverse("console:import_apply", args=[batch.pk])).status_code == 302
    assert counts() == before


def test_upload_over_the_size_limit_is_refused(admin_client, community, building, settings):
    settings.IMPORT_MAX_BYTES = 1000
    upload(admin_client, xlsx([row()]))
    batch = ImportBatch.objects.get()
    assert [p["code"] for p in batch.report["problems"]] == ["file_too_large"]
    assert bytes(batch.content) == b""


def test_apply_writes_then_refuses_a_second_time(admin_client, community, building):
    before = counts()
    upload(admin_client, xlsx([row("101", owner="王小明", phone="13912345678"), row("102")]))
    batch = ImportBatch.objects.get()
    url = reverse("console:import_apply", kwargs={"importbatch_pk": batch.pk})

    response = admin_client.post(url, follow=True)

    after = counts()
    assert (after["rooms"] - before["rooms"], after["households"] - before["households"]) == (2, 1)
    assert [m.level_tag for m in response.context["messages"]] == ["success"]
    batch.refresh_from_db()
    assert batch.state == ImportState.APPLIED

    response = admin_client.post(url, follow=True)

    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert counts() == after


def test_apply_answers_only_post(admin_client, community, building):
    upload(admin_client, xlsx([row("101")]))
    batch = ImportBatch.objects.get()
    assert admin_client.get(reverse("console:import_apply", args=[batch.pk])).status_code == 405
    assert ImportBatch.objects.get().state == ImportState.PREVIEWED


def test_another_communitys_batch_answers_404(admin_client, community):
    other = CommunityFactory()
    BuildingFactory(community=other, name="1栋")
    batch = ImportBatch.objects.create(community=other, file_name="b.xlsx", content=xlsx([row()]))
    before = counts()
    assert admin_client.get(reverse("console:import_detail", args=[batch.pk])).status_code == 404
    assert admin_client.post(reverse("console:import_detail", args=[batch.pk])).status_code == 404
    assert admin_client.post(reverse("console:import_apply", args=[batch.pk])).status_code == 404
    assert counts() == before
    assert ImportBatch.objects.get(pk=batch.pk).state == ImportState.PREVIEWED


def test_import_pages_need_estate_manage(client, community):
    client.force_login(staff(community, Role.FRONT_DESK))
    assert client.get(reverse("console:imports")).status_code == 404
    assert client.get(reverse("console:import_template")).status_code == 404
    assert client.get(reverse("console:households_export")).status_code == 200  # archive.view suffices


def test_template_download(admin_client):
    response = admin_client.get(reverse("console:import_template"))
    assert response.status_code == 200
    assert response["Content-Type"] == CONTENT_TYPE
    assert "attachment" in response["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["房屋住户", "人员", "车辆", "紧急联系人", "收费项目", "填写说明"]
    assert [c.value for c in workbook.worksheets[0][1]] == HEADER_ROW


def test_export_honours_the_building_filter(admin_client, community):
    inside = BuildingFactory(community=community, name="3栋")
    for _ in range(2):
        HouseholdRoomFactory(household__community=community, room__unit__building=inside)
    HouseholdRoomFactory(household__community=community)  # another building
    response = admin_client.get(reverse("console:households_export"), {"building": inside.pk})
    assert response.status_code == 200
    assert response["Content-Type"] == CONTENT_TYPE
    rows = sheet_rows(response.content)
    assert list(rows[0]) == HEADER_ROW
    assert [r[0] for r in rows[1:]] == ["3栋", "3栋"]


def test_export_shows_only_the_current_community(admin_client, community):
    HouseholdRoomFactory(household__community=community, room__unit__building__name="本小区楼")
    HouseholdRoomFactory(room__unit__building__name="别的小区楼")
    rows = sheet_rows(admin_client.get(reverse("console:households_export")).content)
    assert [r[0] for r in rows[1:]] == ["本小区楼"]


def test_export_uses_a_fixed_number_of_queries(admin_client, community):
    url = reverse("console:households_export")
    HouseholdRoomFactory(household__community=community)
    with CaptureQueriesContext(connection) as few:
        admin_client.get(url)
    for _ in range(10):
        HouseholdRoomFactory(household__community=community)
    with CaptureQueriesContext(connection) as many:
        rows = sheet_rows(admin_client.get(url).content)
    assert len(rows) == 12
    assert len(many) == len(few)


def test_export_then_import_through_the_console_changes_nothing(admin_client, community, household):
    HouseholdRoomFactory(household=household, room__unit=household.rooms.get().unit)
    exported = admin_client.get(reverse("console:households_export")).content
    before = counts()
    audit_before = AuditLog.objects.count()

    detail = upload(admin_client, exported, "export.xlsx").url
    batch = ImportBatch.objects.get()
    assert (batch.report["new"], batch.report["changed"], batch.report["unchanged"]) == (0, 0, 2)
    assert admin_client.get(detail).status_code == 200
    admin_client.post(reverse("console:import_apply", args=[batch.pk]))

    assert counts() == before
    assert AuditLog.objects.count() == audit_before
    assert ImportBatch.objects.get().state == ImportState.APPLIED


def test_preview_lists_what_the_import_creates(admin_client, community, building):
    rows = [row("101"), row("201", building="2号楼", unit="1单元", owner="李四", tags="党员")]
    batch_url = upload(admin_client, xlsx(rows)).url
    with translation.override("zh-hans"):
        body = admin_client.get(batch_url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    batch = ImportBatch.objects.get()
    assert batch.report["problems"] == []
    assert batch.report["create"] == {
        "buildings": ["2号楼"],
        "units": ["2号楼1单元"],
        "rooms": ["1栋-1单元-101", "2号楼-1单元-201"],
        "tags": ["党员"],
    }
    assert "将要新建" in body
    assert "1 栋楼" in body
    assert '<dd class="create-buildings">2号楼</dd>' in body
    assert '<dd class="create-rooms">1栋-1单元-101、2号楼-1单元-201</dd>' in body
    assert '<dd class="create-tags">党员</dd>' in body


def test_export_masks_id_numbers_for_those_who_may_not_import(client, admin_client, community):
    link = HouseholdRoomFactory(household__community=community)
    PersonFactory(household=link.household, name="王小明", id_number="110105199001011232")

    def ids(response) -> list:
        workbook = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
        return [r[5] for r in list(workbook["人员"].iter_rows(values_only=True))[1:]]

    assert ids(admin_client.get(reverse("console:households_export"))) == ["110105199001011232"]
    client.force_login(staff(community, Role.FRONT_DESK))
    assert ids(client.get(reverse("console:households_export"))) == ["110***********1232"]
