"""Issuing receipts (收据): the next number of the community, without gaps, in the caller's transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy

from wuye.core import sql
from wuye.core.audit import register_field_labels
from wuye.estate.models import room_label
from wuye.households.models import Household
from wuye.ledger.models import LedgerTransaction
from wuye.payments.domain.receipt_notices import receipt_notify_on_commit
from wuye.payments.enums import PaymentMethod
from wuye.payments.lock_objects import receipt_counter_next
from wuye.payments.models import Receipt

if TYPE_CHECKING:
    from wuye.payments.domain.queries import ReceiptView

register_field_labels(
    {
        "receipt_number": gettext_lazy("receipt number"),
        "payment_method": (gettext_lazy("payment method"), PaymentMethod),
        "amount_yuan": gettext_lazy("amount (yuan)"),
        "bill_lines": gettext_lazy("bill lines"),
    }
)


class ReceiptError(Exception):
    """A refused receipt; the message is translated."""


_ROOMS = (
    "SELECT b.name, u.name, r.number FROM households_householdroom hr"
    " JOIN estate_room r ON r.id = hr.room_id JOIN estate_building b ON b.id = r.building_id"
    " JOIN estate_unit u ON u.id = r.unit_id WHERE hr.household_id = %s ORDER BY r.id"
)


def rooms_label(household: Household) -> str:
    """The household's rooms as printed on its receipts (each as ``str(room)`` names it)."""
    rooms = sql.rows(_ROOMS, [household.pk])  # plain SQL (wuye.core.sql): every receipt reads it
    return "、".join(room_label(building, unit, number) for building, unit, number in rooms)[:200]


def receipt_issue(
    *,
    household: Household | None,
    kind: str,
    method: str,
    amount_fen: int,
    record: LedgerTransaction,
    note: str = "",
    actor=None,
    notify: bool = True,
    visitor: tuple[str, str] | None = None,
) -> Receipt:
    """Number and store the receipt of a ledger transaction. Must run inside the transaction that posts it.
    The household's bound owners are told after commit (``notify=False``: the caller knows nobody is bound).
    A visitor's receipt (no household) prints ``visitor``: (payer, place), e.g. a plate and a car park."""
    if not transaction.get_connection().in_atomic_block:
        raise ReceiptError("receipt_issue runs inside the transaction that posts the money")
    if amount_fen <= 0:
        raise ReceiptError("a receipt is for a positive amount")
    if household is None:
        if visitor is None:
            raise ReceiptError("a receipt without a household names its visitor")
        payer, label = visitor
        notify = False
    else:
        payer = household.name
        label = rooms_label(household)  # read before the counter is locked: the lock is held until commit
    community_id = record.community_id
    receipt = Receipt(
        community_id=community_id,
        # The counter's row stays locked until commit: a second cashier waits instead of taking the same
        # number, and a rollback returns the number with everything else, so numbers have no gaps.
        # (SQLite takes its write lock at BEGIN IMMEDIATE.)
        number=receipt_counter_next(community_id),
        household=household,
        kind=kind,
        method=method,
        amount_fen=amount_fen,
        transaction=record,
        payer_name=payer[:60],
        rooms_label=label[:200],
        note=note[:200],
        issued_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    sql.insert([receipt])
    if notify:
        receipt_notify_on_commit(receipt=receipt)  # the owners hear of it once the money is committed
    return receipt


def receipt_verify_url(receipt: Receipt | ReceiptView) -> str:
    """The absolute address printed in the receipt's QR code (settings.PUBLIC_URL + the verify page)."""
    base = getattr(settings, "PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
    return base + reverse("payments:verify", kwargs={"token": receipt.token})
