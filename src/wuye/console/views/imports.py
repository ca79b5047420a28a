"""Excel import of rooms and households (upload, preview, apply) and the export of the household list."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wuye.console.decorators import staff_view
from wuye.core.enums import Permission
from wuye.core.excel import problem_message
from wuye.core.models import user_can
from wuye.core.tenancy import scoped_get
from wuye.households.domain import imports as domain
from wuye.households.domain.queries import HouseholdFilter
from wuye.households.enums import ImportState
from wuye.households.interfaces.excel import (
    CONTENT_TYPE,
    ImportUploadForm,
    template_workbook,
    write_rooms,
)
from wuye.households.models import ImportBatch

HISTORY_LENGTH = 50


def _xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response


@staff_view(Permission.ESTATE_MANAGE)
@require_http_methods(["GET", "POST"])
def import_list(request):
    form = ImportUploadForm(request.POST, request.FILES) if request.method == "POST" else ImportUploadForm()
    if form.is_bound and form.is_valid():
        upload = form.cleaned_data["file"]
        # Never read more than the limit (plus one byte to know it is over): the size check is the
        # importer's, and a huge upload stays in Django's temporary file.
        content = upload.read(settings.IMPORT_MAX_BYTES + 1)
        batch = domain.import_preview(
            community=request.community, file_name=upload.name, content=content, actor=request.user
        )
        return redirect("console:import_detail", importbatch_pk=batch.pk)
    batches = (
        ImportBatch.objects.filter(community=request.community)
        .select_related("created_by")
        .defer("content")
        .order_by("-created_at", "-pk")[:HISTORY_LENGTH]
    )
    return render(
        request,
        "console/imports/list.html",
        {"form": form, "batches": batches, "max_size": settings.IMPORT_MAX_BYTES},
    )


@staff_view(Permission.ESTATE_MANAGE)
@require_GET
def import_template(request):
    return _xlsx_response(template_workbook(), "房屋住户导入模板.xlsx")


@staff_view(Permission.ESTATE_MANAGE)
def import_detail(request, importbatch_pk: int):
    # Look the batch up before checking the method, so that another community's batch is a 404 whatever
    # the method (a 405 would tell that the number exists).
    batch = scoped_get(
        ImportBatch.objects.defer("content").select_related("created_by"),
        request,
        Permission.ESTATE_MANAGE,
        pk=importbatch_pk,
    )
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    report = batch.report or {}
    problems = [
        {
            "sheet": p.get("sheet", ""),
            "row": p.get("row"),
            "column": (p.get("params") or {}).get("column", ""),
            "message": problem_message(p.get("code", ""), p.get("params") or {}),
        }
        for p in report.get("problems", [])
    ]
    create = report.get("create") or {}
    return render(
        request,
        "console/imports/detail.html",
        {
            "batch": batch,
            "report": report,
            "problems": problems,
            "details": report.get("details", []),
            "applied": report.get("applied"),
            "create": create,
            "creates": any(create.values()),
            "sheets": list((report.get("sheets") or {}).values()),
            "has_archive_changes": any(
                sheet.get("new") or sheet.get("changed") for sheet in (report.get("sheets") or {}).values()
            ),
            "can_apply": batch.state == ImportState.PREVIEWED and not problems,
        },
    )


@staff_view(Permission.ESTATE_MANAGE)
@require_POST
def import_apply(request, importbatch_pk: int):
    batch = scoped_get(ImportBatch.objects.all(), request, Permission.ESTATE_MANAGE, pk=importbatch_pk)
    try:
        result = domain.import_apply(batch=batch, actor=request.user)
    except domain.ImportRefusedError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _(
                "Import applied: %(new)s new rooms, %(changed)s rows changed, %(unchanged)s unchanged; %(people_new)s people, %(vehicles_new)s vehicles, %(contacts_new)s emergency contacts and %(assignments_new)s fee items added."
            )
            % result,
        )
    return redirect("console:import_detail", importbatch_pk=batch.pk)


@staff_view(Permission.ARCHIVE_VIEW)
@require_GET
def households_export(request):
    """The rooms of the households the household list shows with the same filter, with their people,
    vehicles, contacts, tags and fee items, as an import file. ID numbers are written whole only for
    those who may import (they could write them anyway); for others they are masked."""
    household_filter = HouseholdFilter.from_query(request.GET)
    archive = domain.archive_for_export(
        community=request.community,
        filter=household_filter,
        id_numbers=user_can(request.user, request.community.pk, Permission.ESTATE_MANAGE),
    )
    content = write_rooms(
        archive.rooms,
        people=archive.people,
        vehicles=archive.vehicles,
        contacts=archive.contacts,
        fees=archive.fees,
    )
    filename = f"住户导出-{timezone.localdate():%Y%m%d}.xlsx"
    return _xlsx_response(content, filename)
