"""Input and output schemas of the payments, refunds and receipts operations of /api/v1 (收银).

Amounts are integer fen in fields named ``*_fen``. Enumerated fields carry the stored value
(``"succeeded"``, ``"cash"``), never a label.
"""

from __future__ import annotations

from datetime import date, datetime

from django.urls import reverse
from ninja import Field, Schema

from wuye.api.schemas import PageQuery
from wuye.api.schemas_billing import HouseholdRefOut
from wuye.payments.domain.queries import receipt_items
from wuye.payments.domain.receipts import receipt_verify_url
from wuye.payments.domain.refunds import refundable_fen
from wuye.payments.enums import AttemptState, Channel, PaymentMethod, ReceiptKind, RefundState

COUNTER_KEY_PATTERN = r"^[0-9a-f]{24}$"


def _username(user) -> str | None:
    return user.get_username() if user is not None else None


# --- inputs ------------------------------------------------------------------------------------------


class PaymentListQuery(PageQuery):
    community: int | None = Field(None, description="Only this community (default: all you may see).")
    household: int | None = Field(None, description="Only this household's payments.")
    state: AttemptState | None = None
    method: PaymentMethod | None = None


class PaymentTakeIn(Schema):
    lines: list[int] = Field(
        ..., min_length=1, max_length=500, description="pks of the household's open bill lines to pay."
    )
    method: PaymentMethod = Field(
        ..., description="How the money was paid at the counter: cash, card, transfer."
    )
    tendered_fen: int | None = Field(
        None, description="Cash only: what the payer handed over; the change is tendered − total."
    )
    key: str | None = Field(
        None,
        pattern=COUNTER_KEY_PATTERN,
        description="The counter form's one-time key (24 hex digits): sent again, it records the payment "
        "once and answers the first one with created false. Without it, X-Idempotency-Key stands in.",
    )


class RefundRequestIn(Schema):
    amount_fen: int = Field(..., description="Fen to refund; at most what the payment still has to refund.")
    reason: str = Field(..., max_length=200)


class RefundRejectIn(Schema):
    reason: str = Field("", max_length=200)


class RefundListQuery(PageQuery):
    community: int | None = Field(None, description="Only this community (default: all you may see).")
    state: RefundState | None = Field(None, description="Only refunds in this state (default: all).")
    household: int | None = None


class ReceiptListQuery(PageQuery):
    community: int | None = Field(None, description="Only this community (default: all you may see).")
    household: int | None = None
    first: date | None = Field(None, description="Issued on or after this day (Beijing time).")
    last: date | None = Field(None, description="Issued on or before this day (Beijing time).")
    method: PaymentMethod | None = None


# --- outputs -----------------------------------------------------------------------------------------


class ReceiptRefOut(Schema):
    pk: int
    number: str = Field(..., description="As printed (eight digits).")

    @staticmethod
    def resolve_number(receipt) -> str:
        return receipt.display_number


class ReceiptItemOut(Schema):
    description: str = Field(..., description="Month, fee item and room of a line paid; or the late fees.")
    amount_fen: int


class RefundOut(Schema):
    pk: int
    community: int
    payment: int = Field(..., description="pk of the payment attempt refunded.")
    household: HouseholdRefOut | None = Field(..., description="None for a visitor's (temporary parking).")
    out_refund_no: str
    amount_fen: int
    reason: str
    state: RefundState
    from_prepayment_fen: int = Field(..., description="Taken from the prepayment balance on approval.")
    from_lines_fen: int = Field(..., description="Taken back from the lines the payment paid (they reopen).")
    failure_reason: str
    requested_by: str | None
    approved_by: str | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_community(refund) -> int:
        return refund.community_id

    @staticmethod
    def resolve_payment(refund) -> int:
        return refund.attempt_id

    @staticmethod
    def resolve_requested_by(refund) -> str | None:
        return _username(refund.requested_by)

    @staticmethod
    def resolve_approved_by(refund) -> str | None:
        return _username(refund.approved_by)


