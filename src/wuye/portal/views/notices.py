"""Notices for the owner's household (opening one marks it read) and the community's activities."""

from __future__ import annotations

import contextlib

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wuye.households.domain.queries import people_living_in
from wuye.notices.domain.activities import activity_cancel, activity_signup
from wuye.notices.domain.errors import NoticeError
from wuye.notices.domain.notices import notice_mark_read
from wuye.owners.domain.queries import (
    acting_person,
    activities_for,
    activity_of,
    notice_of,
    notices_of,
    signups_of,
)
from wuye.portal.auth import owner_required
from wuye.portal.forms import SignupForm
from wuye.portal.views.base import render_portal


@owner_required
def notice_list(request):
    return render_portal(
        request,
        "portal/notices/list.html",
        {"notices": notices_of(household=request.household)},
        tab="notices",
    )


@owner_required
def notice_detail(request, notice_pk: int):
    notice = notice_of(household=request.household, pk=notice_pk)
    if notice is None:
        raise Http404
    # It may expire between the two reads: still show what was asked for.
    with contextlib.suppress(NoticeError):
        notice_mark_read(notice=notice, household=request.household, person=acting_person(request.binding))
    return render_portal(request, "portal/notices/detail.html", {"notice": notice}, tab="notices")


@owner_required
def activity_list(request):
    household = request.household
    signups = list(signups_of(household=household))
    signed = {}
    for signup in signups:
        signed.setdefault(signup.activity_id, []).append(signup)
    activities = list(activities_for(household=household))
    for activity in activities:
        activity.my_signups = signed.get(activity.pk, [])
        activity.places_left = max(activity.capacity - activity.taken, 0)
    return render_portal(
        request,
        "portal/notices/activities.html",
        {
            "activities": activities,
            "people": people_living_in(request.household),
            "default_person": acting_person(request.binding),
            "other_signups": [s for s in signups if s.activity_id not in {a.pk for a in activities}],
        },
        tab="activities",
    )


def _activity_and_person(request, activity_pk: int):
    activity = activity_of(household=request.household, pk=activity_pk)
    if activity is None:
        raise Http404
    form = SignupForm(request.POST, people=people_living_in(request.household))
    if not form.is_valid():
        raise Http404
    person = request.household.people.get(pk=form.cleaned_data["person"])
    return activity, person


@owner_required
@require_POST
def activity_signup_view(request, activity_pk: int):
    activity, person = _activity_and_person(request, activity_pk)
    try:
        activity_signup(activity=activity, person=person)
    except NoticeError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(name)s is signed up.") % {"name": person.name})
    return redirect("portal:activities")


@owner_required
@require_POST
def activity_cancel_view(request, activity_pk: int):
    activity, person = _activity_and_person(request, activity_pk)
    try:
        activity_cancel(activity=activity, person=person)
    except NoticeError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The sign-up of %(name)s is cancelled.") % {"name": person.name})
    return redirect("portal:activities")
