"""Thin job wrappers: plain ids in, domain functions called."""

from django.contrib.auth import get_user_model

from wuye.billing.domain.runs import run_issue
from wuye.billing.models import BillingRun


def run_issue_job(*, run_pk: int, actor_pk: int | None) -> None:
    actor = get_user_model().objects.filter(pk=actor_pk).first() if actor_pk else None
    run_issue(run=BillingRun.objects.get(pk=run_pk), actor=actor)
