"""The console sidebar: (url name, label, permission or None), in order. Each part of the console
declares its own entries in its urls module's NAV, so adding a page never edits a shared template."""

from django.utils.translation import gettext_lazy as _

from wuye.console import (
    urls_access,
    urls_arrears,
    urls_billing,
    urls_debit,
    urls_debit_batches,
    urls_meters,
    urls_notices,
    urls_opening,
    urls_owners,
    urls_parking,
    urls_receipts,
    urls_recon,
    urls_rental,
    urls_reports,
    urls_service,
)
from wuye.core.enums import Permission

ARCHIVE = [
    ("console:home", _("Overview"), None),
    ("console:households", _("Households"), Permission.ARCHIVE_VIEW),
    ("console:buildings", _("Buildings and rooms"), Permission.ESTATE_VIEW),
    ("console:tags", _("Tags"), Permission.ARCHIVE_VIEW),
    ("console:imports", _("Excel import"), Permission.ESTATE_MANAGE),
]
ADMINISTRATION = [
    ("partner:dashboard", _("Partner bank dashboard"), Permission.PARTNER_VIEW),
    ("console:staff", _("Staff"), Permission.STAFF_MANAGE),
    ("console:lockouts", _("Login locks"), Permission.STAFF_MANAGE),
    ("console:audit", _("Audit log"), Permission.AUDIT_VIEW),
    ("console:jobs", _("Background jobs"), Permission.STAFF_MANAGE),
    ("console:tokens", _("API tokens"), Permission.ESTATE_VIEW),
]


def groups():
    """[(heading, entries)] in sidebar order."""
    return [
        (_("Archive"), ARCHIVE),
        (
            _("Billing"),
            urls_billing.NAV
            + urls_meters.NAV
            + urls_receipts.NAV
            + urls_arrears.NAV
            + urls_debit_batches.NAV
            + urls_opening.NAV,
        ),
        (_("Service"), urls_service.NAV + urls_notices.NAV),
        (_("Access control"), urls_access.NAV),
        (_("Parking"), urls_parking.NAV),
        (_("Rental"), urls_rental.NAV),
        (_("Owners"), urls_owners.NAV),
        (_("Bank direct debit"), urls_debit.NAV),
        (_("Finance"), urls_recon.NAV + urls_reports.NAV),
        (_("Administration"), ADMINISTRATION),
    ]


def entries():
    return [entry for _heading, group in groups() for entry in group]
