from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from wuye.console.decorators import staff_view
from wuye.core.enums import Permission
from wuye.core.models import communities_for, communities_with_role
from wuye.core.tenancy import SESSION_KEY
from wuye.estate.models import Room
from wuye.households.models import Household, Tag


@login_required
def home(request):
    """The console's overview. The console is the property office's: a user whose roles grant none of
    it but the partner dashboard (the bank) lands there instead."""
    user = request.user
    if (
        not communities_for(user, Permission.ESTATE_VIEW).exists()
        and communities_for(user, Permission.PARTNER_VIEW).exists()
    ):
        return redirect("partner:dashboard")
    return overview(request)


@staff_view(Permission.ESTATE_VIEW)
def overview(request):
    community = request.community
    rooms_by_state = dict(
        Room.objects.filter(community=community).values_list("state").annotate(n=Count("pk")).order_by()
    )
    tags = (
        Tag.objects.filter(community=community)
        .annotate(households=Count("household_links"))
        .order_by("-households")[:12]
    )
    return render(
        request,
        "console/home.html",
        {
            "rooms_total": sum(rooms_by_state.values()),
            "rooms_by_state": rooms_by_state,
            "households_total": Household.objects.filter(community=community).count(),
            "tags": tags,
        },
    )


@login_required
@require_POST
def community_switch(request):
    """Make another of the user's communities the current one."""
    pk = request.POST.get("community", "")
    if not pk.isdigit() or not communities_with_role(request.user).filter(pk=pk).exists():
        raise Http404
    request.session[SESSION_KEY] = int(pk)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "console:home"
    return redirect(target)
