"""The inbox of channel notifications (支付/退款通知): stored first, verified, applied once.

Every request to our notify address is first stored (``ChannelEvent``) as received, in its own
committed INSERT; then the channel's adapter verifies it (signature over the raw body, probes,
timestamp window, decryption, merchant and app id), it is matched to our attempt or refund, its
amount compared, and applied once: a payment through ``online.attempt_settle`` (``payment_apply``),
a refund through ``refunds.refund_settle``. Whatever is refused is recorded on its inbox row with the
reason and changes nothing else. The channel is answered only after the application committed.

The endpoint is public, so the inbox is guarded without adding a query to the path: the view refuses
bodies larger than ``WUYE_NOTIFY_MAX_BYTES`` unread (413); a request not even shaped like the
channel's notification is refused unstored (400); and a client address with too many refused requests
has its requests verified before they are stored, so it can no longer fill the inbox with junk while a
genuine notification from it is still kept and applied (``wuye.payments.limits``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError

from wuye.core import sql
from wuye.payments.channels import NotifyRejected, adapter_for, notify_well_formed
from wuye.payments.domain.attempts import PaymentError
from wuye.payments.domain.online import attempt_settle
from wuye.payments.domain.payments import Applied
from wuye.payments.domain.refunds import refund_settle
from wuye.payments.enums import AttemptState, EventOutcome, RefundState
from wuye.payments.limits import notify_refused_count, notify_source_limited
from wuye.payments.models import ChannelAccount, ChannelEvent, PaymentAttempt, Refund

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


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes
    event: ChannelEvent | None  # None: refused before anything was stored


def inbox_store(*, community_id: int | None, method: str, headers, body: bytes) -> ChannelEvent:
    kept = {key.lower(): value for key, value in headers.items() if key.lower() in KEPT_HEADERS}
    # One INSERT: outside a transaction it commits by itself (no BEGIN and COMMIT round trips).
    event = ChannelEvent(
        community_id=community_id, method=method, headers=kept, body=body.decode("utf-8", "replace")
    )
    sql.insert([event])
    return event


def event_close(event: ChannelEvent, outcome: str, reason: str = "", **fields) -> None:
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
        event = inbox_store(community_id=None, method=method, headers=headers, body=body)
        event_close(event, EventOutcome.REJECTED, "no such channel account")
        return Answer(404, "text/plain", b"unknown", event)
    adapter = adapter_for(account)
    # A limited source's request is stored once it verified (a genuine notification is never lost).
    event = (
        None if limited else inbox_store(community_id=community_id, method=method, headers=headers, body=body)
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
        event_close(event, EventOutcome.REJECTED, f"{rejected.code}: {rejected}")
        return answer(False, str(rejected))
    if event is None:
        event = inbox_store(community_id=community_id, method=method, headers=headers, body=body)
    result = notice.payment or notice.refund
    claimed = {"claimed_id": notice.event_id[:128]}
    if notice.refund is not None:
        return _refund_notification_apply(event=event, notice=notice, answer=answer, claimed=claimed)
    attempt = sql.instance(PaymentAttempt, _ATTEMPT_SQL, [result.out_trade_no, community_id])
    if attempt is None or attempt.method != method:
        event_close(
            event, EventOutcome.REJECTED, "unknown order", out_trade_no=result.out_trade_no[:64], **claimed
        )
        return answer(False, "unknown order")
    if result.amount_fen is not None and result.amount_fen != attempt.amount_fen:
        event_close(
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
        event_close(event, EventOutcome.DUPLICATE, "", **fields)
        return answer(True)

    def close_applied(_applied: Applied) -> None:
        # The verified id is stored with the application it caused, in its transaction: a
        # redelivery finds the attempt applied (under its lock) and is noted as a duplicate.
        event_close(event, EventOutcome.APPLIED, "", event_id=notice.event_id[:128], **fields)

    try:
        settled = attempt_settle(attempt=attempt, result=result, on_applied=close_applied)
        if not settled.applied:
            duplicate = settled.attempt.state == AttemptState.SUCCEEDED
            event_close(event, EventOutcome.DUPLICATE if duplicate else EventOutcome.NOTED, "", **fields)
    except IntegrityError:
        # A verified event id applied before to another attempt: nothing of this one was kept.
        event.event_id = None
        event_close(
            event,
            EventOutcome.REJECTED,
            "event id applied before",
            out_trade_no=attempt.out_trade_no,
            **claimed,
        )
        return answer(False, "event id applied before")
    except PaymentError as error:
        event_close(
            event,
            EventOutcome.REJECTED,
            str(error),
            out_trade_no=attempt.out_trade_no,
            attempt=attempt,
            **claimed,
        )
        return answer(False, str(error))
    return answer(True)


def _refund_notification_apply(*, event: ChannelEvent, notice, answer, claimed: dict):
    """A verified refund notification: settle the refund it names (once; redeliveries are noted)."""
    result = notice.refund
    refund = Refund.objects.filter(
        out_refund_no=result.out_refund_no, community_id=event.community_id
    ).first()
    if refund is None:
        event_close(
            event, EventOutcome.REJECTED, "unknown refund", out_trade_no=result.out_refund_no[:64], **claimed
        )
        return answer(False, "unknown refund")
    final_before = refund.state in (RefundState.SUCCEEDED, RefundState.FAILED)
    try:
        settled = refund_settle(refund=refund, result=result)
    except PaymentError as error:
        event_close(event, EventOutcome.REJECTED, str(error), refund=refund, **claimed)
        return answer(False, str(error))
    outcome = (
        EventOutcome.DUPLICATE
        if final_before
        else EventOutcome.APPLIED
        if settled.state != refund.state
        else EventOutcome.NOTED
    )
    fields = {"refund": refund, **claimed}
    if outcome == EventOutcome.APPLIED:
        fields["event_id"] = claimed["claimed_id"]  # verified; unique per channel like a payment's
    try:
        event_close(event, outcome, "", **fields)
    except IntegrityError:
        event.event_id = None
        event_close(event, EventOutcome.DUPLICATE, "event seen before", refund=refund, **claimed)
    return answer(True)
