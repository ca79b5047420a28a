"""Notices and activities pages: write, target, publish or schedule, withdraw; read receipts; activities
with their attendee lists and Excel export."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wuye.console.decorators import staff_view
from wuye.core.enums import Permission
from wuye.core.tenancy import scoped_get
from wuye.notices.domain import activities as activity_domain
from wuye.notices.domain import notices as domain
from wuye.notices.domain.errors import NoticeError
from wuye.notices.domain.queries import (
    activities_of,
    activity_attendees,
    notice_read_counts,
    notice_reads,
    notice_state_counts,
    notices_of,
    unread_households,
)
from wuye.notices.enums import (
    EDITABLE_STATES,
    NOTICE_STATE_COLOURS,
    NOTICE_TRANSITIONS,
    NoticeAction,
    NoticeState,
)
from wuye.notices.interfaces.exports import CONTENT_TYPE, attendees_workbook
from wuye.notices.interfaces.forms import ActivityForm, NoticeForm, ScheduleForm
from wuye.notices.models import Activity, Notice

MANAGE = Permission.NOTICES_MANAGE
LIST_LENGTH = 200


@staff_view(MANAGE)
def notice_list(request):
    state = request.GET.get("state", "")
    notices = list(notices_of(community=request.community, state=state)[:LIST_LENGTH])
    for notice in notices:
        notice.state_colour = NOTICE_STATE_COLOURS[notice.state]
    counts = notice_state_counts(community=request.community)
    tabs = [{"value": "", "label": _("All"), "count": sum(counts.values()), "active": not state}] + [
        {"value": value, "label": label, "count": counts[value], "active": value == state}
        for value, label in NoticeState.choices
    ]
    return render(
        request, "console/notices/list.html", {"notices": notices, "tabs": tabs, "now": timezone.now()}
    )


def _notice_form(request, notice: Notice | None):
    community = request.community if notice is None else notice.community
    initial = None
    if notice is not None:
        initial = {
            "title": notice.title,
            "body": notice.body,
            "audience": notice.audience,
            "buildings": list(notice.buildings.all()),
            "tags": list(notice.tags.all()),
            "pinned": notice.pinned,
            "urgent": notice.urgent,
            "expires_at": timezone.localtime(notice.expires_at) if notice.expires_at else None,
        }
    form = NoticeForm(request.POST or None, initial=initial, community=community)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        values = {
            "title": data["title"],
            "body": data["body"],
            "audience": data["audience"],
            "buildings": list(data["buildings"]),
            "tags": list(data["tags"]),
            "pinned": data["pinned"],
            "urgent": data["urgent"],
            "expires_at": data["expires_at"],
            "actor": request.user,
        }
        try:
            if notice is None:
                notice = domain.notice_create(community=community, **values)
            else:
                domain.notice_update(notice=notice, **values)
        except NoticeError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Saved."))
            return redirect("console:notice", notice_pk=notice.pk)
    title = _("New notice") if notice is None else _("Edit notice")
    return render(request, "console/notices/form.html", {"form": form, "title": title, "notice": notice})


@staff_view(MANAGE)
def notice_new(request):
    return _notice_form(request, None)


@staff_view(MANAGE)
def notice_edit(request, notice_pk: int):
    notice = scoped_get(Notice.objects, request, MANAGE, pk=notice_pk)
    if notice.state not in EDITABLE_STATES:
        messages.error(request, _("A withdrawn notice cannot be changed."))
        return redirect("console:notice", notice_pk=notice.pk)
    return _notice_form(request, notice)


@staff_view(MANAGE)
def notice_detail(request, notice_pk: int):
    notice = scoped_get(Notice.objects.select_related("created_by"), request, MANAGE, pk=notice_pk)
    allowed = {action for action, (sources, _target) in NOTICE_TRANSITIONS.items() if notice.state in sources}
    return render(
        request,
        "console/notices/detail.html",
        {
            "notice": notice,
            "state_colour": NOTICE_STATE_COLOURS[notice.state],
            "buildings": notice.buildings.all(),
            "tags": notice.tags.all(),
            "counts": notice_read_counts(notice=notice),
            "reads": notice_reads(notice=notice)[:LIST_LENGTH],
            "unread": unread_households(notice=notice)[:LIST_LENGTH],
            "can_publish": NoticeAction.PUBLISH in allowed,
            "can_schedule": NoticeAction.SCHEDULE in allowed,
            "can_withdraw": NoticeAction.WITHDRAW in allowed,
            "can_edit": notice.state in EDITABLE_STATES,
            "schedule_form": ScheduleForm(
                initial={"publish_at": timezone.localtime(notice.publish_at) if notice.publish_at else None}
            ),
            "now": timezone.now(),
        },
    )


@staff_view(MANAGE)
@require_POST
def notice_publish(request, notice_pk: int):
    """Publish now, or (with ``publish_at``) schedule."""
    notice = scoped_get(Notice.objects, request, MANAGE, pk=notice_pk)
    try:
        if request.POST.get("when") == "schedule":
            form = ScheduleForm(request.POST)
            if not form.is_valid():
                raise NoticeError(_("Schedule the notice for a time in the future."))
            domain.notice_schedule(
                notice=notice, publish_at=form.cleaned_data["publish_at"], actor=request.user
            )
            messages.success(request, _("Notice scheduled."))
        else:
            domain.notice_publish(notice=notice, actor=request.user)
            messages.success(request, _("Notice published."))
    except NoticeError as error:
        messages.error(request, str(error))
    return redirect("console:notice", notice_pk=notice.pk)


@staff_view(MANAGE)
@require_POST
def notice_withdraw(request, notice_pk: int):
    notice = scoped_get(Notice.objects, request, MANAGE, pk=notice_pk)
    try:
        domain.notice_withdraw(notice=notice, actor=request.user)
    except NoticeError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Notice withdrawn."))
    return redirect("console:notice", notice_pk=notice.pk)


# --- activities -------------------------------------------------------------------------------------


@staff_view(MANAGE)
def activity_list(request):
    activities = activities_of(community=request.community)[:LIST_LENGTH]
    return render(
        request, "console/notices/activities.html", {"activities": activities, "now": timezone.now()}
    )


def _activity_form(request, activity: Activity | None):
    initial = None
    if activity is not None:
        initial = {
            "title": activity.title,
            "description": activity.description,
            "place": activity.place,
            "starts_at": timezone.localtime(activity.starts_at),
            "ends_at": timezone.localtime(activity.ends_at) if activity.ends_at else None,
            "capacity": activity.capacity,
            "signup_deadline": timezone.localtime(activity.signup_deadline),
        }
    form = ActivityForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if activity is None:
                activity = activity_domain.activity_create(
                    community=request.community, actor=request.user, **form.cleaned_data
                )
            else:
                activity = activity_domain.activity_update(
                    activity=activity, actor=request.user, **form.cleaned_data
                )
        except NoticeError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Saved."))
            return redirect("console:activity", activity_pk=activity.pk)
    title = _("New activity") if activity is None else _("Edit activity")
    return render(
        request, "console/notices/activity_form.html", {"form": form, "title": title, "activity": activity}
    )


@staff_view(MANAGE)
def activity_new(request):
    return _activity_form(request, None)


@staff_view(MANAGE)
def activity_edit(request, activity_pk: int):
    activity = scoped_get(Activity.objects, request, MANAGE, pk=activity_pk)
    return _activity_form(request, activity)


@staff_view(MANAGE)
def activity_detail(request, activity_pk: int):
    activity = scoped_get(Activity.objects, request, MANAGE, pk=activity_pk)
    attendees = list(activity_attendees(activity=activity))
    return render(
        request,
        "console/notices/activity.html",
        {
            "activity": activity,
            "attendees": attendees,
            "free": max(activity.capacity - len(attendees), 0),
            "now": timezone.now(),
        },
    )


@staff_view(MANAGE)
@require_POST
def activity_cancel(request, activity_pk: int):
    activity = scoped_get(Activity.objects, request, MANAGE, pk=activity_pk)
    try:
        activity_domain.activity_cancel_all(activity=activity, actor=request.user)
    except NoticeError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Activity cancelled."))
    return redirect("console:activity", activity_pk=activity.pk)


@staff_view(MANAGE)
def activity_export(request, activity_pk: int):
    activity = scoped_get(Activity.objects, request, MANAGE, pk=activity_pk)
    response = HttpResponse(attendees_workbook(activity=activity), content_type=CONTENT_TYPE)
    filename = f"{activity.title}-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response
