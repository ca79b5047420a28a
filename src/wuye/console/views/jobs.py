"""Background jobs of the community: recent and failed ones, their errors, and a retry for failures."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wuye.console.decorators import staff_view
from wuye.core import jobs
from wuye.core.enums import Permission
from wuye.core.models import Job

MANAGE = Permission.STAFF_MANAGE


def _jobs_of(request):
    """The community's jobs, and the jobs of several communities that have a part in it."""
    community = request.community
    return Job.objects.filter(Q(community=community) | Q(parts__community=community)).distinct()


@staff_view(MANAGE)
def job_list(request):
    state = request.GET.get("state", "")
    found = _jobs_of(request).select_related("created_by", "parent")
    if state in Job.State.values:
        found = found.filter(state=state)
    page = Paginator(found.order_by("-created_at", "-pk"), 50).get_page(request.GET.get("page"))
    for record in page.object_list:
        record.label = jobs.job_label(record.name)
    failed = _jobs_of(request).filter(state=Job.State.FAILED).count()
    return render(
        request,
        "console/jobs/list.html",
        {
            "page": page,
            "state": state,
            "states": Job.State.choices,
            "failed": failed,
            "query": f"state={state}" if state else "",
        },
    )


@staff_view(MANAGE)
def job_detail(request, job_pk: int):
    record = _jobs_of(request).filter(pk=job_pk).select_related("created_by", "parent").first()
    if record is None:
        raise Http404
    record.label = jobs.job_label(record.name)
    parts = list(record.parts.order_by("pk").select_related("community"))
    for part in parts:
        part.label = jobs.job_label(part.name)
    return render(request, "console/jobs/detail.html", {"job": record, "parts": parts})


@staff_view(MANAGE)
@require_POST
def job_retry(request, job_pk: int):
    record = _jobs_of(request).filter(pk=job_pk).first()
    if record is None:
        raise Http404
    if record.state != Job.State.FAILED:
        messages.error(request, _("Only a failed job can be retried."))
    else:
        jobs.job_retry(record=record, actor=request.user)
        messages.success(request, _("The job was queued again."))
    return redirect("console:job", job_pk=record.pk)
