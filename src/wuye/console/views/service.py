"""Service desk pages: the inbox, a request with its history and actions, new requests taken by phone
or at the desk, "my work orders", the dashboard, staff performance, and the configuration."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from wuye.billing.domain.charges import charge_line
from wuye.console.decorators import staff_view
from wuye.core.enums import Permission
from wuye.core.models import user_can
from wuye.core.money import fen_to_decimal
from wuye.core.tenancy import scoped_get
from wuye.core.uploads import upload_response
from wuye.estate.models import Building, Room
from wuye.households.models import Household, Person
from wuye.service.domain import categories as category_domain
from wuye.service.domain import requests as domain
from wuye.service.domain import teams as team_domain
from wuye.service.domain.errors import ServiceError
from wuye.service.domain.queries import (
    RequestFilter,
    assignable_staff,
    categories_tree,
    category_choices,
    dashboard,
    households_by_room_or_phone,
    is_on_time,
    is_overdue,
    performance,
    request_comments,
    request_history,
    requests_filtered,
    requests_for_list,
    service_settings_of,
    state_counts,
    team_members,
    teams_of,
    work_orders_of,
)
from wuye.service.enums import (
    ENDED_STATES,
    FINISHED_STATES,
    OPEN_STATES,
    STATE_COLOURS,
    Period,
    RequestAction,
    RequestState,
    RequestType,
)
from wuye.service.interfaces.forms import (
    ActionForm,
    CategoryForm,
    ChargeForm,
    CommentForm,
    FindHouseholdForm,
    PerformanceForm,
    PhotoForm,
    ReturnVisitForm,
    SettingsForm,
    StaffRequestForm,
    TeamForm,
)
from wuye.service.models import RequestPhoto, ServiceCategory, ServiceRequest, Team
from wuye.service.rules import NEEDS_ASSIGNEE, allowed_actions, staff_may

PAGE_SIZE = 30
STAR_LABELS = {
    Period.DAY: gettext_lazy("Star of the day"),
    Period.WEEK: gettext_lazy("Star of the week"),
    Period.MONTH: gettext_lazy("Star of the month"),
}

VIEW = Permission.SERVICE_VIEW
HANDLE = Permission.SERVICE_HANDLE
MANAGE = Permission.SERVICE_MANAGE


def _request(request, servicerequest_pk: int, permission: str = VIEW) -> ServiceRequest:
    return scoped_get(
        ServiceRequest.objects.select_related("category__parent", "household", "person", "assignee", "team"),
        request,
        permission,
        pk=servicerequest_pk,
    )


def _rights(request, service_request: ServiceRequest) -> dict[str, bool]:
    community_id = service_request.community_id
    return {
        "manage": user_can(request.user, community_id, MANAGE),
        "handle": user_can(request.user, community_id, HANDLE),
        "is_assignee": service_request.assignee_id == request.user.pk,
    }


def _may_work_on(request, service_request: ServiceRequest) -> dict[str, bool]:
    """Comment, add photos, record a charge: the assignee, or anyone who manages requests."""
    rights = _rights(request, service_request)
    if not (rights["manage"] or (rights["handle"] and rights["is_assignee"])):
        raise PermissionDenied
    return rights


def _with_flags(rows, now):
    for row in rows:
        row.is_overdue = is_overdue(row, now)
        row.state_colour = STATE_COLOURS[row.state]
    return rows


@staff_view(VIEW)
def inbox(request):
    """One inbox for every request of the community: filters, counts per state, pages."""
    community, now = request.community, timezone.now()
    current = RequestFilter.from_query(request.GET)
    queryset = requests_for_list(requests_filtered(community=community, filter=current, now=now))
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    _with_flags(page.object_list, now)
    counts = state_counts(community=community, filter=current, now=now)
    tabs = [
        {"value": "", "label": _("All"), "count": sum(counts.values())},
        {"value": "open", "label": _("Open"), "count": sum(counts[s] for s in OPEN_STATES)},
    ] + [{"value": value, "label": label, "count": counts[value]} for value, label in RequestState.choices]
    for tab in tabs:
        tab["query"] = current.to_query(state=tab["value"])
        tab["active"] = tab["value"] == current.state
    return render(
        request,
        "console/service/inbox.html",
        {
            "page": page,
            "filter": current,
            "query": current.to_query(),
            "tabs": tabs,
            "categories": category_choices(community=community),
            "buildings": Building.objects.filter(community=community),
            "staff": assignable_staff(community=community),
            "types": RequestType.choices,
        },
    )


@staff_view(HANDLE)
def mine(request):
    """A technician's work orders: what is assigned to them, open work first, soonest deadline on top."""
    now = timezone.now()
    rows = _with_flags(
        list(requests_for_list(work_orders_of(user=request.user, community=request.community))), now
    )
    return render(request, "console/service/mine.html", {"rows": rows})


