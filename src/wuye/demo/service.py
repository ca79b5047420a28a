"""The demo's service desk (报事报修): a category tree with its deadlines, two teams of the demo's staff,
and the last few weeks' requests across the categories in every state (open ones, done, rated by the owner,
closed after the return visit), so that an owner can report a repair on a fresh demo and the desk's
lists, dashboard and performance pages are not empty.

Everything goes through the service domain functions, as in production. Idempotent: a community that
has categories already is left alone.
"""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone

from wuye.core.models import Community
from wuye.households.enums import PersonKind
from wuye.households.models import Household
from wuye.service.domain.categories import category_create
from wuye.service.domain.requests import request_rate, request_submit, request_transition
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
# (child category, type, description, how far the request got, stars the owner gave, days ago)
REQUESTS = (
    (
        "漏水渗水",
        RequestType.REPAIR,
        "卫生间天花板渗水，楼上可能漏水，请尽快上门查看。",
        "submitted",
        None,
        1,
    ),
    ("电梯故障", RequestType.REPAIR, "2号电梯按键失灵，到不了12楼。", "in_progress", None, 1),
    ("下水堵塞", RequestType.REPAIR, "厨房下水堵塞，已疏通好，谢谢师傅。", "done", None, 2),
    ("噪音扰民", RequestType.COMPLAINT, "晚上十一点后楼上装修噪音很大。", "accepted", None, 1),
    ("水龙头与阀门", RequestType.REPAIR, "阳台水龙头关不紧，一直滴水。", "closed", 5, 20),
    ("停电跳闸", RequestType.REPAIR, "厨房插座一用电饭煲就跳闸。", "closed", 4, 17),
    ("路灯照明", RequestType.REPAIR, "楼栋门口的路灯不亮，晚上很黑。", "rated", 5, 9),
    ("门禁与道闸", RequestType.REPAIR, "单元门禁刷卡没有反应。", "closed", None, 14),
    ("垃圾清运", RequestType.COMPLAINT, "楼下垃圾桶满了两天没有清运。", "closed", 3, 12),
    ("服务态度", RequestType.COMPLAINT, "前台接电话时态度不太好，希望改进。", "closed", 4, 25),
    ("公共区域保洁", RequestType.REPAIR, "楼道里有宠物粪便，请安排清理。", "done", None, 3),
    ("绿化养护", RequestType.SUGGESTION, "建议修剪楼前的大树，挡住了低层的光线。", "assigned", None, 4),
    ("其他建议", RequestType.SUGGESTION, "建议在小区北门增设快递柜。", "submitted", None, 2),
    ("漏水渗水", RequestType.REPAIR, "外墙渗水，卧室墙面发霉了。", "in_progress", None, 6),
)
STEPS = {
    "submitted": (),
    "accepted": (RequestAction.ACCEPT,),
    "assigned": (RequestAction.ACCEPT, RequestAction.ASSIGN),
    "in_progress": (RequestAction.ACCEPT, RequestAction.ASSIGN, RequestAction.START),
    "done": (RequestAction.ACCEPT, RequestAction.ASSIGN, RequestAction.START, RequestAction.FINISH),
}
STEPS["rated"] = (*STEPS["done"], RequestAction.RATE)
STEPS["closed"] = (*STEPS["done"], RequestAction.CLOSE)
# Where a request about a common area is (the others are in the household's home).
PLACES = {
    "电梯故障": "2单元电梯",
    "路灯照明": "楼栋门口",
    "门禁与道闸": "1单元门禁",
    "垃圾清运": "楼下垃圾收集点",
    "公共区域保洁": "楼道",
    "绿化养护": "楼前绿地",
    "服务态度": "物业服务中心",
    "其他建议": "小区北门",
}
# Who of each team takes its requests in the demo.
ASSIGNEES = {"维修班": "tech", "客服组": "frontdesk"}


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
        Household.objects.filter(community=community, room_links__isnull=False)
        .distinct()
        .order_by("pk")[: len(REQUESTS)]
    )
    team_of = {kid: team for _name, kids, team, *_rest in CATEGORIES for kid in kids}
    now = timezone.now()
    for index, ((category, kind, text, reached, stars, days_ago), household) in enumerate(
        zip(REQUESTS, households, strict=False)
    ):
        at = now - datetime.timedelta(days=days_ago, hours=6 * (index % 4) + 2)
        link = household.room_links.select_related("room__building").first()
        owner = household.people.filter(kind=PersonKind.OWNER).first()
        request = request_submit(
            community=community,
            channel=RequestChannel.PORTAL if index % 3 == 1 else RequestChannel.PHONE,
            category=children[category],
            description=text,
            type=kind,
            household=household,
            room=link.room if category not in PLACES else None,
            building=link.room.building if category in PLACES else None,
            location_text=PLACES.get(category, ""),
            contact_name=household.name,
            actor=actor,
            now=at,
        )
        steps = STEPS[reached]
        if reached == "closed" and stars:
            steps = (*STEPS["done"], RequestAction.RATE, RequestAction.CLOSE)
        for minutes, action in enumerate(steps, 1):
            when = at + datetime.timedelta(minutes=25 * minutes * (1 + index % 3))
            if action == RequestAction.RATE:
                request = request_rate(request=request, person=owner, stars=stars, now=when)
                continue
            request = request_transition(
                request=request,
                action=action,
                actor=actor,
                assignee=users.get(ASSIGNEES[team_of[category]]) if action == RequestAction.ASSIGN else None,
                note={RequestAction.FINISH: "已处理完毕", RequestAction.CLOSE: "已回访，业主满意"}.get(
                    action, ""
                ),
                now=when,
            )
    return True
