"""Billing's jobs (``wuye.core.jobs``): plain ids in, domain functions called.

A company bills many communities as one job split in parts, one per community (never a part per
household): the parts spread over the workers, and each is a billing run of its own, which commits
chunk by chunk and resumes where it stopped, so a part run again after its worker died gives exactly
what one clean run gives.
"""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model

from wuye.billing.domain.runs import run_issue, run_preview
from wuye.billing.enums import RunState
from wuye.billing.models import BillingRun
from wuye.core import jobs
from wuye.core.models import Community


def _actor(actor_pk: int | None):
    return get_user_model().objects.filter(pk=actor_pk).first() if actor_pk else None


@jobs.job
def run_issue_job(*, run_pk: int, actor_pk: int | None) -> None:
    run = BillingRun.objects.get(pk=run_pk)
    if run.state in (RunState.PREVIEWED, RunState.ISSUING):  # a job run again after its run ended
        run_issue(run=run, actor=_actor(actor_pk), progress=jobs.progress)


@jobs.job
def communities_bill(*, community_ids: list[int], period: str, actor_pk: int | None) -> None:
    """Bill ``period`` (YYYY-MM-DD, the month's first day) for several communities: one part each."""
    jobs.split(
        community_bill,
        [{"community_pk": pk, "period": period, "actor_pk": actor_pk} for pk in community_ids],
        community_ids=list(community_ids),
    )


@jobs.job
def community_bill(*, community_pk: int, period: str, actor_pk: int | None) -> None:
    """One community's run of ``period``: previewed, then issued; the run a killed worker left
    previewed or half issued is taken up again, and an issued one is left alone."""
    month = datetime.date.fromisoformat(period)
    actor = _actor(actor_pk)
    run = (
        BillingRun.objects.filter(
            community_id=community_pk,
            period=month,
            state__in=(RunState.PREVIEWED, RunState.ISSUING, RunState.ISSUED),
        )
        .order_by("-pk")
        .first()
    )
    if run is None:
        run = run_preview(community=Community.objects.get(pk=community_pk), period=month, actor=actor)
    if run.state != RunState.ISSUED:
        run_issue(run=run, actor=actor, progress=jobs.progress)
