"""Schemas of the owner API (/api/v1/owner/): what an owner's app sends and receives.

Enumerated fields carry the stored value (``"submitted"``), never the translated label; objects
are named by ``pk``. Phone numbers of other people are masked.
"""

from __future__ import annotations

from datetime import date, datetime

from ninja import Field, Schema

from wuye.api.schemas import NamedRefOut
from wuye.households.domain.queries import people_living_in, vehicles_of
from wuye.households.enums import PersonKind
from wuye.owners.enums import Language
from wuye.payments.limits import MAX_COUNTER_FEN
from wuye.service.domain.queries import request_comments
from wuye.service.enums import RequestAction
from wuye.service.rules import is_allowed


class LoginCodeIn(Schema):
    phone: str = Field(..., max_length=20, description="The owner's 11-digit mobile number.")


class LoginCodeOut(Schema):
    detail: str
    expires_in: int = Field(..., description="Seconds the code stays valid.")


class LoginVerifyIn(Schema):
    phone: str = Field(..., max_length=20)
    code: str = Field(..., max_length=6, description="The six digits received by SMS.")


class OwnerAccountOut(Schema):
    pk: int
    phone: str
    display_name: str
    language: Language
    email: str


class OwnerTokenOut(Schema):
    token: str = Field(..., description="Send it as `Authorization: Bearer <token>`; shown once.")
    expires_at: datetime
    account: OwnerAccountOut


class OwnerHouseholdOut(Schema):
    pk: int
    name: str
    community: NamedRefOut
    rooms: list[str]
    person: str | None = Field(..., description="The archive person you act as in this household.")

    @staticmethod
    def resolve_pk(binding) -> int:
        return binding.household_id

    @staticmethod
    def resolve_name(binding) -> str:
        return binding.household.name

    @staticmethod
    def resolve_community(binding):
        return binding.household.community

    @staticmethod
    def resolve_rooms(binding) -> list[str]:
        return [str(link.room) for link in binding.household.room_links.all()]

    @staticmethod
    def resolve_person(binding) -> str | None:
        return binding.person.name if binding.person_id else None


class OwnerPersonOut(Schema):
    pk: int
    name: str
    kind: PersonKind
    relation: str
    phone_masked: str


class OwnerVehicleOut(Schema):
    plate: str
    model: str


class OwnerHouseholdDetailOut(OwnerHouseholdOut):
    people: list[OwnerPersonOut]
    vehicles: list[OwnerVehicleOut]

    @staticmethod
    def resolve_people(binding) -> list:
        return people_living_in(binding.household)

    @staticmethod
    def resolve_vehicles(binding) -> list:
        return vehicles_of(binding.household)


class CategoryOut(Schema):
    pk: int
    name: str
    children: list[NamedRefOut]


class RequestIn(Schema):
    """Multipart form fields of a new request; photos go in the ``photos`` file field (up to 4)."""

    type: str = Field("repair", description="repair, complaint, inquiry, suggestion or praise.")
    category: int = Field(..., description="pk of a category of the household's community.")
    room: int | None = Field(None, description="pk of one of the household's rooms; empty for a common area.")
    building: int | None = Field(None, description="For a common area: pk of the building, if any.")
    location_text: str = Field("", max_length=100, description="For a common area: where.")
    description: str = Field(..., max_length=2000)
    preferred_time: datetime | None = None


class RequestOut(Schema):
    pk: int
    household: int
    type: str
    category: str
    state: str
    location: str
    description: str
    submitted_at: datetime
    done_at: datetime | None
    stars: int | None
    rating_comment: str

    @staticmethod
    def resolve_household(request) -> int:
        return request.household_id

    @staticmethod
    def resolve_category(request) -> str:
        return str(request.category)


class CommentOut(Schema):
    by: str = Field(..., description='"owner" or "office".')
    body: str
    created_at: datetime

    @staticmethod
    def resolve_by(comment) -> str:
        return "owner" if comment.person_id else "office"


