"""Scoping helpers for the edge apps: the current community and 404 for anything outside a user's roles."""

from __future__ import annotations

from django.http import Http404

from wuye.core.models import Community, communities_for

SESSION_KEY = "wuye_community"


def current_community(request, permission: str) -> Community:
    """The community the user is working in, limited to those where ``permission`` is granted.

    Raises 404 when the user holds no such role anywhere (the page does not exist for them).
    """
    allowed = communities_for(request.user, permission)
    chosen = request.session.get(SESSION_KEY)
    community = allowed.filter(pk=chosen).first() if chosen else None
    if community is None:
        community = allowed.order_by("pk").first()
    if community is None:
        raise Http404
    return community


def scoped_get(queryset, request, permission: str, **lookup):
    """Fetch one tenant object the user may see with ``permission``; 404 otherwise (never 403)."""
    try:
        return queryset.for_user(request.user, permission).get(**lookup)
    except queryset.model.DoesNotExist:
        raise Http404 from None
