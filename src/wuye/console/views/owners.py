"""Owner accounts in the console: invitations, binding requests, accounts, and the message outbox.

Everything here needs ``owners.manage``. Owner accounts span communities, so an account is reached
only through a binding in a community the user manages; anything else answers 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wuye.console.decorators import staff_view
from wuye.core.enums import Permission
from wuye.core.models import communities_for
from wuye.core.tenancy import scoped_get
from wuye.households.models import Household, Person
from wuye.households.sections import Section, register_section
from wuye.households.validators import MOBILE
from wuye.notifications.domain import queries as outbox_queries
from wuye.notifications.domain.company_accounts import company_account_editable, company_account_save
from wuye.notifications.domain.outbox import NotificationError, event_label, message_retry, registered_events
from wuye.notifications.enums import Channel, MessageState
from wuye.notifications.interfaces.forms import SmsAccountForm, WechatAccountForm
from wuye.notifications.models import Message, SmsAccount, WechatAccount
from wuye.owners.domain import queries
from wuye.owners.domain.accounts import account_set_active
from wuye.owners.domain.bindings import (
    BindingError,
    binding_invite,
    binding_remove,
    binding_request_approve,
    binding_request_reject,
)
from wuye.owners.models import BindingRequest, HouseholdBinding, OwnerAccount

MANAGE = Permission.OWNERS_MANAGE
PAGE_SIZE = 50


def _household_section(household: Household, request) -> dict:
    bindings = list(queries.household_bindings(household))
    bound_phones = {binding.account.phone for binding in bindings}
    return {
        "household": household,
        "bindings": bindings,
        "pending": list(
            queries.pending_binding_requests(community=household.community).filter(household=household)
        ),
        # People with a mobile number whose phone is not bound to the household yet.
        "invitable": [
            person
            for person in household.people.filter(moved_out_on__isnull=True)
            if MOBILE.match(person.phone or "") and person.phone not in bound_phones
        ],
    }


register_section(
    Section(
        key="owners",
        template="console/owners/household_section.html",
        context=_household_section,
        permission=MANAGE,
        order=50,
    )
)


def _back(request, default: str):
    """Return to the page the form was on (the household page, the requests list), if it is ours."""
    target = request.POST.get("next", "")
    if target.startswith("/console/") and "//" not in target:
        return redirect(target)
    return redirect(default)


# --- invitations and bindings ---------------------------------------------------------------------


@staff_view(MANAGE)
@require_POST
def owner_invite(request, person_pk: int):
    person = scoped_get(Person.objects.select_related("household__community"), request, MANAGE, pk=person_pk)
    try:
        binding_invite(person=person, actor=request.user)
    except BindingError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("%(name)s is invited: when %(phone)s logs in to the owner portal, the household is there.")
            % {"name": person.name, "phone": person.phone_masked},
        )
    return _back(request, reverse("console:household", args=[person.household_id]))


@staff_view(MANAGE)
@require_POST
def binding_delete(request, householdbinding_pk: int):
    binding = scoped_get(
        HouseholdBinding.objects.select_related("account"), request, MANAGE, pk=householdbinding_pk
    )
    household_pk = binding.household_id
    binding_remove(binding=binding, actor=request.user)
    messages.success(request, _("The owner account is no longer linked to this household."))
    return _back(request, reverse("console:household", args=[household_pk]))


# --- binding requests -----------------------------------------------------------------------------


@staff_view(MANAGE)
def binding_requests(request):
    community = request.community
    return render(
        request,
        "console/owners/binding_requests.html",
        {
            "pending": queries.pending_binding_requests(community=community),
            "decided": queries.decided_binding_requests(community=community)[:30],
        },
    )


def _binding_request(request, bindingrequest_pk: int) -> BindingRequest:
    return scoped_get(
        BindingRequest.objects.select_related("account", "room"), request, MANAGE, pk=bindingrequest_pk
    )


@staff_view(MANAGE)
@require_POST
def binding_request_approve_view(request, bindingrequest_pk: int):
    binding_request = _binding_request(request, bindingrequest_pk)
    try:
        binding_request_approve(request=binding_request, actor=request.user)
    except BindingError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Approved: %(owner)s is linked to %(room)s.")
            % {
                "owner": binding_request.account.phone_masked,
                "room": binding_request.room,
            },
        )
    return redirect("console:binding_requests")


@staff_view(MANAGE)
@require_POST
def binding_request_reject_view(request, bindingrequest_pk: int):
    binding_request = _binding_request(request, bindingrequest_pk)
    try:
        binding_request_reject(
            request=binding_request, actor=request.user, reason=request.POST.get("reason", "")
        )
    except BindingError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Request rejected; the owner is told by SMS."))
    return redirect("console:binding_requests")


# --- accounts ---------------------------------------------------------------------------------


def _account(request, owneraccount_pk: int) -> OwnerAccount:
    """An account with a binding in a community where the user may manage owners; 404 otherwise."""
    managed = communities_for(request.user, MANAGE).values("pk")
    account = (
        OwnerAccount.objects.filter(pk=owneraccount_pk, bindings__community__in=managed).distinct().first()
    )
    if account is None:
        raise Http404
    return account


@staff_view(MANAGE)
def owner_accounts(request):
    text = (request.GET.get("q") or "").strip()
    accounts = queries.accounts_of_community(community=request.community, text=text)
    page = Paginator(accounts, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "console/owners/accounts.html",
        {"page": page, "search": text, "query": urlencode({"q": text}) if text else ""},
    )


@staff_view(MANAGE)
def owner_account(request, owneraccount_pk: int):
    account = _account(request, owneraccount_pk)
    bindings = queries.bindings_of(account).filter(community=request.community)
    return render(request, "console/owners/account.html", {"account": account, "bindings": bindings})


@staff_view(MANAGE)
@require_POST
def owner_account_active(request, owneraccount_pk: int):
    account = _account(request, owneraccount_pk)
    active = request.POST.get("active") == "1"
    account_set_active(account=account, active=active, actor=request.user)
    messages.success(
        request, _("Account enabled.") if active else _("Account disabled; its API tokens are revoked.")
    )
    return redirect("console:owner_account", owneraccount_pk=account.pk)


# --- outbox -----------------------------------------------------------------------------------


def _outbox_page(request, *, template: str, channel: str = ""):
    community = request.community
    state = request.GET.get("state", "") if request.GET.get("state") in MessageState.values else ""
    if not channel:
        channel = request.GET.get("channel", "") if request.GET.get("channel") in Channel.values else ""
    event = request.GET.get("event", "")[:60]
    found = outbox_queries.messages_for_outbox(community=community, state=state, channel=channel, event=event)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    for message in page.object_list:
        message.event_label = event_label(message.event)
    query = urlencode(
        {key: value for key, value in (("state", state), ("channel", channel), ("event", event)) if value}
    )
    return render(
        request,
        template,
        {
            "page": page,
            "query": query,
            "state": state,
            "channel": channel,
            "event": event,
            "states": MessageState.choices,
            "channels": Channel.choices,
            "events": [(key, event_label(key)) for key in outbox_queries.outbox_events(community=community)],
        },
    )


@staff_view(MANAGE)
def outbox(request):
    return _outbox_page(request, template="console/owners/outbox.html")


@staff_view(MANAGE)
def sms_outbox(request):
    """The SMS with their text as stored: secrets (login codes) masked."""
    return _outbox_page(request, template="console/owners/sms_outbox.html", channel=Channel.SMS)


@staff_view(MANAGE)
@require_POST
def message_retry_view(request, message_pk: int):
    message = scoped_get(Message.objects, request, MANAGE, pk=message_pk)
    try:
        message_retry(message=message, actor=request.user)
    except NotificationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The message is queued again."))
    return _back(request, reverse("console:outbox"))


# --- SMS service and WeChat official account ----------------------------------------------------------


def _company_account_page(request, model, form_class, template: str, saved: str):
    """A company's messaging account and a template per event. Everyone who administers the
    community sees it; only who administers all the company's communities (or the operator) may
    change it."""
    community = request.community
    account = model.objects.filter(company_id=community.company_id).first() or model(
        company_id=community.company_id
    )
    editable = company_account_editable(request.user, community)
    events = [(key, str(event.label)) for key, event in sorted(registered_events().items())]
    form = form_class(request.POST or None, instance=account, events=events)
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        if form.is_valid():
            try:
                company_account_save(
                    account=form.save(commit=False),
                    templates=form.templates(),
                    actor=request.user,
                    community=community,
                )
            except NotificationError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, saved)
                return redirect(request.path)
    if not editable:
        for field in form.fields.values():
            field.disabled = True
    operator = model.objects.filter(company__isnull=True, enabled=True).first()
    return render(
        request, template, {"form": form, "account": account, "editable": editable, "operator": operator}
    )


@staff_view(Permission.STAFF_MANAGE)
def sms_settings(request):
    """The company's SMS provider account (Alibaba Cloud or Tencent Cloud)."""
    return _company_account_page(
        request, SmsAccount, SmsAccountForm, "console/owners/sms_settings.html", _("SMS account saved.")
    )


@staff_view(Permission.STAFF_MANAGE)
def wechat_settings(request):
    """The company's WeChat official account: the portal's sign-in from its menu, template messages."""
    return _company_account_page(
        request,
        WechatAccount,
        WechatAccountForm,
        "console/owners/wechat_settings.html",
        _("WeChat official account saved."),
    )
