"""Parking in the console (停车管理): car parks with their rate, gates and spaces; who holds a space and
which cars park on it; the cars inside now and every stay; plates blocked at the gates."""

from __future__ import annotations

import re

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wuye.console.decorators import staff_view
from wuye.core.enums import Permission
from wuye.core.forms import errors_text
from wuye.core.tenancy import scoped_get
from wuye.estate.domain.queries import room_by_label
from wuye.households.models import HouseholdRoom
from wuye.parking.domain.errors import ParkingError
from wuye.parking.domain.gates import plate_clean
from wuye.parking.domain.spaces import plate_block, plate_unblock, space_assign, space_release
from wuye.parking.enums import VisitKind, VisitState
from wuye.parking.interfaces.forms import AreaForm, AssignForm, BlockForm, GateForm, SpaceForm
from wuye.parking.models import ParkingArea, ParkingSpace, ParkingVisit, PlateBlock

VIEW, MANAGE = Permission.PARKING_VIEW, Permission.PARKING_MANAGE
PAGE_SIZE = 50


@staff_view(VIEW)
def area_list(request):
    """The community's car parks, each with its spaces and the cars inside now."""
    inside = Q(visits__state=VisitState.INSIDE)
    areas = (
        ParkingArea.objects.filter(community=request.community)
        .annotate(
            residents_inside=Count(
                "visits", filter=inside & Q(visits__kind=VisitKind.RESIDENT), distinct=True
            ),
            visitors_inside=Count(
                "visits", filter=inside & Q(visits__kind=VisitKind.TEMPORARY), distinct=True
            ),
            space_count=Count("spaces", distinct=True),
        )
        .order_by("name")
    )
    return render(request, "console/parking/areas.html", {"areas": areas})


@staff_view(MANAGE)
def area_new(request):
    return _area_form(request, None)


@staff_view(MANAGE)
def area_edit(request, parkingarea_pk: int):
    return _area_form(request, scoped_get(ParkingArea.objects, request, MANAGE, pk=parkingarea_pk))


def _area_form(request, area):
    form = AreaForm(request.POST or None, instance=area, community=request.community)
    if request.method == "POST" and form.is_valid():
        area = form.save()
        messages.success(request, _("Saved."))
        return redirect("console:parking_area", parkingarea_pk=area.pk)
    title = _("New car park") if area is None else area.name
    return render(
        request, "console/parking/form.html", {"form": form, "title": title, "back": "console:parking"}
    )


@staff_view(VIEW)
def area_detail(request, parkingarea_pk: int):
    """A car park: its rate, gates, spaces with their holders, the cars inside now, the exit poster."""
    area = scoped_get(ParkingArea.objects, request, VIEW, pk=parkingarea_pk)
    spaces = area.spaces.select_related("household").prefetch_related("vehicles").order_by("number")
    inside = area.visits.filter(state=VisitState.INSIDE).select_related("space").order_by("-entered_at")
    return render(
        request,
        "console/parking/area.html",
        {
            "area": area,
            "gates": area.gates.order_by("direction", "name"),
            "spaces": spaces,
            "inside": inside[:PAGE_SIZE],
            "inside_count": inside.count(),
            "poster_url": request.build_absolute_uri(reverse("portal:park_find", args=[area.token])),
            "space_form": SpaceForm(area=area),
        },
    )


@staff_view(MANAGE)
@require_POST
def space_new(request, parkingarea_pk: int):
    area = scoped_get(ParkingArea.objects, request, MANAGE, pk=parkingarea_pk)
    form = SpaceForm(request.POST, area=area)
    if form.is_valid():
        form.save()
        messages.success(request, _("Space added."))
    else:
        messages.error(request, errors_text(form))
    return redirect("console:parking_area", parkingarea_pk=area.pk)


