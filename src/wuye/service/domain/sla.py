"""The SLA jobs: escalate missed deadlines to the supervisors, close done requests left unrated.

Both are idempotent (run them every few minutes; a second run changes nothing) and work on one
community at a time, as every job does. ``wuye service_sla`` and ``wuye.service.tasks`` call them.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from wuye.core.audit import log_action
from wuye.core.models import Community
from wuye.service.domain.errors import ServiceError
from wuye.service.domain.queries import completion_overdue_q, response_overdue_q, service_settings_of
from wuye.service.domain.requests import request_transition
from wuye.service.enums import Escalation, EventKind, RequestAction, RequestState
from wuye.service.models import RequestEvent, ServiceRequest


@dataclass
class SlaRun:
    escalated: list[RequestEvent] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)


def sla_escalate(*, community: Community, now: datetime.datetime | None = None) -> list[RequestEvent]:
    """Record one escalation event per missed deadline (response, completion) of each open request.

    The escalations appear on the service dashboard of the supervisors (``queries.dashboard``) and on
    the household's timeline. The unique constraint ``requestevent_one_escalation_per_deadline`` makes
    the job idempotent even when two runs overlap: the second one's insert fails and is skipped.
    """
    now = now or timezone.now()
    created: list[RequestEvent] = []
    for reason, overdue in (
        (Escalation.RESPONSE, response_overdue_q(now)),
        (Escalation.COMPLETION, completion_overdue_q(now)),
    ):
        candidates = (
            ServiceRequest.objects.filter(community=community)
            .filter(overdue)
            .exclude(pk__in=RequestEvent.objects.filter(escalation=reason).values("request"))
            .select_related("category")
            .order_by("pk")
        )
        for request in candidates:
            deadline = request.response_due_at if reason == Escalation.RESPONSE else request.completion_due_at
            try:
                with transaction.atomic():
                    event = RequestEvent.objects.create(
                        community=community,
                        request=request,
                        kind=EventKind.ESCALATION,
                        escalation=reason,
                        from_state=request.state,
                        to_state=request.state,
                        note=str(Escalation(reason).label),
                        at=now,
                    )
                    log_action(
                        "service.request.escalated",
                        actor=None,
                        obj=request,
                        household_id=request.household_id,
                        changes={"escalation": reason, "deadline": timezone.localtime(deadline)},
                    )
            except IntegrityError:
                continue  # another run escalated it a moment ago
            created.append(event)
    return created


def requests_auto_close(*, community: Community, now: datetime.datetime | None = None) -> list[int]:
    """Close the done requests the owner has not rated within the community's ``auto_close_days``.

    A request done at T closes from T + N days on. Each goes through ``request_transition`` (with no
    actor: the system), so its history, the timeline and the requester's notification are as usual.
    """
    now = now or timezone.now()
    days = service_settings_of(community=community).auto_close_days
    cutoff = now - datetime.timedelta(days=days)
    closed = []
    due = ServiceRequest.objects.filter(community=community, state=RequestState.DONE, done_at__lte=cutoff)
    for request in due.order_by("pk"):
        try:
            request_transition(request=request, action=RequestAction.CLOSE, actor=None, now=now)
        except ServiceError:
            continue  # rated or reopened meanwhile
        closed.append(request.pk)
    return closed


def service_jobs_run(*, community: Community, now: datetime.datetime | None = None) -> SlaRun:
    now = now or timezone.now()
    return SlaRun(
        escalated=sla_escalate(community=community, now=now),
        closed=requests_auto_close(community=community, now=now),
    )
