"""Which role grants which permission: data, not code scattered over views."""

from wuye.core.enums import Permission as P  # noqa: N817 (short alias keeps the table readable)
from wuye.core.enums import Role

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.ADMINISTRATOR: frozenset(P.values),
    Role.SUPERVISOR: frozenset(
        {
            P.ARCHIVE_VIEW,
            P.ARCHIVE_EDIT,
            P.ESTATE_VIEW,
            P.ESTATE_MANAGE,
            P.TAGS_MANAGE,
            P.AUDIT_VIEW,
            P.BILLING_VIEW,
            P.BILLING_MANAGE,
            P.PAYMENTS_REFUND,
            P.SERVICE_VIEW,
            P.SERVICE_HANDLE,
            P.SERVICE_MANAGE,
            P.NOTICES_MANAGE,
            P.OWNERS_MANAGE,
            P.PARTNER_VIEW,
        }
    ),
    Role.FRONT_DESK: frozenset(
        {
            P.ARCHIVE_VIEW,
            P.ARCHIVE_EDIT,
            P.ESTATE_VIEW,
            P.BILLING_VIEW,
            P.SERVICE_VIEW,
            P.SERVICE_HANDLE,
            P.SERVICE_MANAGE,
            P.NOTICES_MANAGE,
            P.OWNERS_MANAGE,
        }
    ),
    Role.CASHIER: frozenset({P.ARCHIVE_VIEW, P.ESTATE_VIEW, P.BILLING_VIEW, P.PAYMENTS_TAKE}),
    Role.TECHNICIAN: frozenset({P.ARCHIVE_VIEW, P.ESTATE_VIEW, P.SERVICE_VIEW, P.SERVICE_HANDLE}),
    # The bank sees aggregates (the partner dashboard) and, later, the mandates of its own cards: never
    # the archive, the estate (a room page shows its household) or anything that names an owner.
    Role.BANK: frozenset({P.PARTNER_VIEW}),
}


def role_grants(role: str, permission: str) -> bool:
    return permission in ROLE_PERMISSIONS.get(role, frozenset())


def roles_granting(permission: str) -> list[str]:
    return [role for role, permissions in ROLE_PERMISSIONS.items() if permission in permissions]
