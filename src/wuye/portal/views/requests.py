"""The owner's service requests: report one with photos, follow it, talk to the office, rate it."""

from __future__ import annotations

from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wuye.core.uploads import (
    IMAGES,
    HeldUpload,
    UploadRefusedError,
    held_file,
    held_release,
    upload_hold,
    upload_response,
)
from wuye.estate.models import Building
from wuye.owners.domain.queries import acting_person, binding_of, request_of, request_photo_of, requests_of
from wuye.portal.auth import owner_required
from wuye.portal.forms import PORTAL_MAX_PHOTOS, CommentForm, RateForm, RequestForm
from wuye.portal.views.base import render_portal
from wuye.service.domain import requests as service
from wuye.service.domain.errors import ServiceError
from wuye.service.domain.queries import categories_tree, request_comments
from wuye.service.enums import STATE_COLOURS, RequestAction, RequestChannel, RequestType
from wuye.service.models import ServiceCategory
from wuye.service.rules import is_allowed
from wuye.service.validators import photo_max_bytes

# The photos of a report form that was refused (another field was wrong), by token: kept in the session,
# so that only the owner who attached them can name them, and sent with the form's next post.
HELD_PHOTOS = "portal.held_photos"
HELD_MAX = 2 * PORTAL_MAX_PHOTOS  # per session; the oldest are let go


def _request(request, servicerequest_pk: int):
    """A request of one of the owner's households with the binding to act through; 404 otherwise."""
    found = request_of(account=request.owner, pk=servicerequest_pk)
    if found is None:
        raise Http404
    return found, binding_of(request.owner, found.household_id)


@owner_required
def request_list(request):
    rows = list(requests_of(household=request.household))
    for row in rows:
        row.colour = STATE_COLOURS.get(row.state, "grey")
    return render_portal(request, "portal/requests/list.html", {"requests": rows}, tab="requests")


def _held_chosen(request) -> list[HeldUpload]:
    """The held photos the form posts back (ticked), that this session holds."""
    store = request.session.get(HELD_PHOTOS, {})
    tokens = dict.fromkeys(request.POST.getlist("held_photo"))
    return [HeldUpload(token=token, **store[token]) for token in tokens if token in store]


def _hold(request, form, held: list[HeldUpload]) -> list[HeldUpload]:
    """After a refused post: hold its new photos (those that pass the check) beside the ones it kept,
    so the owner need not attach them again. Returns the photos the form shows as attached."""
    store = dict(request.session.get(HELD_PHOTOS, {}))
    kept = list(held)
    for upload in request.FILES.getlist("photos"):
        if len(kept) >= PORTAL_MAX_PHOTOS:
            break
        try:
            photo = upload_hold(upload, accept=IMAGES, max_bytes=photo_max_bytes())
        except UploadRefusedError as error:
            form.add_error("photos", str(error))
            continue
        store[photo.token] = photo.as_dict()
        kept.append(photo)
    for token in list(store)[: max(0, len(store) - HELD_MAX)]:
        held_release(HeldUpload(token=token, **store.pop(token)))
    request.session[HELD_PHOTOS] = store
    return kept


def _held_done(request, held: list[HeldUpload]) -> None:
    store = dict(request.session.get(HELD_PHOTOS, {}))
    for photo in held:
        store.pop(photo.token, None)
        held_release(photo)
    request.session[HELD_PHOTOS] = store


