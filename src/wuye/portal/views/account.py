"""Logging in with a one-time code, binding households, switching between them, the owner's profile."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wuye.core.crypto import mask
from wuye.core.net import client_address
from wuye.notifications.domain.preferences import preference_set
from wuye.notifications.domain.queries import optional_events, preferences_of
from wuye.notifications.enums import Channel
from wuye.owners.domain.accounts import AccountError, account_phone_change, account_update
from wuye.owners.domain.bindings import BindingError, binding_request_submit, binding_request_withdraw
from wuye.owners.domain.login import LoginError, account_login, login_code_send
from wuye.owners.domain.queries import (
    acting_person,
    binding_requests_of,
    bindings_of,
    pending_binding_request_of,
)
from wuye.owners.enums import LoginPurpose
from wuye.portal.auth import (
    SESSION_LOGIN_PHONE,
    current_owner,
    household_switch,
    owner_login,
    owner_logout,
    owner_required,
    safe_next,
)
from wuye.portal.forms import BindForm, CodeForm, PhoneForm, ProfileForm
from wuye.portal.views import wechat
from wuye.portal.views.base import render_portal

SESSION_NEW_PHONE = "wuye_owner_new_phone"


def login(request):
    """Step 1: the phone number; a code is sent to it."""
    if current_owner(request) is not None:
        return redirect(safe_next(request, reverse("portal:home")))
    if (
        request.method == "GET"
        and wechat.in_wechat(request)
        and wechat.SESSION_PENDING not in request.session
        and not request.session.get(wechat.SESSION_TRIED)
        and wechat.official_account() is not None
    ):
        # Inside WeChat: let WeChat say who this is (silently) before asking for a phone, once a session.
        request.session[wechat.SESSION_TRIED] = True
        return redirect(
            f"{reverse('portal:wechat')}?{urlencode({'next': safe_next(request, reverse('portal:home'))})}"
        )
    form = PhoneForm(request.POST or None, initial={"phone": request.session.get(SESSION_LOGIN_PHONE, "")})
    if request.method == "POST" and form.is_valid():
        phone = form.cleaned_data["phone"]
        try:
            login_code_send(phone=phone, client_address=client_address(request))
        except LoginError as error:
            form.add_error("phone", str(error))
        else:
            request.session[SESSION_LOGIN_PHONE] = phone
            messages.success(request, _("A code was sent by SMS. It is valid for 5 minutes."))
            query = urlencode({"next": safe_next(request, "")}) if safe_next(request, "") else ""
            return redirect(reverse("portal:login_verify") + (f"?{query}" if query else ""))
    return render_portal(request, "portal/login.html", {"form": form, "next": safe_next(request, "")})


def login_verify(request):
    """Step 2: the code. A wrong one counts; after five the owner asks for a new one."""
    phone = request.session.get(SESSION_LOGIN_PHONE)
    if not phone:
        return redirect("portal:login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account = account_login(phone=phone, code=form.cleaned_data["code"])
        except LoginError as error:
            form.add_error("code", str(error))
        else:
            owner_login(request, account)
            wechat.link_pending(request, account)
            if not bindings_of(account).exists():
                return redirect("portal:bind")
            return redirect(safe_next(request, reverse("portal:home")))
    return render_portal(
        request,
        "portal/login_verify.html",
        {"form": form, "phone": phone, "phone_masked": mask(phone), "next": safe_next(request, "")},
    )


@require_POST
def logout(request):
    owner_logout(request)
    return redirect("portal:login")


@owner_required(household=False)
def bind(request):
    """Ask to be linked to a household: the room, the registered name, four digits. Staff decide."""
    form = BindForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            binding_request_submit(
                account=request.owner,
                community=data["community"],
                building=data["building"],
                unit=data["unit"],
                number=data["number"],
                name=data["name"],
                last_four=data["last_four"],
            )
        except BindingError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Your request was sent to the property office. You will get an SMS."))
            return redirect("portal:bind")
    return render_portal(
        request,
        "portal/bind.html",
        {
            "form": form,
            "requests": binding_requests_of(request.owner)[:10],
            "bindings": bindings_of(request.owner),
        },
        tab="me",
    )


@owner_required(household=False)
@require_POST
def bind_withdraw(request, bindingrequest_pk: int):
    pending = pending_binding_request_of(request.owner, bindingrequest_pk)
    if pending is None:
        raise Http404
    try:
        binding_request_withdraw(request=pending)
    except BindingError as error:
        messages.error(request, str(error))
    return redirect("portal:bind")


@owner_required(household=False)
def households(request):
    return render_portal(
        request, "portal/households.html", {"bindings": bindings_of(request.owner)}, tab="me"
    )


@owner_required(household=False)
@require_POST
def household_switch_view(request):
    try:
        household_pk = int(request.POST.get("household", ""))
    except ValueError:
        raise Http404 from None
    if not household_switch(request, household_pk):
        raise Http404
    return redirect(safe_next(request, reverse("portal:home")))


@owner_required(household=False)
def profile(request):
    account = request.owner
    form = ProfileForm(
        request.POST if request.POST.get("form") == "profile" else None,
        initial={"display_name": account.display_name, "language": account.language, "email": account.email},
    )
    if form.is_bound and form.is_valid():
        try:
            account_update(account=account, **form.cleaned_data)
        except AccountError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Saved."))
            return redirect("portal:profile")
    return render_portal(
        request,
        "portal/profile.html",
        {
            "form": form,
            "phone_form": PhoneForm(),
            "code_form": CodeForm(),
            "new_phone": request.session.get(SESSION_NEW_PHONE),
            "wechat_available": wechat.official_account() is not None,
        },
        tab="me",
    )


@owner_required(household=False)
@require_POST
def phone_change(request):
    """Changing the phone needs a code sent to the new number; the old number stays until then."""
    form = PhoneForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["phone"]))
        return redirect("portal:profile")
    phone = form.cleaned_data["phone"]
    try:
        login_code_send(
            phone=phone,
            client_address=client_address(request),
            purpose=LoginPurpose.PHONE_CHANGE,
            account=request.owner,
        )
    except LoginError as error:
        messages.error(request, str(error))
    else:
        request.session[SESSION_NEW_PHONE] = phone
        messages.success(request, _("A code was sent to the new number."))
    return redirect("portal:profile")


@owner_required(household=False)
@require_POST
def phone_change_verify(request):
    phone = request.session.get(SESSION_NEW_PHONE)
    form = CodeForm(request.POST)
    if not phone or not form.is_valid():
        messages.error(request, _("Ask for a code first, then enter its six digits."))
        return redirect("portal:profile")
    try:
        account_phone_change(account=request.owner, phone=phone, code=form.cleaned_data["code"])
    except LoginError as error:
        messages.error(request, str(error))
    else:
        request.session.pop(SESSION_NEW_PHONE, None)
        messages.success(request, _("Your phone number is changed."))
    return redirect("portal:profile")


@owner_required
def message_settings(request):
    """Which messages the owner gets on which channel, for the person they are in the current household."""
    person = acting_person(request.binding)
    if person is None:
        messages.error(request, _("Your account is not linked to a person of this household."))
        return redirect("portal:profile")
    account = request.owner
    channels = [
        (channel, label)
        for channel, label, available in (
            (Channel.SMS, Channel.SMS.label, bool(person.phone)),
            (Channel.WECHAT, Channel.WECHAT.label, bool(account.wechat_openid)),
            (Channel.EMAIL, Channel.EMAIL.label, bool(account.email)),
        )
        if available
    ]
    events = optional_events()
    if request.method == "POST":
        for key, _label in events:
            for channel, _channel_label in channels:
                enabled = f"{key}:{channel}" in request.POST
                preference_set(person=person, event=key, channel=channel, enabled=enabled, actor=account)
        messages.success(request, _("Saved."))
        return redirect("portal:message_settings")
    current = preferences_of(person=person)
    rows = [
        {
            "label": label,
            "cells": [
                {
                    "name": f"{key}:{channel}",
                    "label": channel_label,
                    "checked": current.get((key, channel), True),
                }
                for channel, channel_label in channels
            ],
        }
        for key, label in events
    ]
    return render_portal(request, "portal/messages.html", {"rows": rows, "person": person}, tab="me")
