"""Household archive pages: list with tag filters, one page per household, and its edits."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wuye.console.decorators import staff_view
from wuye.core.audit import action_label
from wuye.core.enums import Permission
from wuye.core.models import user_can
from wuye.core.tenancy import scoped_get
from wuye.core.uploads import upload_response
from wuye.estate.domain.queries import room_by_label, room_label_q
from wuye.estate.enums import RoomState
from wuye.estate.models import Building, Room
from wuye.households.domain import households as archive
from wuye.households.domain.queries import (
    HouseholdFilter,
    household_timeline,
    households_filtered,
    households_for_list,
)
from wuye.households.interfaces.forms import (
    ContactForm,
    DocumentForm,
    HouseholdForm,
    HouseholdNewForm,
    PersonForm,
    RoomBindForm,
    SavedFilterForm,
    VehicleForm,
)
from wuye.households.models import (
    Document,
    EmergencyContact,
    Household,
    Person,
    SavedFilter,
    Tag,
    Vehicle,
)
from wuye.households.sections import TIMELINE_SOURCES, sections_for

PAGE_SIZE = 50

VIEW = Permission.ARCHIVE_VIEW
EDIT = Permission.ARCHIVE_EDIT


def _household(request, household_pk: int, permission: str = VIEW) -> Household:
    return scoped_get(Household.objects, request, permission, pk=household_pk)


@staff_view(VIEW)
def household_list(request):
    community = request.community
    current = HouseholdFilter.from_query(request.GET)
    queryset = households_filtered(community=community, filter=current)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = households_for_list(page.object_list)
    return render(
        request,
        "console/households/list.html",
        {
            "page": page,
            "filter": current,
            "query": current.to_query(),
            "tags": Tag.objects.filter(community=community).select_related("group"),
            "buildings": Building.objects.filter(community=community),
            "states": RoomState.choices,
            "saved_filters": SavedFilter.objects.filter(community=community, user=request.user),
            "saved_form": SavedFilterForm(initial={"query": current.to_query()}),
        },
    )


@staff_view(VIEW)
def search(request):
    """Global search: room number, name or phone. One match opens the household directly."""
    text = (request.GET.get("q") or "").strip()
    households, rooms = [], []
    if text:
        current = HouseholdFilter(text=text)
        households = list(
            households_for_list(households_filtered(community=request.community, filter=current)[:50])
        )
        label = room_label_q(text)
        rooms = list(
            Room.objects.filter(community=request.community)
            .filter(label if label is not None else Q(number=text) | Q(number__startswith=text))
            .select_related("building", "unit")[:50]
        )
        if len(households) == 1 and not rooms:
            return redirect("console:household", household_pk=households[0].pk)
    return render(
        request,
        "console/households/search.html",
        {"search_text": text, "households": households, "rooms": rooms},
    )


@staff_view(EDIT)
@require_POST
def households_bulk_tag(request):
    """Apply or remove one tag on every household that the posted filter matches."""
    current = HouseholdFilter.from_query(request.POST)
    tag = scoped_get(Tag.objects, request, EDIT, pk=request.POST.get("bulk_tag") or 0)
    households = households_filtered(community=tag.community, filter=current)
    try:
        if request.POST.get("operation") == "remove":
            count = archive.tags_remove(tag=tag, households=households, actor=request.user)
            messages.success(
                request, _("Tag %(tag)s removed from %(n)s households.") % {"tag": tag, "n": count}
            )
        else:
            count = archive.tags_apply(tag=tag, households=households, actor=request.user)
            messages.success(request, _("Tag %(tag)s added to %(n)s households.") % {"tag": tag, "n": count})
    except archive.ArchiveError as error:
        messages.error(request, str(error))
    return redirect(f"{reverse('console:households')}?{current.to_query()}")


@staff_view(VIEW)
@require_POST
def filter_save(request):
    form = SavedFilterForm(request.POST)
    if form.is_valid():
        SavedFilter.objects.update_or_create(
            community=request.community,
            user=request.user,
            name=form.cleaned_data["name"],
            defaults={"query": form.cleaned_data["query"]},
        )
        messages.success(request, _("Filter saved."))
    else:
        messages.error(request, _("Give the filter a name."))
    return redirect(f"{reverse('console:households')}?{form.data.get('query', '')}")


@staff_view(VIEW)
@require_POST
def filter_delete(request, savedfilter_pk: int):
    saved = scoped_get(SavedFilter.objects.filter(user=request.user), request, VIEW, pk=savedfilter_pk)
    saved.delete()
    messages.success(request, _("Filter deleted."))
    return redirect("console:households")


def _timeline_rows(household: Household, limit: int = 200) -> list:
    """The audit log of the household merged with the other apps' timeline sources, newest first."""
    entries = list(household_timeline(household=household)[:limit])
    for entry in entries:
        entry.label = action_label(entry.action)
    for source in TIMELINE_SOURCES.values():
        entries.extend(source(household, limit))
    return sorted(entries, key=lambda entry: entry.created_at, reverse=True)[:limit]


