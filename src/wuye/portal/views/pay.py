"""Self-service payment pages (自助缴费), public and phone-first.

Three ways in, all ending on one bill page for one household:

- the community's poster: ``/m/pay/<poster token>/``, where the owner picks building, unit and room and
  confirms with an owner's name or the last four digits of a registered phone;
- the household's own link (on a bill notice): ``/m/pay/h/<signed token>/``, the token is the proof
  (until it expires, ``settings.PAY_LINK_DAYS`` after it was issued, or is revoked in the console);
- a logged-in owner's "pay" button: their current household.

The household is remembered in the session for ``PAY_SESSION_SECONDS`` (only that one household), and
the attempts this session started are remembered too: an attempt page answers 404 to any other session.
"""

from __future__ import annotations

import time

import segno
from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from wuye.core.crypto import mask_name
from wuye.core.net import client_address
from wuye.households.domain.queries import household_with_community
from wuye.households.models import Household
from wuye.parking.domain.payments import visit_of_order
from wuye.payments.domain.prepayments import prepayment_balance_fen
from wuye.payments.domain.queries import attempt_for_page, receipt_by_token, receipt_public_view
from wuye.payments.enums import ATTEMPT_OPEN_STATES, AttemptState, Channel, OrderKind
from wuye.payments.models import PaymentAttempt
from wuye.payments.pdf import pdf_response, receipt_pdf
from wuye.portal.auth import current_owner, owner_required
from wuye.portal.domain.pay import (
    PayError,
    TooManyTriesError,
    household_identify,
    jsapi_params,
    pay_attempt_refreshed,
    pay_start,
    topup_start,
)
from wuye.portal.domain.queries import (
    PayLinkEndedError,
    household_by_pay_token,
    household_rooms,
    pay_bills,
    pay_buildings,
    pay_methods,
    pay_room,
    pay_rooms,
    pay_units,
    poster_by_token,
)
from wuye.portal.forms_pay import IdentifyForm, PayForm, TopupForm
from wuye.portal.views.wechat import in_wechat

SESSION_PAY = "wuye_pay_household"  # {"pk": household pk, "until": epoch seconds}
SESSION_PAY_ATTEMPTS = "wuye_pay_attempts"  # pks of the attempts this session started, newest last
PAY_SESSION_SECONDS = 30 * 60
ATTEMPTS_REMEMBERED = 20
# An open attempt is asked of its channel from the status page once it is this old, and at most this
# often: a notification normally settles it first; the query settles it when the notification is lost.
# A channel's code_url is shown as a link only with a scheme a phone opens (never javascript: etc.).
CODE_URL_SCHEMES = ("https://", "http://", "weixin://", "alipays://")


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _remember_household(request, household: Household) -> None:
    remembered = request.session.get(SESSION_PAY)
    holds = (
        isinstance(remembered, dict)
        and remembered.get("pk") == household.pk
        and remembered.get("until", 0) >= time.time()
    )
    if not holds:
        request.session.cycle_key()  # a new session key when it gains a household (session fixation)
    request.session[SESSION_PAY] = {"pk": household.pk, "until": time.time() + PAY_SESSION_SECONDS}


def _remembered_household(request) -> Household | None:
    remembered = request.session.get(SESSION_PAY)
    if not isinstance(remembered, dict) or remembered.get("until", 0) < time.time():
        request.session.pop(SESSION_PAY, None)
        return None
    return household_with_community(_int(remembered.get("pk")))


def remember_attempt(request, attempt: PaymentAttempt) -> None:
    """Keep the attempt in the session: its pay page answers this browser only (the parking exit's too)."""
    pks = [pk for pk in request.session.get(SESSION_PAY_ATTEMPTS, []) if pk != attempt.pk]
    request.session[SESSION_PAY_ATTEMPTS] = [*pks, attempt.pk][-ATTEMPTS_REMEMBERED:]


def _session_attempt(request, attempt_pk) -> PaymentAttempt:
    attempt_pk = _int(attempt_pk)  # a regex route: the pk comes as text
    if attempt_pk is None or attempt_pk not in request.session.get(SESSION_PAY_ATTEMPTS, []):
        raise Http404
    attempt = attempt_for_page(attempt_pk)
    if attempt is None:
        raise Http404
    return attempt


def _pay_render(request, template: str, context: dict, status: int = 200):
    return render(request, template, {"tab": "", **context}, status=status)


