"""A visitor's car pays at the exit (临停缴费), phone first and public: the gate's screen shows the visit's
page as a QR code (``/m/park/<visit token>/``), or the driver scans the poster at the exit and types the
plate (``/m/park/a/<area token>/``). The visit's page shows the plate, the car park, the time inside and
what is owed now; paying goes on to the same attempt page as any payment."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from wuye.parking.domain.gates import plate_clean, visit_due_fen
from wuye.parking.enums import VisitKind, VisitState
from wuye.parking.models import ParkingArea, ParkingVisit
from wuye.portal.domain.pay import PayError, visit_pay_start
from wuye.portal.domain.queries import pay_methods
from wuye.portal.views.pay import jsapi_openid, remember_attempt


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def park_find(request, token: str):
    """The poster at a car park's exit: type the plate, go to the car's page."""
    area = ParkingArea.objects.filter(token=token, is_active=True).select_related("community").first()
    if area is None:
        raise Http404
    plate = plate_clean(request.POST.get("plate") or request.GET.get("plate") or "")
    error = ""
    if plate:
        visit = ParkingVisit.objects.filter(area=area, plate=plate, state=VisitState.INSIDE).first()
        if visit is not None:
            return redirect("portal:park_visit", token=visit.token)
        error = _("No car with this plate is inside %(area)s.") % {"area": area.name}
    return render(
        request,
        "portal/park/find.html",
        {"tab": "", "area": area, "community": area.community, "plate": plate, "error": error},
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def park_visit(request, token: str):
    """A car's stay: what it owes now, and paying it by WeChat Pay or Alipay."""
    visit = ParkingVisit.objects.filter(token=token).select_related("area", "community").first()
    if visit is None:
        raise Http404
    methods = pay_methods(community_id=visit.community_id)
    error = ""
    if request.method == "POST":
        method = request.POST.get("method", "")
        try:
            attempt = visit_pay_start(
                visit=visit,
                method=method,
                description=_("%(area)s parking %(plate)s") % {"area": visit.area.name, "plate": visit.plate},
                payer_openid=jsapi_openid(request),
            )
        except PayError as refused:
            error = str(refused)
        else:
            remember_attempt(request, attempt)
            return redirect("portal:pay_attempt", attempt_pk=attempt.pk)
    now = timezone.now()
    return render(
        request,
        "portal/park/visit.html",
        {
            "tab": "",
            "visit": visit,
            "community": visit.community,
            "inside": visit.state == VisitState.INSIDE,
            "resident": visit.kind == VisitKind.RESIDENT,
            "minutes": int(((visit.exited_at or now) - visit.entered_at).total_seconds() // 60),
            "due_fen": visit_due_fen(visit, at=now),
            "methods": methods,
            "error": error,
        },
    )
