"""New-bill notifications (新账单通知): after a billing run is issued, the owners hear of their bill.

The run itself stays set-based and silent: when it has issued its last chunk it queues one job
(``run_owners_notify_later``), and the job sends one ``billing.bill.issued`` message per household
that got lines from this run, with the month's bill total and what is still due after prepayments
(applied as each chunk committed). Recipients are the people bound to the household through an
active owner account; opt-outs and languages are the outbox's business.

Exactly once per run: the job locks the run row, and the audit entry it writes with the messages
(``billing.run.owners_notified``) is the mark that a later job (an interrupted run issued again, a
job queued twice) finds and stops at. A second run of the same month that adds lines to a bill (a
late meter reading) notifies the households it added lines to, with the bill's new total.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy

from wuye.billing.domain.arrears import bills_with_totals
from wuye.billing.enums import BillState, RunState
from wuye.billing.models import Bill, BillingRun, BillLine
from wuye.core import jobs
from wuye.core.audit import log_action, register_actions, register_field_labels
from wuye.core.models import AuditLog
from wuye.core.money import fen_to_yuan
from wuye.ledger.enums import TransactionKind
from wuye.ledger.models import LedgerTransaction
from wuye.notifications.domain.outbox import notify
from wuye.notifications.domain.queries import bound_households, bound_people

BILL_ISSUED = "billing.bill.issued"  # registered with its templates in wuye.notifications.domain.events
NOTIFIED = "billing.run.owners_notified"
BATCH = 2000  # households read per query

register_actions({NOTIFIED: gettext_lazy("Owners notified of their new bills")})
register_field_labels({"households": gettext_lazy("households"), "messages": gettext_lazy("messages")})


def run_owners_notify_later(*, run: BillingRun) -> None:
    """Start the notification job, run once the current transaction commits (at once outside one)."""
    jobs.start(run_owners_notify, community_id=run.community_id, run_pk=run.pk)


@jobs.job
@transaction.atomic
def run_owners_notify(*, run_pk: int) -> int:
    """Tell the owners of the households a run billed about their bill. Returns households notified.

    Steps: lock the run (two jobs of one run queue here); stop unless it is issued and not notified
    yet; read the households someone is bound to, 2,000 at a time, with their bill of the month that
    got lines from this run (its ledger transactions), its totals and the bound people; queue one
    message per household (``notify``, with the household's total and amount due); write the audit
    mark with the counts. Nothing is sent for a void run or a household nobody is bound to.
    """
    run = BillingRun.objects.select_for_update().filter(pk=run_pk).first()
    if run is None or run.state != RunState.ISSUED:
        return 0
    if AuditLog.objects.filter(action=NOTIFIED, object_type="billing.billingrun", object_pk=run.pk).exists():
        return 0
    transactions = LedgerTransaction.objects.filter(
        community_id=run.community_id, kind=TransactionKind.BILLING, reference=f"billing.run:{run.pk}"
    ).values("pk")
    month_bills = (
        Bill.objects.filter(community_id=run.community_id, period=run.period)
        .exclude(state=BillState.VOID)
        .filter(
            Exists(BillLine.objects.filter(bill=OuterRef("pk"), transaction__in=transactions, is_void=False))
        )
    )
    households = messages = 0
    after = 0
    while True:  # in batches of bound households (keyset): memory stays flat however large the run
        batch = bound_households(community_id=run.community_id, after=after, limit=BATCH)
        if not batch:
            break
        after = batch[-1]
        bills = list(
            bills_with_totals(
                month_bills.filter(household_id__in=batch).select_related("household")
            ).order_by("household_id")
        )
        people = bound_people(household_ids=[bill.household_id for bill in bills])
        for bill in bills:
            recipients = people.get(bill.household_id)
            if not recipients:
                continue
            queued = notify(
                community=run.community,
                event=BILL_ISSUED,
                people=recipients,
                context={
                    "household": bill.household.name,
                    "period": f"{bill.period:%Y-%m}",
                    "total_yuan": fen_to_yuan(bill.due_fen),
                    "due_yuan": fen_to_yuan(bill.outstanding_fen),
                    "due_on": bill.due_on.isoformat(),
                },
            )
            households += 1
            messages += len(queued)
    log_action(
        NOTIFIED,
        actor=None,
        obj=run,
        community_id=run.community_id,
        changes={"period": f"{run.period:%Y-%m}", "households": households, "messages": messages},
    )
    return households