# --- ways in -------------------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def pay_entry(request, token: str):
    """The community's pay page: pick the room (building → unit → room), then confirm it."""
    poster = poster_by_token(token=token)
    if poster is None:
        raise Http404
    community = poster.community
    source = request.POST if request.method == "POST" else request.GET
    room = pay_room(community=community, room_pk=_int(source.get("room")))
    building_pk = room.building_id if room else _int(request.GET.get("building"))
    buildings = pay_buildings(community=community)
    if building_pk not in {b.pk for b in buildings}:
        building_pk = buildings[0].pk if len(buildings) == 1 else None
    units = pay_units(community=community, building_pk=building_pk)
    unit_pk = room.unit_id if room else _int(request.GET.get("unit"))
    if unit_pk not in {u.pk for u in units}:
        unit_pk = units[0].pk if len(units) == 1 else None
    rooms = pay_rooms(community=community, unit_pk=unit_pk)
    form = IdentifyForm(request.POST or None, initial={"room": room.pk if room else None})
    status = 200
    if request.method == "POST" and room is not None and form.is_valid():
        try:
            household = household_identify(
                room=room,
                answer=form.cleaned_data["answer"],
                client_address=client_address(request),
            )
        except PayError as error:
            form.add_error(None, str(error))
            status = 429 if isinstance(error, TooManyTriesError) else 200
        else:
            _remember_household(request, household)
            return redirect("portal:pay_bills")
    elif request.method == "POST" and room is None:
        form.add_error(None, _("Choose your room first."))
    return _pay_render(
        request,
        "portal/pay/entry.html",
        {
            "community": community,
            "token": token,
            "buildings": buildings,
            "units": units,
            "rooms": rooms,
            "building_pk": building_pk,
            "unit_pk": unit_pk,
            "room": room,
            "form": form,
        },
        status=status,
    )


@never_cache
@require_safe
def pay_household(request, token: str):
    """The household's own pay link: the signed token is the proof, no questions asked, until the link
    expires or is revoked."""
    try:
        household = household_by_pay_token(token=token)
    except PayLinkEndedError:
        # A genuine link that expired or was revoked: say so (nothing is remembered in the session).
        return _pay_render(request, "portal/pay/link_ended.html", {}, status=410)
    if household is None:
        raise Http404
    _remember_household(request, household)
    return redirect("portal:pay_bills")


@owner_required
@require_safe
def pay_mine(request):
    """A logged-in owner's pay button: the bills of the household they are looking at."""
    _remember_household(request, request.household)
    return redirect("portal:pay_bills")


# --- bills and paying -------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def pay_bills_view(request):
    """The household's open bills, every line ticked; choose a channel and pay."""
    household = _remembered_household(request)
    if household is None:
        return _pay_render(request, "portal/pay/expired.html", {}, status=403)
    bills = pay_bills(household=household)
    line_ids = [line.pk for bill in bills for line in bill.lines]
    methods = pay_methods(community_id=household.community_id)
    form = PayForm(
        request.POST or None,
        line_ids=line_ids,
        methods=methods,
        initial={"lines": line_ids},
    )
    if request.method == "POST" and form.is_valid():
        try:
            attempt = pay_start(
                household=household,
                line_ids=form.cleaned_data["lines"],
                method=form.cleaned_data["method"],
                description=_("%(community)s property fees") % {"community": household.community.name},
                payer_openid=jsapi_openid(request),
            )
        except PayError as error:
            form.add_error(None, str(error))
        else:
            remember_attempt(request, attempt)
            return redirect("portal:pay_attempt", attempt_pk=attempt.pk)
    chosen = set(form.cleaned_data["lines"]) if form.is_bound and form.is_valid() else None
    if chosen is None:
        chosen = {_int(pk) for pk in request.POST.getlist("lines")} if form.is_bound else set(line_ids)
    rooms = household_rooms(household=household)
    return _pay_render(
        request,
        "portal/pay/bills.html",
        {
            "community": household.community,
            "payer_name": mask_name(household.name),
            "rooms_label": "、".join(str(room) for room in rooms),
            "several_rooms": len(rooms) > 1,
            "bills": bills,
            "chosen": chosen,
            "chosen_fen": sum(
                line.outstanding_fen + line.late_fee_due_fen
                for b in bills
                for line in b.lines
                if line.pk in chosen
            ),
            "chosen_late_fee_fen": sum(
                line.late_fee_due_fen for b in bills for line in b.lines if line.pk in chosen
            ),
            "methods": methods,
            "form": form,
        },
    )


# Amounts offered as one tap on the top-up page (yuan).
TOPUP_PRESETS = (100, 200, 500, 1000)


