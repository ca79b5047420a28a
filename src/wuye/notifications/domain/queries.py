"""Reads of the outbox for the console."""

from __future__ import annotations

from django.apps import apps
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from wuye.core.models import Community
from wuye.notifications.backends import PermanentDeliveryError
from wuye.notifications.enums import Channel
from wuye.notifications.models import Message, NotificationPreference


def messages_for_outbox(
    *, community: Community, state: str = "", channel: str = "", event: str = ""
) -> QuerySet[Message]:
    messages = Message.objects.filter(community=community)
    if state:
        messages = messages.filter(state=state)
    if channel:
        messages = messages.filter(channel=channel)
    if event:
        messages = messages.filter(event=event)
    return messages.select_related("person").order_by("-created_at", "-pk")


def sms_outbox(*, community: Community) -> QuerySet[Message]:
    """The SMS of a community, newest first, as stored (login codes masked)."""
    return messages_for_outbox(community=community, channel=Channel.SMS)


def outbox_events(*, community: Community) -> list[str]:
    return sorted(set(Message.objects.filter(community=community).values_list("event", flat=True).distinct()))


def optional_events() -> list[tuple[str, object]]:
    """(key, label) of the events people may turn off, in a stable order."""
    from wuye.notifications.domain.outbox import registered_events

    return sorted(
        ((key, event.label) for key, event in registered_events().items() if event.optional),
        key=lambda e: e[0],
    )


def preferences_of(*, person) -> dict[tuple[str, str], bool]:
    """{(event, channel): enabled} of the person's stored choices; anything absent is on."""
    return {
        (event, channel): enabled
        for event, channel, enabled in NotificationPreference.objects.filter(person=person).values_list(
            "event", "channel", "enabled"
        )
    }


def _active_bindings():
    # notifications sits below owners: its bindings are read through the app registry, not imported.
    return apps.get_model("owners", "HouseholdBinding").objects.filter(
        account__is_active=True, person__isnull=False
    )


def anyone_bound_sql(household_column: str) -> str:
    """SQL that is true when someone is bound to the household whose id is in ``household_column``
    through an active owner account (``bound_people`` would find somebody): for a statement that
    reads the household anyway (a payment's household lock) instead of a query of its own."""
    binding = apps.get_model("owners", "HouseholdBinding")._meta.db_table
    account = apps.get_model("owners", "OwnerAccount")._meta.db_table
    return (
        f"EXISTS (SELECT 1 FROM {binding} nb JOIN {account} na ON na.id = nb.account_id"
        f" WHERE nb.household_id = {household_column} AND na.is_active AND nb.person_id IS NOT NULL)"
    )


def bound_households(*, community_id: int, after: int = 0, limit: int) -> list[int]:
    """The next ``limit`` households of the community (pk above ``after``, ascending) that someone is
    bound to: the only ones a household's news can reach. Read by keyset, through the binding table."""
    return list(
        _active_bindings()
        .filter(household__community_id=community_id, household_id__gt=after)
        .order_by("household_id")
        .values_list("household_id", flat=True)
        .distinct()[:limit]
    )


def bound_people(*, household_ids) -> dict[int, list]:
    """{household pk: [Person]} of the people bound to each household through an active owner account.

    The recipients of a household's own news (a new bill, a receipt). One query, whatever the number
    of households; a person bound through several accounts is listed once per household.
    """
    wanted = sorted(set(household_ids))
    found: dict[int, list] = {}
    if not wanted:
        return found
    bindings = (
        _active_bindings()
        .filter(household_id__in=wanted)
        .select_related("person")
        .order_by("household_id", "person_id", "pk")
    )
    for binding in bindings:
        people = found.setdefault(binding.household_id, [])
        if not people or people[-1].pk != binding.person_id:
            people.append(binding.person)
    return found


def company_account(model, community_id: int | None):
    """The enabled account (``SmsAccount``, ``WechatAccount``) that serves this community's company,
    else the operator's (no company), else None. ``community_id`` None: the operator's only."""
    company_id = (
        Community.objects.filter(pk=community_id).values_list("company_id", flat=True).first()
        if community_id
        else None
    )
    scope = Q(company__isnull=True) | (Q(company_id=company_id) if company_id else Q(pk__in=[]))
    accounts = sorted(
        model.objects.filter(scope, enabled=True), key=lambda account: account.company_id is None
    )
    return accounts[0] if accounts else None


def company_account_template(model, outgoing):
    """(account, its template for ``outgoing``'s event) of the account that sends ``outgoing``
    (``company_account``); (None, None) without an account. An account without a template for the
    event refuses the message for good, naming both (staff add it and send the message again)."""
    account = company_account(model, outgoing.community_id)
    if account is None:
        return None, None
    template = account.templates.filter(event=outgoing.event).first()
    if template is None:
        raise PermanentDeliveryError(
            _("%(account)s has no template for “%(event)s”: add one, then send the message again.")
            % {"account": account, "event": outgoing.event}
        )
    return account, template