class PhotoOut(Schema):
    pk: int
    content_type: str
    size: int


class RequestDetailOut(RequestOut):
    preferred_time: datetime | None
    comments: list[CommentOut] = Field(
        ..., description="Messages between you and the office (no internal notes)."
    )
    photos: list[PhotoOut]
    can_cancel: bool
    can_rate: bool

    @staticmethod
    def resolve_comments(request) -> list:

        return list(request_comments(request=request, public_only=True))

    @staticmethod
    def resolve_can_cancel(request) -> bool:

        return is_allowed(RequestAction.CANCEL, request.state)

    @staticmethod
    def resolve_can_rate(request) -> bool:

        return is_allowed(RequestAction.RATE, request.state)


class RatingIn(Schema):
    stars: int = Field(..., ge=1, le=5)
    comment: str = Field("", max_length=500)


class CommentIn(Schema):
    body: str = Field(..., min_length=1, max_length=2000)


class NoticeOut(Schema):
    pk: int
    title: str
    urgent: bool
    pinned: bool
    publish_at: datetime
    is_read: bool


class NoticeDetailOut(NoticeOut):
    body: str


class BillOut(Schema):
    """A bill that is due. Billing fills the list through ``owners.domain.queries.bills_for_household``."""

    pk: int
    title: str
    amount_fen: int = Field(..., description="Amount due in fen (1 yuan = 100 fen).")
    due_on: date | None
    state: str


class ReceiptItemOut(Schema):
    description: str = Field(..., description="What was paid: month and fee item, or the prepayment.")
    amount_fen: int


class ReceiptOut(Schema):
    number: str = Field(..., description="The receipt number as printed (eight digits).")
    kind: str = Field(..., description="payment, prepayment (at the counter) or topup (online prepayment).")
    method: str = Field(..., description="How it was paid: wechat, alipay, cash, card, transfer, debit ….")
    amount_fen: int
    issued_at: datetime
    voided_at: datetime | None = Field(None, description="Set when the receipt was voided.")
    items: list[ReceiptItemOut]
    pdf_url: str = Field(..., description="The receipt as a PDF, for anyone holding this address.")


class ReceiptPageOut(Schema):
    count: int
    page: int
    limit: int
    items: list[ReceiptOut]


class BillHistoryLineOut(Schema):
    fee_item: str
    room: str
    due_fen: int = Field(..., description="What the line asks: amount with adjustments, less waivers.")
    paid_fen: int
    outstanding_fen: int
    is_void: bool


class BillPaymentOut(Schema):
    kind: str = Field(..., description="The ledger transaction: payment, prepayment_use, refund ….")
    label: str = Field(..., description="How it was paid (the receipt's method), or what moved the money.")
    amount_fen: int = Field(..., description="Fen it paid the bill (negative: taken back by a refund).")
    at: datetime
    receipt_number: str | None = None
    receipt_pdf_url: str | None = None


class BillHistoryOut(Schema):
    pk: int
    period: date
    state: str = Field(..., description="open, partial, paid, waived or void.")
    due_on: date
    due_fen: int
    paid_fen: int
    outstanding_fen: int
    lines: list[BillHistoryLineOut]
    payments: list[BillPaymentOut] = Field(..., description="What paid the bill, oldest first.")


class BillHistoryPageOut(Schema):
    count: int
    page: int
    limit: int
    items: list[BillHistoryOut]


class RentPeriodOut(Schema):
    number: int
    starts_on: date
    ends_on: date
    months: int
    monthly_fen: int = Field(..., description="The monthly rent of the lease year the period falls in.")
    amount_fen: int
    status: str = Field(
        ...,
        description="paid; billed (on a bill, still owed); due (not billed yet); empty when the office bills "
        "no rent (an owner's lease).",
    )
    outstanding_fen: int


