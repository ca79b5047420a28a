"""The demo's service desk (报事报修): a category tree with its deadlines, two teams of the demo's staff,
and a few requests in different states, so that an owner can report a repair on a fresh demo and the
desk's lists, dashboard and performance pages are not empty.

Everything goes through the service domain functions, as in production. Idempotent: a community that
has categories already is left alone.
"""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone

from wuye.core.models import Community
from wuye.households.models import Household
from wuye.service.domain.categories import category_create
from wuye.service.domain.requests import request_submit, request_transition
from wuye.service.domain.teams import team_create
from wuye.service.enums import RequestAction, RequestChannel, RequestType
from wuye.service.models import ServiceCategory

# (category, its children, team, response minutes, completion hours)
CATEGORIES: tuple[tuple[str, tuple[str, ...], str, int, int], ...] = (
    ("水电维修", ("漏水渗水", "停电跳闸", "下水堵塞", "水龙头与阀门"), "维修班", 30, 24),
    ("公共设施", ("电梯故障", "门禁与道闸", "路灯照明"), "维修班", 15, 12),
    ("保洁绿化", ("公共区域保洁", "垃圾清运", "绿化养护"), "客服组", 60, 48),
    ("投诉与建议", ("噪音扰民", "服务态度", "其他建议"), "客服组", 60, 72),
)
# (team, usernames of its members in rotation order)
TEAMS = (("维修班", ("tech", "supervisor")), ("客服组", ("frontdesk", "supervisor")))
# (child category, type, description, how far the request got)
REQUESTS = (
    ("漏水渗水", RequestType.REPAIR, "卫生间天花板渗水，楼上可能漏水，请尽快上门查看。", "submitted"),
    ("电梯故障", RequestType.REPAIR, "2号电梯按键失灵，到不了12楼。", "in_progress"),
    ("下水堵塞", RequestType.REPAIR, "厨房下水堵塞，已疏通好，谢谢师傅。", "done"),
    ("噪音扰民", RequestType.COMPLAINT, "晚上十一点后楼上装修噪音很大。", "accepted"),
)


def seed_service(*, community: Community, actor) -> bool:
    """Categories, teams and a few requests; False when the community has its categories already."""
    if ServiceCategory.objects.filter(community=community).exists():
        return False
    users = {user.username: user for user in get_user_model().objects.all()}
    teams = {
        name: team_create(
            community=community,
            name=name,
            members=[users[username] for username in usernames if username in users],
            actor=actor,
        )
        for name, usernames in TEAMS
    }
    children = {}
    for position, (name, kids, team, response, completion) in enumerate(CATEGORIES):
        parent = category_create(
            community=community,
            actor=actor,
            name=name,
            team=teams[team],
            response_minutes=response,
            completion_hours=completion,
            position=position,
        )
        for index, kid in enumerate(kids):
            children[kid] = category_create(
                community=community, actor=actor, name=kid, parent=parent, position=index
            )
    households = list(
        Household.objects.filter(community=community, room_links__isnull=False).order_by("pk")[
            : len(REQUESTS)
        ]
    )
    started = timezone.now() - datetime.timedelta(hours=30)
    technician = users.get("tech")
    for index, ((category, kind, text, reached), household) in enumerate(
        zip(REQUESTS, households, strict=False)
    ):
        at = started + datetime.timedelta(hours=6 * index)
        link = household.room_links.select_related("room").first()
        request = request_submit(
            community=community,
            channel=RequestChannel.PHONE,
            category=children[category],
            description=text,
            type=kind,
            household=household,
            room=link.room if link else None,
            contact_name=household.name,
            actor=actor,
            now=at,
        )
        steps = {
            "submitted": (),
            "accepted": (RequestAction.ACCEPT,),
            "in_progress": (RequestAction.ACCEPT, RequestAction.ASSIGN, RequestAction.START),
            "done": (RequestAction.ACCEPT, RequestAction.ASSIGN, RequestAction.START, RequestAction.FINISH),
        }[reached]
        for minutes, action in enumerate(steps, 1):
            request = request_transition(
                request=request,
                action=action,
                actor=actor,
                assignee=technician if action == RequestAction.ASSIGN else None,
                note="已修复" if action == RequestAction.FINISH else "",
                now=at + datetime.timedelta(minutes=20 * minutes),
            )
    return True
