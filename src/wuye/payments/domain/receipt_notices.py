"""Payment-receipt notifications (缴费凭证通知): the household's bound owners hear of each receipt.

``receipt_issue`` calls ``receipt_notify_on_commit`` inside the transaction that posts the money.
The job is started in that transaction (``wuye.core.jobs``: its record is written with the payment
and handed to a worker after the commit), so a payment that is rolled back (a refused allocation, a
failed channel check, a crash) sends nothing, and the receipt number in the message is one that
exists.
"""

from __future__ import annotations

from django.db import transaction

from wuye.core import jobs
from wuye.core.money import fen_to_yuan
from wuye.notifications.domain.outbox import notify
from wuye.notifications.domain.queries import bound_people
from wuye.payments.models import Receipt

# Registered with its templates in wuye.notifications.domain.events.
RECEIPT_ISSUED = "payments.receipt.issued"


def receipt_notify_on_commit(*, receipt: Receipt) -> None:
    """Start the receipt's notification job, run once the current transaction commits."""
    jobs.start(receipt_notify, community_id=receipt.community_id, receipt_pk=receipt.pk)


@jobs.job
def receipt_notify(*, receipt_pk: int) -> int:
    """Tell the people bound to the receipt's household what was received. Returns messages queued.

    Steps: read the receipt (gone or unknown: nothing); find the people bound to its household
    through an active owner account (nobody, as for most households: done, in these two reads and
    no transaction); queue one ``payments.receipt.issued`` message for them with the amount, the
    receipt number, its kind and method (shown in each recipient's language).
    """
    receipt = Receipt.objects.filter(pk=receipt_pk).select_related("community", "household").first()
    if receipt is None:
        return 0
    people = bound_people(household_ids=[receipt.household_id]).get(receipt.household_id, [])
    if not people:
        return 0
    with transaction.atomic():  # the messages of all recipients, or none
        messages = notify(
            community=receipt.community,
            event=RECEIPT_ISSUED,
            people=people,
            context={
                "household": receipt.household.name,
                "receipt_number": receipt.display_number,
                "amount_yuan": fen_to_yuan(receipt.amount_fen),
                "kind": receipt.kind,
                "method": receipt.method,
            },
        )
    return len(messages)
