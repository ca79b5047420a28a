"""Debit batches (送盘/回盘): build with a preview, download the files, mark them sent, import the
bank's result and late returns. Money moves only in the debit domain; these views read forms, call it
and say what happened.

Every batch lookup is scoped: a batch is visible with debit.view in one of its communities, and acting
on it (files, send, cancel, imports) needs debit.manage in every one of them; anything else is 404.
The files carry whole card numbers, so only managers download them (each download is audited).
"""

from __future__ import annotations

import datetime
import hashlib
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from wuye.console.decorators import staff_view
from wuye.core.enums import Permission
from wuye.core.forms import errors_text
from wuye.core.models import Community
from wuye.core.tenancy import scoped_get
from wuye.debit.domain import batch_queries as queries
from wuye.debit.domain.batches import BatchError, batch_build, batch_cancel, batch_send, batch_summary
from wuye.debit.domain.files import (
    batch_files,
    batch_files_downloaded,
    files_digest,
    files_zip,
    result_read,
    returns_read,
)
from wuye.debit.domain.results import ResultError, result_settle, returns_import
from wuye.debit.enums import BatchState, LineState
from wuye.debit.interfaces.files import BankFileError
from wuye.debit.models import DebitBatch, DebitLine

VIEW, MANAGE = Permission.DEBIT_VIEW, Permission.DEBIT_MANAGE
BATCHES_PER_PAGE = 30
LINES_PER_PAGE = 50
COLLECTION_DAYS = 3  # the default collection date: three days after the cut-off, as banks ask
# What a batch page offers in each state.
DOWNLOADABLE = (
    BatchState.BUILT,
    BatchState.SENT,
    BatchState.PARTIAL,
    BatchState.SETTLED,
    BatchState.REJECTED,
)
TAKES_RESULTS = (BatchState.SENT, BatchState.PARTIAL)
TAKES_RETURNS = (BatchState.PARTIAL, BatchState.SETTLED)


