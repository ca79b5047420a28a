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
            P.DEBIT_VIEW,
            P.DEBIT_MANAGE,
            P.SERVICE_VIEW,
            P.SERVICE_HANDLE,
            P.SERVICE_MANAGE,
            P.NOTICES_MANAGE,
            P.ACCESS_VIEW,
            P.ACCESS_MANAGE,
            P.PARKING_VIEW,
            P.PARKING_MANAGE,
            P.RENTAL_VIEW,
            P.RENTAL_MANAGE,
            P.OWNERS_MANAGE,
            P.DEBIT_VIEW,
            P.DEBIT_SIGN,
            P.DEBIT_MANAGE,
            P.PARTNER_VIEW,
            P.FINANCE_VIEW,
            P.FINANCE_RECONCILE,
        }
    ),
    Role.ACCOUNTANT: frozenset(
        {
            P.ARCHIVE_VIEW,
            P.ESTATE_VIEW,
            P.AUDIT_VIEW,
            P.BILLING_VIEW,
            P.DEBIT_VIEW,
            P.RENTAL_VIEW,
            P.FINANCE_VIEW,
            P.FINANCE_RECONCILE,
        }
    ),
    Role.FRONT_DESK: frozenset(
        {
            P.ARCHIVE_VIEW,
            P.ARCHIVE_EDIT,
            P.ESTATE_VIEW,
            P.BILLING_VIEW,
            P.DEBIT_VIEW,
            P.SERVICE_VIEW,
            P.SERVICE_HANDLE,
            P.SERVICE_MANAGE,
            P.NOTICES_MANAGE,
            P.ACCESS_VIEW,
            P.ACCESS_MANAGE,
            P.PARKING_VIEW,
            P.RENTAL_VIEW,
            P.RENTAL_MANAGE,
            P.OWNERS_MANAGE,
            P.DEBIT_VIEW,
            P.DEBIT_SIGN,
        }
    ),
    Role.CASHIER: frozenset(
        {
            P.ARCHIVE_VIEW,
            P.ESTATE_VIEW,
            P.BILLING_VIEW,
            P.PAYMENTS_TAKE,
            P.PARKING_VIEW,
            P.RENTAL_VIEW,
            P.DEBIT_VIEW,
            P.DEBIT_SIGN,
            P.DEBIT_MANAGE,
        }
    ),
    Role.TECHNICIAN: frozenset({P.ARCHIVE_VIEW, P.ESTATE_VIEW, P.SERVICE_VIEW, P.SERVICE_HANDLE}),
    # The bank sees aggregates (the partner dashboard) and handles card-opening appointments (with
    # only the name and phone the owner gave for that booking): never the archive, the estate (a room
    # page shows its household) or anything else that names an owner.
    Role.BANK: frozenset({P.PARTNER_VIEW, P.BANK_REFERRALS}),
}


def role_grants(role: str, permission: str) -> bool:
    return permission in ROLE_PERMISSIONS.get(role, frozenset())


def roles_granting(permission: str) -> list[str]:
    return [role for role, permissions in ROLE_PERMISSIONS.items() if permission in permissions]