class LeaseOut(Schema):
    pk: int
    number: str
    room: str
    landlord: str = Field(..., description="The household that lets, or the property company.")
    state: str = Field(..., description="active, ended or terminated.")
    starts_on: date
    ends_on: date
    rent_fen: int = Field(..., description="Monthly rent of the first year, in fen.")
    cycle: int = Field(..., description="Months of rent per bill: 1, 3, 6 or 12.")
    escalation: str = Field(..., description="none, percent (basis points) or amount (fen), each year.")
    escalation_value: int
    deposit_fen: int
    deposit_held_fen: int
    owed_fen: int = Field(..., description="Rent billed and not paid yet.")
    bills_rent: bool = Field(..., description="False: owner and tenant settle rent and deposit themselves.")
    schedule: list[RentPeriodOut]


class PrepaymentOut(Schema):
    balance_fen: int = Field(..., description="Money held for the household's next bills, in fen.")


class PayLineOut(Schema):
    pk: int
    period: date
    fee_item: str
    room: str
    outstanding_fen: int = Field(..., description="What the line still owes.")
    late_fee_due_fen: int = Field(..., description="The late fee paying it today costs on top.")


class PayOut(Schema):
    methods: list[str] = Field(..., description="The online channels open in the community: wechat, alipay.")
    lines: list[PayLineOut] = Field(..., description="Every open line, oldest month first.")


class PaymentIn(Schema):
    lines: list[int] = Field(..., min_length=1, max_length=500, description="Open lines to pay (pk).")
    method: str = Field(..., description="One of the methods the pay listing offers.")
    jsapi: bool = Field(
        False,
        description="WeChat Pay inside WeChat (a mini program, the official account's pages): pay with the "
        "account's linked WeChat (openid) and get the JSAPI parameters instead of a QR code.",
    )


class TopupIn(Schema):
    amount_fen: int = Field(..., gt=0, le=MAX_COUNTER_FEN, description="Fen to hold as prepayment.")
    method: str = Field(..., description="One of the methods the pay listing offers.")
    jsapi: bool = Field(
        False, description="As for a payment of bills: WeChat's pay sheet instead of a QR code."
    )


class PaymentReceiptOut(Schema):
    number: str
    pdf_url: str


class PaymentOut(Schema):
    pk: int
    out_trade_no: str
    method: str
    state: str = Field(..., description="pending, succeeded, failed, unknown, closed ….")
    amount_fen: int
    code_url: str = Field(
        ..., description="What the QR code holds (pay it with the channel's app); empty for JSAPI."
    )
    jsapi_params: dict[str, str] | None = Field(
        None, description="For JSAPI: what WeixinJSBridge getBrandWCPayRequest (or wx.requestPayment) takes."
    )
    receipt: PaymentReceiptOut | None = Field(None, description="Once paid.")


class ActivityOut(Schema):
    pk: int
    title: str
    description: str
    place: str
    starts_at: datetime
    ends_at: datetime | None
    signup_deadline: datetime
    capacity: int
    places_left: int
    signed_up: list[int] = Field(..., description="The household's people signed up (person pk).")


class SignupIn(Schema):
    person: int = Field(..., description="A current person of the household (pk, from the household detail).")


class BindingRequestIn(Schema):
    community: int = Field(..., description="The community (pk, from GET /owner/communities).")
    building: str = Field(..., min_length=1, max_length=40, examples=["1栋"])
    unit: str = Field(..., min_length=1, max_length=40, examples=["1单元"])
    number: str = Field(..., min_length=1, max_length=20, examples=["101"])
    name: str = Field(..., min_length=1, max_length=40, description="The name on the deed or lease.")
    last_four: str = Field(
        ..., min_length=4, max_length=4, description="Of that person's ID number or phone."
    )


class BindingRequestOut(Schema):
    pk: int
    community: str
    room: str
    name: str
    state: str = Field(..., description="pending, approved, rejected or withdrawn.")
    reason: str = Field(..., description="Why the office refused, when it did.")
    created_at: datetime
    decided_at: datetime | None
