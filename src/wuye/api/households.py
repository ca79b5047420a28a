"""Households (一户一档) and their tags.

Reads need ``archive.view``, tag changes ``archive.edit``, in the household's community. A household
outside those communities answers 404, exactly like one that does not exist.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.errors import HttpError

from wuye.api.pagination import page_of
from wuye.api.schemas import (
    ErrorOut,
    HouseholdDetailOut,
    HouseholdListQuery,
    HouseholdPageOut,
    HouseholdTagIn,
    HouseholdTagsOut,
)
from wuye.core.enums import Permission
from wuye.core.tenancy import scoped_get
from wuye.households.domain.households import tags_apply, tags_remove
from wuye.households.domain.queries import HouseholdFilter, households_for_list
from wuye.households.models import Household, HouseholdTag, Tag

router = Router(tags=["households"])


@router.get("", response=HouseholdPageOut, operation_id="household_list")
def household_list(request, filters: Query[HouseholdListQuery]):
    """Households, filtered as in the console's household list, ordered by pk.

    ``tag`` may be repeated: a household must carry every one of them. Without ``community`` the list
    spans all communities in which you may view the archive.
    """
    households = Household.objects.for_user(request.user, Permission.ARCHIVE_VIEW)
    if filters.community is not None:
        households = households.filter(community_id=filters.community)
    # The schema has validated the query string; the archive's own filter reads it, so the API and
    # the console can never disagree about what a filter means.
    households = HouseholdFilter.from_query(request.GET).apply(households).order_by("pk")
    return page_of(households_for_list(households), page=filters.page, limit=filters.limit)


@router.get(
    "/{household_pk}", response={200: HouseholdDetailOut, 404: ErrorOut}, operation_id="household_detail"
)
def household_detail(request, household_pk: int):
    """One household with its rooms, people (ID numbers masked), vehicles, contacts and tags."""
    households = households_for_list(Household.objects.all()).prefetch_related(
        "vehicles", "emergency_contacts"
    )
    return scoped_get(households, request, Permission.ARCHIVE_VIEW, pk=household_pk)


def _household_tags(household: Household) -> list[Tag]:
    links = HouseholdTag.objects.filter(household=household).select_related("tag")
    return sorted((link.tag for link in links), key=lambda tag: (tag.name, tag.pk))


def _tag_in_community_of(request, household: Household, tag_pk: int) -> Tag | None:
    """A tag of the household's community that the user may put on households there."""
    tags = Tag.objects.filter(community_id=household.community_id)
    return tags.for_user(request.user, Permission.ARCHIVE_EDIT).filter(pk=tag_pk).first()


@router.post(
    "/{household_pk}/tags",
    response={200: HouseholdTagsOut, 400: ErrorOut, 404: ErrorOut},
    operation_id="household_tag_apply",
)
def household_tag_apply(request, household_pk: int, payload: HouseholdTagIn):
    """Put a manual tag on the household.

    Naturally idempotent, so no ``X-Idempotency-Key`` is needed: applying a tag the household already
    carries changes nothing, logs nothing and answers 200 with ``changed: false``; a retried request
    is therefore harmless. System tags (set by rules) are refused with 400.
    """
    household = scoped_get(Household.objects, request, Permission.ARCHIVE_EDIT, pk=household_pk)
    tag = _tag_in_community_of(request, household, payload.tag)
    if tag is None:
        raise HttpError(404, _("Tag not found."))
    # A queryset of one: the domain works on sets (a filter's results), the API on one household.
    # tags_apply logs one audit row per household it changed, on the household's timeline.
    added = tags_apply(tag=tag, households=Household.objects.filter(pk=household.pk), actor=request.user)
    return {"changed": added > 0, "tags": _household_tags(household)}


@router.delete(
    "/{household_pk}/tags/{tag_pk}",
    response={200: HouseholdTagsOut, 400: ErrorOut, 404: ErrorOut},
    operation_id="household_tag_remove",
)
def household_tag_remove(request, household_pk: int, tag_pk: int):
    """Take a manual tag off the household. Idempotent: removing an absent tag answers ``changed: false``."""
    household = scoped_get(Household.objects, request, Permission.ARCHIVE_EDIT, pk=household_pk)
    tag = _tag_in_community_of(request, household, tag_pk)
    if tag is None:
        raise HttpError(404, _("Tag not found."))
    removed = tags_remove(tag=tag, households=Household.objects.filter(pk=household.pk), actor=request.user)
    return {"changed": removed > 0, "tags": _household_tags(household)}