@staff_view(VIEW)
def household_detail(request, household_pk: int):
    household = _household(request, household_pk)
    tag_links = household.tag_links.select_related("tag")
    applied = {link.tag_id for link in tag_links}
    return render(
        request,
        "console/households/detail.html",
        {
            "household": household,
            "room_links": household.room_links.select_related("room__building", "room__unit"),
            "people": household.people.all(),
            "vehicles": household.vehicles.all(),
            "contacts": household.emergency_contacts.all(),
            "documents": household.documents.all(),
            "tag_links": tag_links,
            "addable_tags": Tag.objects.filter(community_id=household.community_id, kind="manual").exclude(
                pk__in=applied
            ),
            "timeline": _timeline_rows(household),
            "sections": sections_for(
                household,
                request,
                lambda permission: user_can(request.user, household.community_id, permission),
            ),
            "person_form": PersonForm(),
            "vehicle_form": VehicleForm(),
            "contact_form": ContactForm(),
            "document_form": DocumentForm(),
            "bind_form": RoomBindForm(),
        },
    )


@staff_view(EDIT)
def household_new(request):
    form = HouseholdNewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        rooms = []
        if data["room"]:
            room = room_by_label(community=request.community, label=data["room"])
            if room is None:
                form.add_error("room", _("No such room in this community."))
            else:
                rooms = [room]
        if not form.errors:
            try:
                household = archive.household_create(
                    community=request.community,
                    name=data["name"],
                    notes=data["notes"],
                    rooms=rooms,
                    actor=request.user,
                )
            except archive.ArchiveError as error:
                form.add_error("room", str(error))
            else:
                if data["owner_name"]:
                    archive.person_add(
                        household=household,
                        actor=request.user,
                        kind="owner",
                        name=data["owner_name"],
                        phone=data["owner_phone"],
                    )
                messages.success(request, _("Household created."))
                return redirect("console:household", household_pk=household.pk)
    return render(request, "console/households/form.html", {"form": form, "title": _("New household")})


@staff_view(EDIT)
def household_edit(request, household_pk: int):
    household = _household(request, household_pk, EDIT)
    form = HouseholdForm(request.POST or None, initial={"name": household.name, "notes": household.notes})
    if request.method == "POST" and form.is_valid():
        archive.household_update(household=household, actor=request.user, **form.cleaned_data)
        messages.success(request, _("Saved."))
        return redirect("console:household", household_pk=household.pk)
    return render(
        request,
        "console/households/form.html",
        {"form": form, "household": household, "title": _("Edit household")},
    )


@staff_view(EDIT)
@require_POST
def household_tags(request, household_pk: int):
    """Add or remove one manual tag on one household (the household page's tag bar)."""
    household = _household(request, household_pk, EDIT)
    tag = scoped_get(
        Tag.objects.filter(community_id=household.community_id),
        request,
        EDIT,
        pk=request.POST.get("tag") or 0,
    )
    one = Household.objects.filter(pk=household.pk)
    try:
        if request.POST.get("operation") == "remove":
            archive.tags_remove(tag=tag, households=one, actor=request.user)
        else:
            archive.tags_apply(tag=tag, households=one, actor=request.user)
    except archive.ArchiveError as error:
        messages.error(request, str(error))
    return redirect("console:household", household_pk=household.pk)


@staff_view(EDIT)
@require_POST
def room_bind(request, household_pk: int):
    household = _household(request, household_pk, EDIT)
    form = RoomBindForm(request.POST)
    if form.is_valid():
        room = room_by_label(community=household.community, label=form.cleaned_data["room"])
        if room is None:
            messages.error(request, _("No such room in this community."))
        else:
            try:
                archive.household_bind_room(household=household, room=room, actor=request.user)
                messages.success(request, _("Room %(room)s bound.") % {"room": room})
            except archive.ArchiveError as error:
                messages.error(request, str(error))
    return redirect("console:household", household_pk=household.pk)


