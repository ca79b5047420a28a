"""Payments listens to billing's extension point: new lines are paid from prepayment balances at once."""

from __future__ import annotations

import logging

from django.dispatch import receiver

from wuye.billing.signals import bills_issued
from wuye.billing.tagrules import arrears_tag_refresh_on_commit
from wuye.households.models import Household
from wuye.payments.domain.prepayments import households_with_prepayment, prepayments_apply

logger = logging.getLogger(__name__)


@receiver(bills_issued, dispatch_uid="payments.apply_prepayments")
def apply_prepayments_to_new_bills(sender, *, community_id: int, household_ids, **kwargs) -> None:
    """For each household of the chunk that holds a balance (found with one query), apply it.

    Each household is its own transaction. A failure is logged and does not stop the billing run that
    sent the signal: its bills are committed, and the balance is applied at the household's next
    prepayment or billing run.
    """
    holders = households_with_prepayment(community_id=community_id, household_ids=household_ids)
    applied = 0
    for household in Household.objects.filter(community_id=community_id, pk__in=holders).order_by("pk"):
        try:
            applied += prepayments_apply(household=household, actor=None, refresh_tags=False)
        except Exception:
            logger.exception("applying the prepayment of household %s failed", household.pk)
    if applied:
        arrears_tag_refresh_on_commit(community_id=community_id)
