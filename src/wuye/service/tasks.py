"""Job entry points (thin wrappers; a Celery task or the command calls them once per community)."""

from __future__ import annotations

import datetime

from wuye.core.models import Community
from wuye.service.domain.sla import SlaRun, service_jobs_run


def service_sla(*, community_id: int, now: datetime.datetime | None = None) -> SlaRun:
    """Escalate missed deadlines and close unrated done requests of one community."""
    return service_jobs_run(community=Community.objects.get(pk=community_id), now=now)
