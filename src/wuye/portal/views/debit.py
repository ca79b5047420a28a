"""Bank direct debit (银行代扣) in the owner portal: the household's mandate, signing one online with a
one-time code, revoking it, and booking a card opening at the partner bank.

Signing is two steps. The form's terms are kept in the session (card and ID numbers encrypted, as in
the database) and a code goes by SMS to the phone the owner gave; only the right code signs
(``mandate_sign_online`` with the time and address as the consent's evidence). Nothing of the card but
its last four digits is ever written into a page.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wuye.billing.models import FeeItem
from wuye.core.crypto import decrypt, encrypt, mask
from wuye.core.net import client_address
from wuye.debit.domain.mandates import MandateError, MandateTerms, mandate_sign_online, mandate_transition
from wuye.debit.domain.queries import (
    branches_for,
    debit_offered,
    live_mandate,
    mandate_fee_items,
    mandates_of_household,
    referrals_of_household,
)
from wuye.debit.domain.referrals import ReferralError, referral_book, referral_transition
from wuye.debit.enums import MANDATE_LIVE_STATES, MandateState, ReferralState
from wuye.debit.interfaces.forms import CodeForm, PortalMandateForm, ReasonForm, ReferralForm
from wuye.debit.models import CardReferral, DebitSettings, Mandate
from wuye.owners.domain.login import LoginError, login_code_check, login_code_send
from wuye.owners.domain.queries import acting_person, households_of
from wuye.owners.enums import LoginPurpose
from wuye.portal.auth import owner_required
from wuye.portal.views.base import render_portal

SESSION_DRAFT = "wuye_owner_mandate"
DRAFT_LIFETIME = datetime.timedelta(minutes=30)


def _send_code(request, phone: str, *, announce: bool) -> bool:
    try:
        login_code_send(
            phone=phone,
            client_address=client_address(request) or None,
            purpose=LoginPurpose.MANDATE,
            account=request.owner,
        )
    except LoginError as error:
        messages.error(request, str(error))
        return False
    if announce:  # the code page says where the first code went
        messages.success(request, _("A code was sent by SMS to %(phone)s.") % {"phone": mask(phone)})
    return True


def _draft(request) -> dict | None:
    """The terms waiting for the code, if they are this household's and recent."""
    draft = request.session.get(SESSION_DRAFT)
    if not draft or draft.get("household") != request.household.pk:
        return None
    if timezone.now() - datetime.datetime.fromisoformat(draft["at"]) > DRAFT_LIFETIME:
        request.session.pop(SESSION_DRAFT, None)
        return None
    return draft


def _draft_terms(draft: dict, household) -> MandateTerms:
    return MandateTerms(
        bank_name=draft["bank_name"],
        holder_name=draft["holder_name"],
        card_number=decrypt(draft["card"]),
        fee_items=tuple(
            FeeItem.objects.filter(community_id=household.community_id, pk__in=draft["fee_items"]).order_by(
                "pk"
            )
        ),
        effective_on=timezone.localdate(),
        limit_per_debit_fen=draft["limit_per_debit"],
        limit_per_month_fen=draft["limit_per_month"],
        holder_id_number=decrypt(draft["id"]),
        phone=draft["phone"],
    )


@owner_required
def debit_home(request):
    """The household's mandate (with revoke), or the way to sign one; past mandates; card bookings."""
    household = request.household
    mandate = live_mandate(household=household)
    return render_portal(
        request,
        "portal/debit/home.html",
        {
            "mandate": mandate,
            "past": mandates_of_household(household=household).exclude(state__in=MANDATE_LIVE_STATES)[:5],
            "offered": debit_offered(community_id=household.community_id),
            "settings": DebitSettings.of(household.community_id),
            "reason_form": ReasonForm(),
            "referrals": referrals_of_household(household=household).filter(state=ReferralState.BOOKED),
        },
        tab="home",
    )


