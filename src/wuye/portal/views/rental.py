"""Rental in the owner portal (我的租赁): the household's leases as tenant, with their rent schedule (which
periods are on a bill, which are paid) and the deposit held; as landlord, its listings and the leases of
its rooms (the tenant's name masked); offering one of its rooms for rent, and withdrawing the offer.

Who may let: anyone acting for the household but the tenant an owner let to (a tenant in the owner's
household must not offer or withdraw the owner's rooms). The rooms offered are the household's own: a
room the property company let to it is not. Everything is read and written for ``request.household``
only; another household's listing answers 404.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from wuye.core.crypto import mask_name
from wuye.estate.models import Room
from wuye.households.enums import PersonKind
from wuye.owners.domain.queries import acting_person
from wuye.portal.auth import owner_required
from wuye.portal.views.base import render_portal
from wuye.rental.domain.errors import RentalError
from wuye.rental.domain.leases import listing_create, listing_withdraw
from wuye.rental.domain.queries import leases_as_tenant, tenant_lease
from wuye.rental.enums import LeaseState
from wuye.rental.interfaces.forms import ListingForm
from wuye.rental.models import Lease, Listing

LIST_LENGTH = 20


# --- reads ------------------------------------------------------------------------------------------


def _acting(request):
    """The archive person the account acts as in the current household, or None."""
    return acting_person(request.binding) if request.binding is not None else None


def _may_let(person) -> bool:
    """The household's rooms are offered by its owner or family, never by a tenant living in it."""
    return getattr(person, "kind", "") != PersonKind.TENANT


def _offerable_rooms(household):
    """The household's rooms but those the property company let to it (not the household's to let)."""
    company_let = Lease.objects.filter(
        household=household, landlord__isnull=True, state=LeaseState.ACTIVE
    ).values("room")
    return (
        Room.objects.filter(household_links__household=household)
        .exclude(pk__in=company_let)
        .select_related("building", "unit")
        .order_by("building__name", "unit__name", "number")
    )


# --- pages ------------------------------------------------------------------------------------------


@owner_required
def rental_home(request):
    household = request.household
    today = timezone.localdate()
    person = _acting(request)
    may_let = _may_let(person)
    tenant_leases = [
        tenant_lease(lease, today) for lease in leases_as_tenant(household, person)[:LIST_LENGTH]
    ]
    let_leases = []
    listings = []
    if may_let:
        listings = list(
            Listing.objects.filter(landlord=household).select_related("room", "room__building", "room__unit")[
                :LIST_LENGTH
            ]
        )
        let_leases = [
            (lease, mask_name(lease.tenant.name))
            for lease in Lease.objects.filter(landlord=household).select_related(
                "room", "room__building", "room__unit", "tenant"
            )[:LIST_LENGTH]
        ]
    return render_portal(
        request,
        "portal/rental/home.html",
        {
            "tenant_leases": tenant_leases,
            "owes_rent": any(item.owed_fen for item in tenant_leases),
            "may_let": may_let,
            "listings": listings,
            "let_leases": let_leases,
        },
        tab="me",
    )


class ListingOfferForm(ListingForm):
    """The console's listing form, with the room chosen among the household's own."""

    room = forms.ModelChoiceField(
        label=gettext_lazy("Room"),
        queryset=Room.objects.none(),
        error_messages={"invalid_choice": gettext_lazy("Choose one of your household's rooms.")},
    )

    def __init__(self, *args, rooms, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["room"].queryset = rooms
        if len(rooms) == 1:
            self.fields["room"].initial = rooms[0].pk
        self.fields["deposit"].help_text = gettext_lazy(
            "Optional. You and your tenant settle the rent and the deposit yourselves."
        )
        self.fields["description"].help_text = gettext_lazy(
            "Size, furnishing, when it is free: what a tenant wants to know."
        )


@owner_required
def rental_offer(request):
    """Offer one of the household's rooms for rent (a listing with the household as landlord)."""
    if not _may_let(_acting(request)):
        raise Http404
    rooms = _offerable_rooms(request.household)
    form = ListingOfferForm(request.POST or None, rooms=rooms)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            listing_create(
                community=request.household.community,
                room=data["room"],
                rent_fen=data["rent"],
                deposit_fen=data["deposit"] or 0,
                description=data["description"],
                actor=request.owner,
            )
        except RentalError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Room %(room)s is offered for rent.") % {"room": data["room"]})
            return redirect("portal:rental")
    return render_portal(
        request, "portal/rental/offer.html", {"form": form, "has_rooms": rooms.exists()}, tab="me"
    )


@owner_required
@require_POST
def rental_withdraw(request, listing_pk: int):
    """Withdraw a listing of the current household; another household's answers 404."""
    listing = Listing.objects.filter(pk=listing_pk, landlord=request.household).first()
    if listing is None or not _may_let(_acting(request)):
        raise Http404
    try:
        listing_withdraw(listing=listing, actor=request.owner)
    except RentalError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The listing of room %(room)s is withdrawn.") % {"room": listing.room})
    return redirect("portal:rental")
