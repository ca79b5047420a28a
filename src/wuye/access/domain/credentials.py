"""Credentials of residents and staff: issue, revoke, and revoke all of a person who leaves.

Every function is keyword-only and runs in one transaction; a refusal raises ``AccessError`` and
changes nothing. Revoking is final: a card found again is issued anew.
"""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.access.domain.errors import AccessError
from wuye.access.enums import CredentialKind, Reason
from wuye.access.models import Credential, new_token
from wuye.core.audit import log_action, register_actions, register_field_labels
from wuye.core.models import Community, StaffRole
from wuye.households.models import Person

register_actions(
    {
        "access.credential.issued": gettext_lazy("Access credential issued"),
        "access.credential.revoked": gettext_lazy("Access credential revoked"),
    }
)
register_field_labels(
    {
        "credential": gettext_lazy("credential"),
        "holder": gettext_lazy("holder"),
        "valid_from": gettext_lazy("valid from"),
        "valid_until": gettext_lazy("valid until"),
        "reason": gettext_lazy("reason"),
    }
)


def _log(action: str, credential: Credential, actor, **extra) -> None:
    log_action(
        action,
        actor=actor,
        obj=credential,
        household_id=credential.household_id,
        changes={"credential": str(credential), "holder": credential.holder_name, **extra},
    )


@transaction.atomic
def credential_issue(
    *,
    community: Community,
    kind: str,
    value: str = "",
    person: Person | None = None,
    user=None,
    valid_from: datetime.datetime | None = None,
    valid_until: datetime.datetime | None = None,
    actor,
) -> Credential:
    """A card, QR code (its token drawn here when ``value`` is empty) or face reference for a resident
    (``person``) or a staff member of the community (``user``)."""
    if (person is None) == (user is None):
        raise AccessError(_("A credential is for one resident or one staff member."))
    if person is not None:
        if person.community_id != community.pk:
            raise AccessError(_("The person is in another community."))
        if person.moved_out_on is not None and person.moved_out_on <= timezone.localdate():
            raise AccessError(_("This person has moved out."))
    if user is not None and not StaffRole.objects.filter(user=user, community=community).exists():
        raise AccessError(_("This staff member holds no role in the community."))
    if kind not in CredentialKind.values:
        raise AccessError(_("Choose a card, a QR code or a face."))
    value = (value or "").strip()
    if kind == CredentialKind.QR and not value:
        value = new_token()
    if not value:
        raise AccessError(_("Give the card number or the device's face id."))
    valid_from = valid_from or timezone.now()
    if valid_until is not None and valid_until <= valid_from:
        raise AccessError(_("The end of validity is before its start."))
    try:
        with transaction.atomic():
            credential = Credential.objects.create(
                community=community,
                household_id=person.household_id if person is not None else None,
                person=person,
                user=user,
                kind=kind,
                value=value,
                valid_from=valid_from,
                valid_until=valid_until,
                issued_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
    except IntegrityError:
        raise AccessError(_("This card or id is already issued to someone.")) from None
    _log("access.credential.issued", credential, actor, valid_from=valid_from, valid_until=valid_until)
    return credential


@transaction.atomic
def credential_revoke(*, credential: Credential, reason: str, actor) -> Credential:
    """Revoke one credential; revoking a revoked one changes nothing."""
    locked = Credential.objects.select_for_update().get(pk=credential.pk)
    if locked.revoked_at is not None:
        return locked
    locked.revoked_at = timezone.now()
    locked.revoked_reason = (reason or "").strip()[:200]
    locked.save(update_fields=["revoked_at", "revoked_reason"])
    _log("access.credential.revoked", locked, actor, reason=locked.revoked_reason)
    return locked


@transaction.atomic
def credentials_revoke_for_people(*, person_pks, reason: str = "", actor) -> int:
    """Revoke every active credential of these people (they moved out or were removed); the count."""
    reason = reason or str(Reason.MOVED_OUT.label)
    revoked = 0
    for credential in (
        Credential.objects.select_for_update()
        .filter(person_id__in=list(person_pks), revoked_at__isnull=True)
        .select_related("person")
    ):
        credential_revoke(credential=credential, reason=reason, actor=actor)
        revoked += 1
    return revoked