@staff_view(EDIT)
@require_POST
def room_unbind(request, household_pk: int, room_pk: int):
    household = _household(request, household_pk, EDIT)
    room = scoped_get(Room.objects.filter(household_links__household=household), request, EDIT, pk=room_pk)
    archive.household_unbind_room(household=household, room=room, actor=request.user)
    messages.success(request, _("Room %(room)s unbound.") % {"room": room})
    return redirect("console:household", household_pk=household.pk)


def _form_errors(request, form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


@staff_view(EDIT)
def person_add(request, household_pk: int):
    household = _household(request, household_pk, EDIT)
    form = PersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        archive.person_add(household=household, actor=request.user, **form.cleaned_data)
        messages.success(request, _("Person added."))
        return redirect("console:household", household_pk=household.pk)
    return render(
        request,
        "console/households/form.html",
        {"form": form, "household": household, "title": _("Add a person")},
    )


@staff_view(EDIT)
def person_edit(request, person_pk: int):
    person = scoped_get(Person.objects.select_related("household"), request, EDIT, pk=person_pk)
    initial = {
        f: getattr(person, f) for f in ("kind", "name", "phone", "relation", "moved_in_on", "moved_out_on")
    }
    form = PersonForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        if not values["id_number"]:
            values.pop("id_number")  # empty means: keep the stored (encrypted) number
        archive.person_update(person=person, actor=request.user, **values)
        messages.success(request, _("Saved."))
        return redirect("console:household", household_pk=person.household_id)
    return render(
        request,
        "console/households/form.html",
        {"form": form, "household": person.household, "title": _("Edit %(name)s") % {"name": person}},
    )


@staff_view(EDIT)
@require_POST
def person_delete(request, person_pk: int):
    person = scoped_get(Person.objects, request, EDIT, pk=person_pk)
    archive.person_remove(person=person, actor=request.user)
    messages.success(request, _("Person removed."))
    return redirect("console:household", household_pk=person.household_id)


@staff_view(EDIT)
@require_POST
def vehicle_add(request, household_pk: int):
    household = _household(request, household_pk, EDIT)
    form = VehicleForm(request.POST)
    if form.is_valid():
        try:
            archive.vehicle_add(household=household, actor=request.user, **form.cleaned_data)
            messages.success(request, _("Vehicle added."))
        except archive.ArchiveError as error:
            messages.error(request, str(error))
    else:
        _form_errors(request, form)
    return redirect("console:household", household_pk=household.pk)


@staff_view(EDIT)
@require_POST
def vehicle_delete(request, vehicle_pk: int):
    vehicle = scoped_get(Vehicle.objects, request, EDIT, pk=vehicle_pk)
    archive.vehicle_remove(vehicle=vehicle, actor=request.user)
    messages.success(request, _("Vehicle removed."))
    return redirect("console:household", household_pk=vehicle.household_id)


@staff_view(EDIT)
@require_POST
def contact_add(request, household_pk: int):
    household = _household(request, household_pk, EDIT)
    form = ContactForm(request.POST)
    if form.is_valid():
        archive.contact_add(household=household, actor=request.user, **form.cleaned_data)
        messages.success(request, _("Emergency contact added."))
    else:
        _form_errors(request, form)
    return redirect("console:household", household_pk=household.pk)


@staff_view(EDIT)
@require_POST
def contact_delete(request, emergencycontact_pk: int):
    contact = scoped_get(EmergencyContact.objects, request, EDIT, pk=emergencycontact_pk)
    archive.contact_remove(contact=contact, actor=request.user)
    messages.success(request, _("Emergency contact removed."))
    return redirect("console:household", household_pk=contact.household_id)


@staff_view(EDIT)
@require_POST
def document_add(request, household_pk: int):
    household = _household(request, household_pk, EDIT)
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            archive.document_add(
                household=household,
                kind=form.cleaned_data["kind"],
                title=form.cleaned_data["title"],
                upload=form.cleaned_data["file"],
                actor=request.user,
            )
            messages.success(request, _("Document uploaded."))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    else:
        _form_errors(request, form)
    return redirect("console:household", household_pk=household.pk)


@staff_view(VIEW)
def document_download(request, document_pk: int):
    document = scoped_get(Document.objects, request, VIEW, pk=document_pk)
    return upload_response(document.file, content_type=document.content_type, title=document.title)


@staff_view(EDIT)
@require_POST
def document_delete(request, document_pk: int):
    document = scoped_get(Document.objects, request, EDIT, pk=document_pk)
    try:
        archive.document_remove(document=document, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Document removed."))
    return redirect("console:household", household_pk=document.household_id)
