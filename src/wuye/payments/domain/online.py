"""Online channels: starting an attempt, settling it from the channel's answer, and the query job.

A notification reaches ``attempt_settle`` through the inbox (``wuye.payments.domain.inbox``); a query
(``attempt_query``, run by ``attempts_sweep``) reaches it for a notification that never came.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wuye.payments.channels import (
    ChannelError,
    ChannelRefused,
    ChannelResult,
    adapter_for,
)
from wuye.payments.domain.accounts import channel_account, notify_url
from wuye.payments.domain.attempts import PaymentError, attempt_lock, attempt_transition
from wuye.payments.domain.payments import Applied, attempts_open, payment_apply
from wuye.payments.domain.refunds import refunds_sweep
from wuye.payments.enums import ATTEMPT_OPEN_STATES, AttemptState
from wuye.payments.models import PaymentAttempt

logger = logging.getLogger(__name__)


def attempt_start(*, attempt: PaymentAttempt, description: str) -> PaymentAttempt:
    """Ask the channel for the attempt's QR payload. Pending on an answer; unknown when the call failed
    (it is queried later: the channel may have created the order); failed when the channel refused."""
    account = channel_account(community_id=attempt.community_id, method=attempt.method)
    adapter = adapter_for(account)
    try:
        code_url = adapter.create(attempt, description=description[:120], notify_url=notify_url(account))
    except ChannelError as error:
        refused = isinstance(error, ChannelRefused)
        with transaction.atomic():
            locked = attempt_lock(attempt.pk)
            attempt_transition(
                attempt=locked,
                to_state=AttemptState.FAILED if refused else AttemptState.UNKNOWN,
                reason=str(error),
            )
        return locked
    with transaction.atomic():
        locked = attempt_lock(attempt.pk)
        locked.code_url = code_url[:1000]  # a QR payload, or JSAPI parameters with their RSA signature (JSON)
        locked.save(update_fields=["code_url", "updated_at"])
        attempt_transition(attempt=locked, to_state=AttemptState.PENDING)
    return locked


def attempt_settle(*, attempt: PaymentAttempt, result: ChannelResult, actor=None, on_applied=None) -> Applied:
    """Bring the attempt in line with what the channel says (a query answer or a verified notice)."""
    if result.state == AttemptState.SUCCEEDED:
        if result.amount_fen is None:
            raise PaymentError(_("The channel did not state the amount paid."))
        return payment_apply(
            attempt=attempt,
            amount_fen=result.amount_fen,
            channel_trade_no=result.channel_trade_no,
            paid_at=result.paid_at,
            actor=actor,
            on_applied=on_applied,
        )
    with transaction.atomic():
        locked = attempt_lock(attempt.pk)
        if result.channel_trade_no and not locked.channel_trade_no:
            locked.channel_trade_no = result.channel_trade_no[:64]
            locked.save(update_fields=["channel_trade_no", "updated_at"])
        attempt_transition(attempt=locked, to_state=result.state)
    return Applied(attempt=locked, applied=False)


def attempt_query(*, attempt: PaymentAttempt, now: datetime.datetime | None = None) -> PaymentAttempt:
    """Ask the channel how the attempt stands and settle it; close it at the channel once expired.

    A failed query leaves the attempt as it was (unknown stays unknown) until the next round."""
    now = now or timezone.now()
    account = channel_account(community_id=attempt.community_id, method=attempt.method)
    adapter = adapter_for(account)
    PaymentAttempt.objects.filter(pk=attempt.pk).update(queried_at=now)
    try:
        result = adapter.query(attempt)
    except ChannelError:
        logger.warning("query of %s failed; it stays %s", attempt.out_trade_no, attempt.state)
        return attempt
    settled = attempt_settle(attempt=attempt, result=result).attempt
    if settled.state in ATTEMPT_OPEN_STATES and settled.expires_at and settled.expires_at <= now:
        try:
            adapter.close(settled)
        except ChannelError:
            return settled
        # Closed at the channel: ask once more, in case it was paid at the last moment.
        try:
            result = adapter.query(settled)
        except ChannelError:
            return settled
        if result.state == AttemptState.SUCCEEDED:
            return attempt_settle(attempt=settled, result=result).attempt
        with transaction.atomic():
            locked = attempt_lock(settled.pk)
            attempt_transition(attempt=locked, to_state=AttemptState.CLOSED, reason=_("Not paid in time"))
        return locked
    return settled


@dataclass(frozen=True)
class SweepResult:
    queried: int
    succeeded: int
    closed: int


def attempts_sweep(
    *, older_than_minutes: int = 3, now: datetime.datetime | None = None, limit: int = 1000
) -> SweepResult:
    """The query job: every online attempt still open after a few minutes is queried and settled, so
    a lost notification loses nothing. Run it every minute or two (``wuye payments sweep``)."""
    now = now or timezone.now()
    queried = succeeded = closed = 0
    for attempt in attempts_open(older_than=datetime.timedelta(minutes=older_than_minutes), now=now).order_by(
        "pk"
    )[:limit]:
        settled = attempt_query(attempt=attempt, now=now)
        queried += 1
        succeeded += settled.state == AttemptState.SUCCEEDED
        closed += settled.state == AttemptState.CLOSED
    refunds_sweep(older_than_minutes=older_than_minutes, now=now)
    return SweepResult(queried=queried, succeeded=succeeded, closed=closed)
