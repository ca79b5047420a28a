"""Binding owner accounts to households: staff invitations, owners' requests checked against the
archive and decided by staff, and removal. Every change is on the household's timeline."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.core.audit import log_action, register_actions, register_field_labels
from wuye.core.models import AuditLog, Community
from wuye.estate.models import Room, room_label
from wuye.households.models import Household, HouseholdRoom, Person
from wuye.notifications.domain.outbox import notify, notify_phone, register_event
from wuye.owners.enums import BINDING_REQUEST_TRANSITIONS, BindingRequestState, BindingSource
from wuye.owners.models import BindingRequest, HouseholdBinding, OwnerAccount
from wuye.owners.validators import normalise_phone, validate_last_four, validate_mobile

register_actions(
    {
        "owners.binding.invited": gettext_lazy("Owner invited to the portal"),
        "owners.binding.created": gettext_lazy("Owner account bound to the household"),
        "owners.binding.removed": gettext_lazy("Owner account unbound from the household"),
        "owners.bindingrequest.submitted": gettext_lazy("Owner asked to be bound to the household"),
        "owners.bindingrequest.approved": gettext_lazy("Binding request approved"),
        "owners.bindingrequest.rejected": gettext_lazy("Binding request rejected"),
        "owners.bindingrequest.withdrawn": gettext_lazy("Binding request withdrawn"),
        "owners.bindingrequest.mismatch": gettext_lazy("Binding request did not match the archive"),
    }
)
register_field_labels(
    {
        "binding_state": (gettext_lazy("state"), BindingRequestState),
        "source": (gettext_lazy("source"), BindingSource),
        "reason": gettext_lazy("reason"),
        "person": gettext_lazy("person"),
    }
)

INVITED_EVENT = "owners.binding.invited"
DECIDED_EVENT = "owners.binding.decided"
register_event(
    INVITED_EVENT,
    gettext_lazy("Invitation to the owner portal"),
    gettext_lazy("Welcome to the owner portal"),
    gettext_lazy(
        "%(community)s has invited you to the owner portal for %(household)s. "
        "Log in with this phone number to report repairs, read notices and pay bills."
    ),
    optional=False,
)
register_event(
    DECIDED_EVENT,
    gettext_lazy("Binding request decided"),
    gettext_lazy("Your request for %(room)s: %(binding_state)s"),
    gettext_lazy("Your request to be linked to %(room)s at %(community)s was %(binding_state)s. %(reason)s"),
    choices={"binding_state": BindingRequestState},
    optional=False,
)

# Guessing the last four digits: after this many mismatches in a day an account must wait.
MISMATCHES_PER_DAY = 5


class BindingError(Exception):
    """A refused binding change; the message is translated."""


def _owner(account: OwnerAccount) -> str:
    return account.phone_masked


def _bind(
    *, account: OwnerAccount, household: Household, person: Person | None, source: str, actor
) -> tuple[HouseholdBinding, bool]:
    binding, created = HouseholdBinding.objects.get_or_create(
        account=account,
        household=household,
        defaults={
            "community_id": household.community_id,
            "person": person,
            "source": source,
            "approved_by": actor if getattr(actor, "is_authenticated", False) else None,
        },
    )
    if created:
        log_action(
            "owners.binding.created",
            actor=actor,
            obj=binding,
            household_id=household.pk,
            changes={"owner": _owner(account), "person": str(person or ""), "source": source},
        )
    return binding, created


@transaction.atomic
def binding_invite(*, person: Person, actor) -> HouseholdBinding:
    """Staff invite a person of a household: their phone's account (created if new) is bound at once.

    When that phone logs in to the portal, the household is there. Inviting again changes nothing.
    """
    phone = normalise_phone(person.phone)
    try:
        validate_mobile(phone)
    except ValidationError:
        raise BindingError(
            _("%(name)s has no mobile number in the archive.") % {"name": person.name}
        ) from None
    account, _created = OwnerAccount.objects.get_or_create(phone=phone)
    binding, created = _bind(
        account=account,
        household=person.household,
        person=person,
        source=BindingSource.INVITATION,
        actor=actor,
    )
    if created:
        log_action(
            "owners.binding.invited",
            actor=actor,
            obj=person,
            household_id=person.household_id,
            changes={"owner": _owner(account), "person": person.name},
        )
        for pending in BindingRequest.objects.filter(
            account=account, household=person.household, state=BindingRequestState.PENDING
        ):
            binding_request_transition(request=pending, to=BindingRequestState.APPROVED, actor=actor)
        notify(
            community=person.household.community,
            event=INVITED_EVENT,
            people=[person],
            context={"household": person.household.name},
        )
    return binding


@transaction.atomic
def binding_remove(*, binding: HouseholdBinding, actor) -> None:
    """Staff unbind an account from a household (moved out, sold the flat)."""
    log_action(
        "owners.binding.removed",
        actor=actor,
        obj=binding,
        household_id=binding.household_id,
        changes={"owner": _owner(binding.account), "person": str(binding.person or "")},
    )
    binding.delete()


def _find_room(community: Community, building: str, unit: str, number: str) -> Room | None:
    """The room, accepting "1" for "1栋" and "2" for "2单元" as owners often type them."""
    building, unit, number = building.strip(), unit.strip(), number.strip()
    if not (building and unit and number):
        return None
    return (
        Room.objects.filter(
            community=community,
            building__name__in=[building, f"{building}栋", f"{building}号楼"],
            unit__name__in=[unit, f"{unit}单元"],
            number=number,
        )
        .select_related("building", "unit")
        .first()
    )


def _matching_person(household: Household, name: str, last_four: str) -> Person | None:
    last_four = last_four.upper()
    for person in household.people.filter(name=name.strip(), moved_out_on__isnull=True).order_by("pk"):
        # ID numbers are encrypted, so they are compared here, among the few people of one household.
        if (person.phone and person.phone[-4:] == last_four) or (
            person.id_number and person.id_number[-4:].upper() == last_four
        ):
            return person
    return None


def _mismatches_today(account: OwnerAccount, now: datetime) -> int:
    return AuditLog.objects.filter(
        action="owners.bindingrequest.mismatch",
        object_type=OwnerAccount._meta.label_lower,
        object_pk=account.pk,
        created_at__gte=now - timedelta(days=1),
    ).count()


def binding_request_submit(
    *,
    account: OwnerAccount,
    community: Community,
    building: str,
    unit: str,
    number: str,
    name: str,
    last_four: str,
    now: datetime | None = None,
) -> BindingRequest:
    """An owner asks to be bound to the household of a room, proving it with the registered name and
    the last four characters of that person's ID number or phone.

    Steps: check the input and the daily mismatch limit; match room → household → person; a
    mismatch is logged (it counts towards the limit, so the log entry is written outside any
    transaction the caller might roll back) and refused with one message that does not say which
    part was wrong; a match becomes a pending request for staff to approve.
    """
    now = now or timezone.now()
    try:
        validate_last_four(last_four.strip())
    except ValidationError as error:
        raise BindingError(error.messages[0]) from None
    if _mismatches_today(account, now) >= MISMATCHES_PER_DAY:
        raise BindingError(
            _("Too many attempts that did not match. Please try again tomorrow or ask the office.")
        )
    room = _find_room(community, building, unit, number)
    link = HouseholdRoom.objects.filter(room=room).select_related("household").first() if room else None
    person = _matching_person(link.household, name, last_four.strip()) if link else None
    if person is None:
        log_action(
            "owners.bindingrequest.mismatch",
            actor=None,
            obj=account,
            community_id=community.pk,
            changes={"owner": _owner(account), "room": room_label(building, unit, number)[:60]},
        )
        raise BindingError(
            _(
                "These details do not match the archive. Check the room and the registered name, or ask the office."
            )
        )
    household = link.household
    if HouseholdBinding.objects.filter(account=account, household=household).exists():
        raise BindingError(_("You are already linked to this household."))
    with transaction.atomic():
        try:
            with transaction.atomic():
                request = BindingRequest.objects.create(
                    community=community,
                    account=account,
                    household=household,
                    person=person,
                    room=room,
                    name=person.name,
                )
        except IntegrityError:
            raise BindingError(
                _("Your request for this household is already waiting for the office.")
            ) from None
        log_action(
            "owners.bindingrequest.submitted",
            actor=None,
            obj=request,
            household_id=household.pk,
            changes={"owner": _owner(account), "room": str(room), "person": person.name},
        )
    return request


@transaction.atomic
def binding_request_transition(
    *, request: BindingRequest, to: str, actor, reason: str = "", now: datetime | None = None
) -> BindingRequest:
    """Approve, reject or withdraw a pending request.

    Steps: lock the request and check the move is allowed (BINDING_REQUEST_TRANSITIONS), else raise
    BindingError and change nothing; write the state (approval also binds the account to the
    household); log on the household's timeline; tell the owner by SMS (approved or rejected).
    """
    now = now or timezone.now()
    locked = (
        BindingRequest.objects.select_for_update()
        .select_related("account", "room", "community")
        .get(pk=request.pk)
    )
    if to not in BINDING_REQUEST_TRANSITIONS.get(locked.state, frozenset()):
        raise BindingError(
            _("This request is %(state)s and cannot be changed any more.")
            % {"state": locked.get_state_display()}
        )
    from_state = locked.state
    locked.state = to
    locked.reason = reason.strip()[:200]
    locked.decided_at = now
    locked.decided_by = actor if getattr(actor, "is_authenticated", False) else None
    locked.save(update_fields=["state", "reason", "decided_at", "decided_by"])
    if to == BindingRequestState.APPROVED:
        household = Household.objects.get(pk=locked.household_id)
        _bind(
            account=locked.account,
            household=household,
            person=locked.person,
            source=BindingSource.REQUEST,
            actor=actor,
        )
    log_action(
        f"owners.bindingrequest.{to}",
        actor=actor,
        obj=locked,
        household_id=locked.household_id,
        changes={"binding_state": [from_state, to], "owner": _owner(locked.account), "reason": locked.reason},
    )
    if to in (BindingRequestState.APPROVED, BindingRequestState.REJECTED):
        notify_phone(
            community=locked.community,
            phone=locked.account.phone,
            event=DECIDED_EVENT,
            context={"room": str(locked.room), "binding_state": to, "reason": locked.reason},
            language=locked.account.language,
        )
    if request is not locked:
        request.refresh_from_db()
    return locked


def binding_request_approve(*, request: BindingRequest, actor) -> BindingRequest:
    return binding_request_transition(request=request, to=BindingRequestState.APPROVED, actor=actor)


def binding_request_reject(*, request: BindingRequest, actor, reason: str = "") -> BindingRequest:
    return binding_request_transition(
        request=request, to=BindingRequestState.REJECTED, actor=actor, reason=reason
    )


def binding_request_withdraw(*, request: BindingRequest) -> BindingRequest:
    return binding_request_transition(request=request, to=BindingRequestState.WITHDRAWN, actor=None)
