"""Listings and leases: offering a room for rent, signing a lease for it, closing the lease.

Who lets: the household that holds the room (an owner), or the property company when no household
holds it (a shop, storage or parking space of the company's). An owner's tenant is a person of kind
tenant in the owner's household; owner and tenant settle rent and deposit between themselves. The
company's tenant has a household of its own (an existing one, or one made for the tenant), which the
room is bound to for the term: its bills carry the rent (``billing``), its deposit is held in the
ledger (``deposits``), its people open the building's doors as residents do, and a parking space's
cars pass its car park's gates (the space is the household's for the term). Closing a lease
moves the tenant out (their door credentials end with it: households' ``people_left``), unbinds the
company's room and puts the room's state back.

Lock order: the room (every change of its lease or listing holds it), then what billing locks.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.billing.domain.bills import BillError
from wuye.billing.domain.charges import charge_set
from wuye.core.audit import log_action, register_actions, register_field_labels
from wuye.core.models import Community
from wuye.core.money import fen_to_yuan
from wuye.estate.enums import RoomState
from wuye.estate.models import Room
from wuye.households.domain.households import (
    ArchiveError,
    household_bind_room,
    household_create,
    household_unbind_room,
    person_add,
    person_update,
)
from wuye.households.domain.tagrules import tags_refresh
from wuye.households.enums import PersonKind
from wuye.households.models import Household, HouseholdRoom, Person
from wuye.parking.domain.errors import ParkingError
from wuye.parking.domain.spaces import space_assign, space_release
from wuye.parking.models import ParkingSpace
from wuye.payments.domain.queries import debit_locked_line_ids
from wuye.rental.domain.billing import lease_lines, rent_bills_issue, rent_source
from wuye.rental.domain.errors import RentalError, staff_or_none
from wuye.rental.domain.schedule import (
    MAX_ESCALATION_BP,
    MAX_RENT_FEN,
    MAX_TERM_MONTHS,
    add_months,
    lease_schedule,
    term_months,
)
from wuye.rental.enums import Escalation, LeaseState, ListingState, RentCycle
from wuye.rental.models import Lease, Listing

register_actions(
    {
        "rental.listing.created": gettext_lazy("Room offered for rent"),
        "rental.listing.withdrawn": gettext_lazy("Rental listing withdrawn"),
        "rental.lease.signed": gettext_lazy("Lease signed"),
        "rental.lease.closed": gettext_lazy("Lease closed"),
        "rental.lease.renewed": gettext_lazy("Lease renewed"),
    }
)
register_field_labels(
    {
        "lease_number": gettext_lazy("lease number"),
        "tenant": gettext_lazy("tenant"),
        "term": gettext_lazy("term"),
        "rent_yuan": gettext_lazy("monthly rent (yuan)"),
        "deposit_yuan": gettext_lazy("deposit (yuan)"),
        "landlord": gettext_lazy("landlord"),
        "closed_on": gettext_lazy("closed on"),
        "ends": gettext_lazy("ends"),
        "reason": gettext_lazy("reason"),
    }
)

TENANT_TAG = "tenant"  # households.domain.tagrules: a tenant lives in the household's rooms


def _tags_refresh_on_commit(community_id: int) -> None:
    def refresh() -> None:
        tags_refresh(community=Community.objects.get(pk=community_id), keys=[TENANT_TAG, "vacant"])

    transaction.on_commit(refresh)


def _landlord(room: Room) -> Household | None:
    link = HouseholdRoom.objects.filter(room=room).select_related("household").first()
    return link.household if link is not None else None


def landlord_label(household: Household | None) -> str:
    return household.name if household is not None else str(_("Property company"))


def _check_money(rent_fen, deposit_fen) -> None:
    for value in (rent_fen, deposit_fen):
        if isinstance(value, bool) or not isinstance(value, int):
            raise RentalError(_("Amounts are whole fen."))
    if not 0 < rent_fen <= MAX_RENT_FEN:
        raise RentalError(
            _("The monthly rent is more than zero and at most %(max)s yuan.")
            % {"max": fen_to_yuan(MAX_RENT_FEN)}
        )
    if not 0 <= deposit_fen <= MAX_RENT_FEN:
        raise RentalError(
            _("The deposit is zero or more and at most %(max)s yuan.") % {"max": fen_to_yuan(MAX_RENT_FEN)}
        )


def _room_locked(room: Room) -> Room:
    return Room.objects.select_for_update().get(pk=room.pk)


@transaction.atomic
def listing_create(
    *, community: Community, room: Room, rent_fen: int, deposit_fen: int, description: str = "", actor
) -> Listing:
    """Offer ``room`` for rent: by its household, or by the company when none holds it."""
    if room.community_id != community.pk:
        raise RentalError(_("The room is in another community."))
    _check_money(rent_fen, deposit_fen)
    room = _room_locked(room)
    if Listing.objects.filter(room=room, state__in=(ListingState.OPEN, ListingState.LEASED)).exists():
        raise RentalError(_("Room %(room)s is listed already.") % {"room": room})
    if Lease.objects.filter(room=room, state=LeaseState.ACTIVE).exists():
        raise RentalError(_("Room %(room)s is let under a lease in force.") % {"room": room})
    landlord = _landlord(room)
    listing = Listing.objects.create(
        community=community,
        room=room,
        landlord=landlord,
        rent_fen=rent_fen,
        deposit_fen=deposit_fen,
        description=" ".join(description.split())[:300],
        created_by=staff_or_none(actor),
    )
    log_action(
        "rental.listing.created",
        actor=actor,
        obj=listing,
        household_id=landlord.pk if landlord else None,
        changes={
            "room": str(room),
            "landlord": landlord_label(landlord),
            "rent_yuan": fen_to_yuan(rent_fen),
            "deposit_yuan": fen_to_yuan(deposit_fen),
        },
    )
    return listing


@transaction.atomic
def listing_withdraw(*, listing: Listing, actor) -> Listing:
    listing = Listing.objects.select_for_update().get(pk=listing.pk)
    if listing.state != ListingState.OPEN:
        raise RentalError(_("Only a listing still for rent can be withdrawn."))
    listing.state = ListingState.WITHDRAWN
    listing.save(update_fields=["state"])
    log_action(
        "rental.listing.withdrawn",
        actor=actor,
        obj=listing,
        household_id=listing.landlord_id,
        changes={"room": str(listing.room)},
    )
    return listing


def _check_terms(*, number, starts_on, ends_on, cycle, escalation, escalation_value) -> str:
    number = (number or "").strip()
    if not number or len(number) > 30:
        raise RentalError(_("A lease needs a number of at most 30 characters."))
    months = term_months(starts_on, ends_on)
    if months is None:
        raise RentalError(
            _(
                "The term is whole months: it ends the day before the same date of a later month"
                " (%(start)s → %(example)s)."
            )
            % {"start": starts_on, "example": add_months(starts_on, 12) - datetime.timedelta(days=1)}
        )
    if months > MAX_TERM_MONTHS:
        raise RentalError(_("A term is at most %(months)s months.") % {"months": MAX_TERM_MONTHS})
    if cycle not in RentCycle.values:
        raise RentalError(_("Choose how often the rent is billed."))
    if escalation not in Escalation.values:
        raise RentalError(_("Choose how the rent rises each year."))
    if isinstance(escalation_value, bool) or not isinstance(escalation_value, int) or escalation_value < 0:
        raise RentalError(_("The yearly increase is zero or more."))
    if escalation == Escalation.PERCENT and escalation_value > MAX_ESCALATION_BP:
        raise RentalError(_("The yearly increase is at most 100%."))
    if escalation == Escalation.AMOUNT and escalation_value > MAX_RENT_FEN:
        raise RentalError(_("The yearly increase is too large."))
    return number


@transaction.atomic
def lease_sign(
    *,
    community: Community,
    room: Room,
    number: str,
    tenant_name: str,
    tenant_phone: str = "",
    tenant_id_number: str = "",
    tenant_household: Household | None = None,
    starts_on: datetime.date,
    ends_on: datetime.date,
    rent_fen: int,
    cycle: int = RentCycle.MONTHLY,
    escalation: str = Escalation.NONE,
    escalation_value: int = 0,
    deposit_fen: int = 0,
    listing: Listing | None = None,
    actor,
    today: datetime.date | None = None,
) -> Lease:
    """Sign a lease of ``room`` and put its tenant in the archive.

    Steps: check the terms (whole months, amounts, number); lock the room; refuse a second lease in
    force, a listing not for rent or of another room; the landlord is the room's household or the
    company. An owner's lease: the tenant joins the owner's household as a person of kind tenant,
    rent is not billed. The company's lease: the tenant's household (the one given, whose person of
    the tenant's name is the tenant, else a new one named after the tenant) is bound to the room, and the rent due by ``today`` plus the billing
    lead is billed at once. The room becomes 出租, the listing leased, the 租户 tag follows after commit.
    """
    if room.community_id != community.pk:
        raise RentalError(_("The room is in another community."))
    _check_money(rent_fen, deposit_fen)
    number = _check_terms(
        number=number,
        starts_on=starts_on,
        ends_on=ends_on,
        cycle=cycle,
        escalation=escalation,
        escalation_value=escalation_value,
    )
    tenant_name = " ".join((tenant_name or "").split())
    if not tenant_name:
        raise RentalError(_("Name the tenant."))
    room = _room_locked(room)
    if Lease.objects.filter(room=room, state=LeaseState.ACTIVE).exists():
        raise RentalError(_("Room %(room)s is let under a lease in force.") % {"room": room})
    if Lease.objects.filter(community=community, number=number).exists():
        raise RentalError(_("Lease number %(number)s is taken.") % {"number": number})
    if listing is not None:
        listing = Listing.objects.select_for_update().get(pk=listing.pk)
        if listing.room_id != room.pk or listing.state != ListingState.OPEN:
            raise RentalError(_("The listing is not for rent, or is of another room."))
    landlord = _landlord(room)
    if landlord is not None:
        if tenant_household is not None and tenant_household.pk != landlord.pk:
            raise RentalError(
                _("Room %(room)s is household %(household)s's: its tenant joins that household.")
                % {"room": room, "household": landlord}
            )
        household = landlord
    else:
        if tenant_household is not None and tenant_household.community_id != community.pk:
            raise RentalError(_("The tenant's household is in another community."))
        household = tenant_household or household_create(
            community=community, name=tenant_name[:60], actor=actor
        )
        try:
            household_bind_room(household=household, room=room, actor=actor, refresh=False)
        except ArchiveError as error:
            raise RentalError(str(error)) from error
        space = ParkingSpace.objects.filter(room=room).first()
        if space is not None:  # a parking space: the gates let the tenant household's cars in
            try:
                space_assign(
                    space=space, household=household, starts_on=starts_on, ends_on=ends_on, actor=actor
                )
            except ParkingError as error:
                raise RentalError(str(error)) from error
    resident = None
    if landlord is None and tenant_household is not None:
        resident = (
            Person.objects.filter(household=household, name=tenant_name, moved_out_on__isnull=True)
            .order_by("pk")
            .first()
        )
    if resident is not None:
        tenant = resident
    else:
        try:
            tenant = person_add(
                household=household,
                actor=actor,
                id_number=tenant_id_number or "",
                kind=PersonKind.TENANT,
                name=tenant_name[:40],
                phone=(tenant_phone or "").strip(),
                moved_in_on=starts_on,
            )
        except ValidationError as error:  # the archive's checks (a malformed phone or ID number)
            raise RentalError(" ".join(error.messages)) from error
    try:
        with transaction.atomic():
            lease = Lease.objects.create(
                community=community,
                number=number,
                listing=listing,
                room=room,
                landlord=landlord,
                household=household,
                tenant=tenant,
                tenant_joined=resident is None,
                starts_on=starts_on,
                ends_on=ends_on,
                rent_fen=rent_fen,
                cycle=cycle,
                escalation=escalation,
                escalation_value=escalation_value,
                deposit_fen=deposit_fen,
                bills_rent=landlord is None,
                room_state_before=room.state,
                created_by=staff_or_none(actor),
            )
    except IntegrityError as error:  # a second lease of the room, or the number, signed meanwhile
        raise RentalError(_("The room or the lease number was taken meanwhile; look again.")) from error
    Room.objects.filter(pk=room.pk).update(state=RoomState.RENTED)
    if listing is not None:
        Listing.objects.filter(pk=listing.pk).update(state=ListingState.LEASED)
    with translation.override(settings.LANGUAGE_CODE):
        changes = {
            "lease_number": number,
            "room": str(room),
            "landlord": landlord_label(landlord),
            "tenant": tenant.name,
            "term": f"{starts_on} ~ {ends_on}",
            "rent_yuan": fen_to_yuan(rent_fen),
            "deposit_yuan": fen_to_yuan(deposit_fen),
        }
    log_action("rental.lease.signed", actor=actor, obj=lease, household_id=household.pk, changes=changes)
    if lease.bills_rent:
        rent_bills_issue(lease=lease, today=today or timezone.localdate(), actor=actor)
    _tags_refresh_on_commit(community.pk)
    return lease


@transaction.atomic
def lease_close(
    *, lease: Lease, closed_on: datetime.date, reason: str = "", actor, today: datetime.date | None = None
) -> Lease:
    """End a lease on ``closed_on`` (the day the room is handed back): ended at or after its last
    day, terminated early before it. A tenant the lease brought in moves out that day (their credentials
    end; a resident who rented one more room stays), the
    company's room is unbound from the tenant's household, the room's state is put back, and no rent
    is billed after; rent billed ahead for periods starting after ``closed_on`` and not paid is taken
    off the bills. The rest of what was billed stays; the deposit is returned separately."""
    room = _room_locked(lease.room)
    lease = Lease.objects.select_for_update().select_related("tenant").get(pk=lease.pk)
    if lease.state != LeaseState.ACTIVE:
        raise RentalError(_("The lease is closed already."))
    if closed_on < lease.starts_on:
        raise RentalError(_("A lease closes on or after the day it starts."))
    if closed_on > (today or timezone.localdate()):
        raise RentalError(
            _("A lease is closed when the room has been handed back: not on a day still to come.")
        )
    lease.state = LeaseState.ENDED if closed_on >= lease.ends_on else LeaseState.TERMINATED
    lease.closed_on = closed_on
    lease.close_reason = " ".join((reason or "").split())[:200]
    lease.save(update_fields=["state", "closed_on", "close_reason"])
    if lease.tenant_joined and lease.tenant.moved_out_on is None:
        person_update(
            person=lease.tenant,
            actor=actor,
            moved_out_on=max(closed_on, lease.tenant.moved_in_on or closed_on),
        )
    if lease.bills_rent:
        _unstarted_rent_cancel(lease, closed_on=closed_on, actor=actor)
    if lease.landlord_id is None:
        household_unbind_room(household=lease.household, room=room, actor=actor)
        space = ParkingSpace.objects.filter(room=room, household=lease.household).first()
        if space is not None:
            space_release(space=space, actor=actor)
    if room.state == RoomState.RENTED:
        Room.objects.filter(pk=room.pk).update(state=lease.room_state_before or RoomState.VACANT)
    Listing.objects.filter(leases=lease, state=ListingState.LEASED).update(state=ListingState.WITHDRAWN)
    log_action(
        "rental.lease.closed",
        actor=actor,
        obj=lease,
        household_id=lease.household_id,
        changes={
            "lease_number": lease.number,
            "state": lease.get_state_display(),
            "closed_on": str(closed_on),
            "reason": lease.close_reason,
        },
    )
    _tags_refresh_on_commit(lease.community_id)
    return lease


@transaction.atomic
def lease_extend(*, lease: Lease, ends_on: datetime.date, actor) -> Lease:
    """Renew a lease on its terms (续租): the term runs on to ``ends_on``, the rent keeps rising at each
    anniversary, the billing cycle stays, the tenant, the room and the deposit held stay. The next
    expiry reminder goes out again before the new end. Refused: a lease not in force, an end not later
    or not whole months from the start, or a lease whose last bill was a short one (its term is not a
    whole number of cycles: the billed periods would no longer match the schedule; sign a new lease)."""
    room = _room_locked(lease.room)
    lease = Lease.objects.select_for_update().get(pk=lease.pk)
    if lease.state != LeaseState.ACTIVE:
        raise RentalError(_("Only a lease in force can be renewed."))
    if ends_on <= lease.ends_on:
        raise RentalError(_("A renewal ends after the present end, %(end)s.") % {"end": lease.ends_on})
    months = term_months(lease.starts_on, ends_on)
    if months is None:
        raise RentalError(
            _(
                "The term is whole months: it ends the day before the same date of a later month (%(start)s → %(example)s)."
            )
            % {
                "start": lease.starts_on,
                "example": add_months(lease.ends_on + datetime.timedelta(days=1), 12)
                - datetime.timedelta(days=1),
            }
        )
    if months > MAX_TERM_MONTHS:
        raise RentalError(_("A term is at most %(months)s months.") % {"months": MAX_TERM_MONTHS})
    if term_months(lease.starts_on, lease.ends_on) % lease.cycle:
        raise RentalError(
            _(
                "The lease's last bill covers less than its billing cycle: sign a new lease instead of renewing it."
            )
        )
    before = lease.ends_on
    lease.ends_on, lease.reminded_at = ends_on, None
    lease.save(update_fields=["ends_on", "reminded_at"])
    space = ParkingSpace.objects.filter(room=room, household=lease.household).first()
    if space is not None and lease.landlord_id is None:
        ParkingSpace.objects.filter(pk=space.pk).update(ends_on=ends_on)
    log_action(
        "rental.lease.renewed",
        actor=actor,
        obj=lease,
        household_id=lease.household_id,
        changes={"lease_number": lease.number, "ends": [str(before), str(ends_on)]},
    )
    return lease


def _unstarted_rent_cancel(lease: Lease, *, closed_on: datetime.date, actor) -> None:
    """Rent billed ahead for periods that start after the lease closed is taken off the bills (the line
    adjusted to nothing), unless some of it was paid (a refund is the business of payments: the line
    stays, and the console shows it paid) or a bank debit is collecting it."""
    later = {
        rent_source(lease, period.number): period
        for period in lease_schedule(lease)
        if period.starts_on > closed_on
    }
    lines = [line for line in lease_lines(lease).filter(source__in=list(later)) if line.paid_fen == 0]
    collecting = debit_locked_line_ids(line_ids=[line.pk for line in lines])
    for line in lines:
        if line.pk in collecting or line.amount_fen + line.adjusted_fen == 0:
            continue
        period = later[line.source]
        with translation.override(settings.LANGUAGE_CODE):
            description = _("Lease %(number)s closed on %(day)s: no rent from %(start)s") % {
                "number": lease.number,
                "day": closed_on,
                "start": period.starts_on,
            }
        try:
            charge_set(
                household=lease.household,
                amount_fen=0,
                description=description,
                reference=line.source,
                actor=actor,
                room=lease.room,
            )
        except BillError as error:
            raise RentalError(str(error)) from error


def leases_expiring(*, community: Community, today: datetime.date, days: int):
    """Leases in force whose term ends within ``days`` of ``today`` (or has ended: not closed yet)."""
    return Lease.objects.filter(
        community=community, state=LeaseState.ACTIVE, ends_on__lte=today + datetime.timedelta(days=days)
    )


def leases_overdue_q(today: datetime.date) -> Q:
    return Q(state=LeaseState.ACTIVE, ends_on__lt=today)
