"""The bank's answers (回盘): result files and late returns, settled line by line, set-based.

``result_settle`` takes a parsed result file (``wuye.debit.interfaces.files.ResultFile``) of a batch
that was sent. Before anything is written it checks that the file names this batch, that its lines
are lines of the batch with their amounts, that no line appears twice, and that no line contradicts
a result already settled; a refused file changes nothing. A file imported before (same digest) changes
nothing either. Then every line settles on its own:

- success: the payment is applied, exactly as a single payment (``payments_apply_many``);
- final failure: the attempt fails, its order closes, the bill lines are free again, the reason shows;
  a retryable reason (insufficient funds) lets a later batch take the lines again;
- unknown: the line stays pending and locked, never taken for a failure; a later file settles it.

A file the bank rejected whole returns every line of the batch to the pool (nothing was debited).
A late return (the bank takes a success back) reverses the payment with a new ledger transaction and
reopens the lines (``returns_settle``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.core import sql
from wuye.core.audit import log_action, register_actions, register_field_labels
from wuye.debit.domain.batches import batch_community_id
from wuye.debit.enums import BatchState, LineState
from wuye.debit.models import DebitBatch, DebitLine, ResultFile
from wuye.payments.domain.bulk import Success, attempts_finish_many, payments_apply_many
from wuye.payments.domain.payments import PaymentError, payment_apply
from wuye.payments.domain.refunds import refund_approve, refund_request
from wuye.payments.enums import AttemptState

register_field_labels(
    {
        "file_name": gettext_lazy("file name"),
        "succeeded": gettext_lazy("succeeded"),
        "failed": gettext_lazy("failed"),
        "unknown": gettext_lazy("unknown"),
    }
)
register_actions(
    {
        "debit.result.imported": gettext_lazy("Bank result file imported"),
        "debit.line.returned": gettext_lazy("Direct debit returned by the bank"),
    }
)

SUCCESS, FAILED, UNKNOWN = "success", "failed", "unknown"


class ResultError(Exception):
    """A refused result file; the message is translated and nothing was written."""


def _outcome(line) -> str:
    value = str(getattr(line.outcome, "value", line.outcome)).lower()
    if value not in (SUCCESS, FAILED, UNKNOWN):
        raise ResultError(
            _("Line %(line)s: unknown outcome %(outcome)s.") % {"line": line.line_no, "outcome": value}
        )
    return value


def _check(batch: DebitBatch, result, lines: dict[int, DebitLine]) -> list[tuple[DebitLine, object, str]]:
    """The file's lines matched to the batch's, or ResultError naming the first problem."""
    if result.batch_no != batch.number:
        raise ResultError(
            _("This file is for batch %(file)s, not for batch %(batch)s.")
            % {"file": result.batch_no, "batch": batch.number}
        )
    if batch.state not in (BatchState.SENT, BatchState.PARTIAL):
        raise ResultError(
            _("Batch %(batch)s is %(state)s: only a batch sent to the bank takes results.")
            % {"batch": batch.number, "state": batch.get_state_display()}
        )
    if result.file_rejected:
        # A whole file rejected: the lines it lists (one part of a split batch), or the whole batch.
        listed = [lines.get(line.line_no) for line in result.lines] or list(lines.values())
        if any(ours is None or ours.state != LineState.PENDING for ours in listed):
            raise ResultError(_("The bank cannot reject a file whole after settling some of its lines."))
        return [(ours, None, FAILED) for ours in listed]
    matched, seen = [], set()
    for line in result.lines:
        ours = lines.get(line.line_no)
        if line.line_no in seen:
            raise ResultError(_("Line %(line)s appears twice in the file.") % {"line": line.line_no})
        seen.add(line.line_no)
        if ours is None or ours.reference != line.reference:
            raise ResultError(
                _("Line %(line)s (%(reference)s) is not a line of batch %(batch)s.")
                % {"line": line.line_no, "reference": line.reference, "batch": batch.number}
            )
        if line.amount_fen != ours.amount_fen:
            raise ResultError(
                _("Line %(line)s: the bank reports %(file)s fen, the batch sent %(sent)s fen.")
                % {"line": line.line_no, "file": line.amount_fen, "sent": ours.amount_fen}
            )
        outcome = _outcome(line)
        settled = {LineState.SUCCEEDED: SUCCESS, LineState.FAILED: FAILED}.get(ours.state)
        if settled is not None and settled != outcome:
            raise ResultError(
                _("Line %(line)s was settled as %(state)s before; this file says otherwise.")
                % {"line": line.line_no, "state": ours.get_state_display()}
            )
        matched.append((ours, line, outcome))
    if getattr(result, "partial", False):
        # A status report listing only rejects: every line it does not list was accepted.
        for number, ours in lines.items():
            if number not in seen and ours.state in (LineState.PENDING, LineState.UNKNOWN):
                matched.append((ours, None, SUCCESS))
    return matched


@dataclass(slots=True)
class _Line:
    """What settling reads and writes of one of our lines (a model instance costs more, times 100,000)."""

    pk: int
    line_no: int
    reference: str
    amount_fen: int
    state: str
    attempt_id: int
    household_id: int
    result_code: str = ""
    result_message: str = ""
    retryable: bool = False

    def get_state_display(self) -> str:
        return str(LineState(self.state).label)


def _lines_named(batch: DebitBatch, result, *, with_attempts: bool) -> dict:
    """The batch's lines the file names, by line number (all of them for a report that lists only
    rejects, or a rejection that lists none); ``DebitLine`` instances with their attempts for the
    one-by-one path, ``_Line`` values otherwise. The batch's lines are read in one go by its index and
    picked here: cheaper than asking for 100,000 line numbers."""
    lines = DebitLine.objects.filter(batch=batch)
    if with_attempts:
        found = {line.line_no: line for line in lines.select_related("attempt")}
    else:
        fields = ("pk", "line_no", "reference", "amount_fen", "state", "attempt_id", "household_id")
        found = {values[1]: _Line(*values) for values in lines.values_list(*fields).iterator(chunk_size=5000)}
    named = {line.line_no for line in result.lines}
    if not named or getattr(result, "partial", False):
        return found
    return {line_no: line for line_no, line in found.items() if line_no in named}


@transaction.atomic
def result_settle(
    *, batch: DebitBatch, result, file_name: str, sha256: str, actor=None, set_based: bool = True
) -> ResultFile:
    """Import one result file of ``batch``. See the module's docstring. ``set_based=False`` applies the
    successes one by one through ``payment_apply`` (the property test's reference path)."""
    locked = DebitBatch.objects.select_for_update().get(pk=batch.pk)
    seen = ResultFile.objects.filter(batch=locked, sha256=sha256).first()
    if seen is not None:
        return seen
    lines = _lines_named(locked, result, with_attempts=not set_based)
    matched = _check(locked, result, lines)
    now = timezone.now()
    record = ResultFile(batch=locked, file_name=file_name[:200], sha256=sha256, imported_by=_user(actor))
    if result.file_rejected:
        reason = f"{result.reject_code}: {result.reject_message}"[:200]
        attempts_finish_many(
            outcomes=[(ours.attempt_id, AttemptState.FAILED, reason) for ours, _line, _outcome in matched],
            actor=actor,
        )
        DebitLine.objects.filter(pk__in=[ours.pk for ours, _line, _outcome in matched]).update(
            state=LineState.FAILED,
            result_code=result.reject_code[:20],
            result_message=result.reject_message[:200],
            retryable=True,
            settled_at=now,
        )
        locked.reject_code, locked.reject_message = result.reject_code[:20], result.reject_message[:200]
        record.failed = len(matched)
        rejected_whole = len(matched) == locked.line_count
        still_open = DebitLine.objects.filter(
            batch=locked, state__in=(LineState.PENDING, LineState.UNKNOWN)
        ).exists()
        locked.state = (
            BatchState.REJECTED
            if rejected_whole
            else BatchState.PARTIAL
            if still_open
            else BatchState.SETTLED
        )
    else:
        fresh = [
            (ours, line, outcome)
            for ours, line, outcome in matched
            if ours.state in (LineState.PENDING, LineState.UNKNOWN)
        ]
        fresh.sort(key=lambda item: item[0].line_no)
        successes = [(ours, line) for ours, line, outcome in fresh if outcome == SUCCESS]
        failures = [(ours, line) for ours, line, outcome in fresh if outcome == FAILED]
        unknowns = [
            (ours, line)
            for ours, line, outcome in fresh
            if outcome == UNKNOWN and ours.state != LineState.UNKNOWN
        ]
        _apply(successes, actor=actor, set_based=set_based, paid_at=now)
        attempts_finish_many(
            outcomes=[
                (ours.attempt_id, AttemptState.FAILED, f"{line.code}: {line.message}")
                for ours, line in failures
            ]
            + [
                (ours.attempt_id, AttemptState.UNKNOWN, f"{line.code}: {line.message}")
                for ours, line in unknowns
            ],
            actor=actor,
        )
        _lines_update(successes, LineState.SUCCEEDED, now)
        _lines_update(failures, LineState.FAILED, now)
        _lines_update(unknowns, LineState.UNKNOWN, now)
        record.succeeded, record.failed, record.unknown = len(successes), len(failures), len(unknowns)
        still_open = DebitLine.objects.filter(
            batch=locked, state__in=(LineState.PENDING, LineState.UNKNOWN)
        ).exists()
        locked.state = BatchState.PARTIAL if still_open else BatchState.SETTLED
    locked.settled_at = now
    locked.save(update_fields=["state", "reject_code", "reject_message", "settled_at"])
    record.save()
    log_action(
        "debit.result.imported",
        actor=actor,
        obj=locked,
        community_id=batch_community_id(locked),
        changes={
            "file_name": record.file_name,
            "succeeded": record.succeeded,
            "failed": record.failed,
            "unknown": record.unknown,
        },
    )
    return record


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _apply(successes, *, actor, set_based: bool, paid_at) -> None:
    if not successes:
        return
    if set_based:
        payments_apply_many(
            successes=[
                Success(attempt_pk=ours.attempt_id, amount_fen=ours.amount_fen) for ours, _line in successes
            ],
            actor=actor,
            paid_at=paid_at,
        )
        return
    for ours, _line in successes:
        payment_apply(attempt=ours.attempt, amount_fen=ours.amount_fen, paid_at=paid_at, actor=actor)


def _lines_update(items, state: str, now) -> None:
    """Write the lines' outcomes (state, code, message, whether a later batch may retry)."""
    rows = []
    for ours, line in items:
        code = (line.code if line is not None else "")[:20]
        message = (line.message if line is not None else "")[:200]
        retryable = bool(line is not None and state == LineState.FAILED and line.retryable)
        ours.state, ours.result_code, ours.result_message, ours.retryable = state, code, message, retryable
        rows.append((ours.pk, str(state), code, message, retryable, now))
    sql.update_many(
        "debit_debitline",
        [
            ("state", "text"),
            ("result_code", "text"),
            ("result_message", "text"),
            ("retryable", "boolean"),
            ("settled_at", "timestamptz"),
        ],
        rows,
    )


@transaction.atomic
def line_return(*, line: DebitLine, code: str, message: str, actor=None) -> DebitLine:
    """A late return: the bank took back a debit it had reported as successful. It is booked as a
    refund of the whole debit paid out through the bank (``refunds``: taken from the household's
    prepayment first, then from the lines the debit paid, newest first, which open again), so the
    books stay what ``wuye ledger check`` expects. Returning the same line twice changes nothing."""
    ours = DebitLine.objects.select_for_update().select_related("attempt").get(pk=line.pk)
    if ours.state == LineState.RETURNED:
        return ours
    if ours.state != LineState.SUCCEEDED:
        raise ResultError(
            _("Line %(reference)s was not debited, so it cannot be returned.") % {"reference": ours.reference}
        )
    reason = (_("Returned by the bank") + f" {code}: {message}")[:200]
    try:
        refund = refund_approve(
            refund=refund_request(
                attempt=ours.attempt, amount_fen=ours.amount_fen, reason=reason, actor=None
            ),
            actor=None,  # the bank took the money back: the system requests and approves the refund
        )
    except PaymentError as error:
        raise ResultError(str(error)) from error
    ours.state, ours.return_transaction_id = LineState.RETURNED, refund.transaction_id
    ours.result_code, ours.result_message = code[:20], message[:200]
    ours.save(update_fields=["state", "return_transaction", "result_code", "result_message"])
    log_action(
        "debit.line.returned",
        actor=actor,
        obj=ours,
        household_id=ours.household_id,
        changes={"out_trade_no": ours.reference, "reason": reason},
    )
    return ours


def returns_settle(*, batch: DebitBatch, returns, actor=None) -> int:
    """Apply late returns (``Return`` rows: reference, amount, code, message) of ``batch``'s lines.
    Refused whole (ResultError, nothing written) when a return names no debited line of the batch or
    another amount."""
    by_reference = {line.reference: line for line in DebitLine.objects.filter(batch=batch)}
    checked = []
    for item in returns:
        ours = by_reference.get(item.reference)
        if ours is None:
            raise ResultError(
                _("%(reference)s is not a line of batch %(batch)s.")
                % {"reference": item.reference, "batch": batch.number}
            )
        if item.amount_fen != ours.amount_fen:
            raise ResultError(
                _("%(reference)s: the bank returns %(file)s fen, the batch debited %(sent)s fen.")
                % {"reference": item.reference, "file": item.amount_fen, "sent": ours.amount_fen}
            )
        if ours.state not in (LineState.SUCCEEDED, LineState.RETURNED):
            raise ResultError(
                _("Line %(reference)s was not debited, so it cannot be returned.")
                % {"reference": item.reference}
            )
        checked.append((ours, item))
    returned = 0
    with transaction.atomic():
        for ours, item in checked:
            if ours.state == LineState.SUCCEEDED:
                line_return(line=ours, code=item.code, message=item.message, actor=actor)
                returned += 1
    return returned


@transaction.atomic
def returns_import(*, batch: DebitBatch, returns, file_name: str, sha256: str, actor=None) -> ResultFile:
    """A late-returns file of ``batch`` (``returns_read``): applied with ``returns_settle`` and recorded
    once by its digest (the file itself is not kept); the same file again changes nothing. Refused
    whole (ResultError) as ``returns_settle`` refuses."""
    locked = DebitBatch.objects.select_for_update().get(pk=batch.pk)
    seen = ResultFile.objects.filter(batch=locked, sha256=sha256).first()
    if seen is not None:
        return seen
    returned = returns_settle(batch=locked, returns=returns, actor=actor)
    return ResultFile.objects.create(
        batch=locked,
        kind=ResultFile.Kind.RETURNS,
        file_name=file_name[:200],
        sha256=sha256,
        returned=returned,
        imported_by=_user(actor),
    )