@owner_required
def request_new(request):
    household = request.household
    rooms = [link.room for link in household.room_links.select_related("room__building", "room__unit")]
    form = RequestForm(
        request.POST or None,
        request.FILES or None,
        types=RequestType.choices,
        categories=categories_tree(community=household.community, active_only=True),
        rooms=rooms,
        buildings=Building.objects.filter(community=household.community),
    )
    held = _held_chosen(request) if request.method == "POST" else []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        in_room = data["where"] == RequestForm.WHERE_ROOM
        photos = [file for file in map(held_file, held) if file is not None] + data["photos"]
        try:
            if len(photos) > PORTAL_MAX_PHOTOS:
                raise ServiceError(_("At most %(n)s photos.") % {"n": PORTAL_MAX_PHOTOS})
            created = service.request_submit(
                community=household.community,
                channel=RequestChannel.PORTAL,
                type=data["type"],
                category=ServiceCategory.objects.get(pk=data["category"], community=household.community),
                description=data["description"],
                household=household,
                person=acting_person(request.binding),
                room=next((room for room in rooms if room.pk == data["room"]), None) if in_room else None,
                building=(
                    Building.objects.filter(community=household.community, pk=data["building"]).first()
                    if not in_room and data["building"]
                    else None
                ),
                location_text="" if in_room else data["location_text"],
                photos=photos,
                preferred_time=data["preferred_time"],
                actor=request.owner,
            )
        except ServiceCategory.DoesNotExist:
            form.add_error("category", _("Choose one of the categories."))
        except ServiceError as error:
            form.add_error(None, str(error))
        else:
            _held_done(request, held)
            messages.success(request, _("Thank you. The office has your request."))
            return redirect("portal:request", servicerequest_pk=created.pk)
    if request.method == "POST":
        held = _hold(request, form, held)
    return render_portal(request, "portal/requests/new.html", {"form": form, "held": held}, tab="requests")


@owner_required
def request_held_photo(request, token: str):
    """A photo this session holds for its report form (see HELD_PHOTOS), shown on the form."""
    found = request.session.get(HELD_PHOTOS, {}).get(token)
    if found is None:
        raise Http404
    photo = HeldUpload(token=token, **found)
    return upload_response(
        default_storage.open(photo.name), content_type=photo.content_type, title=photo.original_name
    )


@owner_required
def request_detail(request, servicerequest_pk: int):
    found, _binding = _request(request, servicerequest_pk)
    return render_portal(
        request,
        "portal/requests/detail.html",
        {
            "item": found,
            "colour": STATE_COLOURS.get(found.state, "grey"),
            "photos": found.photos.all(),
            "comments": request_comments(request=found, public_only=True),
            "can_cancel": is_allowed(RequestAction.CANCEL, found.state),
            "can_rate": is_allowed(RequestAction.RATE, found.state),
            "can_reopen": is_allowed(RequestAction.REOPEN, found.state),
            "comment_form": CommentForm(),
            "rate_form": RateForm(),
        },
        tab="requests",
    )


def _act(request, servicerequest_pk: int, do) -> object:
    found, binding = _request(request, servicerequest_pk)
    try:
        do(found, acting_person(binding))
    except ServiceError as error:
        messages.error(request, str(error))
    return redirect("portal:request", servicerequest_pk=found.pk)


@owner_required
@require_POST
def request_cancel(request, servicerequest_pk: int):
    def do(found, person):
        service.request_cancel(
            request=found, person=person, actor=request.owner, note=request.POST.get("note", "")[:200]
        )
        messages.success(request, _("The request is cancelled."))

    return _act(request, servicerequest_pk, do)


@owner_required
@require_POST
def request_rate(request, servicerequest_pk: int):
    form = RateForm(request.POST)

    def do(found, person):
        if not form.is_valid():
            raise ServiceError(_("Choose one to five stars."))
        service.request_rate(
            request=found,
            person=person,
            stars=form.cleaned_data["stars"],
            comment=form.cleaned_data["comment"],
        )
        messages.success(request, _("Thank you for your rating."))

    return _act(request, servicerequest_pk, do)


@owner_required
@require_POST
def request_reopen(request, servicerequest_pk: int):
    def do(found, person):
        service.request_reopen(
            request=found, person=person, actor=request.owner, note=request.POST.get("note", "")[:200]
        )
        messages.success(request, _("The request is open again."))

    return _act(request, servicerequest_pk, do)


@owner_required
@require_POST
def request_comment(request, servicerequest_pk: int):
    form = CommentForm(request.POST)

    def do(found, person):
        if not form.is_valid():
            raise ServiceError(_("Write something first."))
        service.request_comment(
            request=found, person=person, actor=request.owner, body=form.cleaned_data["body"]
        )

    return _act(request, servicerequest_pk, do)


@owner_required
def request_photo(request, requestphoto_pk: int):
    """A photo of one of the owner's requests, served only to them (uploads are not public)."""
    photo = request_photo_of(account=request.owner, pk=requestphoto_pk)
    if photo is None:
        raise Http404
    return upload_response(photo.file, content_type=photo.content_type, title=f"photo-{photo.pk}")
