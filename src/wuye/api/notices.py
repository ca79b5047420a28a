"""Notices (公告): the list, one notice with its read counts, a new draft, publish (now or scheduled)
and withdraw.

Every operation needs ``notices.manage`` in the notice's community, as the console's pages do; any
other notice answers 404, and so do buildings and tags of a community you may not publish in. The
state machine is the domain's (``notice_transition``): publishing a withdrawn notice, withdrawing a
draft, or a schedule not in the future answer 400 and change nothing.
"""

from __future__ import annotations

from django.db.models import Count
from django.http import Http404
from ninja import Query, Router

from wuye.api.pagination import page_of
from wuye.api.schemas import ErrorOut
from wuye.api.schemas_work import NoticeDetailOut, NoticeIn, NoticeListQuery, NoticePageOut, NoticePublishIn
from wuye.core.enums import Permission
from wuye.core.models import communities_for
from wuye.core.tenancy import scoped_get
from wuye.estate.models import Building
from wuye.households.models import Tag
from wuye.notices.domain import notices as domain
from wuye.notices.domain.queries import notice_read_counts
from wuye.notices.models import Notice

router = Router(tags=["notices"])

MANAGE = Permission.NOTICES_MANAGE
WRITE_RESPONSES = {200: NoticeDetailOut, 400: ErrorOut, 404: ErrorOut}


def _detail(notice_pk: int) -> Notice:
    notice = Notice.objects.select_related("created_by").get(pk=notice_pk)
    counts = notice_read_counts(notice=notice)
    notice.targeted, notice.read = counts.targeted, counts.read
    return notice


def _of_community(model, request, community_pk: int, pks: list[int]) -> list:
    """The buildings or tags named, all of the notice's community and visible to the user; else 404."""
    chosen = set(pks)
    found = list(
        model.objects.for_user(request.user, MANAGE).filter(community_id=community_pk, pk__in=chosen)
    )
    if len(found) != len(chosen):
        raise Http404
    return found


@router.get("", response=NoticePageOut, operation_id="notice_list")
def notice_list(request, filters: Query[NoticeListQuery]):
    """Notices, pinned first, then newest first (the console's order)."""
    notices = Notice.objects.for_user(request.user, MANAGE).select_related("created_by")
    if filters.community is not None:
        notices = notices.filter(community_id=filters.community)
    if filters.state is not None:
        notices = notices.filter(state=filters.state)
    notices = notices.annotate(read_count=Count("reads")).order_by("-pinned", "-created_at", "-pk")
    return page_of(notices, page=filters.page, limit=filters.limit)


@router.get("/{notice_pk}", response={200: NoticeDetailOut, 404: ErrorOut}, operation_id="notice_detail")
def notice_detail(request, notice_pk: int):
    """One notice with its target buildings or tags, and how many targeted households have read it."""
    return _detail(scoped_get(Notice.objects, request, MANAGE, pk=notice_pk).pk)


@router.post("", response=WRITE_RESPONSES, operation_id="notice_create")
def notice_create(request, payload: NoticeIn):
    """A draft notice; nobody sees it until it is published."""
    community = communities_for(request.user, MANAGE).filter(pk=payload.community).first()
    if community is None:
        raise Http404
    notice = domain.notice_create(
        community=community,
        title=payload.title,
        body=payload.body,
        audience=payload.audience,
        buildings=_of_community(Building, request, community.pk, payload.buildings),
        tags=_of_community(Tag, request, community.pk, payload.tags),
        pinned=payload.pinned,
        urgent=payload.urgent,
        expires_at=payload.expires_at,
        actor=request.user,
    )
    return _detail(notice.pk)


@router.post("/{notice_pk}/publish", response=WRITE_RESPONSES, operation_id="notice_publish")
def notice_publish(request, notice_pk: int, payload: NoticePublishIn):
    """Publish now (its households' people are notified once), or with ``publish_at`` schedule it."""
    notice = scoped_get(Notice.objects, request, MANAGE, pk=notice_pk)
    if payload.publish_at is not None:
        domain.notice_schedule(notice=notice, publish_at=payload.publish_at, actor=request.user)
    else:
        domain.notice_publish(notice=notice, actor=request.user)
    return _detail(notice.pk)


@router.post("/{notice_pk}/withdraw", response=WRITE_RESPONSES, operation_id="notice_withdraw")
def notice_withdraw(request, notice_pk: int):
    """Withdraw a scheduled or published notice: owners no longer see it. It cannot be changed after."""
    notice = scoped_get(Notice.objects, request, MANAGE, pk=notice_pk)
    domain.notice_withdraw(notice=notice, actor=request.user)
    return _detail(notice.pk)
