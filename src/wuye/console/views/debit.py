"""Bank direct debit in the console: mandates (list, page, state changes), signing at the counter with
the paper form, the bank's confirmation file, and the partner bank's card-opening appointments.

Card numbers appear masked only (bank and last four digits). The bank's staff reach the referral list
and nothing else here: no mandate, no household.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from wuye.console.decorators import staff_view
from wuye.core.audit import action_label
from wuye.core.enums import Permission
from wuye.core.models import communities_for
from wuye.core.tenancy import scoped_get
from wuye.debit.domain.mandates import (
    MandateError,
    mandate_sign_counter,
    mandate_transition,
    mandates_confirm,
)
from wuye.debit.domain.queries import (
    confirmations_preview,
    live_mandate,
    mandate_fee_items,
    mandate_history,
    mandate_state_counts,
    mandates_for_list,
    referrals_for_bank,
)
from wuye.debit.domain.referrals import ReferralError, referral_transition
from wuye.debit.enums import MANDATE_TRANSITIONS, MandateState, ReferralState
from wuye.debit.interfaces.confirmations import (
    ConfirmationFileError,
    confirmations_decode,
    confirmations_parse,
)
from wuye.debit.interfaces.forms import (
    STAFF_MOVES,
    ConfirmationUploadForm,
    CounterMandateForm,
    MandateTransitionForm,
    ReferralDecisionForm,
)
from wuye.debit.models import CardReferral, DebitSettings, Mandate
from wuye.estate.domain.queries import room_by_label
from wuye.households.domain.households import document_add
from wuye.households.enums import DocumentKind
from wuye.households.models import Household

VIEW = Permission.DEBIT_VIEW
SIGN = Permission.DEBIT_SIGN
MANAGE = Permission.DEBIT_MANAGE
REFERRALS = Permission.BANK_REFERRALS
PAGE_SIZE = 50


# --- mandates ---------------------------------------------------------------------------------------


@staff_view(VIEW)
def mandate_list(request):
    state = request.GET.get("state") or ""
    if state not in MandateState.values:
        state = ""
    text = (request.GET.get("q") or "").strip()[:60]
    mandates = mandates_for_list(community=request.community, state=state, text=text).order_by("-pk")
    page = Paginator(mandates, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = mandate_state_counts(community=request.community)
    return render(
        request,
        "console/debit/mandates.html",
        {
            "page": page,
            "state": state,
            "text": text,
            "tabs": [
                {"value": value, "label": label, "count": counts.get(value, 0)}
                for value, label in MandateState.choices
            ],
            "total": sum(counts.values()),
            "query": urlencode([(key, value) for key, value in (("state", state), ("q", text)) if value]),
        },
    )


@staff_view(VIEW)
def mandate_detail(request, mandate_pk: int):
    mandate = scoped_get(
        Mandate.objects.select_related("household", "consent_document", "created_by").prefetch_related(
            "fee_items"
        ),
        request,
        VIEW,
        pk=mandate_pk,
    )
    moves = [state for state in STAFF_MOVES if state in MANDATE_TRANSITIONS[mandate.state]]
    history = list(mandate_history(mandate=mandate)[:50])
    for entry in history:
        entry.label = action_label(entry.action)
    return render(
        request,
        "console/debit/mandate.html",
        {
            "mandate": mandate,
            "moves": moves,
            "history": history,
            "rooms": [
                link.room
                for link in mandate.household.room_links.select_related("room__building", "room__unit")
            ],
        },
    )


@require_POST
@staff_view(MANAGE)
def mandate_change(request, mandate_pk: int):
    mandate = scoped_get(Mandate.objects.all(), request, MANAGE, pk=mandate_pk)
    form = MandateTransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose what to do with the mandate."))
        return redirect("console:mandate", mandate_pk=mandate.pk)
    data = form.cleaned_data
    try:
        mandate = mandate_transition(
            mandate=mandate,
            to_state=data["to_state"],
            reason=data["reason"],
            agreement_no=data["agreement_no"],
            actor=request.user,
        )
    except MandateError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Mandate %(number)s is now %(state)s.")
            % {"number": mandate.number, "state": mandate.get_state_display()},
        )
    return redirect("console:mandate", mandate_pk=mandate.pk)


@staff_view(SIGN)
def mandate_counter_find(request):
    """Signing at the counter starts from the room: "1栋-1单元-101" leads to its household's form."""
    label = (request.GET.get("room") or "").strip()[:60]
    error = ""
    if label:
        room = room_by_label(community=request.community, label=label)
        household = (
            Household.objects.filter(community=request.community, room_links__room=room).first()
            if room is not None
            else None
        )
        if household is not None:
            return redirect("console:mandate_counter", household_pk=household.pk)
        error = _("No household lives in room %(room)s.") % {"room": label}
    return render(request, "console/debit/counter_find.html", {"room": label, "error": error})