@staff_view(VIEW)
def request_detail(request, servicerequest_pk: int):
    service_request = _request(request, servicerequest_pk)
    rights = _rights(request, service_request)
    actions = [
        {"value": action, "label": RequestAction(action).label, "needs_assignee": action in NEEDS_ASSIGNEE}
        for action in allowed_actions(service_request.state)
        if staff_may(action, **rights)
    ]
    now = timezone.now()
    return render(
        request,
        "console/service/detail.html",
        {
            "item": service_request,
            "state_colour": STATE_COLOURS[service_request.state],
            "is_overdue": is_overdue(service_request, now),
            "on_time": is_on_time(service_request),
            "photos": service_request.photos.all(),
            "history": request_history(request=service_request),
            "comments": request_comments(request=service_request),
            "actions": [a for a in actions if not a["needs_assignee"]],
            "assign_actions": [a for a in actions if a["needs_assignee"]],
            "staff": assignable_staff(community=service_request.community),
            "auto_assign_team": Team.objects.filter(pk=service_request.category.effective_team_id).first(),
            "can_auto_assign": rights["manage"]
            and service_request.state == RequestState.ACCEPTED
            and service_request.category.effective_team_id is not None,
            "can_work": rights["manage"] or (rights["handle"] and rights["is_assignee"]),
            "can_return_visit": rights["manage"] and service_request.state in FINISHED_STATES,
            "is_ended": service_request.state in ENDED_STATES,
            "comment_form": CommentForm(),
            "photo_form": PhotoForm(),
            "return_visit_form": ReturnVisitForm(),
            "charge_form": ChargeForm(initial={"amount": fen_to_decimal(service_request.charge_fen)}),
            "charge_line": charge_line(
                community_id=service_request.community_id, reference=domain.charge_reference(service_request)
            ),
            "can_view_bills": user_can(request.user, service_request.community_id, Permission.BILLING_VIEW),
        },
    )


@staff_view(HANDLE)
@require_POST
def request_act(request, servicerequest_pk: int):
    """A button of the detail page: one transition (assign and transfer name the staff member)."""
    service_request = _request(request, servicerequest_pk, HANDLE)
    form = ActionForm(request.POST)
    if not form.is_valid():
        raise Http404
    action = form.cleaned_data["action"]
    if action not in RequestAction.values or not staff_may(action, **_rights(request, service_request)):
        raise PermissionDenied
    assignee = None
    if action in NEEDS_ASSIGNEE:
        assignee = (
            assignable_staff(community=service_request.community)
            .filter(pk=form.cleaned_data["assignee"] or 0)
            .first()
        )
    try:
        domain.request_transition(
            request=service_request,
            action=action,
            actor=request.user,
            note=form.cleaned_data["note"],
            assignee=assignee,
        )
    except ServiceError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Request #%(pk)s: %(action)s.")
            % {"pk": service_request.pk, "action": RequestAction(action).label},
        )
    return redirect("console:service_request", servicerequest_pk=service_request.pk)


@staff_view(MANAGE)
@require_POST
def request_auto_assign(request, servicerequest_pk: int):
    service_request = _request(request, servicerequest_pk, MANAGE)
    try:
        domain.request_auto_assign(request=service_request, actor=request.user)
    except ServiceError as error:
        messages.error(request, str(error))
    else:
        name = service_request.assignee.get_full_name() or service_request.assignee.username
        messages.success(request, _("Assigned to %(name)s.") % {"name": name})
    return redirect("console:service_request", servicerequest_pk=service_request.pk)


@staff_view(HANDLE)
@require_POST
def request_comment(request, servicerequest_pk: int):
    service_request = _request(request, servicerequest_pk, HANDLE)
    _may_work_on(request, service_request)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            domain.request_comment(
                request=service_request,
                body=form.cleaned_data["body"],
                internal=form.cleaned_data["internal"],
                actor=request.user,
            )
        except ServiceError as error:
            messages.error(request, str(error))
    else:
        messages.error(request, _("Write something first."))
    return redirect(reverse("console:service_request", args=[service_request.pk]) + "#comments")


@staff_view(HANDLE)
@require_POST
def request_photos(request, servicerequest_pk: int):
    service_request = _request(request, servicerequest_pk, HANDLE)
    _may_work_on(request, service_request)
    form = PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            domain.request_photo_add(
                request=service_request, photos=form.cleaned_data["photos"], actor=request.user
            )
        except ServiceError as error:
            messages.error(request, str(error))
    else:
        messages.error(request, _("Choose a photo."))
    return redirect(reverse("console:service_request", args=[service_request.pk]) + "#photos")


