"""Job entry points (thin wrappers; a Celery task or the command calls them once per community)."""

from __future__ import annotations

import datetime

from wuye.core.models import Community
from wuye.notices.domain.notices import notices_publish_due


def notices_publish(*, community_id: int, now: datetime.datetime | None = None) -> list[int]:
    """Publish the community's scheduled notices that are due, and notify their people once."""
    return notices_publish_due(community=Community.objects.get(pk=community_id), now=now)
