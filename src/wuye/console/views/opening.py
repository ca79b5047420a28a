"""Opening balances (期初导入): the template, upload and preview, confirm, the imports and their reversal."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from wuye.console.decorators import staff_view
from wuye.core.enums import Permission
from wuye.core.models import user_can
from wuye.core.tenancy import scoped_get
from wuye.households.interfaces.excel import CONTENT_TYPE, ImportUploadForm
from wuye.opening.domain import imports as opening
from wuye.opening.domain.queries import balances_of, imports_of
from wuye.opening.interfaces import excel as opening_excel
from wuye.opening.models import OpeningImport

VIEW, MANAGE = Permission.BILLING_VIEW, Permission.BILLING_MANAGE
BALANCES_SHOWN = 200


class ReverseForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200)


def _list(request, *, form, problems=None, data_rows=0, status=200):
    page = Paginator(imports_of(community=request.community), 30).get_page(request.GET.get("page"))
    return render(
        request,
        "console/opening/list.html",
        {
            "page": page,
            "form": form,
            "problems": problems,
            "data_rows": data_rows,
            "max_size": settings.IMPORT_MAX_BYTES,
            "can_manage": user_can(request.user, request.community.pk, MANAGE),
        },
        status=status,
    )


@staff_view(VIEW)
def opening_list(request):
    """The imports of the community; staff who manage billing upload a file here and see its preview."""
    if request.method != "POST":
        return _list(request, form=ImportUploadForm())
    if not user_can(request.user, request.community.pk, MANAGE):
        return redirect("console:opening")
    form = ImportUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _list(request, form=form)
    upload = form.cleaned_data["file"]
    # Never read more than the limit (plus one byte to know it is over).
    sheet = opening_excel.read_opening(upload.read(settings.IMPORT_MAX_BYTES + 1))
    if sheet.problems:
        return _list(request, form=ImportUploadForm(), problems=sheet.problems, data_rows=sheet.data_rows)
    try:
        record = opening.opening_preview(
            community=request.community,
            file_name=upload.name,
            sha256=sheet.sha256,
            rows=sheet.rows,
            actor=request.user,
        )
    except opening.OpeningRefusedError as error:
        return _list(request, form=ImportUploadForm(), problems=error.problems, data_rows=sheet.data_rows)
    except opening.OpeningError as error:
        messages.error(request, str(error))
        return _list(request, form=ImportUploadForm())
    return redirect("console:opening_import", openingimport_pk=record.pk)


@staff_view(MANAGE)
@require_GET
def opening_template(request):
    response = HttpResponse(opening_excel.template_workbook(), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename="期初余额导入模板.xlsx"
    )
    return response


def _detail(request, record: OpeningImport, *, problems=None):
    balances = balances_of(opening_import=record)
    return render(
        request,
        "console/opening/detail.html",
        {
            "record": record,
            "preview": record.preview,
            "problems": problems,
            "balances": list(balances[:BALANCES_SHOWN]),
            "balances_total": balances.count(),
            "refusal": opening.opening_reversal_refusal(opening_import=record),
            "reverse_form": ReverseForm(),
            "can_manage": user_can(request.user, record.community_id, MANAGE),
        },
    )


@staff_view(VIEW)
def opening_import(request, openingimport_pk: int):
    record = scoped_get(OpeningImport.objects, request, VIEW, pk=openingimport_pk)
    return _detail(request, record)


@staff_view(MANAGE)
@require_POST
def opening_confirm(request, openingimport_pk: int):
    record = scoped_get(OpeningImport.objects, request, MANAGE, pk=openingimport_pk)
    try:
        record = opening.opening_import(opening_import=record, actor=request.user)
    except opening.OpeningRefusedError as error:
        messages.error(
            request, _("Nothing was written: the rows below cannot be imported as the data is now.")
        )
        return _detail(request, record, problems=error.problems)
    except opening.OpeningError as error:
        messages.error(request, str(error))
        return redirect("console:opening_import", openingimport_pk=record.pk)
    messages.success(
        request,
        _("Opening balances imported: %(rows)s rows.") % {"rows": record.row_count},
    )
    return redirect("console:opening_import", openingimport_pk=record.pk)


@staff_view(MANAGE)
@require_POST
def opening_reverse(request, openingimport_pk: int):
    record = scoped_get(OpeningImport.objects, request, MANAGE, pk=openingimport_pk)
    form = ReverseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason for reversing the import."))
        return redirect("console:opening_import", openingimport_pk=record.pk)
    try:
        opening.opening_reverse(opening_import=record, reason=form.cleaned_data["reason"], actor=request.user)
    except opening.OpeningError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("The import was reversed: its bills are void and its balances taken back in the ledger."),
        )
    return redirect("console:opening_import", openingimport_pk=record.pk)
