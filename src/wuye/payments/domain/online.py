"""Online channels: starting an attempt, the inbox of notifications, and the query job.

Every notification is first stored in the inbox (``ChannelEvent``) as received, in its own committed
transaction; then it is verified by the channel's adapter (signature over the raw body, probes,
timestamp window, decryption, merchant and app id), matched to our attempt, its amount compared, and
applied once. Whatever is refused is recorded on its inbox row with the reason and changes nothing
else. The channel is answered only after the application committed.

The endpoint is public, so the inbox is guarded without adding a query to the path: the view refuses
bodies larger than ``WUYE_NOTIFY_MAX_BYTES`` unread (413); a request not even shaped like the
channel's notification is refused unstored (400); and a client address with too many refused requests
has its requests verified before they are stored, so it can no longer fill the inbox with junk while a
genuine notification from it is still kept and applied (``wuye.payments.limits``).
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from wuye.core import sql
from wuye.payments.channels import (
    ChannelError,
    ChannelRefused,
    ChannelResult,
    NotifyRejected,
    adapter_for,
    notify_well_formed,
)
from wuye.payments.domain.payments import (
    Applied,
    PaymentError,
    _attempt_lock,
    attempt_transition,
    attempts_open,
    payment_apply,
)
from wuye.payments.enums import ATTEMPT_OPEN_STATES, AttemptState, EventOutcome
from wuye.payments.limits import notify_refused_count, notify_source_limited
from wuye.payments.models import ChannelAccount, ChannelEvent, PaymentAttempt

logger = logging.getLogger(__name__)

# Headers kept in the inbox: what verification needs, and nothing of the client's cookies.
KEPT_HEADERS = (
    "content-type",
    "wechatpay-signature",
    "wechatpay-timestamp",
    "wechatpay-nonce",
    "wechatpay-serial",
    "wechatpay-signature-type",
    "user-agent",
    "request-id",
)


class ChannelUnavailableError(PaymentError):
    """The community has no enabled account at that channel."""


def channel_account(*, community_id: int, method: str) -> ChannelAccount:
    account = ChannelAccount.objects.filter(community_id=community_id, method=method, enabled=True).first()
    if account is None:
        raise ChannelUnavailableError(_("This payment channel is not available in this community."))
    return account


def notify_url(account: ChannelAccount) -> str:
    base = (account.notify_base_url or getattr(settings, "PUBLIC_URL", "http://127.0.0.1:8000")).rstrip("/")
    return base + reverse(
        "payments_notify:notify", kwargs={"method": account.method, "community_pk": account.community_id}
    )


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
            locked = _attempt_lock(attempt.pk)
            attempt_transition(
                attempt=locked,
                to_state=AttemptState.FAILED if refused else AttemptState.UNKNOWN,
                reason=str(error),
            )
        return locked
    with transaction.atomic():
        locked = _attempt_lock(attempt.pk)
        locked.code_url = code_url[:500]
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
        locked = _attempt_lock(attempt.pk)
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
            locked = _attempt_lock(settled.pk)
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
    from wuye.payments.domain.refunds import refunds_sweep

    refunds_sweep(older_than_minutes=older_than_minutes, now=now)
    return SweepResult(queried=queried, succeeded=succeeded, closed=closed)


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes
    event: ChannelEvent | None  # None: refused before anything was stored


def _inbox_store(*, community_id: int | None, method: str, headers, body: bytes) -> ChannelEvent:
    kept = {key.lower(): value for key, value in headers.items() if key.lower() in KEPT_HEADERS}
    # One INSERT: outside a transaction it commits by itself (no BEGIN and COMMIT round trips).
    event = ChannelEvent(
        community_id=community_id, method=method, headers=kept, body=body.decode("utf-8", "replace")
    )
    sql.insert([event])
    return event


def _close_event(event: ChannelEvent, outcome: str, reason: str = "", **fields) -> None:
    event.outcome, event.reason = outcome, reason[:200]
    for name, value in fields.items():
        setattr(event, name, value)
    sql.update(event, ["outcome", "reason", *fields])


# The notification path's reads, in plain SQL (see wuye.core.sql): it runs hundreds of times a second.
_ACCOUNT_SQL = (
    f"SELECT {sql.columns(ChannelAccount)} FROM payments_channelaccount"
    " WHERE community_id = %s AND method = %s ORDER BY id LIMIT 1"
)
_ATTEMPT_SQL = (
    f"SELECT {sql.columns(PaymentAttempt)} FROM payments_paymentattempt"
    " WHERE out_trade_no = %s AND community_id = %s"
)


def notification_receive(*, method: str, community_id: int, headers, body: bytes, source: str = "") -> Answer:
    """Handle one request to our notify address. See the module's docstring.

    ``source``: the client's address. What cannot be a notification of the channel (its shape, not its
    signature) is refused before anything is stored. Refusals are counted per source; past the limit
    (``limits.notify_source_limited``) a request is verified first and stored only if it verifies."""
    if not notify_well_formed(method, headers, body):
        notify_refused_count(source=source)
        return Answer(400, "text/plain", b"not a notification", None)
    limited = notify_source_limited(source=source)
    account = sql.instance(ChannelAccount, _ACCOUNT_SQL, [community_id, method])
    if account is None:
        notify_refused_count(source=source)
        if limited:
            return Answer(429, "text/plain", b"too many refused requests", None)
        event = _inbox_store(community_id=None, method=method, headers=headers, body=body)
        _close_event(event, EventOutcome.REJECTED, "no such channel account")
        return Answer(404, "text/plain", b"unknown", event)
    adapter = adapter_for(account)
    # A limited source's request is stored once it verified (a genuine notification is never lost).
    event = (
        None
        if limited
        else _inbox_store(community_id=community_id, method=method, headers=headers, body=body)
    )

    def answer(ok: bool, message: str = "") -> Answer:
        status, content_type, content = adapter.answer(ok, message)
        return Answer(status, content_type, content, event)

    try:
        notice = adapter.parse_notify(headers, body)
    except NotifyRejected as rejected:
        notify_refused_count(source=source)
        if event is None:
            return Answer(429, "text/plain", b"too many refused requests", None)
        _close_event(event, EventOutcome.REJECTED, f"{rejected.code}: {rejected}")
        return answer(False, str(rejected))
    if event is None:
        event = _inbox_store(community_id=community_id, method=method, headers=headers, body=body)
    result = notice.payment or notice.refund
    claimed = {"claimed_id": notice.event_id[:128]}
    if notice.refund is not None:
        from wuye.payments.domain.refunds import refund_notification_apply

        return refund_notification_apply(event=event, notice=notice, answer=answer, claimed=claimed)
    attempt = sql.instance(PaymentAttempt, _ATTEMPT_SQL, [result.out_trade_no, community_id])
    if attempt is None or attempt.method != method:
        _close_event(
            event, EventOutcome.REJECTED, "unknown order", out_trade_no=result.out_trade_no[:64], **claimed
        )
        return answer(False, "unknown order")
    if result.amount_fen is not None and result.amount_fen != attempt.amount_fen:
        _close_event(
            event,
            EventOutcome.REJECTED,
            f"amount: {result.amount_fen} fen, order {attempt.amount_fen} fen",
            out_trade_no=attempt.out_trade_no,
            attempt=attempt,
            **claimed,
        )
        return answer(False, "amount differs")
    fields = {"out_trade_no": attempt.out_trade_no, "attempt": attempt, **claimed}
    if attempt.is_applied:
        # Applied before this read (an applied attempt never goes back): a redelivery, answered
        # without taking the attempt's lock. One applied meanwhile is caught under the lock below.
        _close_event(event, EventOutcome.DUPLICATE, "", **fields)
        return answer(True)

    def close_applied(_applied: Applied) -> None:
        # The verified id is stored with the application it caused, in its transaction: a
        # redelivery finds the attempt applied (under its lock) and is noted as a duplicate.
        _close_event(event, EventOutcome.APPLIED, "", event_id=notice.event_id[:128], **fields)

    try:
        settled = attempt_settle(attempt=attempt, result=result, on_applied=close_applied)
        if not settled.applied:
            duplicate = settled.attempt.state == AttemptState.SUCCEEDED
            _close_event(event, EventOutcome.DUPLICATE if duplicate else EventOutcome.NOTED, "", **fields)
    except IntegrityError:
        # A verified event id applied before to another attempt: nothing of this one was kept.
        event.event_id = None
        _close_event(
            event,
            EventOutcome.REJECTED,
            "event id applied before",
            out_trade_no=attempt.out_trade_no,
            **claimed,
        )
        return answer(False, "event id applied before")
    except PaymentError as error:
        _close_event(
            event,
            EventOutcome.REJECTED,
            str(error),
            out_trade_no=attempt.out_trade_no,
            attempt=attempt,
            **claimed,
        )
        return answer(False, str(error))
    return answer(True)
