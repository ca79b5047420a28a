"""Access control pages (门禁): doors, door groups and rules; the credentials of a household and of
staff (issue, revoke); visitor passes; the door event audit (who opened what and when)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wuye.access.domain import credentials as credential_domain
from wuye.access.domain import doors as door_domain
from wuye.access.domain import passes as pass_domain
from wuye.access.domain.errors import AccessError
from wuye.access.domain.queries import (
    EventFilter,
    credentials_of_household,
    doors_of,
    events_filtered,
    groups_of,
    pass_state,
    passes_of,
    rules_of,
    staff_credentials_of,
    staff_of,
)
from wuye.access.enums import RESULT_COLOURS
from wuye.access.interfaces.forms import (
    CredentialForm,
    DoorForm,
    DoorGroupForm,
    EventFilterForm,
    RevokeForm,
    RuleForm,
)
from wuye.access.models import AccessRule, Credential, Door, DoorGroup, VisitorPass
from wuye.console.decorators import staff_view
from wuye.core.enums import Permission
from wuye.core.models import user_can
from wuye.core.tenancy import scoped_get
from wuye.households.models import Household
from wuye.service.domain.queries import households_by_room_or_phone

VIEW = Permission.ACCESS_VIEW
MANAGE = Permission.ACCESS_MANAGE
PAGE_SIZE = 50


def _may_manage(request, community_id: int) -> bool:
    return user_can(request.user, community_id, MANAGE)


# --- doors -------------------------------------------------------------------------------------------


@staff_view(VIEW)
def door_list(request):
    return render(
        request,
        "console/access/doors.html",
        {
            "doors": doors_of(community=request.community),
            "can_manage": _may_manage(request, request.community.pk),
        },
    )


def _door_form(request, door: Door | None):
    community = request.community if door is None else door.community
    initial = None
    if door is not None:
        initial = {
            "name": door.name,
            "building": door.building,
            "device_id": door.device_id,
            "key_ref": door.key_ref,
            "is_active": door.is_active,
        }
    form = DoorForm(request.POST or None, initial=initial, community=community)
    if request.method == "POST" and form.is_valid():
        try:
            if door is None:
                door_domain.door_create(community=community, actor=request.user, **form.cleaned_data)
            else:
                door_domain.door_update(door=door, actor=request.user, **form.cleaned_data)
        except AccessError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Saved."))
            return redirect("console:access_doors")
    title = _("New door") if door is None else _("Edit door")
    return render(
        request, "console/access/form.html", {"form": form, "title": title, "back": "console:access_doors"}
    )


@staff_view(MANAGE)
def door_new(request):
    return _door_form(request, None)


@staff_view(MANAGE)
def door_edit(request, door_pk: int):
    return _door_form(request, scoped_get(Door.objects, request, MANAGE, pk=door_pk))


# --- groups and rules --------------------------------------------------------------------------------


@staff_view(VIEW)
def group_list(request):
    return render(
        request,
        "console/access/groups.html",
        {
            "groups": groups_of(community=request.community),
            "can_manage": _may_manage(request, request.community.pk),
        },
    )


def _group_form(request, group: DoorGroup | None):
    community = request.community if group is None else group.community
    initial = None if group is None else {"name": group.name, "doors": list(group.doors.all())}
    form = DoorGroupForm(request.POST or None, initial=initial, community=community)
    if request.method == "POST" and form.is_valid():
        values = {
            "name": form.cleaned_data["name"],
            "doors": list(form.cleaned_data["doors"]),
            "actor": request.user,
        }
        try:
            if group is None:
                door_domain.group_create(community=community, **values)
            else:
                door_domain.group_update(group=group, **values)
        except AccessError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Saved."))
            return redirect("console:access_groups")
    title = _("New door group") if group is None else _("Edit door group")
    return render(
        request, "console/access/form.html", {"form": form, "title": title, "back": "console:access_groups"}
    )


@staff_view(MANAGE)
def group_new(request):
    return _group_form(request, None)


@staff_view(MANAGE)
def group_edit(request, doorgroup_pk: int):
    return _group_form(request, scoped_get(DoorGroup.objects, request, MANAGE, pk=doorgroup_pk))


@staff_view(VIEW)
def rule_list(request):
    can_manage = _may_manage(request, request.community.pk)
    return render(
        request,
        "console/access/rules.html",
        {
            "rules": rules_of(community=request.community),
            "can_manage": can_manage,
            "form": RuleForm(community=request.community) if can_manage else None,
        },
    )


@staff_view(MANAGE)
def rule_new(request):
    form = RuleForm(request.POST or None, community=request.community)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            door_domain.rule_create(
                group=data["group"],
                subject=data["subject"],
                building=data["building"],
                role=data["role"],
                weekdays="".join(data["weekdays"]),
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                actor=request.user,
            )
        except AccessError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Rule added."))
            return redirect("console:access_rules")
    return render(
        request,
        "console/access/form.html",
        {"form": form, "title": _("New access rule"), "back": "console:access_rules"},
    )


@staff_view(MANAGE)
@require_POST
def rule_delete(request, accessrule_pk: int):
    rule = scoped_get(AccessRule.objects, request, MANAGE, pk=accessrule_pk)
    door_domain.rule_delete(rule=rule, actor=request.user)
    messages.success(request, _("Rule removed."))
    return redirect("console:access_rules")


# --- credentials -------------------------------------------------------------------------------------


@staff_view(VIEW)
def credential_find(request):
    """Find a household (room label, room number or phone) to see and issue its credentials."""
    text = request.GET.get("q", "")[:60]
    found = households_by_room_or_phone(community=request.community, text=text) if text else []
    return render(request, "console/access/find.html", {"q": text, "households": found})


def _holders_of_household(household: Household) -> list[tuple[int, str]]:
    today = timezone.localdate()
    return [
        (person.pk, person.name)
        for person in household.people.all()
        if person.moved_out_on is None or person.moved_out_on > today
    ]


@staff_view(VIEW)
def household_credentials(request, household_pk: int):
    household = scoped_get(Household.objects, request, VIEW, pk=household_pk)
    can_manage = _may_manage(request, household.community_id)
    return render(
        request,
        "console/access/household.html",
        {
            "household": household,
            "credentials": credentials_of_household(household=household),
            "passes": [
                (item, pass_state(item)) for item in household.visitor_passes.order_by("-created_at")[:20]
            ],
            "can_manage": can_manage,
            "form": CredentialForm(holders=_holders_of_household(household)) if can_manage else None,
            "revoke_form": RevokeForm(),
        },
    )


@staff_view(MANAGE)
@require_POST
def household_credential_issue(request, household_pk: int):
    household = scoped_get(Household.objects, request, MANAGE, pk=household_pk)
    form = CredentialForm(request.POST, holders=_holders_of_household(household))
    if form.is_valid():
        data = form.cleaned_data
        try:
            credential_domain.credential_issue(
                community=household.community,
                kind=data["kind"],
                value=data["value"],
                person=household.people.get(pk=data["holder"]),
                valid_from=data["valid_from"],
                valid_until=data["valid_until"],
                actor=request.user,
            )
        except AccessError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Credential issued."))
    else:
        messages.error(request, _("Check the credential's fields."))
    return redirect("console:access_household", household_pk=household.pk)


@staff_view(VIEW)
def staff_credentials(request):
    can_manage = _may_manage(request, request.community.pk)
    holders = [
        (user.pk, user.get_full_name() or user.get_username())
        for user in staff_of(community=request.community)
    ]
    return render(
        request,
        "console/access/staff.html",
        {
            "credentials": staff_credentials_of(community=request.community),
            "can_manage": can_manage,
            "form": CredentialForm(holders=holders) if can_manage else None,
            "revoke_form": RevokeForm(),
        },
    )


@staff_view(MANAGE)
@require_POST
def staff_credential_issue(request):
    community = request.community
    holders = [(user.pk, user.get_username()) for user in staff_of(community=community)]
    form = CredentialForm(request.POST, holders=holders)
    if form.is_valid():
        data = form.cleaned_data
        try:
            credential_domain.credential_issue(
                community=community,
                kind=data["kind"],
                value=data["value"],
                user=get_user_model().objects.get(pk=data["holder"]),
                valid_from=data["valid_from"],
                valid_until=data["valid_until"],
                actor=request.user,
            )
        except AccessError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Credential issued."))
    else:
        messages.error(request, _("Check the credential's fields."))
    return redirect("console:access_staff")


@staff_view(MANAGE)
@require_POST
def credential_revoke(request, credential_pk: int):
    credential = scoped_get(Credential.objects, request, MANAGE, pk=credential_pk)
    form = RevokeForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    credential_domain.credential_revoke(credential=credential, reason=reason, actor=request.user)
    messages.success(request, _("Credential revoked."))
    if credential.household_id:
        return redirect("console:access_household", household_pk=credential.household_id)
    return redirect("console:access_staff")


# --- visitor passes and events -----------------------------------------------------------------------


@staff_view(VIEW)
def pass_list(request):
    page = Paginator(passes_of(community=request.community), PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    return render(
        request,
        "console/access/passes.html",
        {
            "page": page,
            "rows": [(item, pass_state(item, now)) for item in page.object_list],
            "can_manage": _may_manage(request, request.community.pk),
        },
    )


@staff_view(MANAGE)
@require_POST
def pass_revoke(request, visitorpass_pk: int):
    visitor_pass = scoped_get(VisitorPass.objects, request, MANAGE, pk=visitorpass_pk)
    form = RevokeForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    pass_domain.visitor_pass_revoke(visitor_pass=visitor_pass, reason=reason, actor=request.user)
    messages.success(request, _("Visitor pass revoked."))
    return redirect("console:access_passes")


@staff_view(VIEW)
def event_list(request):
    form = EventFilterForm(request.GET or None, community=request.community)
    data = form.cleaned_data if form.is_valid() else {}
    event_filter = EventFilter(
        door=data["door"].pk if data.get("door") else None,
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
        result=data.get("result") or "",
    )
    page = Paginator(events_filtered(community=request.community, filter=event_filter), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = urlencode([(key, value) for key, value in request.GET.items() if key != "page" and value])
    for event in page.object_list:
        event.colour = RESULT_COLOURS.get(event.result, "grey")
    return render(request, "console/access/events.html", {"form": form, "page": page, "query": query})
