"""Reads of reconciliation for the console and reports."""

from __future__ import annotations

import datetime

from django.db.models import Max

from wuye.ledger.domain.ledger import balance_fen
from wuye.ledger.enums import Account
from wuye.payments.models import PaymentAttempt
from wuye.recon.domain.runs import BEIJING, RECONCILED_METHODS, beijing_today, day_window
from wuye.recon.models import Difference, ReconRun


def runs_of(*, community, method: str | None = None):
    runs = ReconRun.objects.filter(community=community).select_related("created_by").defer("content")
    return runs.filter(method=method) if method else runs


def differences_of(*, community, state: str | None = None, kind: str | None = None):
    differences = Difference.objects.filter(community=community).select_related("household")
    if state:
        differences = differences.filter(state=state)
    if kind:
        differences = differences.filter(kind=kind)
    return differences.order_by("-day", "kind", "reference")


def suspense_balance_fen(*, community) -> int:
    """What the suspense account holds for the community (credit shown positive)."""
    return -balance_fen(account=Account.SUSPENSE, community_id=community.pk)


def day_to_reconcile(*, community) -> datetime.date:
    """The last day before today on which the community took channel payments (yesterday if none)."""
    today = day_window(beijing_today())[0]
    last = PaymentAttempt.objects.filter(
        community=community, method__in=RECONCILED_METHODS, paid_at__lt=today
    ).aggregate(last=Max("paid_at"))["last"]
    return last.astimezone(BEIJING).date() if last else today.date() - datetime.timedelta(days=1)