@staff_view(MANAGE)
@require_POST
def request_return_visit(request, servicerequest_pk: int):
    service_request = _request(request, servicerequest_pk, MANAGE)
    form = ReturnVisitForm(request.POST)
    if form.is_valid():
        try:
            domain.request_return_visit(
                request=service_request,
                result=form.cleaned_data["result"],
                note=form.cleaned_data["note"],
                actor=request.user,
            )
        except ServiceError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Return visit recorded."))
    else:
        messages.error(request, _("Choose the result of the return visit."))
    return redirect("console:service_request", servicerequest_pk=service_request.pk)


@staff_view(HANDLE)
@require_POST
def request_charge(request, servicerequest_pk: int):
    service_request = _request(request, servicerequest_pk, HANDLE)
    _may_work_on(request, service_request)
    form = ChargeForm(request.POST)
    if form.is_valid():
        try:
            domain.request_charge(
                request=service_request,
                amount_fen=form.amount_fen(),
                note=form.cleaned_data["note"],
                actor=request.user,
            )
        except ServiceError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Charge recorded."))
    else:
        messages.error(request, _("Enter the charge in yuan, e.g. 45.00."))
    return redirect("console:service_request", servicerequest_pk=service_request.pk)


@staff_view(VIEW)
def photo(request, requestphoto_pk: int):
    item = scoped_get(RequestPhoto.objects, request, VIEW, pk=requestphoto_pk)
    return upload_response(item.file, content_type=item.content_type, title=f"photo-{item.pk}")


