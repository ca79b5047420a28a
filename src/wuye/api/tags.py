"""Tags (标签) of the household archive. Reading them needs ``archive.view``."""

from __future__ import annotations

from django.db.models import Count
from ninja import Query, Router

from wuye.api.schemas import TagListQuery, TagOut
from wuye.core.enums import Permission
from wuye.households.models import Tag

router = Router(tags=["tags"])


@router.get("", response=list[TagOut], operation_id="tag_list")
def tag_list(request, filters: Query[TagListQuery]):
    """Every tag of the communities you may see (a community has dozens, so no pagination)."""
    tags = Tag.objects.for_user(request.user, Permission.ARCHIVE_VIEW)
    if filters.community is not None:
        tags = tags.filter(community_id=filters.community)
    return (
        tags.select_related("group")
        .annotate(households=Count("household_links"))
        .order_by("community_id", "group__position", "name", "pk")
    )