class BuildForm(forms.Form):
    cutoff_on = forms.DateField(
        label=gettext_lazy("Bills due by"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("Open bills due on or before this day are debited."),
    )
    collection_on = forms.DateField(
        label=gettext_lazy("Collection date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("The day the bank debits the cards."),
    )
    communities = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Communities"),
        queryset=Community.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["communities"].queryset = communities


class BankFileForm(forms.Form):
    """One file the bank sent back. Checked by size here; by content in the debit domain."""

    file = forms.FileField(label=gettext_lazy("File"), allow_empty_file=True)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB.") % {"mb": settings.IMPORT_MAX_BYTES // 2**20}
            )
        if upload.size == 0:
            raise forms.ValidationError(_("The file is empty."))
        return upload


def _batch(request, pk: int, permission: str) -> DebitBatch:
    """The batch if the user may see it (with ``permission`` in one of its communities); for
    ``MANAGE``, in every one of them. 404 otherwise."""
    batch = scoped_get(DebitBatch.objects.all(), request, permission, pk=pk)
    if permission == MANAGE and not queries.batch_manageable(user=request.user, batch=batch):
        raise Http404
    return batch


def _back(batch: DebitBatch):
    return redirect("console:debit_batch", debitbatch_pk=batch.pk)


@staff_view(VIEW)
def batch_list(request):
    page = Paginator(queries.batches_of_community(community=request.community), BATCHES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "console/debit/batches/list.html", {"page": page})


@staff_view(MANAGE)
@require_http_methods(["GET", "POST"])
def batch_new(request):
    today = timezone.localdate()
    form = BuildForm(
        request.POST or None,
        communities=queries.build_communities(user=request.user, community=request.community),
        initial={
            "cutoff_on": today,
            "collection_on": today + datetime.timedelta(days=COLLECTION_DAYS),
            "communities": [request.community.pk],
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            batch = batch_build(
                company=request.community.company,
                communities=list(form.cleaned_data["communities"]),
                cutoff_on=form.cleaned_data["cutoff_on"],
                collection_on=form.cleaned_data["collection_on"],
                actor=request.user,
            )
        except BatchError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _(
                    "Batch %(number)s is built. Check the preview, download the files and send them to the bank."
                )
                % {"number": batch.number},
            )
            return _back(batch)
    return render(request, "console/debit/batches/new.html", {"form": form})


@staff_view(VIEW)
def batch_detail(request, debitbatch_pk: int):
    # Look the batch up before checking the method, so another community's batch is 404 whatever
    # the method (a 405 would tell that the number exists).
    batch = _batch(request, debitbatch_pk, VIEW)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    state = request.GET.get("state", "")
    if state not in LineState.values:
        state = ""
    summary = batch_summary(batch)
    tabs = [
        {
            "value": "",
            "label": _("All"),
            "count": batch.line_count,
            "active": not state,
            "query": "",
        }
    ] + [
        {
            "value": value,
            "label": label,
            "count": summary.get(value, {}).get("count", 0),
            "active": state == value,
            "query": urlencode({"state": value}),
        }
        for value, label in LineState.choices
        if value != LineState.CANCELLED or batch.state == BatchState.CANCELLED
    ]
    page = Paginator(queries.batch_lines(batch=batch, state=state), LINES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    rooms = queries.household_rooms_labels(line.household_id for line in page.object_list)
    rows = [(line, rooms.get(line.household_id, "")) for line in page.object_list]
    left_out = queries.batch_left_out(batch=batch)
    manageable = queries.batch_manageable(user=request.user, batch=batch)
    on_simulator = settings.DEMO or queries.batch_on_simulator(
        batch=batch, simulator_url=settings.WUYE_PAYSIM_URL
    )
    return render(
        request,
        "console/debit/batches/detail.html",
        {
            "batch": batch,
            "communities": batch.communities.order_by("pk"),
            "by_community": queries.batch_by_community(batch=batch),
            "left_out": left_out,
            "left_out_fen": sum(entry.amount_fen for entry in left_out),
            "summary": [
                {"label": label, **summary[value]} for value, label in LineState.choices if value in summary
            ],
            "tabs": tabs,
            "page": page,
            "rows": rows,
            "query": urlencode({"state": state}) if state else "",
            "result_files": queries.batch_result_files(batch=batch),
            "manageable": manageable,
            "can_download": manageable and batch.state in DOWNLOADABLE,
            "can_send": manageable and batch.state == BatchState.BUILT,
            "can_import": manageable and batch.state in TAKES_RESULTS,
            "can_return": manageable and batch.state in TAKES_RETURNS,
            "upload_form": BankFileForm(),
            "max_size_mb": settings.IMPORT_MAX_BYTES // 2**20,
            "bank_url": f"{settings.WUYE_PAYSIM_URL.rstrip('/')}/bank/" if on_simulator else "",
        },
    )


def _line_household(batch: DebitBatch, line_no: int | None) -> str:
    """'1栋-1单元-101 王小明': the household of a debit line, to name it in a message."""
    line = DebitLine.objects.filter(batch=batch, line_no=line_no).select_related("household").first()
    if line is None:
        return ""
    rooms = queries.household_rooms_labels([line.household_id]).get(line.household_id, "")
    return f"{rooms} {line.household.name}".strip()


def _files_error(request, batch: DebitBatch, error: BankFileError, *, what: str) -> None:
    household = _line_household(batch, error.line) if error.line else ""
    message = what % {"reason": error.message}
    if household:
        message += " " + _("Debit line %(line)s is the household %(household)s: correct its mandate.") % {
            "line": error.line,
            "household": household,
        }
    messages.error(request, message)


@staff_view(MANAGE)
def batch_download(request, debitbatch_pk: int):
    batch = _batch(request, debitbatch_pk, MANAGE)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    if batch.state not in DOWNLOADABLE:
        messages.error(request, _("A cancelled batch has no files."))
        return _back(batch)
    try:
        files = batch_files(batch)
    except BankFileError as error:
        _files_error(request, batch, error, what=_("The files cannot be written: %(reason)s"))
        return _back(batch)
    if batch.files_sha256 and files_digest(files) != batch.files_sha256 and not request.GET.get("anyway"):
        messages.warning(
            request,
            _(
                "These files are no longer the ones sent to the bank: a mandate or the bank settings"
                " changed since. Compare them with what the bank received before using them."
            ),
        )
        return redirect(reverse("console:debit_batch", args=[batch.pk]) + "?mismatch=1")
    batch_files_downloaded(batch=batch, files=files, actor=request.user)
    if len(files) == 1:
        name, content, content_type = files[0][0], files[0][1], "application/octet-stream"
    else:
        name, content, content_type = f"{batch.number}.zip", files_zip(files, batch=batch), "application/zip"
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    response["Cache-Control"] = "no-store"  # whole card numbers: never kept by a proxy or the browser
    return response


@staff_view(MANAGE)
@require_POST
def batch_send_view(request, debitbatch_pk: int):
    batch = _batch(request, debitbatch_pk, MANAGE)
    try:
        files = batch_files(batch)
    except BankFileError as error:
        _files_error(
            request,
            batch,
            error,
            what=_("The files cannot be written, so the batch was not sent: %(reason)s"),
        )
        return _back(batch)
    try:
        batch = batch_send(batch=batch, files_sha256=files_digest(files), actor=request.user)
    except BatchError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _(
                "Batch %(number)s is marked as sent. Its %(count)s lines are locked against other payments"
                " until the bank's result is imported."
            )
            % {"number": batch.number, "count": batch.line_count},
        )
    return _back(batch)


@staff_view(MANAGE)
@require_POST
def batch_cancel_view(request, debitbatch_pk: int):
    batch = _batch(request, debitbatch_pk, MANAGE)
    try:
        batch_cancel(batch=batch, actor=request.user)
    except BatchError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Batch %(number)s is cancelled; its bills can be debited again.") % {"number": batch.number},
        )
    return _back(batch)


def _upload(request, batch: DebitBatch):
    """(file name, bytes, sha256) of a valid upload, or None with the form's errors as messages."""
    form = BankFileForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, errors_text(form))
        return None
    upload = form.cleaned_data["file"]
    # Never read more than the limit; the upload stays in Django's temporary file, and is not kept:
    # only its name and digest are recorded.
    data = upload.read(settings.IMPORT_MAX_BYTES + 1)
    return upload.name, data, hashlib.sha256(data).hexdigest()


