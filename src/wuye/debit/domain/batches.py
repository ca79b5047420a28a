"""Debit batches (送盘): build, send, cancel.

``batch_build`` takes, for one or several communities of a company and a cut-off date, every open bill
line due by then that an active mandate covers, within the mandate's limits, and makes one debit line
per household: a payment order over those lines and an attempt at the bank debit channel (created,
not sent). What is left out is counted with its reason. Building is set-based: a handful of queries
and bulk inserts, however many households.

``batch_send`` marks the batch sent (its attempts pending): from then on its lines are locked against
QR and counter payments (``payments.domain.queries.debit_locked_line_ids``) until the result settles
them. The files are written from the stored lines, so the same batch always gives the same bytes.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.billing.domain.latefees import late_fees_still_due
from wuye.billing.models import LINE_OUTSTANDING, BillLine
from wuye.core import sql
from wuye.core.audit import log_action, register_actions
from wuye.core.models import Community, Company
from wuye.debit.enums import BATCH_TRANSITIONS, BatchState, LineState, MandateState
from wuye.debit.models import DebitBatch, DebitLine, DebitSettings, Mandate
from wuye.payments.enums import ATTEMPT_OPEN_STATES, AttemptState, Channel, OrderState, PaymentMethod
from wuye.payments.models import OrderLine, PaymentAttempt, PaymentOrder

register_actions(
    {
        "debit.batch.built": gettext_lazy("Debit batch built"),
        "debit.batch.sent": gettext_lazy("Debit batch sent to the bank"),
        "debit.batch.cancelled": gettext_lazy("Debit batch cancelled"),
    }
)


class BatchError(Exception):
    """A refused batch operation; the message is translated and nothing was written."""


# Why a line was left out of a batch (the preview's reasons).
LEFT_OUT_IN_BATCH = "in_batch"
LEFT_OUT_LIMIT_DEBIT = "limit_debit"
LEFT_OUT_LIMIT_MONTH = "limit_month"
LEFT_OUT_FINAL_FAILURE = "final_failure"
LEFT_OUT_ATTEMPTS = "attempts"
LEFT_OUT_REASONS = {
    LEFT_OUT_IN_BATCH: gettext_lazy("already in a batch awaiting the bank"),
    LEFT_OUT_LIMIT_DEBIT: gettext_lazy("over the mandate's limit per debit"),
    LEFT_OUT_LIMIT_MONTH: gettext_lazy("over the mandate's limit per month"),
    LEFT_OUT_FINAL_FAILURE: gettext_lazy("the last debit failed for good; collect it another way"),
    LEFT_OUT_ATTEMPTS: gettext_lazy("tried the most times allowed"),
}


def _batch_number(collection_on: datetime.date) -> str:
    """'D' + the collection date + a 4-digit sequence of that day: names the batch and its files."""
    prefix = f"D{collection_on:%Y%m%d}"
    taken = DebitBatch.objects.filter(number__startswith=prefix).count()
    return f"{prefix}{taken + 1:04d}"


@dataclass
class _Candidate:
    mandate: Mandate
    lines: list  # (line_pk, outstanding_fen, period, bill_id)


def _debit_history(line_pks: list[int]) -> tuple[dict[int, int], set[int]]:
    """Per bill line: how many debits of it failed, and whether the latest failed for good."""
    failures: dict[int, int] = defaultdict(int)
    final: set[int] = set()
    rows = (
        OrderLine.objects.filter(
            line_id__in=line_pks,
            order__attempts__channel=Channel.BANK_DEBIT,
            order__attempts__state=AttemptState.FAILED,
            order__attempts__debit_line__state=LineState.FAILED,
        )
        .values_list("line_id", "order__attempts__debit_line__retryable")
        .order_by("order__attempts__pk")
    )
    for line_pk, retryable in rows:
        failures[line_pk] += 1
        if retryable:
            final.discard(line_pk)
        else:
            final.add(line_pk)
    return failures, final


def _left(left_out: dict, reason: str, household_pk: int, amount: int) -> None:
    entry = left_out.setdefault(reason, {"reason": reason, "households": set(), "lines": 0, "amount_fen": 0})
    entry["households"].add(household_pk)
    entry["lines"] += 1
    entry["amount_fen"] += amount


@transaction.atomic
def batch_build(
    *,
    company: Company,
    communities: list[Community],
    cutoff_on: datetime.date,
    collection_on: datetime.date,
    actor=None,
) -> DebitBatch:
    """Build a batch (not sent yet). See the module's docstring. Raises BatchError when nothing is due."""
    if not communities or any(community.company_id != company.pk for community in communities):
        raise BatchError(_("Choose communities of this company."))
    if collection_on < cutoff_on:
        raise BatchError(_("The collection date cannot be before the cut-off date."))
    community_pks = sorted(community.pk for community in communities)
    settings_of = {pk: DebitSettings.of(pk) for pk in community_pks}
    formats = {s.file_format for s in settings_of.values()}
    if len(formats) != 1:
        raise BatchError(
            _("These communities send their debits in different file formats: build one batch each.")
        )
    mandates = {
        mandate.household_id: mandate
        for mandate in Mandate.objects.filter(
            community_id__in=community_pks, state=MandateState.ACTIVE, effective_on__lte=collection_on
        )
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=collection_on))
        .prefetch_related("fee_items")
    }
    covered = {household: {item.pk for item in m.fee_items.all()} for household, m in mandates.items()}
    rows = (
        BillLine.objects.filter(
            community_id__in=community_pks,
            household_id__in=list(mandates),
            is_void=False,
            bill__due_on__lte=cutoff_on,
        )
        .alias(outstanding=LINE_OUTSTANDING)
        .filter(outstanding__gt=0)
        .annotate(owed=LINE_OUTSTANDING, bill_period=F("bill__period"), bill_due_on=F("bill__due_on"))
        .values_list(
            "pk",
            "household_id",
            "fee_item_id",
            "owed",
            "bill_period",
            "bill_due_on",
            "late_fee_waived_at",
            "late_fee_paid_fen",
        )
        .order_by("household_id", "bill_period", "pk")
    )
    covered_rows = [row for row in rows if row[2] in covered[row[1]]]
    # The late fee each line costs if debited: due on the day the batch is built, one read of the terms.
    late_fees = late_fees_still_due(
        (
            (line_pk, fee_item_pk, due_on, owed, waived_at is not None, paid)
            for line_pk, _h, fee_item_pk, owed, _p, due_on, waived_at, paid in covered_rows
        ),
        as_of=timezone.localdate(),
    )
    candidates: dict[int, _Candidate] = {}
    for line_pk, household_pk, _fee_item_pk, owed, *_rest in covered_rows:
        candidate = candidates.setdefault(household_pk, _Candidate(mandate=mandates[household_pk], lines=[]))
        candidate.lines.append((line_pk, owed + late_fees[line_pk]))
    line_pks = [line_pk for c in candidates.values() for line_pk, _owed in c.lines]
    in_batch = set(
        OrderLine.objects.filter(
            line_id__in=line_pks,
            order__attempts__channel=Channel.BANK_DEBIT,
            order__attempts__state__in=ATTEMPT_OPEN_STATES,
        ).values_list("line_id", flat=True)
    )
    failures, final = _debit_history(line_pks)
    month_used = _month_used(
        mandate_pks=[c.mandate.pk for c in candidates.values()], collection_on=collection_on
    )
    left_out: dict[str, dict] = {}
    chosen: list[tuple[_Candidate, list[tuple[int, int]], int]] = []
    for household_pk in sorted(candidates):
        candidate = candidates[household_pk]
        mandate = candidate.mandate
        max_attempts = settings_of[mandate.community_id].max_attempts
        taken: list[tuple[int, int]] = []
        total = 0
        month_room = (
            None
            if mandate.limit_per_month_fen is None
            else mandate.limit_per_month_fen - month_used.get(mandate.pk, 0)
        )
        for line_pk, owed in candidate.lines:
            if line_pk in in_batch:
                _left(left_out, LEFT_OUT_IN_BATCH, household_pk, owed)
            elif line_pk in final:
                _left(left_out, LEFT_OUT_FINAL_FAILURE, household_pk, owed)
            elif failures.get(line_pk, 0) >= max_attempts:
                _left(left_out, LEFT_OUT_ATTEMPTS, household_pk, owed)
            elif mandate.limit_per_debit_fen is not None and total + owed > mandate.limit_per_debit_fen:
                _left(left_out, LEFT_OUT_LIMIT_DEBIT, household_pk, owed)
            elif month_room is not None and total + owed > month_room:
                _left(left_out, LEFT_OUT_LIMIT_MONTH, household_pk, owed)
            else:
                taken.append((line_pk, owed))
                total += owed
        if taken:
            try_number = 1 + max(failures.get(line_pk, 0) for line_pk, _owed in taken)
            chosen.append((candidate, taken, try_number))
    if not chosen:
        raise BatchError(
            _("Nothing to debit: no open bill that an active mandate covers is due by that date.")
        )
    batch = DebitBatch.objects.create(
        company=company,
        number=_batch_number(collection_on),
        cutoff_on=cutoff_on,
        collection_on=collection_on,
        file_format=formats.pop(),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        left_out=[
            {
                "reason": key,
                "households": len(v["households"]),
                "lines": v["lines"],
                "amount_fen": v["amount_fen"],
            }
            for key, v in sorted(left_out.items())
        ],
    )
    batch.communities.set(community_pks)
    user = batch.created_by
    # Four writes of as many rows as lines: COPY (``sql.copy_instances``), not bulk_create.
    orders = sql.copy_instances(
        [
            PaymentOrder(
                community_id=candidate.mandate.community_id,
                household_id=candidate.mandate.household_id,
                total_fen=sum(owed for _pk, owed in taken),
                late_fee_fen=sum(late_fees[line_pk] for line_pk, _owed in taken),
                created_by=user,
            )
            for candidate, taken, _try in chosen
        ]
    )
    sql.copy_instances(
        [
            OrderLine(
                order=order,
                line_id=line_pk,
                amount_fen=owed - late_fees[line_pk],
                late_fee_fen=late_fees[line_pk],
            )
            for order, (_candidate, taken, _try) in zip(orders, chosen, strict=True)
            for line_pk, owed in taken
        ]
    )
    references = [f"{batch.number}-{number:06d}" for number in range(1, len(chosen) + 1)]
    attempts = sql.copy_instances(
        [
            PaymentAttempt(
                community_id=order.community_id,
                order=order,
                household_id=order.household_id,
                channel=Channel.BANK_DEBIT,
                method=PaymentMethod.DEBIT,
                out_trade_no=reference,
                amount_fen=order.total_fen,
                created_by=user,
            )
            for order, reference in zip(orders, references, strict=True)
        ]
    )
    sql.copy_instances(
        [
            DebitLine(
                batch=batch,
                community_id=attempt.community_id,
                household_id=attempt.household_id,
                mandate=candidate.mandate,
                attempt=attempt,
                line_no=number,
                reference=attempt.out_trade_no,
                amount_fen=attempt.amount_fen,
                try_number=try_number,
            )
            for number, (attempt, (candidate, _taken, try_number)) in enumerate(
                zip(attempts, chosen, strict=True), start=1
            )
        ]
    )
    batch.line_count = len(attempts)
    batch.total_fen = sum(attempt.amount_fen for attempt in attempts)
    batch.save(update_fields=["line_count", "total_fen"])
    log_action(
        "debit.batch.built",
        actor=actor,
        obj=batch,
        community_id=community_pks[0],
        changes={"lines": batch.line_count, "total_fen": batch.total_fen},
    )
    return batch


