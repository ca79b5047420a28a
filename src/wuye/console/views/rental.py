"""Rental in the console (租赁管理): rooms listed for rent, leases with their rent schedule and bills,
closing a lease, and its deposit taken and returned at the counter."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wuye.console.decorators import staff_view
from wuye.core.enums import Permission
from wuye.core.forms import errors_text
from wuye.core.money import fen_to_yuan
from wuye.core.tenancy import scoped_get
from wuye.estate.domain.queries import room_by_label
from wuye.households.models import HouseholdRoom
from wuye.payments.interfaces.forms import new_form_key
from wuye.rental.domain.billing import lease_lines, rent_source
from wuye.rental.domain.deposits import deposit_held_fen, deposit_receive, deposit_return
from wuye.rental.domain.errors import RentalError
from wuye.rental.domain.leases import (
    landlord_label,
    lease_close,
    lease_extend,
    lease_sign,
    listing_create,
    listing_withdraw,
)
from wuye.rental.domain.queries import current_period
from wuye.rental.domain.reminders import REMIND_DAYS
from wuye.rental.domain.schedule import add_months, lease_schedule
from wuye.rental.enums import CLOSED_STATES, LeaseState, ListingState
from wuye.rental.interfaces.forms import (
    CloseForm,
    DepositForm,
    LeaseForm,
    ListingForm,
    RenewForm,
    ReturnForm,
    deduction_rows,
)
from wuye.rental.models import Lease, Listing

VIEW, MANAGE, TAKE = Permission.RENTAL_VIEW, Permission.RENTAL_MANAGE, Permission.PAYMENTS_TAKE
PAGE_SIZE = 50
FILTERS = ("active", "expiring", "overdue", "closed", "all")


def _room(form, field: str, community):
    room = room_by_label(community=community, label=form.cleaned_data[field])
    if room is None:
        form.add_error(
            field, _("No room of this name, or more than one: write it in full, e.g. 1栋-1单元-101.")
        )
    return room


@staff_view(VIEW)
def lease_list(request):
    """The leases: in force, ending within a month, past their last day and not closed, closed; by text."""
    today = timezone.localdate()
    leases = Lease.objects.filter(community=request.community).select_related("room", "tenant", "landlord")
    shown = request.GET.get("show") or "active"
    if shown not in FILTERS:
        shown = "active"
    if shown == "active":
        leases = leases.filter(state=LeaseState.ACTIVE)
    elif shown == "expiring":
        leases = leases.filter(
            state=LeaseState.ACTIVE,
            ends_on__gte=today,
            ends_on__lte=today + datetime.timedelta(days=REMIND_DAYS),
        )
    elif shown == "overdue":
        leases = leases.filter(state=LeaseState.ACTIVE, ends_on__lt=today)
    elif shown == "closed":
        leases = leases.filter(state__in=CLOSED_STATES)
    text = (request.GET.get("q") or "").strip()[:40]
    if text:
        leases = leases.filter(
            Q(number__icontains=text) | Q(tenant__name__icontains=text) | Q(room__number__icontains=text)
        )
    page = Paginator(leases.order_by("ends_on", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    counts = {
        "active": Lease.objects.filter(community=request.community, state=LeaseState.ACTIVE).count(),
        "overdue": Lease.objects.filter(
            community=request.community, state=LeaseState.ACTIVE, ends_on__lt=today
        ).count(),
    }
    return render(
        request,
        "console/rental/leases.html",
        {
            "page": page,
            "shown": shown,
            "filters": [
                ("active", _("In force")),
                ("expiring", _("Ending within %(days)s days") % {"days": REMIND_DAYS}),
                ("overdue", _("Past their last day")),
                ("closed", _("Closed")),
                ("all", _("All")),
            ],
            "q": text,
            "query": f"show={shown}&q={text}",
            "today": today,
            "counts": counts,
        },
    )


@staff_view(MANAGE)
def lease_new(request):
    """Sign a lease: of a listed room (``?listing=``) or of any room of the community."""
    listing = None
    listing_pk = request.GET.get("listing") or request.POST.get("listing") or ""
    initial = {"starts_on": timezone.localdate().replace(day=1)}
    if listing_pk.isdigit():
        listing = scoped_get(Listing.objects.select_related("room"), request, MANAGE, pk=int(listing_pk))
        initial.update(
            room=str(listing.room),
            rent=fen_to_yuan(listing.rent_fen, grouping=False),
            deposit=fen_to_yuan(listing.deposit_fen, grouping=False),
        )
    form = LeaseForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        room = _room(form, "room", request.community)
        tenant_household = None
        if data["tenant_room"]:
            tenant_room = _room(form, "tenant_room", request.community)
            link = (
                HouseholdRoom.objects.filter(room=tenant_room).select_related("household").first()
                if tenant_room
                else None
            )
            if tenant_room is not None and link is None:
                form.add_error("tenant_room", _("No household lives in a room of this name."))
            tenant_household = link.household if link else None
        if not form.errors:
            try:
                lease = lease_sign(
                    community=request.community,
                    room=room,
                    number=data["number"],
                    tenant_name=data["tenant_name"],
                    tenant_phone=data["tenant_phone"],
                    tenant_id_number=data["tenant_id_number"],
                    tenant_household=tenant_household,
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    rent_fen=data["rent"],
                    cycle=data["cycle"],
                    escalation=data["escalation"],
                    escalation_value=data["escalation_value"],
                    deposit_fen=data["deposit"] or 0,
                    listing=listing,
                    actor=request.user,
                )
            except RentalError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Lease %(number)s signed.") % {"number": lease.number})
                return redirect("console:rental_lease", lease_pk=lease.pk)
    return render(request, "console/rental/lease_form.html", {"form": form, "listing": listing})


def _schedule_rows(lease: Lease, periods):
    """Each period of the schedule with its bill line (if billed): amount, paid, outstanding."""
    lines = {line.source: line for line in lease_lines(lease).select_related("bill")}
    return [(period, lines.get(rent_source(lease, period.number))) for period in periods]


@staff_view(VIEW)
def lease_detail(request, lease_pk: int):
    lease = scoped_get(
        Lease.objects.select_related("room", "tenant", "landlord", "household", "listing"),
        request,
        VIEW,
        pk=lease_pk,
    )
    today = timezone.localdate()
    periods = lease_schedule(lease)
    deductions = (
        lease_lines(lease).filter(source__contains=":deduction:").select_related("bill").order_by("pk")
    )
    held = deposit_held_fen(lease)
    return render(
        request,
        "console/rental/lease.html",
        {
            "lease": lease,
            "landlord": landlord_label(lease.landlord),
            "rows": _schedule_rows(lease, periods),
            "deductions": deductions,
            # The rent of the period under way, as the portal shows it (the first before the term, the last after).
            "monthly_now": current_period(periods, today).monthly_fen,
            "entries": lease.deposit_entries.select_related("receipt", "created_by").order_by(
                "created_at", "pk"
            ),
            "held": held,
            "can_take_deposit": lease.bills_rent and lease.is_active and held < lease.deposit_fen,
            "can_return_deposit": lease.state in CLOSED_STATES and held > 0,
            "renew_form": RenewForm(
                initial={
                    "ends_on": add_months(lease.ends_on + datetime.timedelta(days=1), 12)
                    - datetime.timedelta(days=1)
                }
            ),
            "close_form": CloseForm(
                initial={"closed_on": min(today, lease.ends_on) if lease.is_active else None}
            ),
            "today": today,
        },
    )


@staff_view(MANAGE)
@require_POST
def lease_close_view(request, lease_pk: int):
    lease = scoped_get(Lease.objects, request, MANAGE, pk=lease_pk)
    form = CloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, errors_text(form))
    else:
        try:
            lease_close(
                lease=lease,
                closed_on=form.cleaned_data["closed_on"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except RentalError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Lease closed: the tenant has moved out."))
    return redirect("console:rental_lease", lease_pk=lease.pk)


@staff_view(MANAGE)
@require_POST
def lease_renew_view(request, lease_pk: int):
    lease = scoped_get(Lease.objects, request, MANAGE, pk=lease_pk)
    form = RenewForm(request.POST)
    if not form.is_valid():
        messages.error(request, errors_text(form))
    else:
        try:
            lease_extend(lease=lease, ends_on=form.cleaned_data["ends_on"], actor=request.user)
        except RentalError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request, _("Lease renewed until %(end)s.") % {"end": form.cleaned_data["ends_on"]}
            )
    return redirect("console:rental_lease", lease_pk=lease.pk)


@staff_view(TAKE)
def deposit_new(request, lease_pk: int):
    """Take the lease's deposit at the counter (with a receipt)."""
    lease = scoped_get(Lease.objects.select_related("room"), request, TAKE, pk=lease_pk)
    held = deposit_held_fen(lease)
    left = max(lease.deposit_fen - held, 0)
    form = DepositForm(
        request.POST or None, initial={"key": new_form_key(), "amount": fen_to_yuan(left, grouping=False)}
    )
    if request.method == "POST" and form.is_valid():
        try:
            data = form.cleaned_data
            entry = deposit_receive(
                lease=lease,
                amount_fen=data["amount"],
                method=data["method"],
                key=data["key"],
                note=data["note"],
                actor=request.user,
            )
        except RentalError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, _("Deposit received: receipt %(number)s.") % {"number": entry.receipt.display_number}
            )
            return redirect("console:rental_lease", lease_pk=lease.pk)
    return render(
        request,
        "console/rental/deposit_form.html",
        {
            "form": form,
            "lease": lease,
            "held": held,
            "title": _("Take the deposit of lease %(number)s") % {"number": lease.number},
        },
    )