class RefundPageOut(Schema):
    count: int
    page: int
    limit: int
    items: list[RefundOut]


class PaymentOut(Schema):
    pk: int
    community: int
    household: HouseholdRefOut | None = Field(..., description="None for a visitor's (temporary parking).")
    channel: Channel
    method: PaymentMethod
    out_trade_no: str
    state: AttemptState
    amount_fen: int = Field(..., description="What the payer was asked for, late fees included.")
    tendered_fen: int | None = Field(..., description="Cash handed over at the counter.")
    excess_fen: int = Field(..., description="Kept as prepayment (lines paid meanwhile by someone else).")
    channel_trade_no: str
    failure_reason: str
    created_by: str | None = Field(..., description="Who took it at the counter; null online.")
    created_at: datetime
    paid_at: datetime | None
    receipt: ReceiptRefOut | None

    @staticmethod
    def resolve_community(attempt) -> int:
        return attempt.community_id

    @staticmethod
    def resolve_created_by(attempt) -> str | None:
        return _username(attempt.created_by)


class PaymentPageOut(Schema):
    count: int
    page: int
    limit: int
    items: list[PaymentOut]


class PaymentDetailOut(PaymentOut):
    late_fee_fen: int = Field(..., description="Late fees the order asked for, within amount_fen.")
    items: list[ReceiptItemOut] = Field(..., description="What the payment paid; empty until it is applied.")
    refundable_fen: int = Field(..., description="What can still be refunded of it.")
    refunds: list[RefundOut] = Field(..., description="Newest first.")

    @staticmethod
    def resolve_late_fee_fen(attempt) -> int:
        return attempt.order.late_fee_fen

    @staticmethod
    def resolve_items(attempt) -> list:
        return receipt_items(receipt=attempt.receipt) if attempt.receipt_id else []

    @staticmethod
    def resolve_refundable_fen(attempt) -> int:
        return refundable_fen(attempt)

    @staticmethod
    def resolve_refunds(attempt) -> list:
        refunds = attempt.refunds.select_related("household", "requested_by", "approved_by")
        return list(refunds.order_by("-created_at", "-pk"))


class PaymentTakeOut(Schema):
    created: bool = Field(..., description="False: this key was used before; its payment is shown.")
    change_fen: int = Field(..., description="Cash to hand back.")
    payment: PaymentDetailOut


class ReceiptOut(Schema):
    pk: int
    community: int
    number: str = Field(..., description="As printed (eight digits).")
    household: HouseholdRefOut | None = Field(..., description="None for a visitor's (temporary parking).")
    kind: ReceiptKind
    method: PaymentMethod
    amount_fen: int
    payer_name: str
    rooms: str
    issued_by: str | None
    issued_at: datetime
    void_requested_at: datetime | None
    voided_at: datetime | None

    @staticmethod
    def resolve_community(receipt) -> int:
        return receipt.community_id

    @staticmethod
    def resolve_number(receipt) -> str:
        return receipt.display_number

    @staticmethod
    def resolve_rooms(receipt) -> str:
        return receipt.rooms_label

    @staticmethod
    def resolve_issued_by(receipt) -> str | None:
        return _username(receipt.issued_by)


class ReceiptPageOut(Schema):
    count: int
    page: int
    limit: int
    items: list[ReceiptOut]


class ReceiptDetailOut(ReceiptOut):
    note: str
    void_reason: str
    items: list[ReceiptItemOut]
    verify_url: str = Field(..., description="The public page its QR code opens (anyone may check it).")
    pdf_url: str = Field(..., description="GET it with your token for the PDF.")

    @staticmethod
    def resolve_items(receipt) -> list:
        return receipt_items(receipt=receipt)

    @staticmethod
    def resolve_verify_url(receipt) -> str:
        return receipt_verify_url(receipt)

    @staticmethod
    def resolve_pdf_url(receipt) -> str:
        return reverse("api:receipt_pdf", kwargs={"receipt_pk": receipt.pk})