def _month_used(*, mandate_pks: list[int], collection_on: datetime.date) -> dict[int, int]:
    """Per mandate: fen debited or on the way with a collection date in the same month."""
    month = collection_on.replace(day=1)
    next_month = (month + datetime.timedelta(days=32)).replace(day=1)
    rows = (
        DebitLine.objects.filter(
            mandate_id__in=mandate_pks,
            batch__collection_on__gte=month,
            batch__collection_on__lt=next_month,
            state__in=(LineState.PENDING, LineState.UNKNOWN, LineState.SUCCEEDED),
        )
        .values("mandate_id")
        .annotate(total=Sum("amount_fen"))
    )
    return {row["mandate_id"]: row["total"] for row in rows}


def _batch_lock(pk: int) -> DebitBatch:
    return DebitBatch.objects.select_for_update().get(pk=pk)


def _batch_move(batch: DebitBatch, to_state: str) -> None:
    if to_state not in BATCH_TRANSITIONS[batch.state]:
        raise BatchError(
            _("A batch that is %(state)s cannot become %(to)s.")
            % {"state": batch.get_state_display(), "to": BatchState(to_state).label}
        )
    batch.state = to_state


def batch_community_id(batch: DebitBatch) -> int:
    return min(batch.communities.values_list("pk", flat=True))