@staff_view(TAKE)
def deposit_return_view(request, lease_pk: int):
    """Return the deposit of a closed lease: deductions, unpaid rent, the rest handed back."""
    lease = scoped_get(Lease.objects.select_related("room"), request, TAKE, pk=lease_pk)
    held = deposit_held_fen(lease)
    form = ReturnForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            entry = deposit_return(
                lease=lease,
                deductions=data["deductions"],
                settle_rent=data["settle_rent"],
                method=data["method"],
                note=data["note"],
                actor=request.user,
            )
        except RentalError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Deposit released: %(deducted)s yuan kept for the bills, %(returned)s yuan handed back.")
                % {
                    "deducted": fen_to_yuan(entry.deducted_fen),
                    "returned": fen_to_yuan(entry.returned_fen),
                },
            )
            return redirect("console:rental_lease", lease_pk=lease.pk)
    unpaid = sum(line.outstanding_fen for line in lease_lines(lease))
    return render(
        request,
        "console/rental/return_form.html",
        {"form": form, "lease": lease, "held": held, "unpaid": unpaid, "rows": deduction_rows(form)},
    )


@staff_view(VIEW)
def listing_list(request):
    listings = Listing.objects.filter(community=request.community).select_related("room", "landlord")
    state = request.GET.get("state") or ListingState.OPEN
    if state in ListingState.values:
        listings = listings.filter(state=state)
    page = Paginator(listings.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "console/rental/listings.html",
        {"page": page, "state": state, "states": ListingState.choices, "query": f"state={state}"},
    )


@staff_view(MANAGE)
def listing_new(request):
    form = ListingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        room = _room(form, "room", request.community)
        if room is not None:
            try:
                listing_create(
                    community=request.community,
                    room=room,
                    rent_fen=form.cleaned_data["rent"],
                    deposit_fen=form.cleaned_data["deposit"] or 0,
                    description=form.cleaned_data["description"],
                    actor=request.user,
                )
            except RentalError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Room listed for rent."))
                return redirect("console:rental_listings")
    return render(
        request,
        "console/rental/form.html",
        {"form": form, "title": _("List a room for rent"), "back": "console:rental_listings"},
    )


@staff_view(MANAGE)
@require_POST
def listing_withdraw_view(request, listing_pk: int):
    listing = scoped_get(Listing.objects, request, MANAGE, pk=listing_pk)
    try:
        listing_withdraw(listing=listing, actor=request.user)
    except RentalError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Listing withdrawn."))
    return redirect("console:rental_listings")