def _seen(request, batch: DebitBatch, sha256: str) -> bool:
    seen = queries.result_file_seen(batch=batch, sha256=sha256)
    if seen is not None:
        messages.info(
            request,
            _("This file (%(name)s) was imported on %(when)s; nothing changed.")
            % {
                "name": seen.file_name,
                "when": timezone.localtime(seen.imported_at).strftime("%Y-%m-%d %H:%M"),
            },
        )
    return seen is not None


@staff_view(MANAGE)
@require_POST
def batch_result_import(request, debitbatch_pk: int):
    batch = _batch(request, debitbatch_pk, MANAGE)
    upload = _upload(request, batch)
    if upload is None or _seen(request, batch, upload[2]):
        return _back(batch)
    name, data, sha256 = upload
    try:
        result = result_read(batch, data, file_name=name)
        record = result_settle(batch=batch, result=result, file_name=name, sha256=sha256, actor=request.user)
    except (BankFileError, ResultError) as error:
        messages.error(
            request,
            _("The result file %(name)s was not imported, nothing changed: %(reason)s")
            % {"name": name, "reason": str(error)},
        )
        return _back(batch)
    batch.refresh_from_db()
    if batch.state == BatchState.REJECTED:
        messages.warning(
            request,
            _(
                "The bank rejected the whole file (%(code)s %(message)s): nothing was debited, and its"
                " %(count)s lines are back in the pool for the next batch."
            )
            % {"code": batch.reject_code, "message": batch.reject_message, "count": record.failed},
        )
    else:
        messages.success(
            request,
            _(
                "Result file %(name)s imported: %(succeeded)s debited, %(failed)s failed,"
                " %(unknown)s unknown (still with the bank)."
            )
            % {
                "name": name,
                "succeeded": record.succeeded,
                "failed": record.failed,
                "unknown": record.unknown,
            },
        )
    return _back(batch)


@staff_view(MANAGE)
@require_POST
def batch_returns_import(request, debitbatch_pk: int):
    batch = _batch(request, debitbatch_pk, MANAGE)
    upload = _upload(request, batch)
    if upload is None or _seen(request, batch, upload[2]):
        return _back(batch)
    name, data, sha256 = upload
    try:
        returns = returns_read(batch, data, file_name=name)
        record = returns_import(
            batch=batch, returns=returns, file_name=name, sha256=sha256, actor=request.user
        )
    except (BankFileError, ResultError) as error:
        messages.error(
            request,
            _("The returns file %(name)s was not imported, nothing changed: %(reason)s")
            % {"name": name, "reason": str(error)},
        )
        return _back(batch)
    messages.success(
        request,
        _(
            "Returns file %(name)s imported: %(count)s debits taken back by the bank; their bills are open again."
        )
        % {"name": name, "count": record.returned},
    )
    return _back(batch)
