"""Visitor passes (访客通行证): an owner makes one for a visitor, shares its QR code, and may revoke it.

``visitor_pass_create`` checks the window (starts now or later, ends after it starts, at most
``PASS_MAX_DAYS`` long and starting within that many days) and the uses (1 to ``PASS_MAX_USES``), writes
the pass with a random token, and logs it on the household's timeline. A pass's uses are counted by the
device API alone (``domain.devices``), under the pass's row lock.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.access.domain.errors import AccessError
from wuye.access.domain.queries import open_passes_of
from wuye.access.enums import Reason
from wuye.access.lock_objects import pass_lock
from wuye.access.models import VisitorPass
from wuye.access.validators import PASS_MAX_DAYS, PASS_MAX_USES, PASS_MAX_WINDOW, PASS_START_GRACE
from wuye.core.audit import log_action, register_actions, register_field_labels
from wuye.owners.models import HouseholdBinding, OwnerAccount

register_actions(
    {
        "access.pass.created": gettext_lazy("Visitor pass created"),
        "access.pass.revoked": gettext_lazy("Visitor pass revoked"),
    }
)
register_field_labels(
    {
        "visitor": gettext_lazy("visitor"),
        "max_uses": gettext_lazy("uses allowed"),
        "owner": gettext_lazy("owner"),
    }
)


def _log(action: str, visitor_pass: VisitorPass, *, actor=None, owner: OwnerAccount | None = None, **extra):
    changes = {"visitor": visitor_pass.visitor_name, **extra}
    if owner is not None:
        changes["owner"] = owner.phone_masked
    log_action(action, actor=actor, obj=visitor_pass, household_id=visitor_pass.household_id, changes=changes)


@transaction.atomic
def visitor_pass_create(
    *,
    binding: HouseholdBinding,
    visitor_name: str,
    visitor_phone: str = "",
    valid_from: datetime.datetime,
    valid_until: datetime.datetime,
    max_uses: int = 1,
    now: datetime.datetime | None = None,
) -> VisitorPass:
    """A pass for the household of ``binding``, made by its owner account."""
    now = now or timezone.now()
    visitor_name = (visitor_name or "").strip()
    if not visitor_name:
        raise AccessError(_("Give the visitor's name."))
    if valid_from < now - PASS_START_GRACE:
        raise AccessError(_("The pass must start now or later."))
    if valid_until <= valid_from:
        raise AccessError(_("The pass must end after it starts."))
    if valid_until - valid_from > PASS_MAX_WINDOW or valid_from - now > PASS_MAX_WINDOW:
        raise AccessError(
            _("A pass lasts at most %(days)s days and starts within %(days)s days.") % {"days": PASS_MAX_DAYS}
        )
    if not 1 <= max_uses <= PASS_MAX_USES:
        raise AccessError(_("A pass may be used 1 to %(uses)s times.") % {"uses": PASS_MAX_USES})
    visitor_pass = VisitorPass.objects.create(
        community_id=binding.community_id,
        household_id=binding.household_id,
        created_by_id=binding.account_id,
        visitor_name=visitor_name[:40],
        visitor_phone=(visitor_phone or "").strip()[:20],
        valid_from=max(valid_from, now - PASS_START_GRACE),
        valid_until=valid_until,
        max_uses=max_uses,
    )
    _log(
        "access.pass.created",
        visitor_pass,
        owner=binding.account,
        valid_from=visitor_pass.valid_from,
        valid_until=valid_until,
        max_uses=max_uses,
    )
    return visitor_pass


@transaction.atomic
def visitor_pass_revoke(
    *, visitor_pass: VisitorPass, reason: str = "", actor=None, owner: OwnerAccount | None = None
) -> VisitorPass:
    """Revoke a pass (by its owner, by staff, or when the owner's binding ends); a revoked pass stays so."""
    locked = pass_lock(visitor_pass.pk)
    if locked.revoked_at is not None:
        return locked
    locked.revoked_at = timezone.now()
    locked.revoked_reason = (reason or "").strip()[:200]
    locked.save(update_fields=["revoked_at", "revoked_reason"])
    _log("access.pass.revoked", locked, actor=actor, owner=owner, reason=locked.revoked_reason)
    return locked


@transaction.atomic
def passes_revoke_for_binding(*, account_pk: int, household_pk: int) -> int:
    """The owner no longer acts for the household: revoke the passes they made for it that could still
    open a door. The count."""
    revoked = 0
    for visitor_pass in open_passes_of(account_pk=account_pk, household_pk=household_pk).order_by("pk"):
        visitor_pass_revoke(visitor_pass=visitor_pass, reason=str(Reason.BINDING_ENDED.label))
        revoked += 1
    return revoked
