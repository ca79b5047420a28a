"""The one decision of access control: may this card, code, face or visitor pass open this door now?

``access_decide`` only reads. The device API (``domain.devices.door_event_record``) calls it under the
visitor pass's row lock, then records the event and counts the pass's use in the same transaction;
the console and the simulator see exactly the decision the door got.

Checks, in order (the first that fails is the reason): the door is in service; the credential or pass
exists in the door's community; it is not revoked; ``at`` is inside its validity window; for a person,
they have not moved out (a staff member's account is active); for a pass, uses are left, the owner who
made it still acts for the household, and the door is an estate gate or a door of the household's
buildings; for a credential, a rule of one of the door's groups admits the holder, on that weekday and
at that time of day.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from wuye.access.enums import VISITOR, CredentialKind, EventResult, Reason, RuleSubject
from wuye.access.models import AccessRule, Credential, Door, VisitorPass
from wuye.core.crypto import mask
from wuye.core.models import StaffRole
from wuye.households.models import HouseholdRoom
from wuye.owners.models import HouseholdBinding


@dataclass(frozen=True)
class Decision:
    result: str
    reason: str
    credential: Credential | None = None
    visitor_pass: VisitorPass | None = None

    @property
    def granted(self) -> bool:
        return self.result == EventResult.GRANTED

    @property
    def holder(self) -> str:
        if self.credential is not None:
            return self.credential.holder_name
        if self.visitor_pass is not None:
            return self.visitor_pass.visitor_name
        return ""


def _refused(reason: str, **found) -> Decision:
    return Decision(EventResult.REFUSED, reason, **found)


def presented_masked(kind: str, value: str) -> str:
    """What the event log keeps of a presented value: never a whole card number or token."""
    if kind == VISITOR:
        return f"{value[:4]}****" if value else ""
    return mask(value or "", keep_start=2, keep_end=4)[:80]


def rule_time_matches(rule: AccessRule, local: datetime.datetime) -> bool:
    minute = local.time().replace(second=0, microsecond=0)
    return str(local.isoweekday()) in rule.weekdays and rule.starts_at <= minute <= rule.ends_at


def _rule_admits(rule: AccessRule, credential: Credential, roles: set[str], buildings: set[int]) -> bool:
    if rule.subject == RuleSubject.ROLE:
        return credential.user_id is not None and rule.role in roles
    if credential.person_id is None:
        return False
    if rule.subject == RuleSubject.RESIDENTS:
        return True
    return rule.building_id in buildings


def _decide_credential(door: Door, credential: Credential, at: datetime.datetime) -> Decision:
    found = {"credential": credential}
    if credential.revoked_at is not None:
        return _refused(Reason.REVOKED, **found)
    if credential.valid_from > at:
        return _refused(Reason.NOT_YET_VALID, **found)
    if credential.valid_until is not None and credential.valid_until <= at:
        return _refused(Reason.EXPIRED, **found)
    local = timezone.localtime(at)
    roles: set[str] = set()
    buildings: set[int] = set()
    if credential.person_id is not None:
        person = credential.person
        if person.moved_out_on is not None and person.moved_out_on <= local.date():
            return _refused(Reason.MOVED_OUT, **found)
        buildings = set(
            HouseholdRoom.objects.filter(household_id=person.household_id).values_list(
                "room__building_id", flat=True
            )
        )
    elif credential.user_id is not None:
        if not credential.user.is_active:
            return _refused(Reason.STAFF_INACTIVE, **found)
        roles = set(
            StaffRole.objects.filter(user_id=credential.user_id, community_id=door.community_id).values_list(
                "role", flat=True
            )
        )
    else:  # its person was removed from the archive
        return _refused(Reason.REVOKED, **found)
    rules = AccessRule.objects.filter(community_id=door.community_id, group__members__door=door).distinct()
    admitting = [rule for rule in rules if _rule_admits(rule, credential, roles, buildings)]
    if not admitting:
        return _refused(Reason.NO_RULE, **found)
    if not any(rule_time_matches(rule, local) for rule in admitting):
        return _refused(Reason.OUTSIDE_HOURS, **found)
    return Decision(EventResult.GRANTED, Reason.RULE, **found)


def _decide_pass(door: Door, visitor_pass: VisitorPass, at: datetime.datetime) -> Decision:
    found = {"visitor_pass": visitor_pass}
    if visitor_pass.revoked_at is not None:
        return _refused(Reason.REVOKED, **found)
    if visitor_pass.valid_from > at:
        return _refused(Reason.NOT_YET_VALID, **found)
    if visitor_pass.valid_until <= at:
        return _refused(Reason.EXPIRED, **found)
    if visitor_pass.uses >= visitor_pass.max_uses:
        return _refused(Reason.USED_UP, **found)
    if not HouseholdBinding.objects.filter(
        account_id=visitor_pass.created_by_id, household_id=visitor_pass.household_id
    ).exists():
        return _refused(Reason.BINDING_ENDED, **found)
    if (
        door.building_id is not None
        and not HouseholdRoom.objects.filter(
            household_id=visitor_pass.household_id, room__building_id=door.building_id
        ).exists()
    ):
        return _refused(Reason.WRONG_DOOR, **found)
    return Decision(EventResult.GRANTED, Reason.VISITOR, **found)


def access_decide(*, door: Door, kind: str, value: str, at: datetime.datetime) -> Decision:
    """May ``value`` of ``kind`` (a credential kind, or ``"pass"`` for a visitor pass's token) open
    ``door`` at ``at``? Reads only; see the module for the checks."""
    if not door.is_active:
        return _refused(Reason.DOOR_INACTIVE)
    if kind == VISITOR:
        visitor_pass = VisitorPass.objects.filter(community_id=door.community_id, token=value).first()
        if visitor_pass is None or not value:
            return _refused(Reason.UNKNOWN)
        return _decide_pass(door, visitor_pass, at)
    if kind not in CredentialKind.values or not value:
        return _refused(Reason.UNKNOWN)
    # The active credential with this value, else the latest revoked one (to say "revoked").
    same = Credential.objects.filter(community_id=door.community_id, kind=kind, value=value).select_related(
        "person", "user"
    )
    credential = same.filter(revoked_at__isnull=True).first() or same.order_by("-revoked_at", "-pk").first()
    if credential is None:
        return _refused(Reason.UNKNOWN)
    return _decide_credential(door, credential, at)
