"""Teams of staff and the rotation that hands each new request to the next member."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.core.audit import log_action, register_actions, register_field_labels
from wuye.core.models import Community
from wuye.service.domain.errors import ServiceError
from wuye.service.domain.queries import assignable_staff, team_members
from wuye.service.lock_objects import team_lock
from wuye.service.models import Team, TeamMember

register_actions(
    {
        "service.team.created": gettext_lazy("Service team created"),
        "service.team.changed": gettext_lazy("Service team changed"),
    }
)
register_field_labels({"members": gettext_lazy("members")})


def _check_members(community: Community, members: Sequence) -> list:
    eligible = set(assignable_staff(community=community).values_list("pk", flat=True))
    unique = list(dict.fromkeys(members))
    for user in unique:
        if user.pk not in eligible:
            raise ServiceError(
                _("%(user)s does not handle service requests in this community.")
                % {"user": user.get_full_name() or user.username}
            )
    return unique


def _set_members(team: Team, members: list) -> None:
    TeamMember.objects.filter(team=team).delete()
    TeamMember.objects.bulk_create(
        TeamMember(community_id=team.community_id, team=team, user=user, position=index)
        for index, user in enumerate(members)
    )


def _names(members: list) -> str:
    return "、".join(user.get_full_name() or user.username for user in members)


@transaction.atomic
def team_create(*, community: Community, name: str, members: Sequence = (), actor) -> Team:
    """A team; ``members`` in the order of the rotation."""
    members = _check_members(community, members)
    name = name.strip()
    if not name:
        raise ServiceError(_("Give the team a name."))
    try:
        with transaction.atomic():
            team = Team.objects.create(community=community, name=name)
    except IntegrityError:
        raise ServiceError(_("There is already a team called %(name)s.") % {"name": name}) from None
    _set_members(team, members)
    log_action(
        "service.team.created", actor=actor, obj=team, changes={"name": team.name, "members": _names(members)}
    )
    return team


@transaction.atomic
def team_update(*, team: Team, name: str, members: Sequence, actor) -> Team:
    """Rename a team and replace its members (their order is the rotation's)."""
    members = _check_members(team.community, members)
    before = {"name": team.name, "members": _names(team_members(team=team))}
    name = name.strip()
    if not name:
        raise ServiceError(_("Give the team a name."))
    if Team.objects.filter(community_id=team.community_id, name=name).exclude(pk=team.pk).exists():
        raise ServiceError(_("There is already a team called %(name)s.") % {"name": name})
    team.name = name
    team.save(update_fields=["name"])
    _set_members(team, members)
    after = {"name": team.name, "members": _names(members)}
    changes = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    if changes:
        log_action("service.team.changed", actor=actor, obj=team, changes=changes)
    return team


@transaction.atomic
def team_next_member(*, team: Team):
    """The member whose turn it is, advancing the rotation by one.

    The team row is locked for the rest of the transaction: a second assignment at the same moment
    waits here, then reads the rotation this one left, so no two assignments take the same slot. Only
    members who still hold a role that handles requests take turns.
    """
    locked = team_lock(team.pk)
    eligible = assignable_staff(community=locked.community).values("pk")
    members = [
        membership.user
        for membership in TeamMember.objects.filter(team=locked, user__in=eligible)
        .select_related("user")
        .order_by("position", "pk")
    ]
    if not members:
        raise ServiceError(_("Team %(team)s has no member who can take requests.") % {"team": locked.name})
    chosen = members[locked.rotation % len(members)]
    Team.objects.filter(pk=locked.pk).update(rotation=F("rotation") + 1)
    team.rotation = locked.rotation + 1
    return chosen
