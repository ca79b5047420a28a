"""Input and output schemas of /api/v1, one explicit class per shape; nothing is derived from a model.

Outputs name objects by ``pk`` and refer to their community by its pk. Enumerated fields carry the
stored value (``"vacant"``), never the translated label, so clients can rely on them.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Schema

from wuye.estate.enums import RoomState, RoomUse
from wuye.households.enums import PersonKind, TagColour, TagKind

PAGE_SIZE_DEFAULT = 50
PAGE_SIZE_MAX = 200


class ErrorOut(Schema):
    detail: str = Field(..., description="A human-readable message in the request's language.")


class NamedRefOut(Schema):
    pk: int
    name: str


# --- inputs: query strings and bodies ------------------------------------------------------------


class PageQuery(Schema):
    page: int = Field(1, ge=1, description="1-based page number.")
    limit: int = Field(PAGE_SIZE_DEFAULT, ge=1, le=PAGE_SIZE_MAX, description="Items per page.")


class HouseholdListQuery(PageQuery):
    community: int | None = Field(None, description="Only this community (default: all you may see).")
    q: str = Field("", max_length=60, description="Household or person name, phone, room number, plate.")
    tag: list[int] = Field(default_factory=list, description="Households carrying all of these tags.")
    without: list[int] = Field(default_factory=list, description="Households carrying none of these tags.")
    building: int | None = Field(None, description="Households with a room in this building.")
    state: RoomState | None = Field(None, description="Households with a room in this state.")


class RoomListQuery(PageQuery):
    community: int | None = None
    building: int | None = None
    state: RoomState | None = None
    q: str = Field("", max_length=20, description="Part of the room number.")


class TagListQuery(Schema):
    community: int | None = None


class HouseholdTagIn(Schema):
    tag: int = Field(..., description="pk of a manual tag of the household's community.")


# --- outputs -------------------------------------------------------------------------------------


class CommunityOut(Schema):
    pk: int
    name: str
    address: str
    phone: str
    permissions: list[str] = Field(..., description="What your roles allow in this community.")


class TagBriefOut(Schema):
    pk: int
    name: str
    colour: TagColour
    kind: TagKind


class TagOut(Schema):
    pk: int
    community: int
    name: str
    colour: TagColour
    kind: TagKind
    rule: str = Field(..., description="For system tags, the rule that sets them; empty for manual tags.")
    group: NamedRefOut | None
    description: str
    households: int = Field(..., description="How many households carry the tag.")

    @staticmethod
    def resolve_community(tag) -> int:
        return tag.community_id


class RoomBriefOut(Schema):
    pk: int
    label: str
    building: str
    unit: str
    number: str
    state: RoomState

    @staticmethod
    def resolve_building(room) -> str:
        return room.building.name

    @staticmethod
    def resolve_unit(room) -> str:
        return room.unit.name


class RoomOut(Schema):
    pk: int
    community: int
    label: str
    building: NamedRefOut
    unit: NamedRefOut
    number: str
    floor: int
    built_area: Decimal = Field(..., description="Built-up area in m², two decimals.")
    inner_area: Decimal = Field(..., description="Inner area in m², two decimals.")
    use: RoomUse
    state: RoomState

    @staticmethod
    def resolve_community(room) -> int:
        return room.community_id


class RoomPageOut(Schema):
    count: int
    page: int
    limit: int
    items: list[RoomOut]


class PersonBriefOut(Schema):
    pk: int
    kind: PersonKind
    name: str


class PersonOut(Schema):
    pk: int
    kind: PersonKind
    name: str
    phone: str
    id_number_masked: str = Field(..., description="The ID number with all but its ends masked.")
    relation: str
    moved_in_on: date | None
    moved_out_on: date | None


class VehicleOut(Schema):
    pk: int
    plate: str
    model: str


class EmergencyContactOut(Schema):
    pk: int
    name: str
    phone: str
    relation: str


def _rooms(household) -> list:
    return [link.room for link in household.room_links.all()]


def _tags(household) -> list:
    return sorted((link.tag for link in household.tag_links.all()), key=lambda tag: (tag.name, tag.pk))


class HouseholdListItemOut(Schema):
    pk: int
    community: int
    name: str
    rooms: list[RoomBriefOut]
    people: list[PersonBriefOut]
    tags: list[TagBriefOut]

    @staticmethod
    def resolve_community(household) -> int:
        return household.community_id

    @staticmethod
    def resolve_rooms(household) -> list:
        return _rooms(household)

    @staticmethod
    def resolve_people(household) -> list:
        return list(household.people.all())

    @staticmethod
    def resolve_tags(household) -> list:
        return _tags(household)


class HouseholdPageOut(Schema):
    count: int
    page: int
    limit: int
    items: list[HouseholdListItemOut]


class HouseholdDetailOut(Schema):
    pk: int
    community: int
    name: str
    notes: str
    created_at: datetime
    updated_at: datetime
    rooms: list[RoomBriefOut]
    people: list[PersonOut]
    vehicles: list[VehicleOut]
    emergency_contacts: list[EmergencyContactOut]
    tags: list[TagBriefOut]

    @staticmethod
    def resolve_community(household) -> int:
        return household.community_id

    @staticmethod
    def resolve_rooms(household) -> list:
        return _rooms(household)

    @staticmethod
    def resolve_people(household) -> list:
        return list(household.people.all())

    @staticmethod
    def resolve_vehicles(household) -> list:
        return list(household.vehicles.all())

    @staticmethod
    def resolve_emergency_contacts(household) -> list:
        return list(household.emergency_contacts.all())

    @staticmethod
    def resolve_tags(household) -> list:
        return _tags(household)


class HouseholdTagsOut(Schema):
    changed: bool = Field(..., description="False when the household already was in the asked state.")
    tags: list[TagBriefOut] = Field(..., description="The household's tags after the change.")
