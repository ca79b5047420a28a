"""Input and output schemas of the meters, service and notices operations of /api/v1.

Readings are decimals sent as strings ("12.50"), exactly as stored. Enumerated fields carry the stored
value (``"in_progress"``, ``"water"``), never a label. People are named by their username.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Schema

from wuye.api.schemas import NamedRefOut, PageQuery, RoomBriefOut
from wuye.api.schemas_billing import MONTH_PATTERN, HouseholdRefOut
from wuye.billing.enums import MeterKind
from wuye.notices.enums import Audience, NoticeState
from wuye.service.domain.queries import request_comments, request_history
from wuye.service.enums import (
    CommentVisibility,
    EventKind,
    RequestAction,
    RequestChannel,
    RequestState,
    RequestType,
)

REQUEST_STATE_PATTERN = "^(open|" + "|".join(RequestState.values) + ")$"


def _username(user) -> str | None:
    return user.get_username() if user is not None else None


# --- meters ------------------------------------------------------------------------------------------


class MeterListQuery(PageQuery):
    community: int | None = Field(None, description="Only this community (default: all you may see).")
    building: int | None = Field(None, description="The building's room meters and shared meters.")
    kind: MeterKind | None = None
    active: bool | None = Field(None, description="Only active (true) or deactivated (false) meters.")


class ReadingIn(Schema):
    month: str = Field(
        ..., pattern=MONTH_PATTERN, description='The month read, "YYYY-MM" (not a future one).'
    )
    value: Decimal = Field(
        ..., max_digits=14, decimal_places=2, description="The meter's value at the month's end."
    )
    replaced: bool = Field(False, description="The meter was replaced (换表): the new one counts from start.")
    start: Decimal | None = Field(
        None, max_digits=14, decimal_places=2, description="The new meter's start value (default 0)."
    )


class MeterOut(Schema):
    pk: int
    community: int
    kind: MeterKind
    number: str
    room: RoomBriefOut | None = Field(..., description="null: a shared meter of its building.")
    building: NamedRefOut | None
    is_active: bool

    @staticmethod
    def resolve_community(meter) -> int:
        return meter.community_id

    @staticmethod
    def resolve_building(meter):
        return meter.building or (meter.room.building if meter.room_id else None)


class MeterPageOut(Schema):
    count: int
    page: int
    limit: int
    items: list[MeterOut]


class ShareOut(Schema):
    room: int = Field(..., description="pk of a room of the building.")
    usage: Decimal

    @staticmethod
    def resolve_room(share) -> int:
        return share.room_id


class ReadingOut(Schema):
    pk: int
    meter: int
    month: str = Field(..., description='"YYYY-MM".')
    value: Decimal
    usage: Decimal = Field(..., description="Fixed when entered: value − the previous value (or − start).")
    replaced: bool
    read_on: date | None
    entered_by: str | None
    shares: list[ShareOut] = Field(..., description="A shared meter's usage by room, by built-up area.")

    @staticmethod
    def resolve_meter(reading) -> int:
        return reading.meter_id

    @staticmethod
    def resolve_month(reading) -> str:
        return f"{reading.period:%Y-%m}"

    @staticmethod
    def resolve_entered_by(reading) -> str | None:
        return _username(reading.entered_by)

    @staticmethod
    def resolve_shares(reading) -> list:
        return sorted(reading.shares.all(), key=lambda share: share.room_id)


class ReadingPageOut(Schema):
    count: int
    page: int
    limit: int
    items: list[ReadingOut]


class ReadingEnteredOut(Schema):
    created: int
    changed: int
    unchanged: int = Field(..., description="1 when the same value was entered again: nothing changed.")
    reading: ReadingOut


# --- service -----------------------------------------------------------------------------------------


class RequestListQuery(PageQuery):
    community: int | None = Field(None, description="Only this community (default: all you may see).")
    state: str = Field(
        "", pattern=f"{REQUEST_STATE_PATTERN}|^$", description='A state, or "open" for every open one.'
    )
    type: RequestType | None = None
    category: int | None = Field(None, description="This category or its subcategories.")
    building: int | None = None
    assignee: int | None = Field(None, description="pk of the staff member; 0: nobody yet.")
    overdue: bool = Field(False, description="Only requests past a deadline.")
    q: str = Field("", max_length=60, description="Description, place, household, room number, phone, #pk.")


class RequestActionIn(Schema):
    action: RequestAction = Field(..., description="One of the actions the request's detail lists.")
    note: str = Field("", max_length=500, description="Needed to reject.")
    assignee: int | None = Field(None, description="pk of the staff member, to assign or transfer.")


class CommentIn(Schema):
    body: str = Field(..., max_length=2000)
    internal: bool = Field(True, description="An internal note (true) or a message the owner sees.")


class CategoryRefOut(Schema):
    pk: int
    name: str = Field(..., description="With its parent: 水电 / 漏水.")

    @staticmethod
    def resolve_name(category) -> str:
        parent = category.parent
        return f"{parent.name} / {category.name}" if parent is not None else category.name


class StaffRefOut(Schema):
    pk: int
    username: str
    name: str

    @staticmethod
    def resolve_name(user) -> str:
        return user.get_full_name() or user.get_username()


class RequestOut(Schema):
    pk: int
    community: int
    type: RequestType
    channel: RequestChannel
    state: RequestState
    category: CategoryRefOut
    household: HouseholdRefOut | None
    room: RoomBriefOut | None
    location_text: str
    description: str
    contact_name: str
    contact_phone: str
    assignee: StaffRefOut | None
    submitted_at: datetime
    response_due_at: datetime
    completion_due_at: datetime
    responded_at: datetime | None
    done_at: datetime | None
    closed_at: datetime | None
    stars: int | None
    charge_fen: int

    @staticmethod
    def resolve_community(item) -> int:
        return item.community_id


class RequestPageOut(Schema):
    count: int
    page: int
    limit: int
    items: list[RequestOut]


class RequestEventOut(Schema):
    kind: EventKind
    action: str
    from_state: str
    to_state: str
    escalation: str
    actor: str | None
    assignee: str | None
    note: str
    at: datetime

    @staticmethod
    def resolve_actor(event) -> str | None:
        return _username(event.actor)

    @staticmethod
    def resolve_assignee(event) -> str | None:
        return _username(event.assignee)


class RequestCommentOut(Schema):
    pk: int
    visibility: CommentVisibility
    author: str | None = Field(..., description="The staff member; null when the owner wrote it.")
    person: str | None = Field(..., description="The owner who wrote it.")
    body: str
    created_at: datetime

    @staticmethod
    def resolve_author(comment) -> str | None:
        return _username(comment.author)

    @staticmethod
    def resolve_person(comment) -> str | None:
        return comment.person.name if comment.person_id else None


class RequestDetailOut(RequestOut):
    rating_comment: str
    return_visit_result: str
    return_visit_note: str
    charge_note: str
    is_overdue: bool
    actions: list[RequestAction] = Field(..., description="What you may do to it now.")
    history: list[RequestEventOut]
    comments: list[RequestCommentOut] = Field(..., description="Internal notes and messages, oldest first.")

    @staticmethod
    def resolve_history(item) -> list:
        return list(request_history(request=item))

    @staticmethod
    def resolve_comments(item) -> list:
        return list(request_comments(request=item))


# --- notices -----------------------------------------------------------------------------------------


class NoticeListQuery(PageQuery):
    community: int | None = Field(None, description="Only this community (default: all you may see).")
    state: NoticeState | None = None


class NoticeIn(Schema):
    community: int = Field(..., description="pk of a community where you may publish notices.")
    title: str = Field(..., max_length=100)
    body: str
    audience: Audience = Audience.COMMUNITY
    buildings: list[int] = Field(default_factory=list, description="For audience buildings: their pks.")
    tags: list[int] = Field(default_factory=list, description="For audience tags: their pks.")
    pinned: bool = False
    urgent: bool = Field(False, description="e.g. a water or power outage")
    expires_at: datetime | None = None


class NoticePublishIn(Schema):
    publish_at: datetime | None = Field(None, description="Schedule for this time instead of publishing now.")


class NoticeOut(Schema):
    pk: int
    community: int
    title: str
    body: str
    audience: Audience
    state: NoticeState
    pinned: bool
    urgent: bool
    publish_at: datetime | None
    expires_at: datetime | None
    notified_at: datetime | None
    withdrawn_at: datetime | None
    created_by: str | None
    created_at: datetime

    @staticmethod
    def resolve_community(notice) -> int:
        return notice.community_id

    @staticmethod
    def resolve_created_by(notice) -> str | None:
        return _username(notice.created_by)


class NoticeListItemOut(NoticeOut):
    read_count: int = Field(..., description="Households that have read it.")


class NoticePageOut(Schema):
    count: int
    page: int
    limit: int
    items: list[NoticeListItemOut]


class NoticeDetailOut(NoticeOut):
    buildings: list[NamedRefOut]
    tags: list[NamedRefOut]
    targeted: int = Field(..., description="Households the notice is for, as they are now.")
    read: int = Field(..., description="Of those, how many have read it.")

    @staticmethod
    def resolve_buildings(notice) -> list:
        return sorted(notice.buildings.all(), key=lambda building: building.pk)

    @staticmethod
    def resolve_tags(notice) -> list:
        return sorted(notice.tags.all(), key=lambda tag: tag.pk)