@transaction.atomic
def batch_send(*, batch: DebitBatch, files_sha256: str, actor=None) -> DebitBatch:
    """Mark the batch as sent to the bank with the digest of its files: its attempts become pending,
    its lines locked against other payments until the result comes back. Sending twice is a no-op."""
    locked = _batch_lock(batch.pk)
    if locked.state == BatchState.SENT:
        return locked
    _batch_move(locked, BatchState.SENT)
    locked.files_sha256, locked.sent_at = files_sha256, timezone.now()
    locked.sent_by = actor if getattr(actor, "is_authenticated", False) else None
    locked.save(update_fields=["state", "files_sha256", "sent_at", "sent_by"])
    now = timezone.now()
    for part in sql.chunks(_attempt_pks(locked)):
        PaymentAttempt.objects.filter(pk__in=part, state=AttemptState.CREATED).update(
            state=AttemptState.PENDING, updated_at=now
        )
    log_action(
        "debit.batch.sent",
        actor=actor,
        obj=locked,
        community_id=batch_community_id(locked),
        changes={"lines": locked.line_count, "total_fen": locked.total_fen},
    )
    return locked


@transaction.atomic
def batch_cancel(*, batch: DebitBatch, actor=None) -> DebitBatch:
    """Cancel a batch that was built but not sent: its lines go back to the pool."""
    locked = _batch_lock(batch.pk)
    _batch_move(locked, BatchState.CANCELLED)
    locked.save(update_fields=["state"])
    now = timezone.now()
    for part in sql.chunks(_attempt_pks(locked)):
        attempts = PaymentAttempt.objects.filter(pk__in=part)
        attempts.filter(state=AttemptState.CREATED).update(
            state=AttemptState.FAILED, failure_reason=_("Batch cancelled")[:200], updated_at=now
        )
        PaymentOrder.objects.filter(pk__in=attempts.values("order_id")).update(state=OrderState.CLOSED)
    DebitLine.objects.filter(batch=locked).update(state=LineState.CANCELLED, settled_at=now)
    log_action("debit.batch.cancelled", actor=actor, obj=locked, community_id=batch_community_id(locked))
    return locked


def _attempt_pks(batch: DebitBatch) -> list[int]:
    """The batch's attempts, by primary key: the writes below name them a chunk at a time, since a join
    of freshly written tables can be planned from statistics that do not know them yet (a nested loop
    over 20,000 lines took 38 s)."""
    return sorted(DebitLine.objects.filter(batch=batch).values_list("attempt_id", flat=True))


def batch_summary(batch: DebitBatch) -> dict:
    """Counts and sums per line state (the batch page)."""
    rows = (
        DebitLine.objects.filter(batch=batch)
        .values("state")
        .annotate(count=Count("pk"), total=Sum("amount_fen"))
    )
    return {row["state"]: {"count": row["count"], "total_fen": row["total"]} for row in rows}
