"""Service requests: submission, the one transition function, comments, ratings, return visits, charges.

Used alike by the staff console, the owner portal and the API. Every function is keyword-only and runs
in one transaction; a refusal raises ``ServiceError`` (translated) and changes nothing.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.billing.domain.bills import BillError
from wuye.billing.domain.charges import charge_set
from wuye.core.audit import log_action, register_actions, register_field_labels
from wuye.core.enums import Permission
from wuye.core.models import Community, user_can
from wuye.core.money import fen_to_yuan
from wuye.core.uploads import IMAGES, CheckedUpload, UploadRefusedError, upload_check
from wuye.estate.models import Building, Room
from wuye.households.models import Household, HouseholdRoom, Person
from wuye.service.domain.errors import ServiceError
from wuye.service.domain.notify import notify_requester
from wuye.service.domain.queries import service_settings_of
from wuye.service.domain.teams import team_next_member
from wuye.service.enums import (
    ENDED_STATES,
    FINISHED_STATES,
    STAFF_CHANNELS,
    CommentVisibility,
    Escalation,
    EventKind,
    RequestAction,
    RequestChannel,
    RequestState,
    RequestType,
    ReturnVisitResult,
)
from wuye.service.lock_objects import request_lock
from wuye.service.models import (
    RequestComment,
    RequestEvent,
    RequestPhoto,
    ServiceCategory,
    ServiceRequest,
    Team,
)
from wuye.service.rules import NEEDS_ASSIGNEE, target_state
from wuye.service.validators import MAX_PHOTOS, STARS, photo_max_bytes

register_actions(
    {
        "service.request.submitted": gettext_lazy("Service request submitted"),
        "service.request.accept": gettext_lazy("Service request accepted"),
        "service.request.reject": gettext_lazy("Service request rejected"),
        "service.request.assign": gettext_lazy("Service request assigned"),
        "service.request.transfer": gettext_lazy("Service request transferred"),
        "service.request.start": gettext_lazy("Work on service request started"),
        "service.request.pause": gettext_lazy("Work on service request paused"),
        "service.request.resume": gettext_lazy("Work on service request resumed"),
        "service.request.finish": gettext_lazy("Service request done"),
        "service.request.rate": gettext_lazy("Service request rated"),
        "service.request.close": gettext_lazy("Service request closed"),
        "service.request.reopen": gettext_lazy("Service request reopened"),
        "service.request.cancel": gettext_lazy("Service request cancelled"),
        "service.request.escalated": gettext_lazy("Service request escalated to the supervisor"),
        "service.request.commented": gettext_lazy("Comment on a service request"),
        "service.request.photo_added": gettext_lazy("Photo added to a service request"),
        "service.request.return_visit": gettext_lazy("Return visit recorded"),
        "service.request.charged": gettext_lazy("Charge recorded on a service request"),
    }
)
register_field_labels(
    {
        "request_state": (gettext_lazy("state"), RequestState),
        "request_type": (gettext_lazy("type"), RequestType),
        "request_channel": (gettext_lazy("channel"), RequestChannel),
        "category": gettext_lazy("category"),
        "assignee": gettext_lazy("assignee"),
        "stars": gettext_lazy("rating"),
        "note": gettext_lazy("note"),
        "location": gettext_lazy("location"),
        "photos": gettext_lazy("photos"),
        "visibility": (gettext_lazy("visibility"), CommentVisibility),
        "comment": gettext_lazy("comment"),
        "return_visit_result": (gettext_lazy("return visit"), ReturnVisitResult),
        "charge_fen": gettext_lazy("charge (yuan)"),
        "deadline": gettext_lazy("deadline"),
        "escalation": (gettext_lazy("escalation"), Escalation),
    }
)

DESCRIPTION_MAX = 2000
COMMENT_MAX = 2000
# What an owner may do to their own request from the portal; every other action is the staff's.
OWNER_ACTIONS = frozenset({RequestAction.CANCEL, RequestAction.RATE, RequestAction.REOPEN})


def _name(user) -> str:
    return (user.get_full_name() or user.username) if user is not None else ""


def _check_person(request: ServiceRequest, person: Person) -> None:
    if request.household_id is None or person.household_id != request.household_id:
        raise ServiceError(_("Only the household that reported a request can do this."))


def _check_photos(photos: Sequence) -> list[CheckedUpload]:
    """Every photo checked before anything is written: decoded as an image (``wuye.core.uploads``)."""
    if len(photos) > MAX_PHOTOS:
        raise ServiceError(_("At most %(n)s photos can be attached.") % {"n": MAX_PHOTOS})
    try:
        return [upload_check(upload, accept=IMAGES, max_bytes=photo_max_bytes()) for upload in photos]
    except UploadRefusedError as error:
        raise ServiceError(str(error)) from None


def _store_photos(request: ServiceRequest, checked: list[CheckedUpload]) -> list[RequestPhoto]:
    return [
        RequestPhoto.objects.create(
            community_id=request.community_id,
            request=request,
            file=photo.as_file(),
            content_type=photo.content_type,
            size=photo.size,
        )
        for photo in checked
    ]


def request_submit(
    *,
    community: Community,
    channel: str,
    category: ServiceCategory,
    description: str,
    type: str = RequestType.REPAIR,
    household: Household | None = None,
    person: Person | None = None,
    room: Room | None = None,
    building: Building | None = None,
    location_text: str = "",
    photos: Sequence = (),
    preferred_time: datetime.datetime | None = None,
    contact_name: str = "",
    contact_phone: str = "",
    actor=None,
    now: datetime.datetime | None = None,
) -> ServiceRequest:
    """Record a new request and fix its deadlines from the category's SLA.

    The location is a ``room`` of the household, or a common area: ``location_text`` and optionally its
    ``building``. Staff taking a call or a visitor (phone, walk-in) may leave the household empty for an
    anonymous common-area report. With the community's automatic assignment on, the request is
    accepted and handed to the next member of its category's team at once.

    Photos are decoded and written again before the transaction opens: SQLite takes its write lock
    at BEGIN, and no other write should wait for an image to be re-encoded.
    """
    now = now or timezone.now()
    if channel not in RequestChannel.values:
        raise ServiceError(_("Unknown channel."))
    if type not in RequestType.values:
        raise ServiceError(_("Unknown request type."))
    if category.community_id != community.pk or not category.is_active:
        raise ServiceError(_("Choose one of this community's categories."))
    if household is None:
        if channel not in STAFF_CHANNELS or not getattr(actor, "is_authenticated", False):
            raise ServiceError(_("Only staff can file a report without a household."))
        if person is not None or room is not None:
            raise ServiceError(_("A requester or a room needs the household they belong to."))
    elif household.community_id != community.pk:
        raise ServiceError(_("The household is in another community."))
    if person is not None and person.household_id != getattr(household, "pk", None):
        raise ServiceError(_("The requester is not a member of this household."))
    if room is not None:
        if not HouseholdRoom.objects.filter(household=household, room=room).exists():
            raise ServiceError(_("The room does not belong to this household."))
        building = room.building
    elif building is not None and building.community_id != community.pk:
        raise ServiceError(_("The building is in another community."))
    description = (description or "").strip()
    if not description:
        raise ServiceError(_("Describe the problem."))
    if len(description) > DESCRIPTION_MAX:
        raise ServiceError(_("The description is longer than %(n)s characters.") % {"n": DESCRIPTION_MAX})
    if room is None and building is None and not location_text.strip():
        raise ServiceError(_("Say where: a room of the household, or a place in the community."))
    checked = _check_photos(photos)
    with transaction.atomic():
        request = ServiceRequest.objects.create(
            community=community,
            type=type,
            channel=channel,
            category=category,
            household=household,
            person=person,
            room=room,
            building=building,
            location_text=location_text.strip()[:100],
            description=description,
            preferred_time=preferred_time,
            contact_name=contact_name.strip() or (person.name if person else ""),
            contact_phone=contact_phone.strip() or (person.phone if person else ""),
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            submitted_at=now,
            response_due_at=now + datetime.timedelta(minutes=category.response_minutes),
            completion_due_at=now + datetime.timedelta(hours=category.completion_hours),
        )
        _store_photos(request, checked)
        RequestEvent.objects.create(
            community=community,
            request=request,
            action="submit",
            to_state=RequestState.SUBMITTED,
            actor=request.created_by,
            person=person,
            at=now,
        )
        log_action(
            "service.request.submitted",
            actor=actor,
            obj=request,
            household_id=request.household_id,
            changes={
                "request_type": type,
                "request_channel": channel,
                "category": str(category),
                "location": request.location,
                "photos": len(checked),
            },
        )
        if service_settings_of(community=community).auto_assign:
            request = request_transition(request=request, action=RequestAction.ACCEPT, now=now)
            if category.effective_team_id is not None:
                request = request_auto_assign(request=request, now=now)
    return request


@transaction.atomic
def request_transition(
    *,
    request: ServiceRequest,
    action: str,
    actor=None,
    person: Person | None = None,
    note: str = "",
    assignee=None,
    team: Team | None = None,
    stars: int | None = None,
    now: datetime.datetime | None = None,
) -> ServiceRequest:
    """Apply ``action`` to the request along ``service.rules.TRANSITIONS``: the one way its state changes.

    1. check — lock the row and read its state again; refuse with ``ServiceError`` (nothing changed)
       when the action is not allowed from that state, an owner (``person``) tries a staff action or
       someone else's request, or the action's arguments are missing or wrong;
    2. write — the new state and the times and fields the action implies;
    3. log — a ``RequestEvent`` (the request's history) and an audit entry on the household timeline;
    4. notify — the requester, through the notifications outbox, when the state changed.

    ``actor`` is the staff user (None for the system's jobs); ``person`` is the owner acting from the
    portal, who may pass their owner account as ``actor`` (it is not recorded as a staff actor; the
    outbox uses it not to notify them of their own action). ``assignee`` is needed to assign and transfer, ``stars`` (1–5) to rate, ``note`` to reject.
    """
    now = now or timezone.now()
    locked = request_lock(request.pk)
    from_state = locked.state
    to_state = target_state(action, from_state)
    if to_state is None:
        raise ServiceError(
            _("A request that is “%(state)s” cannot be “%(action)s”.")
            % {
                "state": RequestState(from_state).label,
                "action": RequestAction(action).label if action in RequestAction.values else action,
            }
        )
    if person is not None:
        _check_person(locked, person)
        if action not in OWNER_ACTIONS:
            raise ServiceError(_("Only the property staff can do this."))
    note = (note or "").strip()
    changes: dict = {"request_state": [from_state, to_state]}

    if action in NEEDS_ASSIGNEE:
        if assignee is None:
            raise ServiceError(_("Choose the staff member who takes the request."))
        if not assignee.is_active or not user_can(assignee, locked.community_id, Permission.SERVICE_HANDLE):
            raise ServiceError(
                _("%(user)s does not handle service requests in this community.") % {"user": _name(assignee)}
            )
        if action == RequestAction.TRANSFER and assignee.pk == locked.assignee_id:
            raise ServiceError(_("The request is already with %(user)s.") % {"user": _name(assignee)})
        if team is not None and team.community_id != locked.community_id:
            raise ServiceError(_("The team is in another community."))
        changes["assignee"] = [_name(locked.assignee), _name(assignee)]
        locked.assignee = assignee
        locked.team = team or _team_for(locked, assignee)
    elif action == RequestAction.RATE:
        if person is None:
            raise ServiceError(_("Only the household that reported a request can rate it."))
        if stars not in STARS:
            raise ServiceError(_("Give one to five stars."))
        locked.stars, locked.rating_comment, locked.rated_at = stars, note[:500], now
        changes["stars"] = stars
    elif action == RequestAction.REJECT and not note:
        raise ServiceError(_("Say why the request is rejected."))

    if action == RequestAction.ACCEPT:
        locked.responded_at = now
    elif action == RequestAction.REJECT:
        locked.responded_at = locked.responded_at or now
        locked.closed_at = now
    elif action == RequestAction.FINISH:
        locked.done_at = now
    elif action in (RequestAction.CLOSE, RequestAction.CANCEL):
        locked.closed_at = now
    elif action == RequestAction.REOPEN:
        if locked.stars is not None:
            # The rating was of work that turned out unfinished; the history keeps it.
            changes["stars"] = [locked.stars, None]
            note = " ".join(
                part for part in (f"★{locked.stars} {locked.rating_comment}".strip(), note) if part
            )
        locked.done_at = locked.stars = locked.rated_at = None
        locked.rating_comment = ""
    locked.state = to_state
    locked.save()

    if note:
        changes["note"] = note
    RequestEvent.objects.create(
        community_id=locked.community_id,
        request=locked,
        kind=EventKind.TRANSFER if action == RequestAction.TRANSFER else EventKind.TRANSITION,
        action=action,
        from_state=from_state,
        to_state=to_state,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        person=person,
        assignee=locked.assignee if action in NEEDS_ASSIGNEE else None,
        note=note,
        at=now,
    )
    log_action(
        f"service.request.{action}",
        actor=actor,
        obj=locked,
        household_id=locked.household_id,
        changes=changes,
    )
    if from_state != to_state:
        notify_requester(
            request=locked,
            context={
                "request_pk": locked.pk,
                "category": locked.category.name,
                "action": str(action),
                "from_state": from_state,
                "state": to_state,
                "state_label": str(RequestState(to_state).label),
                "note": note,
            },
            actor=actor,
        )
    _refresh(request, locked)
    return request


def _refresh(request: ServiceRequest, locked: ServiceRequest) -> None:
    """Let the caller's instance see what the locked copy wrote."""
    for model_field in ServiceRequest._meta.concrete_fields:
        setattr(request, model_field.attname, getattr(locked, model_field.attname))


def _team_for(request: ServiceRequest, assignee) -> Team | None:
    """The category's team when the assignee is in it (team performance counts the request there)."""
    team_id = request.category.effective_team_id
    if team_id and Team.objects.filter(pk=team_id, memberships__user=assignee).exists():
        return Team.objects.get(pk=team_id)
    return None


@transaction.atomic
def request_auto_assign(*, request: ServiceRequest, actor=None, now: datetime.datetime | None = None):
    """Assign an accepted request to the next member of its category's team, in rotation."""
    team_id = request.category.effective_team_id
    if team_id is None:
        raise ServiceError(_("The request's category has no team: assign it by hand."))
    # The request first, then the team: the lock order of service.lock_objects.
    if request_lock(request.pk).state != RequestState.ACCEPTED:
        raise ServiceError(_("Only an accepted request can be assigned."))
    team = Team.objects.get(pk=team_id)
    member = team_next_member(team=team)
    return request_transition(
        request=request, action=RequestAction.ASSIGN, actor=actor, assignee=member, team=team, now=now
    )


# Thin, named entry points for the portal and the API.


def request_accept(*, request: ServiceRequest, actor, now=None) -> ServiceRequest:
    return request_transition(request=request, action=RequestAction.ACCEPT, actor=actor, now=now)


def request_assign(*, request: ServiceRequest, assignee, actor, now=None) -> ServiceRequest:
    return request_transition(
        request=request, action=RequestAction.ASSIGN, assignee=assignee, actor=actor, now=now
    )


def request_transfer(*, request: ServiceRequest, assignee, actor, note: str = "", now=None) -> ServiceRequest:
    return request_transition(
        request=request, action=RequestAction.TRANSFER, assignee=assignee, actor=actor, note=note, now=now
    )


def request_cancel(
    *, request: ServiceRequest, person: Person | None = None, actor=None, note: str = "", now=None
) -> ServiceRequest:
    """Cancel before work starts: by the owner (``person``) from the portal or by staff (``actor``)."""
    return request_transition(
        request=request, action=RequestAction.CANCEL, person=person, actor=actor, note=note, now=now
    )


def request_rate(
    *, request: ServiceRequest, person: Person, stars: int, comment: str = "", now=None
) -> ServiceRequest:
    """The owner rates a done request with one to five stars and a comment."""
    return request_transition(
        request=request, action=RequestAction.RATE, person=person, stars=stars, note=comment, now=now
    )


def request_reopen(
    *, request: ServiceRequest, person: Person | None = None, actor=None, note: str = "", now=None
) -> ServiceRequest:
    """Back to the assignee: the owner says it is not fixed, or staff found so on the return visit."""
    return request_transition(
        request=request, action=RequestAction.REOPEN, person=person, actor=actor, note=note, now=now
    )


@transaction.atomic
def request_comment(
    *,
    request: ServiceRequest,
    body: str,
    internal: bool = False,
    actor=None,
    person: Person | None = None,
    now: datetime.datetime | None = None,
) -> RequestComment:
    """A comment by staff (``actor``: an internal note, or a message the owner sees) or by the owner
    (``person``: always a message; ``actor`` may then be the owner's portal account). A staff message
    notifies the requester."""
    now = now or timezone.now()
    body = (body or "").strip()
    if not body:
        raise ServiceError(_("Write something first."))
    if len(body) > COMMENT_MAX:
        raise ServiceError(_("The comment is longer than %(n)s characters.") % {"n": COMMENT_MAX})
    staff_user = actor if getattr(actor, "is_authenticated", False) else None
    if (staff_user is None) == (person is None):
        raise ValueError("a comment has one author: a staff user (actor) or an owner (person)")
    locked = request_lock(request.pk)
    if person is not None:
        _check_person(locked, person)
        if internal:
            raise ServiceError(_("Owners write messages, not internal notes."))
        if locked.state in ENDED_STATES:
            raise ServiceError(_("This request is closed."))
    visibility = CommentVisibility.INTERNAL if internal else CommentVisibility.PUBLIC
    comment = RequestComment.objects.create(
        community_id=locked.community_id,
        request=locked,
        visibility=visibility,
        author=staff_user,
        person=person,
        body=body,
        created_at=now,
    )
    log_action(
        "service.request.commented",
        actor=actor,
        obj=locked,
        household_id=locked.household_id,
        changes={"visibility": visibility, "comment": body[:200]},
    )
    if staff_user is not None and not internal:
        notify_requester(
            request=locked,
            context={
                "request_pk": locked.pk,
                "category": locked.category.name,
                "action": "comment",
                "state": locked.state,
                "state_label": str(RequestState(locked.state).label),
                "note": body[:200],
            },
            actor=actor,
        )
    return comment


def request_photo_add(*, request: ServiceRequest, photos: Sequence, actor=None, person: Person | None = None):
    """More photos (the owner's, or the technician's before/after), checked like those at submission.

    The photos are decoded before the request is locked (see ``request_submit``).
    """
    checked = _check_photos(photos)
    with transaction.atomic():
        locked = request_lock(request.pk)
        if person is not None:
            _check_person(locked, person)
        if locked.state in ENDED_STATES:
            raise ServiceError(_("This request is closed."))
        if locked.photos.count() + len(checked) > MAX_PHOTOS:
            raise ServiceError(_("At most %(n)s photos can be attached.") % {"n": MAX_PHOTOS})
        stored = _store_photos(locked, checked)
        log_action(
            "service.request.photo_added",
            actor=actor,
            obj=locked,
            household_id=locked.household_id,
            changes={"photos": len(stored)},
        )
    return stored


@transaction.atomic
def request_return_visit(
    *, request: ServiceRequest, result: str, note: str = "", actor, now: datetime.datetime | None = None
) -> ServiceRequest:
    """The return visit (回访) after the work: how the owner found it, and a note."""
    now = now or timezone.now()
    locked = request_lock(request.pk)
    if locked.state not in FINISHED_STATES:
        raise ServiceError(_("A return visit follows finished work."))
    if result not in ReturnVisitResult.values:
        raise ServiceError(_("Choose the result of the return visit."))
    note = (note or "").strip()[:500]
    locked.return_visit_result, locked.return_visit_note, locked.return_visited_at = result, note, now
    locked.save(update_fields=["return_visit_result", "return_visit_note", "return_visited_at", "updated_at"])
    RequestEvent.objects.create(
        community_id=locked.community_id,
        request=locked,
        kind=EventKind.RETURN_VISIT,
        from_state=locked.state,
        to_state=locked.state,
        actor=actor,
        note=" ".join(part for part in (str(ReturnVisitResult(result).label), note) if part),
        at=now,
    )
    log_action(
        "service.request.return_visit",
        actor=actor,
        obj=locked,
        household_id=locked.household_id,
        changes={"return_visit_result": result, "note": note},
    )
    _refresh(request, locked)
    return request


def charge_reference(request: ServiceRequest) -> str:
    """The ``source`` of the request's bill line (see ``wuye.billing.domain.charges``)."""
    return f"service.request:{request.pk}"


@transaction.atomic
def request_charge(
    *, request: ServiceRequest, amount_fen: int, note: str = "", actor, now: datetime.datetime | None = None
) -> ServiceRequest:
    """Record what a paid repair costs the household, in fen, and put it on the household's bill.

    Steps: check the amount; lock the request; refuse an ended request or one without a household;
    set the charge on the household's bill through billing (``charges.charge_set``, in this same
    transaction: a one-off line of the month's bill the first time, an adjustment of that line when
    the charge changes, nothing for 0; a refusal of billing's, such as lowering a charge below what
    was paid, is raised as ``ServiceError`` and changes nothing); store the amount on the request;
    write the history event; log on the household's timeline.
    """
    now = now or timezone.now()
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen < 0:
        raise ServiceError(_("The charge is a whole, non-negative number of fen."))
    locked = request_lock(request.pk)
    if locked.state in ENDED_STATES:
        raise ServiceError(_("This request is closed."))
    if locked.household_id is None:
        raise ServiceError(_("Only a household's request can be charged."))
    before = locked.charge_fen
    note = (note or "").strip()[:200]
    try:
        charge_set(
            household=locked.household,
            room=locked.room,
            amount_fen=amount_fen,
            description=" ".join(part for part in (f"#{locked.pk}", locked.category.name, note) if part),
            reference=charge_reference(locked),
            actor=actor,
        )
    except BillError as error:
        raise ServiceError(str(error)) from None
    locked.charge_fen, locked.charge_note = amount_fen, note
    locked.save(update_fields=["charge_fen", "charge_note", "updated_at"])
    RequestEvent.objects.create(
        community_id=locked.community_id,
        request=locked,
        kind=EventKind.CHARGE,
        from_state=locked.state,
        to_state=locked.state,
        actor=actor,
        note=f"¥{fen_to_yuan(locked.charge_fen)} {locked.charge_note}".strip(),
        at=now,
    )
    log_action(
        "service.request.charged",
        actor=actor,
        obj=locked,
        household_id=locked.household_id,
        changes={"charge_fen": [before, amount_fen], "note": locked.charge_note},
    )
    _refresh(request, locked)
    return request
