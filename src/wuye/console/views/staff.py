"""Staff of the current community: accounts and roles (administrators only)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from wuye.console.decorators import staff_view
from wuye.core.audit import action_label
from wuye.core.domain import staff as staff_domain
from wuye.core.domain.logins import login_unlock
from wuye.core.domain.queries import login_events, login_locks, staff_usernames
from wuye.core.enums import Permission, Role
from wuye.core.models import StaffRole
from wuye.core.tenancy import scoped_get

MANAGE = Permission.STAFF_MANAGE


class StaffForm(forms.Form):
    username = forms.SlugField(label=gettext_lazy("Username"), max_length=150)
    full_name = forms.CharField(label=gettext_lazy("Full name"), max_length=150)
    password = forms.CharField(label=gettext_lazy("Password"), widget=forms.PasswordInput, min_length=8)
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=Role.choices)

    def clean_password(self):
        password = self.cleaned_data["password"]
        validate_password(password)
        return password


class GrantForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("Username"), max_length=150)
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=Role.choices)


@staff_view(MANAGE)
def staff_list(request):
    community = request.community
    form = StaffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            staff_domain.staff_create(community=community, actor=request.user, **form.cleaned_data)
        except staff_domain.StaffError as error:
            form.add_error("username", str(error))
        else:
            messages.success(request, _("Staff account created."))
            return redirect("console:staff")
    roles = (
        StaffRole.objects.filter(community=community)
        .select_related("user")
        .order_by("user__username", "role")
    )
    return render(
        request, "console/staff/list.html", {"roles": roles, "form": form, "grant_form": GrantForm()}
    )


@staff_view(MANAGE)
@require_POST
def role_grant(request):
    form = GrantForm(request.POST)
    user = None
    if form.is_valid():
        user = get_user_model().objects.filter(username=form.cleaned_data["username"], is_active=True).first()
    if user is None:
        messages.error(request, _("No active staff account with that username."))
    else:
        staff_domain.role_grant(
            community=request.community, user=user, role=form.cleaned_data["role"], actor=request.user
        )
        messages.success(request, _("Role granted."))
    return redirect("console:staff")


@staff_view(MANAGE)
@require_POST
def role_revoke(request, staffrole_pk: int):
    staff_role = scoped_get(StaffRole.objects.select_related("user"), request, MANAGE, pk=staffrole_pk)
    try:
        staff_domain.role_revoke(staff_role=staff_role, actor=request.user)
        messages.success(request, _("Role revoked."))
    except staff_domain.StaffError as error:
        messages.error(request, str(error))
    return redirect("console:staff")


def _lock_scope(request):
    """Whose locks the user may see and lift: a superuser every account's and address's; an
    administrator the accounts of the current community's staff (``None`` means no limit)."""
    if request.user.is_superuser:
        return None
    return list(staff_usernames(community=request.community))


@staff_view(MANAGE)
def lockout_list(request):
    """Logins locked after failed attempts (with what was refused meanwhile) and the latest events."""
    usernames = _lock_scope(request)
    events = login_events(usernames=usernames)
    for event in events:
        event.label = action_label(event.action)
    return render(
        request,
        "console/staff/lockouts.html",
        {"locks": login_locks(now=timezone.now(), usernames=usernames), "events": events},
    )


@staff_view(MANAGE)
def lockout_lift(request, loginthrottle_pk: int):
    """Lift a lock (POST). A lock outside the user's scope answers 404, before the method is checked."""
    throttle = (
        login_locks(now=timezone.now(), usernames=_lock_scope(request)).filter(pk=loginthrottle_pk).first()
    )
    if throttle is None:
        raise Http404
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    login_unlock(throttle=throttle, actor=request.user, community_id=request.community.pk)
    messages.success(request, _("Lock on %(name)s lifted.") % {"name": throttle.key})
    return redirect("console:lockouts")
