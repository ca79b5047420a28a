"""The notifications outbox: queue messages with the change that causes them, deliver them after.

Other apps call ``notify(community=…, event=…, people=…, context=…)`` inside their own transaction.
Each event is registered once with ``register_event`` (key, label, subject and body templates). The
templates are gettext-lazy %-format strings filled from ``context``, which must hold plain JSON
values (numbers, strings, codes), never model instances or lazy strings: messages are rendered per
recipient inside ``translation.override(language)``, and the context may later cross a Celery hop.
A context value that is the code of a TextChoices enum named in ``choices`` is shown as its label,
in the recipient's language. Every template may also use ``%(community)s`` (the community's name).

The events registered by this app (``domain/events.py``) and by owners say which context keys
their templates use.

Delivery: ``outbox_deliver_due`` claims due messages with a conditional UPDATE (so any number of
workers can run it at once), sends each through its channel's backend, and marks it sent, or
queued again with exponential backoff, or failed after ``MAX_ATTEMPTS`` (it stays visible in the
console outbox, where staff can retry it).

Secrets: an event may name context keys as ``secrets`` (a login code). A secret is delivered and
never readable afterwards by anyone, staff included: the outbox row stores the text with each
secret replaced by ``SECRET_MASK`` (``Message.has_secret``), so the console, the API and the admin
can only show the masked text; the text as sent is rendered once, kept only in the memory of the
process that queued the message (in the ``on_commit`` closure: a rolled-back transaction takes it
along), and handed to the backend right after the commit. It never enters the database, a job
argument (a broker would store it) or a log outside development mode (``ConsoleBackend``), and an
error text that repeats it is masked before it is logged or stored. Such a message is queued held
(due only ``CLAIM_TIMEOUT`` later), so the runner cannot take it before its own process does.
The price is that it is sent once: if that process dies before sending, or the gateway refuses
it, the runner later marks it failed without sending (it cannot, it has no secret) and staff
cannot retry it. For a login code that is right: it lives five minutes anyway, and the owner asks
for a new one.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.core import jobs
from wuye.core.audit import log_action, register_actions, register_field_labels
from wuye.core.models import Community
from wuye.households.models import Person
from wuye.notifications.backends import Outgoing, PermanentDeliveryError, Sent, backend_for
from wuye.notifications.enums import Channel, MessageState
from wuye.notifications.models import Message, NotificationPreference

logger = logging.getLogger("wuye.notifications")

register_actions({"notifications.message.retried": gettext_lazy("Message queued again")})
register_field_labels(
    {
        "channel": (gettext_lazy("channel"), Channel),
        "address": gettext_lazy("address"),
        "event": gettext_lazy("event"),
    }
)

MAX_ATTEMPTS = 5
RETRY_BASE = timedelta(minutes=1)  # 1, 2, 4, 8 minutes between the five attempts
# A worker that claimed a message and died holds it this long; then another worker may take it.
CLAIM_TIMEOUT = timedelta(minutes=5)
# Up to this many messages queued together are delivered right after the commit, in the request;
# larger sends (a notice to a whole community) wait for the `wuye notifications_send` runner.
INLINE_DELIVERY_MAX = 20
# What a secret context value (a login code) becomes in the stored text of a message.
SECRET_MASK = "******"  # noqa: S105  (a mask, not a password)


class NotificationError(Exception):
    """A refused outbox change; the message is translated."""


@dataclasses.dataclass(frozen=True)
class Event:
    key: str
    label: Any
    subject: Any
    body: Any
    choices: dict[str, Any] = dataclasses.field(default_factory=dict)
    # False for messages a person asked for or must get (a login code): opt-outs do not apply.
    optional: bool = True
    # Context keys whose values are delivered but never stored, shown or logged (a login code).
    secrets: tuple[str, ...] = ()


_EVENTS: dict[str, Event] = {}


def register_event(
    key: str,
    label,
    subject_template,
    body_template,
    *,
    choices: dict[str, Any] | None = None,
    optional: bool = True,
    secrets: tuple[str, ...] = (),
) -> Event:
    """Declare an event and its message templates (gettext_lazy). Registering a key again replaces it.

    ``choices`` maps context keys to a TextChoices class (or its dotted path, imported when a
    message is rendered, so the registering app need not import the enum's app). People may turn
    ``optional`` events off per channel (NotificationPreference); the others always go out.
    ``secrets`` names the context keys that are delivered but never kept (see the module docstring).
    """
    event = Event(
        key=key,
        label=label,
        subject=subject_template,
        body=body_template,
        choices=choices or {},
        optional=optional,
        secrets=tuple(secrets),
    )
    _EVENTS[key] = event
    return event


def event_label(key: str):
    event = _EVENTS.get(key)
    return event.label if event else key


def registered_events() -> dict[str, Event]:
    return dict(_EVENTS)


class _Context(dict):
    """A missing template key renders as nothing rather than failing a whole notification."""

    def __missing__(self, key):
        return ""


def render(
    event_key: str, context: dict[str, Any], language: str, *, reveal: bool = False
) -> tuple[str, str, dict[str, str]]:
    """(subject, body, values) of ``event_key`` in ``language``, the event's secrets masked unless
    ``reveal`` (only the text handed to a backend is rendered with them). ``values`` are the
    context's values as the templates show them (a choice's label, not its code), for a provider
    that sends its own registered template rather than our text (an SMS provider)."""
    event = _EVENTS[event_key]
    with translation.override(language):
        values = _Context(context)
        if not reveal:
            values.update({key: SECRET_MASK for key in event.secrets if key in values})
        for key, choices in event.choices.items():
            try:
                enum = import_string(choices) if isinstance(choices, str) else choices
            except ImportError:  # the enum's app is not installed: show the code as it is
                continue
            if values.get(key) in enum.values:
                values[key] = str(enum(values[key]).label)
        subject = str(event.subject) % values
        body = str(event.body) % values
    return subject.strip(), body.strip(), {key: str(value) for key, value in values.items()}


def _check_context(context: dict[str, Any]) -> None:
    try:
        json.dumps(context)
    except TypeError as error:
        raise TypeError(f"notify() context must hold plain JSON values: {error}") from None


_accounts_of: list[Callable[[list[Person]], dict[int, Any]]] = []


def register_accounts(function: Callable[[list[Person]], dict[int, Any]]) -> None:
    """The extension point through which the app of owner accounts tells the outbox who speaks for
    each person (``{person pk: account}``, an account having ``language``, ``wechat_openid`` and
    ``email``): notifications sits below owners and imports nothing of theirs."""
    _accounts_of[:] = [function]


def _accounts_by_person(people: list[Person]) -> dict[int, Any]:
    return _accounts_of[0](people) if _accounts_of else {}


def _addresses(person: Person, account) -> list[tuple[str, str]]:
    addresses = []
    if person.phone:
        addresses.append((Channel.SMS.value, person.phone))
    if account is not None and account.wechat_openid:
        addresses.append((Channel.WECHAT.value, account.wechat_openid))
    if account is not None and account.email:
        addresses.append((Channel.EMAIL.value, account.email))
    return addresses


@dataclasses.dataclass(frozen=True)
class _Revealed:
    """The text of a message as sent, secrets included, and the secrets' values (to mask an error
    text that repeats them). Lives only in memory, in the process that queued the message."""

    subject: str
    body: str
    params: dict[str, str]
    secrets: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class _Rendered:
    """A message as stored (secrets masked), and as sent if a secret makes it differ."""

    subject: str
    body: str
    params: dict[str, str]
    revealed: _Revealed | None


def _rendered(event_key: str, context: dict[str, Any], language: str) -> _Rendered:
    subject, body, params = render(event_key, context, language)
    secrets = tuple(
        str(context[key]) for key in _EVENTS[event_key].secrets if context.get(key) not in (None, "")
    )
    if not secrets:
        return _Rendered(subject, body, params, None)
    sent_subject, sent_body, sent_params = render(event_key, context, language, reveal=True)
    revealed = _Revealed(subject=sent_subject[:200], body=sent_body, params=sent_params, secrets=secrets)
    return _Rendered(subject, body, params, revealed)


def _queue(messages: list[Message], revealed: list[_Revealed | None] | None = None) -> list[Message]:
    """Insert the messages; once the transaction commits, deliver small batches at once.

    ``revealed`` (aligned with ``messages``) holds the text as sent of the messages with a secret:
    they are delivered right after the commit by this process, whatever their number, and only by
    it (see the module docstring).
    """
    if not messages:
        return []
    revealed = revealed or [None] * len(messages)
    for message, text in zip(messages, revealed, strict=True):
        message.has_secret = text is not None
        if text is not None:
            message.next_attempt_at = timezone.now() + CLAIM_TIMEOUT  # held for this process
    if len(messages) == 1:
        messages[0].save()
    else:
        messages = Message.objects.bulk_create(messages, batch_size=500)
    secret = {
        message.pk: text
        for message, text in zip(messages, revealed, strict=True)
        if text is not None and message.pk is not None
    }
    if secret:
        transaction.on_commit(lambda: _deliver_revealed(secret))
    pks = [message.pk for message in messages if message.pk is not None and message.pk not in secret]
    if pks and len(pks) <= INLINE_DELIVERY_MAX:
        jobs.start(deliver_messages, message_pks=pks)
    return messages


@transaction.atomic
def notify(
    *, community: Community, event: str, people: Iterable[Person], context: dict, actor=None
) -> list[Message]:
    """Queue ``event`` for each of ``people`` on every channel they can receive and did not turn off.

    Steps: check the event and the context; find each person's owner account (language, WeChat,
    email); skip opted-out channels, duplicate addresses and the acting owner themself; render
    each message in the recipient's language; insert the rows with the caller's transaction;
    deliver after commit.
    """
    if event not in _EVENTS:
        raise ValueError(f"unknown notification event {event!r}: register_event() it first")
    _check_context(context)
    context = {"community": community.name, **context}
    unique: dict[int, Person] = {}
    for person in people:
        unique.setdefault(person.pk, person)
    people = list(unique.values())
    if not people:
        return []
    accounts = _accounts_by_person(people)
    opted_out = set()
    if _EVENTS[event].optional:
        opted_out = set(
            NotificationPreference.objects.filter(
                person__in=[person.pk for person in people], event=event, enabled=False
            ).values_list("person_id", "channel")
        )
    acting_account_pk = (
        actor.pk if actor is not None and actor._meta.label_lower == "owners.owneraccount" else None
    )
    now = timezone.now()
    rendered: dict[str, _Rendered] = {}
    seen: set[tuple[str, str]] = set()
    messages: list[Message] = []
    revealed: list[_Revealed | None] = []
    for person in people:
        account = accounts.get(person.pk)
        if account is not None and account.pk == acting_account_pk:
            continue
        language = account.language if account is not None else settings.LANGUAGE_CODE
        for channel, address in _addresses(person, account):
            if (person.pk, channel) in opted_out or (channel, address) in seen:
                continue
            seen.add((channel, address))
            if language not in rendered:
                rendered[language] = _rendered(event, context, language)
            text = rendered[language]
            revealed.append(text.revealed)
            messages.append(
                Message(
                    community=community,
                    person=person,
                    channel=channel,
                    address=address,
                    event=event,
                    language=language,
                    subject=text.subject[:200],
                    body=text.body,
                    params=text.params,
                    next_attempt_at=now,
                )
            )
    return _queue(messages, revealed)


@transaction.atomic
def notify_phone(
    *, community: Community | None, phone: str, event: str, context: dict, language: str | None = None
) -> Message:
    """Queue one SMS to a bare phone number (a login code to a phone no account has yet).

    No opt-out applies: the person asked for this message. ``community`` (the one the phone is
    known in, if any) decides which staff see it in the outbox.
    """
    if event not in _EVENTS:
        raise ValueError(f"unknown notification event {event!r}: register_event() it first")
    _check_context(context)
    language = language or settings.LANGUAGE_CODE
    text = _rendered(event, {"community": community.name if community else "", **context}, language)
    message = Message(
        community=community,
        channel=Channel.SMS,
        address=phone,
        event=event,
        language=language,
        subject=text.subject[:200],
        body=text.body,
        params=text.params,
        next_attempt_at=timezone.now(),
    )
    return _queue([message], [text.revealed])[0]


@dataclasses.dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def attempted(self) -> int:
        return self.sent + self.retrying + self.failed


def retry_delay(attempts: int) -> timedelta:
    """Wait after the ``attempts``-th failed attempt: 1, 2, 4, 8 … minutes."""
    return RETRY_BASE * (2 ** max(attempts - 1, 0))


def _claim(pk: int, state: str, due_at: datetime, now: datetime) -> bool:
    """Take one message for this worker; False if another worker took it first.

    The UPDATE is conditional on the state and due time read a moment ago: of two workers that
    read the same row, exactly one changes it (rowcount 1), the other sees 0 and moves on. The
    claim is committed at once (no surrounding transaction), so it is visible while we send.
    """
    claimed = Message.objects.filter(pk=pk, state=state, next_attempt_at=due_at).update(
        state=MessageState.SENDING, attempts=F("attempts") + 1, next_attempt_at=now + CLAIM_TIMEOUT
    )
    return claimed == 1


def _finish(
    message: Message, now: datetime, error: Exception | None, error_text: str = "", sent: Sent | None = None
) -> str:
    """Record the outcome, unless the claim expired and another worker has the message now.

    A message with a secret is never queued again: nobody else could send it (its secret is gone).
    ``sent``: what the provider said of the sent message (its id, for the delivery receipt).
    """
    if error is None:
        values = {
            "state": MessageState.SENT,
            "sent_at": now,
            "next_attempt_at": None,
            "last_error": "",
            "provider_ref": sent.ref[:64] if sent else "",
            "sms_account_id": sent.sms_account_id if sent else None,
        }
    elif isinstance(error, PermanentDeliveryError) or message.has_secret or message.attempts >= MAX_ATTEMPTS:
        values = {"state": MessageState.FAILED, "next_attempt_at": None, "last_error": error_text[:500]}
    else:
        values = {
            "state": MessageState.QUEUED,
            "next_attempt_at": now + retry_delay(message.attempts),
            "last_error": error_text[:500],
        }
    Message.objects.filter(pk=message.pk, state=MessageState.SENDING, attempts=message.attempts).update(
        **values
    )
    return values["state"]


def _masked(text: str, revealed: _Revealed | None) -> str:
    """``text`` (an error a backend raised) with any secret it repeats masked."""
    for secret in revealed.secrets if revealed is not None else ():
        text = text.replace(secret, SECRET_MASK)
    return text


def _deliver(candidates: list[tuple[int, str, datetime]], now: datetime, revealed: dict[int, _Revealed]):
    report = DeliveryReport()
    for pk, state, due_at in candidates:
        if not _claim(pk, state, due_at, now):
            continue
        message = Message.objects.get(pk=pk)
        text = revealed.get(pk)
        error: Exception | None = None
        sent = None
        if message.has_secret and text is None:
            # Only the process that queued it had the text as sent; it did not deliver it in time.
            error = PermanentDeliveryError(
                _(
                    "Not sent: the message held a one-time secret that is never kept, so it can only be sent once."
                )
            )
        else:
            outgoing = Outgoing(
                pk=message.pk,
                channel=message.channel,
                address=message.address,
                event=message.event,
                subject=text.subject if text else message.subject,
                body=text.body if text else message.body,
                stored_subject=message.subject,
                stored_body=message.body,
                params=text.params if text else message.params,
                community_id=message.community_id,
            )
            try:
                sent = backend_for(message.channel).send(outgoing)
            except Exception as exc:
                error = exc
        error_text = _masked(str(error), text) if error is not None else ""
        if error is not None:
            logger.warning("message %s (%s) failed: %s", message.pk, message.channel, error_text)
        outcome = _finish(message, now, error, error_text, sent)
        if outcome == MessageState.SENT:
            report.sent += 1
        elif outcome == MessageState.FAILED:
            report.failed += 1
        else:
            report.retrying += 1
    return report


def outbox_deliver_due(
    *, now: datetime | None = None, limit: int = 200, message_pks: list[int] | None = None
) -> DeliveryReport:
    """Send up to ``limit`` due messages (queued and due, or claimed by a worker that died).

    Safe to run in several processes at once and to call again after a crash; task-ready (plain
    arguments, returns a small report). A due message with a secret is marked failed unsent.
    """
    now = now or timezone.now()
    due = Message.objects.filter(
        Q(state=MessageState.QUEUED) | Q(state=MessageState.SENDING), next_attempt_at__lte=now
    )
    if message_pks is not None:
        due = due.filter(pk__in=message_pks)
    candidates = list(
        due.order_by("next_attempt_at", "pk").values_list("pk", "state", "next_attempt_at")[:limit]
    )
    return _deliver(candidates, now, {})


@jobs.job
def deliver_messages(message_pks: list[int]) -> None:
    """The job that delivers just-queued messages now (started after the commit that queued them)."""
    outbox_deliver_due(message_pks=message_pks, limit=len(message_pks))


def _deliver_revealed(revealed: dict[int, _Revealed]) -> DeliveryReport:
    """Send the messages with a secret this process queued, with their text as sent: right after
    the commit, before they fall due (they are held), so no other process takes them first. Not a
    job on purpose: a job's arguments may travel through a broker, and these must stay in memory."""
    now = timezone.now()
    candidates = list(
        Message.objects.filter(pk__in=list(revealed), state=MessageState.QUEUED, has_secret=True)
        .order_by("pk")
        .values_list("pk", "state", "next_attempt_at")
    )
    return _deliver(candidates, now, revealed)


@transaction.atomic
def message_retry(*, message: Message, actor) -> Message:
    """Queue a failed message again with a fresh set of attempts. Only failed messages qualify, and
    not one that held a secret (it was never kept: the owner asks for a new code instead)."""
    now = timezone.now()
    if message.has_secret:
        raise NotificationError(
            _("This message held a one-time code, which is never kept: it cannot be sent again.")
        )
    changed = Message.objects.filter(pk=message.pk, state=MessageState.FAILED, has_secret=False).update(
        state=MessageState.QUEUED, attempts=0, next_attempt_at=now, last_error=""
    )
    if changed != 1:
        raise NotificationError(_("Only a failed message can be sent again."))
    message.refresh_from_db()
    log_action(
        "notifications.message.retried",
        actor=actor,
        obj=message,
        changes={"channel": message.channel, "address": message.address_masked, "event": message.event},
    )
    jobs.start(deliver_messages, message_pks=[message.pk])
    return message