@staff_view(MANAGE)
def gate_new(request, parkingarea_pk: int):
    area = scoped_get(ParkingArea.objects, request, MANAGE, pk=parkingarea_pk)
    form = GateForm(request.POST or None, area=area)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Gate added."))
        return redirect("console:parking_area", parkingarea_pk=area.pk)
    return render(request, "console/parking/form.html", {"form": form, "title": _("New gate"), "area": area})


@staff_view(MANAGE)
def space_assign_view(request, parkingspace_pk: int):
    """Give a space to the household of a room, with the plates that park on it."""
    space = scoped_get(ParkingSpace.objects.select_related("area"), request, MANAGE, pk=parkingspace_pk)
    form = AssignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        room = room_by_label(community=space.area.community, label=form.cleaned_data["room"])
        link = HouseholdRoom.objects.filter(room=room).select_related("household").first() if room else None
        if link is None:
            form.add_error("room", _("No household lives in a room of this name."))
        else:
            plates = {
                plate_clean(p) for p in re.split(r"[,，、;；\n]+", form.cleaned_data["plates"]) if p.strip()
            }
            vehicles = list(link.household.vehicles.all())
            chosen = [v.pk for v in vehicles if v.plate in plates] if plates else [v.pk for v in vehicles]
            try:
                if plates and len(chosen) != len(plates):
                    raise ParkingError(_("Some of the plates are not the household's vehicles."))
                space_assign(
                    space=space,
                    household=link.household,
                    vehicle_ids=chosen,
                    starts_on=form.cleaned_data["starts_on"],
                    ends_on=form.cleaned_data["ends_on"],
                    actor=request.user,
                )
            except ParkingError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Space assigned."))
                return redirect("console:parking_area", parkingarea_pk=space.area_id)
    return render(
        request,
        "console/parking/form.html",
        {"form": form, "title": _("Assign space %(number)s") % {"number": space.number}, "area": space.area},
    )


@staff_view(MANAGE)
@require_POST
def space_release_view(request, parkingspace_pk: int):
    space = scoped_get(ParkingSpace.objects, request, MANAGE, pk=parkingspace_pk)
    space_release(space=space, actor=request.user)
    messages.success(request, _("Space released."))
    return redirect("console:parking_area", parkingarea_pk=space.area_id)


@staff_view(VIEW)
def visit_list(request):
    """Every stay, newest first: by car park, state and plate."""
    visits = ParkingVisit.objects.filter(community=request.community).select_related(
        "area", "entry_gate", "exit_gate"
    )
    area_pk = request.GET.get("area") or ""
    if area_pk.isdigit():
        visits = visits.filter(area_id=int(area_pk))
    state = request.GET.get("state") or ""
    if state in VisitState.values:
        visits = visits.filter(state=state)
    plate = plate_clean(request.GET.get("plate") or "")
    if plate:
        visits = visits.filter(plate__contains=plate)
    page = Paginator(visits.order_by("-entered_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "console/parking/visits.html",
        {
            "page": page,
            "areas": ParkingArea.objects.filter(community=request.community).order_by("name"),
            "area_pk": area_pk,
            "state": state,
            "states": VisitState.choices,
            "plate": plate,
            "query": f"area={area_pk}&state={state}&plate={plate}",
        },
    )


@staff_view(VIEW)
def block_list(request):
    blocks = PlateBlock.objects.filter(community=request.community).order_by("plate")
    return render(request, "console/parking/blocks.html", {"blocks": blocks, "form": BlockForm()})


@staff_view(MANAGE)
@require_POST
def block_new(request):
    form = BlockForm(request.POST)
    if form.is_valid():
        try:
            plate_block(community=request.community, actor=request.user, **form.cleaned_data)
        except ParkingError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Plate blocked."))
    else:
        messages.error(request, errors_text(form))
    return redirect("console:parking_blocks")


@staff_view(MANAGE)
@require_POST
def block_delete(request, plateblock_pk: int):
    plate_unblock(block=scoped_get(PlateBlock.objects, request, MANAGE, pk=plateblock_pk), actor=request.user)
    messages.success(request, _("Plate unblocked."))
    return redirect("console:parking_blocks")