@owner_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def pay_topup(request):
    """A signed-in owner pays an amount in as the household's prepayment (预存), by QR or inside WeChat
    by JSAPI; the attempt page follows as for bills."""
    household = request.household
    methods = pay_methods(community_id=household.community_id)
    preset = _int(request.GET.get("amount"))
    form = TopupForm(
        request.POST or None,
        methods=methods,
        initial={"amount": str(preset)} if preset in TOPUP_PRESETS else {},
    )
    if request.method == "POST" and form.is_valid():
        try:
            attempt = topup_start(
                household=household,
                amount_fen=form.cleaned_data["amount"],
                method=form.cleaned_data["method"],
                description=_("%(community)s prepayment") % {"community": household.community.name},
                payer_openid=jsapi_openid(request),
            )
        except PayError as error:
            form.add_error(None, str(error))
        else:
            remember_attempt(request, attempt)
            return redirect("portal:pay_attempt", attempt_pk=attempt.pk)
    return _pay_render(
        request,
        "portal/pay/topup.html",
        {
            "community": household.community,
            "balance_fen": prepayment_balance_fen(household=household),
            "presets": TOPUP_PRESETS,
            "methods": methods,
            "form": form,
        },
    )


def jsapi_openid(request) -> str:
    """Inside WeChat, an owner signed in with WeChat linked pays by JSAPI (WeChat's own pay sheet,
    no QR code to scan on the same phone); anyone else gets the QR code."""
    if not in_wechat(request):
        return ""
    owner = current_owner(request)
    return owner.wechat_openid if owner is not None else ""


def _jsapi(request, attempt: PaymentAttempt) -> dict | None:
    """What the page hands WeixinJSBridge for an open JSAPI attempt; with paysim standing in for WeChat,
    also where paysim's pay sheet for it is (a browser that is not WeChat has no bridge)."""
    params = jsapi_params(attempt)
    if params is None:
        return None
    sheet = ""
    if settings.PAYSIM_ENABLED and settings.WUYE_PAYSIM_URL:
        back = request.build_absolute_uri(reverse("portal:pay_attempt", kwargs={"attempt_pk": attempt.pk}))
        prepay_id = params["package"].removeprefix("prepay_id=")
        sheet = (
            f"{settings.WUYE_PAYSIM_URL.rstrip('/')}/phone/prepay/{prepay_id}?{urlencode({'return': back})}"
        )
    return {"params": params, "paysim_sheet": sheet}


def _attempt_context(request, attempt: PaymentAttempt) -> dict:
    final = attempt.state not in ATTEMPT_OPEN_STATES
    return {
        "attempt": attempt,
        "topup": attempt.order.kind == OrderKind.PREPAYMENT,
        "visit": visit_of_order(attempt.order),  # None unless a visitor's car paid
        "community": attempt.community,
        "link_ok": attempt.code_url.startswith(CODE_URL_SCHEMES),
        "final": final,
        "succeeded": attempt.state == AttemptState.SUCCEEDED and attempt.receipt_id is not None,
        "receipt": attempt.receipt,
        "status_url": reverse("portal:pay_attempt_status", kwargs={"attempt_pk": attempt.pk}),
    }


@never_cache
@require_safe
def pay_attempt(request, attempt_pk: int):
    """The QR code of a pending attempt and its status; the receipt once paid."""
    attempt = pay_attempt_refreshed(_session_attempt(request, attempt_pk))
    context = _attempt_context(request, attempt)
    context["jsapi"] = _jsapi(request, attempt)
    # A JSAPI attempt's code_url holds WeChat's pay sheet parameters, never a QR payload.
    if attempt.state in ATTEMPT_OPEN_STATES and attempt.code_url and attempt.channel != Channel.WECHAT_JSAPI:
        context["qr_svg"] = segno.make(attempt.code_url, error="m").svg_inline(
            scale=1, border=2, omitsize=True, svgclass="pay-qr", light="#fff", title=_("Payment QR code")
        )
    return _pay_render(request, "portal/pay/attempt.html", context)


@never_cache
@require_safe
def pay_attempt_status(request, attempt_pk: int):
    """The status area alone, polled by the attempt page every few seconds."""
    attempt = pay_attempt_refreshed(_session_attempt(request, attempt_pk))
    return _pay_render(request, "portal/pay/_status.html", _attempt_context(request, attempt))


@never_cache
@require_safe
def pay_receipt_pdf(request, token: str):
    """A receipt's PDF for whoever holds its token (the pay page links it; the receipt prints it): what
    the verify page shows of it (``receipt_public_view``), the payer's name masked."""
    receipt = receipt_by_token(token=token)
    if receipt is None:
        raise Http404
    return pdf_response(
        lambda: receipt_pdf(receipt_public_view(receipt=receipt)),
        filename=f"receipt-{receipt.display_number}.pdf",
    )
