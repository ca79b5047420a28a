"""Estate pages: buildings, the room generator, rooms."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from wuye.console.decorators import staff_view
from wuye.core.audit import action_label
from wuye.core.enums import Permission
from wuye.core.models import AuditLog, user_can
from wuye.core.tenancy import scoped_get
from wuye.estate.domain import estate as estate_domain
from wuye.estate.domain.queries import buildings_with_counts
from wuye.estate.enums import RoomState
from wuye.estate.interfaces.forms import BuildingForm, RoomForm, RoomsGenerateForm
from wuye.estate.models import Building, Room

VIEW = Permission.ESTATE_VIEW
MANAGE = Permission.ESTATE_MANAGE


@staff_view(VIEW)
def building_list(request):
    return render(
        request,
        "console/estate/buildings.html",
        {"buildings": buildings_with_counts(community=request.community), "form": BuildingForm()},
    )


@staff_view(MANAGE)
def building_new(request):
    form = BuildingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            building = estate_domain.building_create(
                community=request.community, actor=request.user, **form.cleaned_data
            )
        except estate_domain.EstateError as error:
            form.add_error("name", str(error))
        else:
            messages.success(request, _("Building %(name)s created.") % {"name": building})
            return redirect("console:building", building_pk=building.pk)
    return render(request, "console/estate/form.html", {"form": form, "title": _("New building")})


@staff_view(VIEW)
def building_detail(request, building_pk: int):
    building = scoped_get(Building.objects, request, VIEW, pk=building_pk)
    units = []
    rooms = (
        Room.objects.filter(building=building)
        .select_related("unit")
        .order_by("unit__name", "-floor", "number")
    )
    for room in rooms:  # unit → floor (top first) → rooms, as the building stands
        if not units or units[-1]["unit"].pk != room.unit_id:
            units.append({"unit": room.unit, "floors": []})
        floors = units[-1]["floors"]
        if not floors or floors[-1]["floor"] != room.floor:
            floors.append({"floor": room.floor, "rooms": []})
        floors[-1]["rooms"].append(room)
    return render(
        request,
        "console/estate/building.html",
        {
            "building": building,
            "units": units,
            "rooms_total": len(rooms),
            "generate_form": RoomsGenerateForm(),
            "states": RoomState.choices,
        },
    )


@staff_view(MANAGE)
def rooms_generate(request, building_pk: int):
    building = scoped_get(Building.objects, request, MANAGE, pk=building_pk)
    form = RoomsGenerateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = estate_domain.rooms_generate(building=building, actor=request.user, **form.cleaned_data)
        except estate_domain.EstateError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("%(n)s rooms created.") % {"n": created})
            return redirect("console:building", building_pk=building.pk)
    return render(
        request,
        "console/estate/form.html",
        {"form": form, "building": building, "title": _("Generate rooms for %(b)s") % {"b": building}},
    )


@staff_view(VIEW)
def room_detail(request, room_pk: int):
    room = scoped_get(Room.objects.select_related("building", "unit"), request, VIEW, pk=room_pk)
    can_manage = user_can(request.user, room.community_id, MANAGE)
    form = RoomForm(
        request.POST or None,
        initial={f: getattr(room, f) for f in ("floor", "built_area", "inner_area", "use", "state")},
    )
    if request.method == "POST":
        room = scoped_get(Room.objects.select_related("building", "unit"), request, MANAGE, pk=room_pk)
        if form.is_valid():
            try:
                estate_domain.room_update(room=room, actor=request.user, **form.cleaned_data)
            except estate_domain.EstateError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, _("Saved."))
                return redirect("console:room", room_pk=room.pk)
    history = list(
        AuditLog.objects.filter(object_type="estate.room", object_pk=room.pk).select_related("actor")[:50]
    )
    for entry in history:
        entry.label = action_label(entry.action)
    return render(
        request,
        "console/estate/room.html",
        {
            "room": room,
            "form": form,
            "can_manage": can_manage,
            "households": room.households.all(),
            "history": history,
        },
    )
