"""Kinds of orders sold to visitors (no household) by other apps: what each tells payments about them.

An app that sells to visitors (parking today) registers a handler for its kind of order in its
``ready``; payments applies such an order's payment (``payments.payment_apply``) and refunds it
(``refunds``) through the handler, without importing the app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from wuye.payments.models import PaymentAttempt, PaymentOrder


@dataclass(frozen=True)
class OrderKindHandler:
    """What an app that sells to visitors (no household) tells payments about its kind of order."""

    income_account: str  # the ledger account credited (wuye.ledger.enums.Account)
    receipt_kind: str  # ReceiptKind
    visitor: Callable[[PaymentOrder], tuple[str, str]]  # (payer, place) printed on the receipt
    # Runs in the transaction that applies the payment, after the posting: the app records what was
    # paid on its own object (locking it); raising rolls the payment back.
    on_paid: Callable[[PaymentOrder, PaymentAttempt], None]
    # Why a refund of such an order cannot be asked now (a translated sentence), or "" when it can.
    # None: the kind's payments are never refunded.
    refund_refusal: Callable[[PaymentOrder], str] | None = None
    # Runs in the transaction that takes ``amount_fen`` of such a payment back out of the income account
    # (a refund approved; negative: a failed refund's money comes back): the app records it on its own
    # object (locking it). Raising PaymentError refuses the refund; nothing is written.
    on_refunded: Callable[[PaymentOrder, int], None] | None = None


ORDER_KINDS: dict[str, OrderKindHandler] = {}


def register_order_kind(kind: str, handler: OrderKindHandler) -> None:
    """Called by an app (in its ``ready``) that creates visitors' orders of ``kind`` (OrderKind)."""
    ORDER_KINDS[kind] = handler