@owner_required
def debit_sign(request):
    """Step 1: the terms. Valid terms are kept for the next step and a code is sent to the phone."""
    household = request.household
    if live_mandate(household=household) is not None:
        messages.info(request, _("This household has a mandate already."))
        return redirect("portal:debit")
    if not debit_offered(community_id=household.community_id):
        raise Http404
    settings = DebitSettings.of(household.community_id)
    form = PortalMandateForm(
        request.POST or None,
        fee_items=mandate_fee_items(community=household.community),
        bank_name=settings.bank_name,
        initial={
            "phone": request.owner.phone,
            "holder_name": getattr(acting_person(request.binding), "name", ""),
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        request.session[SESSION_DRAFT] = {
            "household": household.pk,
            "bank_name": data["bank_name"],
            "holder_name": data["holder_name"].strip(),
            "card": encrypt(data["card_number"]),
            "card_last4": data["card_number"][-4:],
            "id": encrypt(data["holder_id_number"]),
            "phone": data["phone"],
            "fee_items": [item.pk for item in data["fee_items"]],
            "limit_per_debit": data["limit_per_debit"],
            "limit_per_month": data["limit_per_month"],
            "at": timezone.now().isoformat(),
        }
        _send_code(request, data["phone"], announce=False)
        return redirect("portal:debit_confirm")
    return render_portal(
        request,
        "portal/debit/sign.html",
        {"form": form, "settings": settings, "community": household.community},
        tab="home",
    )


@owner_required
def debit_confirm(request):
    """Step 2: the code sent to the phone. The right code signs the mandate; a wrong one counts."""
    household = request.household
    draft = _draft(request)
    if draft is None:
        messages.error(request, _("Please fill in the mandate again."))
        return redirect("portal:debit_sign")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            login_code_check(
                phone=draft["phone"],
                code=form.cleaned_data["code"],
                purpose=LoginPurpose.MANDATE,
                account=request.owner,
            )
        except LoginError as error:
            form.add_error("code", str(error))
        else:
            try:
                mandate = mandate_sign_online(
                    household=household,
                    terms=_draft_terms(draft, household),
                    code_checked=True,
                    client_address=client_address(request),
                    actor=request.owner,
                )
            except MandateError as error:
                request.session.pop(SESSION_DRAFT, None)
                messages.error(request, str(error))
                return redirect("portal:debit")
            request.session.pop(SESSION_DRAFT, None)
            messages.success(
                request,
                _("Mandate %(number)s is signed. It is active once the bank confirms it.")
                % {"number": mandate.number},
            )
            return redirect("portal:debit")
    fee_items = FeeItem.objects.filter(community_id=household.community_id, pk__in=draft["fee_items"])
    return render_portal(
        request,
        "portal/debit/confirm.html",
        {
            "form": form,
            "draft": draft,
            "card_display": f"{draft['bank_name']} ****{draft['card_last4']}",
            "phone_masked": mask(draft["phone"]),
            "fee_items": fee_items.order_by("pk"),
        },
        tab="home",
    )


@owner_required
@require_POST
def debit_code_send(request):
    draft = _draft(request)
    if draft is None:
        return redirect("portal:debit_sign")
    _send_code(request, draft["phone"], announce=True)
    return redirect("portal:debit_confirm")


def _own_mandate(request, mandate_pk: int) -> Mandate:
    mandate = Mandate.objects.filter(pk=mandate_pk, household__in=households_of(request.owner)).first()
    if mandate is None:
        raise Http404
    return mandate


@owner_required
@require_POST
def debit_revoke(request, mandate_pk: int):
    """The owner revokes a mandate of one of their households; the reason is kept with it."""
    mandate = _own_mandate(request, mandate_pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why you revoke the mandate."))
        return redirect("portal:debit")
    try:
        mandate_transition(
            mandate=mandate,
            to_state=MandateState.REVOKED,
            reason=_("Revoked by the owner: %(reason)s") % {"reason": form.cleaned_data["reason"]},
            actor=request.owner,
        )
    except MandateError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The mandate is revoked: no more debits are made from this card."))
    return redirect("portal:debit")


# --- card referrals (开卡预约) -----------------------------------------------------------------------


@owner_required
def referrals(request):
    """The household's bookings, and a booking form: branch, time, and who the bank may call."""
    household = request.household
    if not debit_offered(community_id=household.community_id):
        raise Http404
    person = acting_person(request.binding)
    form = ReferralForm(
        request.POST or None,
        branches=branches_for(community=household.community),
        initial={"name": getattr(person, "name", ""), "phone": request.owner.phone},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            referral_book(
                household=household,
                branch=data["branch"],
                name=data["name"],
                phone=data["phone"],
                visit_at=data["visit_at"],
                actor=request.owner,
            )
        except ReferralError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Booked. The bank will expect you at the branch."))
            return redirect("portal:debit_referrals")
    return render_portal(
        request,
        "portal/debit/referrals.html",
        {
            "form": form,
            "settings": DebitSettings.of(household.community_id),
            "referrals": referrals_of_household(household=household)[:20],
        },
        tab="home",
    )


@owner_required
@require_POST
def referral_cancel(request, cardreferral_pk: int):
    referral = CardReferral.objects.filter(
        pk=cardreferral_pk, household__in=households_of(request.owner)
    ).first()
    if referral is None:
        raise Http404
    try:
        referral_transition(referral=referral, to_state=ReferralState.CANCELLED, actor=request.owner)
    except ReferralError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The visit is cancelled."))
    return redirect("portal:debit_referrals")
