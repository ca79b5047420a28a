"""Visitor passes in the portal (访客通行证): the owner makes one for a visitor, shares its link, and may
revoke it; the visitor opens the link on their phone and shows the QR code to the door."""

from __future__ import annotations

import datetime

import segno
from django.contrib import messages
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from wuye.access.domain.errors import AccessError
from wuye.access.domain.passes import visitor_pass_create, visitor_pass_revoke
from wuye.access.domain.queries import pass_by_token, pass_state, passes_of_household
from wuye.access.interfaces.forms import VisitorPassForm
from wuye.owners.domain.queries import binding_of
from wuye.portal.auth import current_owner, owner_required
from wuye.portal.views.base import render_portal

LIST_LENGTH = 50


def _share_url(request, token: str) -> str:
    return request.build_absolute_uri(reverse("portal:visitor_share", kwargs={"token": token}))


@owner_required
def visitor_list(request):
    now = timezone.now()
    rows = [
        (item, pass_state(item, now), _share_url(request, item.token))
        for item in passes_of_household(household=request.household)[:LIST_LENGTH]
    ]
    return render_portal(request, "portal/visitors/list.html", {"rows": rows}, tab="me")


@owner_required
def visitor_new(request):
    now = timezone.localtime().replace(second=0, microsecond=0)
    form = VisitorPassForm(
        request.POST or None,
        initial={"valid_from": now, "valid_until": now + datetime.timedelta(hours=4), "max_uses": 1},
    )
    if request.method == "POST" and form.is_valid():
        try:
            visitor_pass = visitor_pass_create(binding=request.binding, **form.cleaned_data)
        except AccessError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Visitor pass made: send the link to your visitor."))
            return redirect("portal:visitor_share", token=visitor_pass.token)
    return render_portal(request, "portal/visitors/new.html", {"form": form}, tab="me")


@owner_required
@require_POST
def visitor_revoke(request):
    """Revoke a pass of the current household (its pk in the form); anything else answers 404."""
    pk = request.POST.get("pass", "")
    visitor_pass = (
        passes_of_household(household=request.household).filter(pk=int(pk)).first() if pk.isdigit() else None
    )
    if visitor_pass is None:
        raise Http404
    visitor_pass_revoke(visitor_pass=visitor_pass, owner=request.owner, reason=_("Revoked by the owner"))
    messages.success(request, _("Visitor pass revoked."))
    return redirect("portal:visitors")


def _is_own(request, visitor_pass) -> bool:
    owner = current_owner(request)
    return owner is not None and binding_of(owner, visitor_pass.household_id) is not None


@never_cache
def visitor_share(request, token: str):
    """The visitor's page, public and reached by the pass's unguessable token alone: the QR code, the
    community and the validity, nothing about the household."""
    visitor_pass = pass_by_token(token)
    if visitor_pass is None:
        raise Http404
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    state = pass_state(visitor_pass)
    qr_svg = ""
    if state in ("valid", "upcoming"):
        qr_svg = segno.make(visitor_pass.token, error="m").svg_inline(
            scale=1, border=2, omitsize=True, svgclass="pay-qr", light="#fff", title=_("Visitor pass QR code")
        )
    response = render(
        request,
        "portal/visitors/share.html",
        {
            "tab": "",
            "visitor_pass": visitor_pass,
            "community": visitor_pass.community,
            "state": state,
            "uses_left": max(visitor_pass.max_uses - visitor_pass.uses, 0),
            "qr_svg": qr_svg,
            # The link to send, for the owner who made it; the visitor needs none.
            "share_url": _share_url(request, token) if _is_own(request, visitor_pass) else "",
        },
    )
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response
