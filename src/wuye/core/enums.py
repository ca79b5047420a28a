from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Role(models.TextChoices):
    ADMINISTRATOR = "admin", _("Administrator")
    CASHIER = "cashier", pgettext_lazy("role", "Cashier")
    FRONT_DESK = "front_desk", _("Front desk")
    TECHNICIAN = "technician", _("Technician")
    SUPERVISOR = "supervisor", _("Supervisor")
    BANK = "bank", _("Partner bank (read-only)")
    ACCOUNTANT = "accountant", _("Accountant")


class Permission(models.TextChoices):
    """What a role may do in a community. Checked on every view, endpoint and query."""

    ARCHIVE_VIEW = "archive.view", _("View households and people")
    ARCHIVE_EDIT = "archive.edit", _("Change households, people and their tags")
    ESTATE_VIEW = "estate.view", _("View buildings and rooms")
    ESTATE_MANAGE = "estate.manage", _("Change buildings and rooms, import from Excel")
    TAGS_MANAGE = "tags.manage", _("Manage tag groups and tags")
    AUDIT_VIEW = "audit.view", _("Read the audit log")
    STAFF_MANAGE = "staff.manage", _("Manage staff accounts and their roles")
    BILLING_VIEW = "billing.view", _("View fee items, bills, arrears and receipts")
    BILLING_MANAGE = "billing.manage", _("Manage fee items, meters and billing runs; adjust and waive bills")
    PAYMENTS_TAKE = "payments.take", _("Take payments and prepayments at the counter")
    PAYMENTS_REFUND = "payments.refund", _("Approve refunds and see the channel inbox")
    PAYMENTS_CONFIGURE = "payments.configure", _("Set up payment channels and payment rules")
    SERVICE_VIEW = "service.view", _("View service requests")
    SERVICE_HANDLE = "service.handle", _("Handle service requests assigned to oneself")
    SERVICE_MANAGE = "service.manage", _("Assign requests; manage categories, teams and SLAs")
    NOTICES_MANAGE = "notices.manage", _("Publish notices and activities")
    ACCESS_VIEW = "access.view", _("View doors, access credentials, visitor passes and door events")
    ACCESS_MANAGE = "access.manage", _("Manage doors, door groups and rules; issue and revoke credentials")
    PARKING_VIEW = "parking.view", _("View car parks, spaces, cars inside and their stays")
    PARKING_MANAGE = (
        "parking.manage",
        _("Manage car parks, their rates and gates; assign spaces; block plates"),
    )
    RENTAL_VIEW = "rental.view", _("View rental listings, leases, their rent and deposits")
    RENTAL_MANAGE = (
        "rental.manage",
        _("List rooms for rent, sign and close leases (deposits are taken and returned with payments.take)"),
    )
    OWNERS_MANAGE = "owners.manage", _("Invite owners, approve bindings, read the message outbox")
    DEBIT_VIEW = "debit.view", _("View debit mandates and batches")
    DEBIT_SIGN = "debit.sign", _("Enter debit mandates signed on paper at the counter")
    DEBIT_MANAGE = (
        "debit.manage",
        _("Activate, suspend and revoke mandates; build, send and settle debit batches"),
    )
    FINANCE_VIEW = "finance.view", _("See reconciliations, suspense and takings reports")
    FINANCE_RECONCILE = "finance.reconcile", _("Reconcile channel bills, settle differences and suspense")
    BANK_REFERRALS = "bank.referrals", _("Handle card-opening appointments at the partner bank")
    PARTNER_VIEW = "partner.view", _("See the partner bank's dashboard: figures only, never an owner")
