"""Staff accounts and their roles per community."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.core.audit import log_action, register_actions, register_field_labels
from wuye.core.enums import Role
from wuye.core.models import Community, StaffRole

register_actions(
    {
        "core.staff.created": gettext_lazy("Staff account created"),
        "core.role.granted": gettext_lazy("Role granted"),
        "core.role.revoked": gettext_lazy("Role revoked"),
    }
)
register_field_labels({"role": (gettext_lazy("role"), Role), "username": gettext_lazy("username")})


class StaffError(Exception):
    """A refused staff change; the message is translated."""


@transaction.atomic
def staff_create(*, community: Community, username: str, full_name: str, password: str, role: str, actor):
    User = get_user_model()  # noqa: N806
    if User.objects.filter(username=username).exists():
        raise StaffError(_("The username %(name)s is taken.") % {"name": username})
    user = User(username=username, first_name=full_name)
    user.set_password(password)
    user.save()
    log_action(
        "core.staff.created", actor=actor, obj=user, community_id=community.pk, changes={"username": username}
    )
    role_grant(community=community, user=user, role=role, actor=actor)
    return user


@transaction.atomic
def role_grant(*, community: Community, user, role: str, actor) -> StaffRole:
    staff_role, created = StaffRole.objects.get_or_create(community=community, user=user, role=role)
    if created:
        log_action(
            "core.role.granted",
            actor=actor,
            obj=staff_role,
            changes={"username": user.username, "role": role},
        )
    return staff_role


@transaction.atomic
def role_revoke(*, staff_role: StaffRole, actor) -> None:
    if staff_role.role == Role.ADMINISTRATOR and staff_role.user_id == getattr(actor, "pk", None):
        raise StaffError(_("You cannot take away your own administrator role."))
    log_action(
        "core.role.revoked",
        actor=actor,
        obj=staff_role,
        changes={"username": staff_role.user.username, "role": staff_role.role},
    )
    staff_role.delete()
