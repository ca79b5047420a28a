"""Fee items (收费项目), their assignment to rooms, discounts; meters, the reading grid and the import.

Reading a page needs ``billing.view``; changing anything needs ``billing.manage``. Every object is
fetched scoped, so another community's fee item, assignment, building or meter answers 404.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from wuye.billing.domain import compute
from wuye.billing.domain import feeitems as tariffs
from wuye.billing.domain import meters as metering
from wuye.billing.domain.queries_tariffs import (
    assignments_of,
    buildings_with_meters,
    fee_items_for_list,
    meters_of_building,
    reading_grid,
    readings_of_meter,
    rooms_by_labels,
    rooms_in_building,
    rooms_of_tag,
    rooms_of_use,
)
from wuye.billing.interfaces import readings_excel
from wuye.billing.interfaces.forms_tariffs import (
    AssignForm,
    AssignmentEndForm,
    DiscountForm,
    FeeItemForm,
    MeterForm,
    ReadingGridForm,
    ReadingsApplyForm,
    plain,
    tier_formset,
)
from wuye.billing.models import FeeAssignment, FeeItem, Meter
from wuye.console.decorators import staff_view
from wuye.core.enums import Permission
from wuye.core.tenancy import scoped_get
from wuye.estate.domain.queries import room_by_label
from wuye.estate.enums import RoomUse
from wuye.estate.models import Building
from wuye.households.interfaces.excel import CONTENT_TYPE, ImportUploadForm

VIEW = Permission.BILLING_VIEW
MANAGE = Permission.BILLING_MANAGE
PAGE_SIZE = 100


def _item_display(item: FeeItem) -> FeeItem:
    item.late_fee_rate_percent = plain(item.late_fee_rate * 100)
    return item


# Fee items ------------------------------------------------------------------------------------------


@staff_view(VIEW)
@require_GET
def feeitem_list(request):
    items = [_item_display(item) for item in fee_items_for_list(community=request.community)]
    return render(request, "console/tariffs/feeitems.html", {"items": items})


def _feeitem_form_page(request, *, item: FeeItem | None):
    initial = (
        FeeItemForm.initial_for(item) if item else {"valid_from": compute.month_start(timezone.localdate())}
    )
    form = FeeItemForm(request.POST or None, initial=initial)
    tiers = tier_formset(request.POST or None, item=item)
    if request.method == "POST" and form.is_valid() and tiers.is_valid():
        try:
            if item is None:
                item = tariffs.feeitem_create(
                    community=request.community, actor=request.user, **form.values(tiers.tiers())
                )
                messages.success(request, _("Fee item %(name)s created.") % {"name": item.name})
            else:
                tariffs.feeitem_update(fee_item=item, actor=request.user, **form.values(tiers.tiers()))
                messages.success(request, _("Saved."))
        except tariffs.TariffError as error:
            form.add_error(None, str(error))
        else:
            return redirect("console:feeitem", feeitem_pk=item.pk)
    title = _("Edit fee item %(name)s") % {"name": item.name} if item else _("New fee item")
    return render(
        request,
        "console/tariffs/feeitem_form.html",
        {"form": form, "tiers": tiers, "item": item, "title": title},
    )


@staff_view(MANAGE)
def feeitem_new(request):
    return _feeitem_form_page(request, item=None)


@staff_view(MANAGE)
def feeitem_edit(request, feeitem_pk: int):
    item = scoped_get(FeeItem.objects, request, MANAGE, pk=feeitem_pk)
    return _feeitem_form_page(request, item=item)


@staff_view(VIEW)
def feeitem_detail(request, feeitem_pk: int):
    item = scoped_get(FeeItem.objects, request, VIEW, pk=feeitem_pk)
    if request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405)
    buildings = Building.objects.filter(community_id=item.community_id)
    building_pk = request.GET.get("building", "")
    building = buildings.filter(pk=building_pk).first() if building_pk.isdigit() else None
    page = Paginator(assignments_of(fee_item=item, building=building), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "console/tariffs/feeitem.html",
        {
            "item": _item_display(item),
            "page": page,
            "buildings": buildings,
            "building": building,
            "query": f"building={building.pk}" if building else "",
            "today": timezone.localdate(),
        },
    )


@staff_view(MANAGE)
@require_POST
def feeitem_active(request, feeitem_pk: int):
    item = scoped_get(FeeItem.objects, request, MANAGE, pk=feeitem_pk)
    if request.POST.get("operation") == "reactivate":
        tariffs.feeitem_reactivate(fee_item=item, actor=request.user)
        messages.success(request, _("Fee item %(name)s is active again.") % {"name": item.name})
    else:
        tariffs.feeitem_deactivate(fee_item=item, actor=request.user)
        messages.success(
            request, _("Fee item %(name)s is inactive: billing runs no longer bill it.") % {"name": item.name}
        )
    return redirect("console:feeitem", feeitem_pk=item.pk)


@staff_view(MANAGE)
def feeitem_assign(request, feeitem_pk: int):
    item = scoped_get(FeeItem.objects, request, MANAGE, pk=feeitem_pk)
    community = item.community
    form = AssignForm(
        request.POST or None,
        community=community,
        initial={"starts_on": max(item.valid_from, compute.month_start(timezone.localdate()))},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        target = data["target"]
        if target == AssignForm.BUILDING:
            rooms, chosen = (
                rooms_in_building(community=community, building=data["building"]),
                str(data["building"]),
            )
        elif target == AssignForm.USE:
            rooms, chosen = (
                rooms_of_use(community=community, use=data["use"]),
                str(RoomUse(data["use"]).label),
            )
        elif target == AssignForm.TAG:
            rooms, chosen = rooms_of_tag(community=community, tag=data["tag"]), str(data["tag"])
        else:
            rooms, unknown = rooms_by_labels(community=community, labels=form.room_labels())
            chosen = "、".join(form.room_labels())[:200]
            if unknown:
                form.add_error("rooms", _("No such room: %(rooms)s.") % {"rooms": "、".join(unknown)})
        if form.is_valid():
            try:
                count = tariffs.assignments_create(
                    fee_item=item,
                    rooms_queryset=rooms,
                    starts_on=data["starts_on"],
                    ends_on=data.get("ends_on"),
                    assigned_to=chosen,
                    actor=request.user,
                    **form.discount_values(),
                )
            except tariffs.TariffError as error:
                form.add_error(None, str(error))
            else:
                if count:
                    messages.success(
                        request, _("%(item)s assigned to %(n)s rooms.") % {"item": item.name, "n": count}
                    )
                else:
                    messages.warning(
                        request,
                        _("No room was assigned: every chosen room already has %(item)s for that time.")
                        % {"item": item.name},
                    )
                return redirect("console:feeitem", feeitem_pk=item.pk)
    return render(request, "console/tariffs/assign.html", {"form": form, "item": item})


@staff_view(MANAGE)
@require_POST
def assignment_end(request, feeassignment_pk: int):
    assignment = scoped_get(
        FeeAssignment.objects.select_related("fee_item", "room"), request, MANAGE, pk=feeassignment_pk
    )
    form = AssignmentEndForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the day the assignment ends."))
    else:
        try:
            tariffs.assignment_end(
                assignment=assignment, ends_on=form.cleaned_data["ends_on"], actor=request.user
            )
        except tariffs.TariffError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("%(item)s for %(room)s ends on %(date)s.")
                % {
                    "item": assignment.fee_item.name,
                    "room": assignment.room,
                    "date": form.cleaned_data["ends_on"],
                },
            )
    return redirect("console:feeitem", feeitem_pk=assignment.fee_item_id)


@staff_view(MANAGE)
def assignment_discount(request, feeassignment_pk: int):
    assignment = scoped_get(
        FeeAssignment.objects.select_related("fee_item", "room__building", "room__unit"),
        request,
        MANAGE,
        pk=feeassignment_pk,
    )
    form = DiscountForm(
        request.POST or None,
        community=assignment.fee_item.community,
        initial=DiscountForm.initial_for(assignment),
    )
    if request.method == "POST" and form.is_valid():
        try:
            tariffs.assignment_set_discount(
                assignment=assignment, actor=request.user, **form.discount_values()
            )
        except tariffs.TariffError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Saved."))
            return redirect("console:feeitem", feeitem_pk=assignment.fee_item_id)
    return render(request, "console/tariffs/discount_form.html", {"form": form, "assignment": assignment})


# Meters ---------------------------------------------------------------------------------------------


def _month_of(text: str | None) -> datetime.date:
    """?month=2024-05 → 2024-05-01; anything else is this month."""
    match = readings_excel.parse_month(text) if text else None
    return match or compute.month_start(timezone.localdate())


@staff_view(VIEW)
@require_GET
def meter_buildings(request):
    return render(
        request,
        "console/tariffs/meter_buildings.html",
        {
            "buildings": buildings_with_meters(community=request.community),
            "month": compute.month_start(timezone.localdate()),
        },
    )


@staff_view(VIEW)
def building_meters(request, building_pk: int):
    building = scoped_get(Building.objects, request, VIEW, pk=building_pk)
    if request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405)
    return render(
        request,
        "console/tariffs/building_meters.html",
        {
            "building": building,
            "meters": meters_of_building(building=building),
            "form": MeterForm(),
            "month": compute.month_start(timezone.localdate()),
        },
    )


@staff_view(MANAGE)
@require_POST
def meter_new(request, building_pk: int):
    building = scoped_get(Building.objects, request, MANAGE, pk=building_pk)
    form = MeterForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the meter's kind and number."))
        return redirect("console:building_meters", building_pk=building.pk)
    data = form.cleaned_data
    room = None
    if data["room"]:
        room = room_by_label(community=building.community, label=data["room"])
        if room is None or room.building_id != building.pk:
            messages.error(
                request,
                _("%(room)s is not a room of %(building)s.") % {"room": data["room"], "building": building},
            )
            return redirect("console:building_meters", building_pk=building.pk)
    try:
        meter = metering.meter_create(
            community=building.community,
            kind=data["kind"],
            number=data["number"],
            room=room,
            building=building,
            actor=request.user,
        )
    except metering.MeterError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Meter %(number)s added.") % {"number": meter.number})
    return redirect("console:building_meters", building_pk=building.pk)


@staff_view(VIEW)
def meter_detail(request, meter_pk: int):
    meter = scoped_get(
        Meter.objects.select_related("room__building", "room__unit", "building"), request, VIEW, pk=meter_pk
    )
    if request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405)
    return render(
        request,
        "console/tariffs/meter.html",
        {
            "meter": meter,
            "building": meter.building or meter.room.building,
            "readings": readings_of_meter(meter=meter)[:120],
        },
    )


@staff_view(MANAGE)
@require_POST
def meter_active(request, meter_pk: int):
    meter = scoped_get(Meter.objects, request, MANAGE, pk=meter_pk)
    if request.POST.get("operation") == "reactivate":
        metering.meter_reactivate(meter=meter, actor=request.user)
        messages.success(request, _("Meter %(number)s is active again.") % {"number": meter.number})
    else:
        metering.meter_deactivate(meter=meter, actor=request.user)
        messages.success(request, _("Meter %(number)s deactivated.") % {"number": meter.number})
    return redirect("console:meter", meter_pk=meter.pk)


# Reading grid ---------------------------------------------------------------------------------------


@staff_view(VIEW)
def readings_grid(request, building_pk: int):
    """Enter one month's readings of every meter of a building at once; nothing is saved if any row is bad."""
    # Writing needs billing.manage: another community's building, or none of the right, is a 404.
    building = scoped_get(
        Building.objects, request, MANAGE if request.method == "POST" else VIEW, pk=building_pk
    )
    month = _month_of(request.POST.get("month") if request.method == "POST" else request.GET.get("month"))
    grid = reading_grid(building=building, period=month)
    form = ReadingGridForm(request.POST or None, grid=grid)
    row_errors: dict[int, str] = {}
    if request.method == "POST" and form.is_valid():
        rows = form.rows()
        try:
            result = metering.readings_enter(
                community=building.community,
                period=month,
                rows=[(row.meter, value, replaced, start) for row, value, replaced, start in rows],
                actor=request.user,
                read_on=timezone.localdate(),
            )
        except metering.ReadingsRefusedError as error:
            for problem in error.problems:
                row_errors[rows[problem.index][0].meter.pk] = problem.message
            messages.error(
                request,
                _("Nothing was saved: %(n)s rows have a problem. Correct them and save again.")
                % {"n": len(row_errors)},
            )
        else:
            messages.success(
                request,
                _("Readings saved: %(created)s new, %(changed)s changed, %(unchanged)s unchanged.")
                % {"created": result.created, "changed": result.changed, "unchanged": result.unchanged},
            )
            return redirect(f"{request.path}?month={month:%Y-%m}")
    return render(
        request,
        "console/tariffs/grid.html",
        {
            "building": building,
            "month": month,
            "previous_month": compute.add_months(month, -1),
            "next_month": compute.add_months(month, 1),
            "this_month": compute.month_start(timezone.localdate()),
            "form": form,
            "rows": [
                (row, value, replaced, start, row_errors.get(row.meter.pk))
                for row, value, replaced, start in form.bound_rows()
            ],
            "error_count": len(row_errors),
        },
    )


