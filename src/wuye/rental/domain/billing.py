"""A lease's rent on the tenant household's bills, through the billing engine.

Each bill of the lease's schedule (``schedule.lease_schedule``) becomes one one-off line of the
community's rent fee item (租金, category rent) on the bill of the month it starts, charged
``BILL_DAYS_AHEAD`` days before it starts (rent is paid in advance). The line's source names the
lease and the bill's number (``rental.lease:<pk>:<n>``): billing keeps one line per source, so
issuing again (the daily job, a retried job, a lease signed with months already past) never bills
twice. The line is posted Dr receivable / Cr income of the rent item like any charge, and paid like
any bill: QR, counter, prepayment, bank debit.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from wuye.billing.domain.charges import charge_add, one_off_fee_item
from wuye.billing.enums import FeeCategory
from wuye.billing.models import BillLine, FeeItem
from wuye.core.money import fen_to_yuan
from wuye.rental.domain.schedule import lease_schedule
from wuye.rental.enums import LeaseState
from wuye.rental.models import Lease

# Stored data, in the property office's language (like every fee item's name).
RENT_FEE_ITEM_NAME = "租金"
DEDUCTION_FEE_ITEM_NAME = "押金扣款"
BILL_DAYS_AHEAD = 10


def lease_source_prefix(lease) -> str:
    return f"rental.lease:{lease.pk}:"


def rent_source(lease, number: int) -> str:
    return f"{lease_source_prefix(lease)}{number}"


def rent_fee_item(community) -> FeeItem:
    return one_off_fee_item(community=community, name=RENT_FEE_ITEM_NAME, category=FeeCategory.RENT)


def deduction_fee_item(community) -> FeeItem:
    return one_off_fee_item(community=community, name=DEDUCTION_FEE_ITEM_NAME, category=FeeCategory.OTHER)


def lease_lines(lease):
    """The bill lines raised for the lease (its rent and the deductions from its deposit)."""
    return BillLine.objects.filter(
        community_id=lease.community_id, source__startswith=lease_source_prefix(lease), is_void=False
    )


@transaction.atomic
def rent_bills_issue(*, lease, today: datetime.date, actor=None) -> list[BillLine]:
    """Bill every period of the lease that starts by ``today`` + ``BILL_DAYS_AHEAD`` and is not billed
    yet; nothing for a lease not in force or whose rent the office does not bill. Returns the new lines."""
    if not lease.bills_rent or lease.state != LeaseState.ACTIVE:
        return []
    billed = set(lease_lines(lease).values_list("source", flat=True))
    horizon = today + datetime.timedelta(days=BILL_DAYS_AHEAD)
    due = [
        period
        for period in lease_schedule(lease)
        if period.starts_on <= horizon and rent_source(lease, period.number) not in billed
    ]
    if not due:
        return []
    item = rent_fee_item(lease.household.community)
    lines = []
    for period in due:
        with translation.override(settings.LANGUAGE_CODE):
            description = _("Rent %(start)s to %(end)s, lease %(number)s (%(months)s × %(monthly)s yuan)") % {
                "start": period.starts_on,
                "end": period.ends_on,
                "number": lease.number,
                "months": period.months,
                "monthly": fen_to_yuan(period.monthly_fen),
            }
        line = charge_add(
            household=lease.household,
            amount_fen=period.amount_fen,
            description=description,
            reference=rent_source(lease, period.number),
            actor=actor,
            room=lease.room,
            any_room=True,
            period=period.starts_on,
            item=item,
        )
        lines.append(line)
    return lines


def rent_bills_issue_due(*, today: datetime.date, community_ids=None) -> int:
    """The daily job: bill what is due of every lease in force whose rent the office bills, each lease in
    a transaction of its own (one lease's refusal stops no other). Returns the number of lines billed."""
    horizon = today + datetime.timedelta(days=BILL_DAYS_AHEAD)
    leases = Lease.objects.filter(
        state=LeaseState.ACTIVE, bills_rent=True, starts_on__lte=horizon
    ).select_related("household__community", "room")
    if community_ids is not None:
        leases = leases.filter(community_id__in=community_ids)
    # A list, not .iterator(): each lease commits on its own (see reminders.leases_remind).
    return sum(len(rent_bills_issue(lease=lease, today=today)) for lease in list(leases.order_by("pk")))
