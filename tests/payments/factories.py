"""Helpers for payments tests: bills issued the way a billing run issues them, and counter prepayments."""

import datetime
import uuid
from decimal import Decimal

from tests.billing.factories import FeeItemFactory
from wuye.billing.enums import Method
from wuye.billing.models import Bill, BillLine
from wuye.ledger.domain.ledger import Entry, transaction_post
from wuye.ledger.enums import Account, TransactionKind
from wuye.payments.domain.prepayments import prepayment_record


def issue_bill(household, period: datetime.date, amounts: list[int], *, room=None) -> Bill:
    """A bill of ``household`` for ``period`` with one line per amount (fen), each of its own fee item.

    Posted like a billing run: one transaction, Dr receivable for the household, Cr income per item.
    """
    room = room or household.room_links.select_related("room").first().room
    items = [
        FeeItemFactory(community=household.community, method=Method.ONE_OFF, price=Decimal(amount) / 100)
        for amount in amounts
    ]
    record = transaction_post(
        community_id=household.community_id,
        kind=TransactionKind.BILLING,
        entries=[
            Entry(Account.RECEIVABLE, sum(amounts), household_id=household.pk),
            *(
                Entry(Account.INCOME, -amount, fee_item_id=item.pk)
                for item, amount in zip(items, amounts, strict=True)
            ),
        ],
        reference="test.bill",
    )
    bill = Bill.objects.create(
        community=household.community,
        household=household,
        period=period,
        total_fen=sum(amounts),
        due_on=period.replace(day=15),
    )
    for item, amount in zip(items, amounts, strict=True):
        BillLine.objects.create(
            community=household.community,
            bill=bill,
            household=household,
            room=room,
            fee_item=item,
            period=period,
            method=Method.ONE_OFF,
            quantity=Decimal(1),
            price=item.price,
            billable_days=30,
            period_days=30,
            rounding_unit="fen",
            rounding_mode="half_up",
            gross_fen=amount,
            amount_fen=amount,
            transaction=record,
        )
    return bill


def prepay(household, amount_fen: int, *, actor=None, method="cash", key=None):
    """A counter prepayment through the domain; returns its receipt."""
    return prepayment_record(
        household=household,
        amount_fen=amount_fen,
        method=method,
        key=key or uuid.uuid4().hex,
        actor=actor,
    ).receipt