@staff_view(HANDLE)
def request_new(request):
    """A request taken by phone or at the desk: find the household (room or phone), then the form.

    ``?household=<pk>`` chooses the household; ``?anonymous=1`` files a common-area report without one.
    """
    community = request.community
    find_form = FindHouseholdForm(request.GET if "find" in request.GET else None)
    candidates = None
    if find_form.is_bound and find_form.is_valid():
        candidates = households_by_room_or_phone(community=community, text=find_form.cleaned_data["find"])
        if len(candidates) == 1:
            return redirect(f"{reverse('console:service_new')}?household={candidates[0].pk}")
    household = None
    if (request.GET.get("household") or "").isdigit():
        household = scoped_get(
            Household.objects.filter(community=community), request, HANDLE, pk=request.GET["household"]
        )
    anonymous = request.GET.get("anonymous") == "1"
    form = None
    if household is not None or anonymous:
        people = list(Person.objects.filter(household=household)) if household else []
        rooms = (
            list(Room.objects.filter(household_links__household=household).select_related("building", "unit"))
            if household
            else []
        )
        form = StaffRequestForm(
            request.POST or None,
            request.FILES or None,
            categories=category_choices(community=community),
            people=people,
            rooms=rooms,
            buildings=Building.objects.filter(community=community),
            # The caller is usually the household's first person, about its (usually only) room.
            initial={"person": people[0].pk if people else None, "room": rooms[0].pk if rooms else None},
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                created = domain.request_submit(
                    community=community,
                    channel=data["channel"],
                    type=data["type"],
                    category=ServiceCategory.objects.get(community=community, pk=data["category"]),
                    household=household,
                    person=next((p for p in people if p.pk == data.get("person")), None),
                    room=next((r for r in rooms if r.pk == data.get("room")), None),
                    building=Building.objects.filter(
                        community=community, pk=data.get("building") or 0
                    ).first(),
                    location_text=data["location_text"],
                    description=data["description"],
                    preferred_time=data["preferred_time"],
                    contact_name=data["contact_name"],
                    contact_phone=data["contact_phone"],
                    photos=data["photos"],
                    actor=request.user,
                )
            except (ServiceError, ServiceCategory.DoesNotExist) as error:
                form.add_error(
                    None, str(error) if isinstance(error, ServiceError) else _("Choose a category.")
                )
            else:
                messages.success(request, _("Request #%(pk)s recorded.") % {"pk": created.pk})
                return redirect("console:service_request", servicerequest_pk=created.pk)
    return render(
        request,
        "console/service/new.html",
        {
            "find_form": find_form,
            "candidates": candidates,
            "household": household,
            "anonymous": anonymous,
            "form": form,
        },
    )


@staff_view(VIEW)
def service_dashboard(request):
    now = timezone.now()
    board = dashboard(community=request.community, now=now)
    _with_flags(board.overdue, now)
    return render(
        request,
        "console/service/dashboard.html",
        {
            "board": board,
            "open_states": [
                {
                    "value": state,
                    "label": RequestState(state).label,
                    "count": count,
                    "colour": STATE_COLOURS[state],
                }
                for state, count in board.open_by_state.items()
            ],
            "star_rows": [(STAR_LABELS[period], figures) for period, figures in board.stars.items()],
        },
    )


@staff_view(VIEW)
def service_performance(request):
    form = PerformanceForm(request.GET or None)
    period, day = Period.WEEK, timezone.localdate()
    if form.is_bound and form.is_valid():
        period = form.cleaned_data["period"] or period
        day = form.cleaned_data["day"] or day
    report = performance(community=request.community, period=period, day=day)
    return render(
        request,
        "console/service/performance.html",
        {
            "form": form if form.is_bound else PerformanceForm(initial={"period": period, "day": day}),
            "report": report,
            "period_label": Period(period).label,
            "star_label": STAR_LABELS[period],
            "last_day": (report.end - datetime.timedelta(days=1)).date(),
        },
    )


# --- configuration ---------------------------------------------------------------------------------


@staff_view(MANAGE)
def categories(request):
    return render(
        request,
        "console/service/categories.html",
        {
            "tree": categories_tree(community=request.community),
            "settings": service_settings_of(community=request.community),
        },
    )


def _category_form(request, community, category: ServiceCategory | None):
    roots = ServiceCategory.objects.filter(community=community, parent__isnull=True)
    if category is not None:
        roots = roots.exclude(pk=category.pk)
    initial = None
    if category is not None:
        initial = {
            "name": category.name,
            "parent": category.parent_id,
            "response_minutes": category.response_minutes,
            "completion_hours": category.completion_hours,
            "team": category.team_id,
            "position": category.position,
            "is_active": category.is_active,
        }
    form = CategoryForm(
        request.POST or None, initial=initial, roots=roots, teams=Team.objects.filter(community=community)
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["parent"] = roots.filter(pk=data["parent"] or 0).first()
        data["team"] = Team.objects.filter(community=community, pk=data["team"] or 0).first()
        try:
            if category is None:
                category_domain.category_create(community=community, actor=request.user, **data)
            else:
                category_domain.category_update(category=category, actor=request.user, **data)
        except ServiceError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Saved."))
            return redirect("console:service_categories")
    title = _("New category") if category is None else _("Edit category")
    return render(request, "console/service/form.html", {"form": form, "title": title})


@staff_view(MANAGE)
def category_new(request):
    return _category_form(request, request.community, None)


@staff_view(MANAGE)
def category_edit(request, servicecategory_pk: int):
    category = scoped_get(ServiceCategory.objects, request, MANAGE, pk=servicecategory_pk)
    return _category_form(request, category.community, category)


@staff_view(MANAGE)
def teams(request):
    return render(request, "console/service/teams.html", {"teams": teams_of(community=request.community)})


def _team_form(request, community, team: Team | None):
    staff = list(assignable_staff(community=community))
    initial = None
    if team is not None:
        initial = {"name": team.name, "members": [user.pk for user in team_members(team=team)]}
    form = TeamForm(request.POST or None, initial=initial, staff=staff)
    if request.method == "POST" and form.is_valid():
        chosen = set(form.cleaned_data["members"])
        members = [user for user in staff if user.pk in chosen]
        try:
            if team is None:
                team_domain.team_create(
                    community=community, name=form.cleaned_data["name"], members=members, actor=request.user
                )
            else:
                team_domain.team_update(
                    team=team, name=form.cleaned_data["name"], members=members, actor=request.user
                )
        except ServiceError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Saved."))
            return redirect("console:service_teams")
    title = _("New team") if team is None else _("Edit team")
    return render(request, "console/service/form.html", {"form": form, "title": title})


@staff_view(MANAGE)
def team_new(request):
    return _team_form(request, request.community, None)


@staff_view(MANAGE)
def team_edit(request, team_pk: int):
    team = scoped_get(Team.objects, request, MANAGE, pk=team_pk)
    return _team_form(request, team.community, team)


@staff_view(MANAGE)
def service_settings(request):
    current = service_settings_of(community=request.community)
    form = SettingsForm(
        request.POST or None,
        initial={"auto_close_days": current.auto_close_days, "auto_assign": current.auto_assign},
    )
    if request.method == "POST" and form.is_valid():
        try:
            category_domain.service_settings_update(
                community=request.community, actor=request.user, **form.cleaned_data
            )
        except ServiceError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Saved."))
            return redirect("console:service_categories")
    return render(request, "console/service/form.html", {"form": form, "title": _("Service settings")})
