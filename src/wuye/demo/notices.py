"""The demo's notices (公告) and a community activity (社区活动) with sign-ups, so the console's notice
board and the owners' portal read like a living community's.

Everything goes through the notices domain functions (created, then published at a past moment, which
notifies the owners bound to the portal once, as in production). Idempotent: a community that has
notices already is left alone.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from wuye.core.models import Community
from wuye.estate.models import Building
from wuye.households.enums import PersonKind
from wuye.households.models import Person, Tag
from wuye.notices.domain.activities import activity_create, activity_signup
from wuye.notices.domain.notices import notice_create, notice_publish
from wuye.notices.enums import Audience
from wuye.notices.models import Notice

# (title, body, audience, published days ago, pinned, urgent, days it stays up or None)
NOTICES: tuple[tuple[str, str, str, int, bool, bool, int | None], ...] = (
    (
        "物业费缴纳提醒",
        "各位业主：本月账单已出，请于本月15日前缴纳。可在业主端扫码用微信或支付宝缴费，也可到物业服务中心"
        "柜台以现金或银行卡缴纳；已签约银行代扣的业主无需操作。逾期将按规定计收滞纳金。如对账单有疑问，"
        "请致电物业服务中心。",
        Audience.COMMUNITY,
        2,
        True,
        False,
        None,
    ),
    (
        "停水通知",
        "因市政供水管网维修，本周六 9:00 至 17:00 以下楼栋暂停供水，请提前储水，关好水龙头。"
        "恢复供水初期水质可能浑浊，请放水片刻后再使用。给您带来不便，敬请谅解。",
        Audience.BUILDINGS,
        1,
        False,
        True,
        5,
    ),
    (
        "电梯年度检验通知",
        "特种设备检验所将于下周二至周四对小区电梯进行年度检验，每部电梯停用约两小时，"
        "检验期间请使用同单元另一部电梯或步行楼梯。检验结果将张贴于各电梯轿厢内。",
        Audience.COMMUNITY,
        6,
        False,
        False,
        14,
    ),
    (
        "冬季关爱上门探访",
        "入冬后，物业管家将逐户上门探访独居老人，检查燃气、电器和门窗，并留下管家联系电话。"
        "如有需要，请随时致电物业服务中心。",
        Audience.TAGS,
        9,
        False,
        False,
        None,
    ),
    (
        "消防安全提示",
        "请勿在楼道、消防通道堆放杂物，电动自行车请勿上楼入户充电，请到小区集中充电点充电。"
        "物业将每周巡查，发现占用消防通道的物品将予以清理。",
        Audience.COMMUNITY,
        24,
        False,
        False,
        None,
    ),
)
DRAFT = ("春节期间服务安排", "春节期间物业服务中心值班安排如下（草稿，待确认后发布）。")
ACTIVITY = {
    "title": "冬至包饺子·邻里联欢",
    "description": "冬至到，一起包饺子！物业备好面粉、肉馅和蔬菜，欢迎业主带上孩子参加，现场还有书法家写福字。",
    "place": "社区活动中心一楼",
}
ACTIVITY_CAPACITY = 40
ACTIVITY_SIGNUPS = 14


def seed_notices(*, community: Community, actor) -> bool:
    """Published notices (one urgent to two buildings, one to a tag), a draft and an activity with
    sign-ups; False when the community has notices already."""
    if Notice.objects.filter(community=community).exists():
        return False
    now = timezone.now()
    buildings = list(Building.objects.filter(community=community).order_by("pk")[2:4])
    elderly = list(Tag.objects.filter(community=community, name="独居老人"))
    for title, body, audience, days_ago, pinned, urgent, stays in NOTICES:
        if (audience == Audience.BUILDINGS and not buildings) or (audience == Audience.TAGS and not elderly):
            audience = Audience.COMMUNITY
        published = now - datetime.timedelta(days=days_ago, hours=1)
        notice = notice_create(
            community=community,
            title=title,
            body=f"{body}\n\n停水楼栋：{'、'.join(b.name for b in buildings)}"
            if audience == Audience.BUILDINGS
            else body,
            audience=audience,
            buildings=buildings if audience == Audience.BUILDINGS else (),
            tags=elderly if audience == Audience.TAGS else (),
            pinned=pinned,
            urgent=urgent,
            expires_at=published + datetime.timedelta(days=stays) if stays else None,
            actor=actor,
        )
        notice_publish(notice=notice, actor=actor, now=published)
    notice_create(community=community, title=DRAFT[0], body=DRAFT[1], actor=actor)
    starts = timezone.localtime(now).replace(hour=15, minute=0, second=0, microsecond=0) + datetime.timedelta(
        days=12
    )
    activity = activity_create(
        community=community,
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=3),
        capacity=ACTIVITY_CAPACITY,
        signup_deadline=starts - datetime.timedelta(days=2),
        actor=actor,
        **ACTIVITY,
    )
    people = Person.objects.filter(
        community=community, kind=PersonKind.OWNER, household__room_links__isnull=False
    ).order_by("pk")
    for person in people.distinct()[5 : 5 + ACTIVITY_SIGNUPS]:  # not the portal's demo owners
        activity_signup(activity=activity, person=person, actor=actor, now=now)
    return True
