"""People's choices of which messages they get on which channel (opt-outs)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.core.audit import log_action, register_actions, register_field_labels
from wuye.households.models import Person
from wuye.notifications.domain.outbox import NotificationError, event_label, registered_events
from wuye.notifications.enums import Channel
from wuye.notifications.models import NotificationPreference

register_actions({"notifications.preference.changed": gettext_lazy("Message preference changed")})
register_field_labels({"enabled": gettext_lazy("receive")})


@transaction.atomic
def preference_set(
    *, person: Person, event: str, channel: str, enabled: bool, actor=None
) -> NotificationPreference | None:
    """Turn one optional event on or off for a person on one channel; logged on the household's timeline."""
    known = registered_events().get(event)
    if known is None or not known.optional:
        raise NotificationError(_("These messages cannot be turned off."))
    if channel not in Channel.values:
        raise NotificationError(_("Unknown channel."))
    existing = NotificationPreference.objects.filter(person=person, event=event, channel=channel).first()
    if (existing.enabled if existing is not None else True) == enabled:
        return existing  # no change: a missing row already means "on"
    # update_or_create, not read-then-write: two taps at once still leave one row (unique constraint).
    preference, _created = NotificationPreference.objects.update_or_create(
        person=person,
        event=event,
        channel=channel,
        defaults={"enabled": enabled},
        create_defaults={"enabled": enabled, "community_id": person.community_id},
    )
    log_action(
        "notifications.preference.changed",
        actor=actor,
        obj=person,
        household_id=person.household_id,
        changes={"event": str(event_label(event)), "channel": channel, "enabled": enabled},
    )
    return preference
