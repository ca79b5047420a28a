"""Expiring-lease reminders (租约到期提醒) through the notifications outbox.

Once per lease, ``REMIND_DAYS`` days before its last day (or at once, for a lease signed closer to its
end): the tenant and, for an owner's lease, the owners of the household are told when the term ends,
so that they renew or hand the room back in time. ``reminded_at`` records it, so the daily job never
sends twice; the console lists the leases ending soon with the day each reminder went.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wuye.core.audit import log_action, register_actions
from wuye.households.enums import PersonKind
from wuye.households.models import Person
from wuye.notifications.domain.outbox import notify, register_event
from wuye.rental.enums import LeaseState
from wuye.rental.models import Lease

REMIND_DAYS = 30
EVENT = "rental.lease.expiring"

register_actions({"rental.lease.reminded": _("Expiring-lease reminder sent")})
# Context: lease_number, room, ends_on ("2027-02-28"), days_left.
register_event(
    EVENT,
    _("Lease ending"),
    _("Lease %(lease_number)s ends on %(ends_on)s"),
    _(
        "%(community)s: lease %(lease_number)s of %(room)s ends on %(ends_on)s, in %(days_left)s days."
        " To renew it, or to arrange handing the room back and the return of the deposit, contact the"
        " property office."
    ),
)


def lease_recipients(lease: Lease) -> list[Person]:
    """The tenant, and the owners of the landlord's household (an owner's lease) still living there."""
    people = [lease.tenant]
    if lease.landlord_id is not None:
        people += list(
            Person.objects.filter(
                household_id=lease.landlord_id, kind=PersonKind.OWNER, moved_out_on__isnull=True
            )
        )
    return people


def leases_remind(*, today: datetime.date, community_ids=None) -> int:
    """The daily job: remind every lease in force that ends within ``REMIND_DAYS`` and was not reminded.
    Returns the number of leases reminded."""
    due = Lease.objects.filter(
        state=LeaseState.ACTIVE,
        reminded_at__isnull=True,
        ends_on__gte=today,
        ends_on__lte=today + datetime.timedelta(days=REMIND_DAYS),
    ).select_related("community", "room", "tenant")
    if community_ids is not None:
        due = due.filter(community_id__in=community_ids)
    count = 0
    # A list, not .iterator(): each lease commits on its own, and an open cursor does not outlive that
    # on SQLite ("Cannot operate on a closed database").
    for lease in list(due.order_by("pk")):
        with transaction.atomic():
            # Claimed in the same transaction as the messages: two jobs never both send.
            claimed = Lease.objects.filter(pk=lease.pk, reminded_at__isnull=True).update(
                reminded_at=timezone.now()
            )
            if not claimed:
                continue
            messages = notify(
                community=lease.community,
                event=EVENT,
                people=lease_recipients(lease),
                context={
                    "lease_number": lease.number,
                    "room": str(lease.room),
                    "ends_on": str(lease.ends_on),
                    "days_left": (lease.ends_on - today).days,
                },
            )
            log_action(
                "rental.lease.reminded",
                actor=None,
                obj=lease,
                household_id=lease.household_id,
                changes={
                    "lease_number": lease.number,
                    "ends_on": str(lease.ends_on),
                    "messages": len(messages),
                },
            )
            count += 1
    return count
