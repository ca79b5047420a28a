"""Page/limit pagination shared by the list endpoints: a total count and one slice of an ordered queryset."""

from __future__ import annotations

from django.db.models import QuerySet


def page_of(queryset: QuerySet, *, page: int, limit: int) -> dict:
    """``queryset`` must be ordered, or pages could overlap between requests."""
    start = (page - 1) * limit
    return {
        "count": queryset.count(),
        "page": page,
        "limit": limit,
        "items": list(queryset[start : start + limit]),
    }
