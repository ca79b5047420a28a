"""Revoking a household's pay links (the QR codes on its notices): every link issued before stops
working at once, and the next link is issued with the new version."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy

from wuye.core.audit import log_action, register_actions, register_field_labels
from wuye.households.models import Household
from wuye.portal.models import HouseholdPayLink

register_actions({"portal.paylink.revoked": gettext_lazy("Pay links revoked")})
register_field_labels({"pay_link_version": gettext_lazy("pay link version")})


@transaction.atomic
def household_pay_links_revoke(
    *, household: Household, actor, now: datetime | None = None
) -> HouseholdPayLink:
    """Check: none (any staff member who may hand out the link may withdraw it). Write: the version
    goes up by one in the database (an UPDATE with F(), so two revocations at once both count). Log:
    ``portal.paylink.revoked`` on the household's timeline."""
    HouseholdPayLink.objects.get_or_create(
        household=household, defaults={"community_id": household.community_id}
    )
    HouseholdPayLink.objects.filter(household=household).update(
        version=F("version") + 1, revoked_at=now or timezone.now()
    )
    link = HouseholdPayLink.objects.get(household=household)
    log_action(
        "portal.paylink.revoked",
        actor=actor,
        obj=household,
        household_id=household.pk,
        changes={"pay_link_version": [link.version - 1, link.version]},
    )
    return link