# Readings import ------------------------------------------------------------------------------------


def _xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response


@staff_view(MANAGE)
@require_GET
def readings_template(request):
    return _xlsx_response(readings_excel.template_workbook(), "抄表导入模板.xlsx")


@staff_view(MANAGE)
def readings_import(request):
    """Upload a readings file and see the preview: every bad row with its reason, or what applying does."""
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    preview = apply_form = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        # Never read more than the limit (plus one byte to know it is over).
        content = upload.read(settings.IMPORT_MAX_BYTES + 1)
        preview = readings_excel.readings_preview(community=request.community, content=content)
        if not preview.problems:
            apply_form = ReadingsApplyForm(
                initial={
                    "payload": ReadingsApplyForm.sign(
                        community=request.community,
                        file_name=upload.name,
                        rows=readings_excel.rows_as_json(preview.rows),
                    )
                }
            )
    return render(
        request,
        "console/tariffs/import.html",
        {"form": form, "preview": preview, "apply_form": apply_form, "max_size": settings.IMPORT_MAX_BYTES},
    )


@staff_view(MANAGE)
@require_POST
def readings_import_apply(request):
    form = ReadingsApplyForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("payload", []):
            messages.error(request, error)
        return redirect("console:readings_import")
    payload = form.cleaned_data["payload"]
    if payload.get("community") != request.community.pk:
        messages.error(
            request,
            _("This preview belongs to another community: switch back to it, or upload the file again."),
        )
        return redirect("console:readings_import")
    rows = readings_excel.rows_from_json(payload["rows"])
    result, problems = readings_excel.readings_import(
        community=request.community, rows=rows, actor=request.user
    )
    if problems:
        messages.error(
            request, _("Nothing was written: the readings changed since the preview. See the problems below.")
        )
        preview = readings_excel.ReadingsPreview(rows=rows, problems=problems, data_rows=len(rows))
        return render(
            request,
            "console/tariffs/import.html",
            {
                "form": ImportUploadForm(),
                "preview": preview,
                "apply_form": None,
                "max_size": settings.IMPORT_MAX_BYTES,
            },
        )
    messages.success(
        request,
        _("Readings imported from %(file)s: %(created)s new, %(changed)s changed, %(unchanged)s unchanged.")
        % {
            "file": payload.get("file", ""),
            "created": result.created,
            "changed": result.changed,
            "unchanged": result.unchanged,
        },
    )
    return redirect("console:readings_import")