@staff_view(SIGN)
def mandate_counter(request, household_pk: int):
    """Enter a mandate from the paper form the owner signed; its scan becomes a household document
    and the mandate's consent evidence, in one transaction with the mandate."""
    household = scoped_get(Household.objects.select_related("community"), request, SIGN, pk=household_pk)
    existing = live_mandate(household=household)
    if existing is not None:
        messages.info(request, _("This household has a mandate already; revoke it before signing another."))
        return redirect("console:mandate", mandate_pk=existing.pk)
    debit_settings = DebitSettings.of(household.community_id)
    form = CounterMandateForm(
        request.POST or None,
        request.FILES or None,
        fee_items=mandate_fee_items(community=household.community),
        bank_name=debit_settings.bank_name,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        document = None
        try:
            with transaction.atomic():
                document = document_add(
                    household=household,
                    kind=DocumentKind.CONTRACT,
                    title=_("Direct debit mandate, signed form"),
                    upload=data["signed_form"],
                    actor=request.user,
                )
                mandate = mandate_sign_counter(
                    household=household,
                    terms=form.terms(effective_on=data["effective_on"], expires_on=data["expires_on"]),
                    form=document,
                    actor=request.user,
                )
        except ValidationError as error:
            form.add_error("signed_form", " ".join(error.messages))
        except MandateError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Mandate %(number)s is entered; it waits for the bank's confirmation.")
                % {"number": mandate.number},
            )
            return redirect("console:mandate", mandate_pk=mandate.pk)
        if document is not None:  # rolled back: the stored file goes too
            document.file.delete(save=False)
    return render(
        request,
        "console/debit/counter.html",
        {"household": household, "form": form, "settings": debit_settings},
    )


@staff_view(MANAGE)
def mandate_confirmations(request):
    """The bank's confirmation file: upload shows what it would do; apply does it, all or nothing."""
    community = request.community
    form = ConfirmationUploadForm()
    context = {"form": form, "preview": None, "errors": [], "text": "", "file_name": ""}
    if request.method == "POST":
        text = ""
        if "apply" in request.POST:
            text = request.POST.get("text", "")
            context["file_name"] = request.POST.get("file_name", "")[:200]
        else:
            form = context["form"] = ConfirmationUploadForm(request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                context["file_name"] = upload.name[:200]
                if upload.size > settings.IMPORT_MAX_BYTES:
                    form.add_error(
                        "file",
                        _("The file is larger than %(mb)s MB.") % {"mb": settings.IMPORT_MAX_BYTES // 2**20},
                    )
                else:
                    try:
                        text = confirmations_decode(upload.read())
                    except ConfirmationFileError as error:
                        context["errors"] = error.errors
        if text:
            try:
                rows = confirmations_parse(text)
            except ConfirmationFileError as error:
                context["errors"] = error.errors
            else:
                preview = confirmations_preview(community=community, rows=rows)
                context["errors"] = preview.errors
                if "apply" in request.POST and not preview.errors:
                    try:
                        with transaction.atomic():  # all lines or none
                            counts = mandates_confirm(
                                community=community,
                                confirmations=[row for _n, row in rows],
                                actor=request.user,
                            )
                    except MandateError as error:  # a mandate changed since the preview
                        context["errors"] = [str(error)]
                    else:
                        messages.success(
                            request,
                            _(
                                "Confirmation file applied: %(activated)s mandates active, %(rejected)s rejected, %(skipped)s lines skipped."
                            )
                            % counts,
                        )
                        return redirect("console:mandate_confirmations")
                if not context["errors"]:
                    context.update(preview=preview, text=text)
    return render(request, "console/debit/confirmations.html", context)


# --- card referrals (the partner bank's worklist) -----------------------------------------------------


@require_GET
@staff_view(REFERRALS)
def referral_list(request):
    """Appointments to open a card, in every community where the user handles them. Only what the
    owner gave for the booking is shown (name, phone), never the household or its archive."""
    state = request.GET.get("state", ReferralState.BOOKED)
    if state not in ReferralState.values:
        state = ""
    referrals = referrals_for_bank(communities=communities_for(request.user, REFERRALS), state=state)
    page = Paginator(referrals, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "console/debit/referrals.html",
        {
            "page": page,
            "state": state,
            "states": ReferralState.choices,
            "query": urlencode({"state": state}),
            "decision_form": ReferralDecisionForm(),
        },
    )


@require_POST
@staff_view(REFERRALS)
def referral_decide(request, cardreferral_pk: int):
    referral = scoped_get(CardReferral.objects.all(), request, REFERRALS, pk=cardreferral_pk)
    form = ReferralDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose whether the card was opened."))
    else:
        try:
            referral = referral_transition(
                referral=referral,
                to_state=form.cleaned_data["to_state"],
                note=form.cleaned_data["note"],
                actor=request.user,
            )
        except ReferralError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("Appointment at %(branch)s marked %(state)s.")
                % {"branch": referral.branch.name, "state": referral.get_state_display()},
            )
    back = request.POST.get("back", "")
    return redirect(
        reverse("console:referrals")
        + (f"?{urlencode({'state': back})}" if back in ReferralState.values else "")
    )
