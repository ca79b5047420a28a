"""The demo: one property company, two communities, about 3,300 rooms and their households.

Everything is decided by a seeded ``random.Random`` from a plan (pure Python, no database), then
written with ``bulk_create`` inside one transaction per community. Seeding is idempotent: a community
that already has rooms is left alone, so ``wuye demo`` can run before every ``runserver``.

The per-object audit log of the domain functions is bypassed on purpose (thousands of rows nobody
would read); each seeded community gets one ``demo.seeded`` entry instead. Rule-based tags (空置) are
set by ``tags_refresh``, as in production.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import random
import time
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils.translation import gettext_lazy

from wuye.core.audit import log_action, register_actions
from wuye.core.enums import Role
from wuye.core.models import Community, Company, StaffRole
from wuye.demo.access import seed_access
from wuye.demo.billing import seed_billing
from wuye.demo.debit import seed_debit
from wuye.demo.debit_batches import seed_debit as seed_debit_batches
from wuye.demo.history import seed_history
from wuye.demo.notices import seed_notices
from wuye.demo.parking import seed_parking
from wuye.demo.partner import seed_partner_demo
from wuye.demo.recon import seed_recon
from wuye.demo.rental import seed_rental
from wuye.demo.service import seed_service
from wuye.estate.enums import RoomState, RoomUse
from wuye.estate.models import Building, Room, Unit
from wuye.estate.signals import room_changed
from wuye.households.domain.tagrules import tags_refresh
from wuye.households.enums import PersonKind, TagColour
from wuye.households.models import (
    EmergencyContact,
    Household,
    HouseholdRoom,
    HouseholdTag,
    Person,
    Tag,
    TagGroup,
    Vehicle,
)
from wuye.paysim.seed import orders_write

register_actions({"demo.seeded": gettext_lazy("Demo data seeded")})

DEMO_PASSWORD = "wuye-demo"  # noqa: S105 (the published password of the demo logins, demo only)
BATCH = 500

# ---------------------------------------------------------------------------------------------
# The plan: what the demo estate looks like
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class BuildingPlan:
    name: str
    units: int
    floors: int
    rooms_per_floor: int
    # Built-up area range (m²) of each position on a floor; every floor repeats the same plan.
    areas: tuple[tuple[int, int], ...] = ()
    use: str = RoomUse.RESIDENTIAL
    shops: bool = False  # floor 1 is street-front shops (商铺)
    storage_per_unit: int = 0  # storage rooms (储藏室) per unit in the basement, floor -1
    note: str = ""


@dataclasses.dataclass(frozen=True)
class CommunityPlan:
    key: str
    name: str
    address: str
    phone: str
    handover: datetime.date  # when the developer handed the keys over (交房)
    buildings: tuple[BuildingPlan, ...]


COMPANY = "安居物业服务有限公司"

TOWER_4 = ((118, 142), (86, 98), (60, 72), (125, 160))  # 四房 · 两房 · 一房 · 大四房
TOWER_4B = ((105, 128), (82, 95), (82, 95), (108, 132))
VILLA_2 = ((138, 156), (142, 160))  # 洋房

COMMUNITIES: tuple[CommunityPlan, ...] = (
    CommunityPlan(
        key="jinxiu",
        name="锦绣花园",
        address="广东省深圳市南山区桃园路88号",
        phone="0755-26881234",
        handover=datetime.date(2012, 6, 30),
        buildings=(
            *(
                BuildingPlan(
                    name=f"{n}栋",
                    units=3,
                    floors=18,
                    rooms_per_floor=4,
                    areas=TOWER_4,
                    shops=n in (1, 2),
                    storage_per_unit=6 if n >= 5 else 0,
                    note="临街一层为商铺" if n in (1, 2) else ("地下一层设储藏室" if n >= 5 else ""),
                )
                for n in range(1, 9)
            ),
        ),
    ),
    CommunityPlan(
        key="cuihu",
        name="翠湖苑",
        address="广东省深圳市宝安区新安街道翠湖路66号",
        phone="0755-27765432",
        handover=datetime.date(2016, 9, 28),
        buildings=(
            *(
                BuildingPlan(
                    name=f"{n}栋",
                    units=2,
                    floors=26,
                    rooms_per_floor=4,
                    areas=TOWER_4B,
                    shops=n in (1, 3),
                    note="临街一层为商铺" if n in (1, 3) else "",
                )
                for n in range(1, 7)
            ),
            *(
                BuildingPlan(name=f"{n}栋", units=2, floors=8, rooms_per_floor=2, areas=VILLA_2, note="洋房")
                for n in range(7, 11)
            ),
            BuildingPlan(
                name="停车楼",
                units=1,
                floors=3,
                rooms_per_floor=40,
                use=RoomUse.PARKING,
                note="三层停车楼，产权车位",
            ),
        ),
    ),
)

# Staff logins: username, role, name shown in the console, role label for the printed table.
LOGINS: tuple[tuple[str, str, str, str], ...] = (
    ("admin", Role.ADMINISTRATOR, "林志远", "管理员 Administrator"),
    ("supervisor", Role.SUPERVISOR, "陈丽华", "主管 Supervisor"),
    ("frontdesk", Role.FRONT_DESK, "黄晓敏", "前台 Front desk"),
    ("cashier", Role.CASHIER, "周静", "收费员 Cashier"),
    ("tech", Role.TECHNICIAN, "张建国", "维修工 Technician"),
    ("bank", Role.BANK, "刘洋", "合作银行（只读）Partner bank"),
    ("accountant", Role.ACCOUNTANT, "吴敏", "会计 Accountant"),
)

# Tag groups (name, position) and their manual tags (name, colour, description).
TAG_GROUPS: tuple[tuple[str, int, tuple[tuple[str, str, str], ...]], ...] = (
    (
        "关怀",
        1,
        (
            ("独居老人", TagColour.ORANGE, "独自居住的七十岁以上老人，每月上门探访"),
            ("残疾人", TagColour.PURPLE, "行动不便，报修与缴费优先上门服务"),
        ),
    ),
    (
        "身份",
        2,
        (
            ("党员", TagColour.RED, "在社区党支部登记的党员"),
            ("租户", TagColour.BLUE, "房屋出租，有租户居住"),
            ("业委会成员", TagColour.GREEN, "业主委员会委员"),
        ),
    ),
    ("管理", 3, (("重点关注", TagColour.RED, "需要物业重点跟进的住户"),)),
)

# ---------------------------------------------------------------------------------------------
# Names, numbers and plates
# ---------------------------------------------------------------------------------------------

_SURNAMES_COMMON = "王李张刘陈杨黄赵吴周"
_SURNAMES_USUAL = "徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"
_SURNAMES_RARE = "彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃戴莫孔汤"
SURNAMES = _SURNAMES_COMMON + _SURNAMES_USUAL + _SURNAMES_RARE
_SURNAME_WEIGHTS = [6] * len(_SURNAMES_COMMON) + [3] * len(_SURNAMES_USUAL) + [1] * len(_SURNAMES_RARE)

MALE_CHARS = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆旭宁龙林阳建国志文海峰亮成东晨博毅哲睿宏"
FEMALE_CHARS = "芳娜敏静丽艳娟霞秀玲英婷雪慧颖琳洁倩萍红燕丹蕾薇佳欣悦怡梅莉兰琴云晶璐瑶琪妍"


def _words(text: str, sep: str | None = None) -> tuple[str, ...]:
    return tuple(word.strip() for word in text.split(sep))


ELDER_MALE = _words("德福 国强 建华 志刚 永明 振国 金生 福贵 长林 树森 庆华 宝山")
ELDER_FEMALE = _words("秀英 桂兰 淑珍 凤英 玉兰 秀兰 桂英 素芬 美华 月娥 淑华 惠芳")
CHILD_MALE = _words("子轩 浩然 宇轩 俊熙 梓豪 睿哲 一鸣 浩宇 明轩 宇航 嘉豪 思远")
CHILD_FEMALE = _words("欣怡 梓涵 雨桐 诗涵 一诺 梓萱 可馨 语嫣 思彤 佳怡 若汐 雨萱")

MOBILE_PREFIXES = _words(
    "130 131 132 133 135 136 137 138 139 150 151 152 153 155 156 157 158 159 "
    "166 173 175 176 177 178 180 181 182 183 185 186 187 188 189 191 193 195 198 199"
)

# Birthplace area codes (行政区划代码): mostly Shenzhen and Guangdong, the rest from the provinces
# people move to Shenzhen from.
ID_REGIONS = _words(
    "440305 440306 440304 440303 440307 440106 440104 441302 445202 440513 440882 "
    "430103 430602 431102 360102 360403 450103 420106 421002 510104 350102 410105 "
    "610113 230102 320106"
)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)

PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O on Chinese plates
PLATE_ELSEWHERE = _words("粤A 粤S 粤E 粤L 湘A 赣B 桂A 鄂A 川A 闽D")
CAR_MODELS = _words(
    "比亚迪 秦PLUS、比亚迪 汉、比亚迪 宋PLUS、丰田 凯美瑞、丰田 卡罗拉、本田 雅阁、本田 思域、"
    "大众 朗逸、大众 帕萨特、日产 轩逸、别克 GL8、吉利 星瑞、长安 CS75、特斯拉 Model 3、"
    "特斯拉 Model Y、理想 L7、蔚来 ES6、小鹏 P7、宝马 3系、奔驰 C级、奥迪 A4L、五菱 宏光MINI",
    "、",
)
SHOP_TRADES = _words("便利店 药店 快递驿站 理发店 面馆 水果店 洗衣店 房产中介 奶茶店 五金店")
WATCH_NOTES = (
    "多次反映楼上漏水，需回访跟进",
    "对物业费标准有异议，沟通中",
    "装修噪音被邻居投诉过两次",
    "家中有长期卧床病人，注意用电安全",
    "曾在楼道堆放杂物，已提醒",
    "联系电话常打不通，优先短信通知",
)
ELSEWHERE_NOTES = ("业主长期在外地工作", "业主在香港工作，周末回来", "房屋待售", "业主移居国外，委托亲属代管")


def id_checksum(first17: str) -> str:
    """The 18th character of a resident ID (GB 11643, ISO 7064 MOD 11-2)."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


class _Names:
    """Deterministic people-data source for one community: names, unique mobiles, IDs, plates."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.phones: set[str] = set()
        self.plates: set[str] = set()

    def surname(self) -> str:
        return self.rng.choices(SURNAMES, _SURNAME_WEIGHTS)[0]

    def given(self, *, male: bool, born: int) -> str:
        rng = self.rng
        if born <= 1960 and rng.random() < 0.7:
            return rng.choice(ELDER_MALE if male else ELDER_FEMALE)
        if born >= 2005 and rng.random() < 0.7:
            return rng.choice(CHILD_MALE if male else CHILD_FEMALE)
        chars = MALE_CHARS if male else FEMALE_CHARS
        if rng.random() < 0.35:
            return rng.choice(chars)
        return rng.choice(chars) + rng.choice(chars)

    def name(self, *, male: bool, born: int, surname: str | None = None) -> str:
        return (surname or self.surname()) + self.given(male=male, born=born)

    def mobile(self) -> str:
        while True:
            phone = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if phone not in self.phones:
                self.phones.add(phone)
                return phone

    def id_number(self, *, male: bool, born: int) -> str:
        rng = self.rng
        birthday = datetime.date(born, 1, 1) + datetime.timedelta(days=rng.randrange(365))
        sequence = rng.randrange(0, 500) * 2 + (1 if male else 0)  # odd for men, even for women
        first17 = f"{rng.choice(ID_REGIONS)}{birthday:%Y%m%d}{sequence:03d}"
        return first17 + id_checksum(first17)

    def plate(self) -> str:
        rng = self.rng
        while True:
            prefix = "粤B" if rng.random() < 0.88 else rng.choice(PLATE_ELSEWHERE)
            if rng.random() < 0.18:  # new-energy plate: D or F and five digits
                tail = rng.choice("DF") + f"{rng.randrange(10**5):05d}"
            else:
                chars = [rng.choice("0123456789") for _ in range(5)]
                for position in rng.sample(range(5), rng.choice((0, 0, 1, 1, 2))):
                    chars[position] = rng.choice(PLATE_LETTERS)
                tail = "".join(chars)
            plate = prefix + tail
            if plate not in self.plates:
                self.plates.add(plate)
                return plate


# ---------------------------------------------------------------------------------------------
# Planning (pure: no database)
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class RoomSpec:
    building: str
    unit: str
    number: str
    floor: int
    built_area: Decimal
    inner_area: Decimal
    use: str
    state: str


@dataclasses.dataclass
class PersonSpec:
    kind: str
    name: str
    phone: str = ""
    id_number: str = ""
    relation: str = ""
    moved_in_on: datetime.date | None = None
    moved_out_on: datetime.date | None = None


@dataclasses.dataclass
class HouseholdSpec:
    name: str
    rooms: list[int]  # indexes into the community's rooms
    since: datetime.date
    notes: str = ""
    people: list[PersonSpec] = dataclasses.field(default_factory=list)
    vehicles: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    contacts: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)
    tags: set[str] = dataclasses.field(default_factory=set)

    @property
    def has_tenants(self) -> bool:
        return any(p.kind == PersonKind.TENANT and p.moved_out_on is None for p in self.people)


@dataclasses.dataclass
class Plan:
    community: CommunityPlan
    rooms: list[RoomSpec]
    households: list[HouseholdSpec]


def _scaled(plan: BuildingPlan, scale: float) -> BuildingPlan:
    if scale == 1:
        return plan
    if plan.use == RoomUse.PARKING:
        return BuildingPlan(
            name=plan.name,
            units=plan.units,
            floors=max(1, round(plan.floors * scale)),
            rooms_per_floor=max(4, round(plan.rooms_per_floor * scale)),
            use=plan.use,
            note=plan.note,
        )
    return BuildingPlan(
        name=plan.name,
        units=plan.units,
        floors=max(2, round(plan.floors * scale)),
        rooms_per_floor=plan.rooms_per_floor,
        areas=plan.areas,
        use=plan.use,
        shops=plan.shops,
        storage_per_unit=max(1, round(plan.storage_per_unit * scale)) if plan.storage_per_unit else 0,
        note=plan.note,
    )


def _area(cents: int, ratio_permille: int) -> tuple[Decimal, Decimal]:
    return Decimal(cents).scaleb(-2), Decimal(round(cents * ratio_permille / 1000)).scaleb(-2)


def _state(rng: random.Random, use: str) -> str:
    if use == RoomUse.RESIDENTIAL:
        weights = (70, 14, 13, 3)
    elif use == RoomUse.SHOP:
        weights = (25, 55, 15, 5)
    elif use == RoomUse.PARKING:  # in use by its owner, or unsold
        weights = (72, 0, 28, 0)
    else:  # storage rooms sell worse than parking spaces
        weights = (60, 0, 40, 0)
    states = (RoomState.SELF_OCCUPIED, RoomState.RENTED, RoomState.VACANT, RoomState.DECORATING)
    return rng.choices(states, weights)[0]


def plan_rooms(*, community: CommunityPlan, scale: float = 1.0, rng: random.Random) -> list[RoomSpec]:
    rooms: list[RoomSpec] = []
    for building in (_scaled(b, scale) for b in community.buildings):
        if building.use == RoomUse.PARKING:
            for unit_index in range(building.units):
                unit = f"{'ABCDEFGH'[unit_index]}区"
                for floor in range(1, building.floors + 1):
                    for position in range(1, building.rooms_per_floor + 1):
                        built, inner = _area(rng.randint(1200, 1500), rng.randint(780, 850))
                        rooms.append(
                            RoomSpec(
                                building.name,
                                unit,
                                f"P{floor}-{position:03d}",
                                floor,
                                built,
                                inner,
                                RoomUse.PARKING,
                                _state(rng, RoomUse.PARKING),
                            )
                        )
            continue
        # One floor plan per building: each position has its base area and inner ratio on every
        # floor, with the few hundredths of difference that real deeds show.
        layout = [(rng.randint(lo * 100, hi * 100), rng.randint(780, 850)) for lo, hi in building.areas]
        shop_layout = [(rng.randint(3500, 12000), rng.randint(800, 850)) for _ in building.areas]
        for unit_index in range(1, building.units + 1):
            unit = f"{unit_index}单元"
            for position in range(1, building.storage_per_unit + 1):
                built, inner = _area(rng.randint(600, 1500), rng.randint(780, 850))
                rooms.append(
                    RoomSpec(
                        building.name,
                        unit,
                        f"B1{position:02d}",
                        -1,
                        built,
                        inner,
                        RoomUse.STORAGE,
                        _state(rng, RoomUse.STORAGE),
                    )
                )
            for floor in range(1, building.floors + 1):
                use = RoomUse.SHOP if building.shops and floor == 1 else RoomUse.RESIDENTIAL
                for position in range(1, building.rooms_per_floor + 1):
                    cents, ratio = (shop_layout if use == RoomUse.SHOP else layout)[position - 1]
                    if use == RoomUse.RESIDENTIAL:
                        cents = min(16000, max(6000, cents + rng.randint(-30, 30)))
                    built, inner = _area(cents, ratio)
                    rooms.append(
                        RoomSpec(
                            building.name,
                            unit,
                            f"{floor}{position:02d}",
                            floor,
                            built,
                            inner,
                            use,
                            _state(rng, use),
                        )
                    )
    return rooms


def _date_between(rng: random.Random, start: datetime.date, end: datetime.date) -> datetime.date:
    return start + datetime.timedelta(days=rng.randint(0, max(0, (end - start).days)))


def _household(rng: random.Random, names: _Names, room: RoomSpec, since: datetime.date) -> HouseholdSpec:
    """An owner, and for a lived-in home the family or the tenants, cars and contacts."""
    male = rng.random() < 0.56
    born = min(1996, max(1946, int(rng.triangular(1946, 1997, 1978))))
    surname = names.surname()
    owner = PersonSpec(
        PersonKind.OWNER,
        names.name(male=male, born=born, surname=surname),
        phone=names.mobile(),
        id_number=names.id_number(male=male, born=born) if rng.random() < 0.55 else "",
    )
    household = HouseholdSpec(name=owner.name, rooms=[], since=since, people=[owner])
    lives_here = room.use == RoomUse.RESIDENTIAL and room.state == RoomState.SELF_OCCUPIED

    def member(relation: str, *, male: bool, born: int, surname: str | None = None) -> PersonSpec:
        adult = born <= 2007
        return PersonSpec(
            PersonKind.FAMILY,
            names.name(male=male, born=born, surname=surname),
            phone=names.mobile() if adult and rng.random() < 0.85 else "",
            id_number=names.id_number(male=male, born=born)
            if rng.random() < (0.35 if adult else 0.2)
            else "",
            relation=relation,
            moved_in_on=since,
        )

    if lives_here:
        owner.moved_in_on = since
        alone = born <= 1955 and rng.random() < 0.4
        if alone:
            household.tags.add("独居老人")
            for _ in range(rng.choice((1, 1, 2))):
                child_male = rng.random() < 0.5
                household.contacts.append(
                    (
                        names.name(male=child_male, born=born + 28, surname=surname),
                        names.mobile(),
                        "儿子" if child_male else "女儿",
                    )
                )
        else:
            spouse = None
            if rng.random() < 0.8:
                spouse = member("配偶", male=not male, born=born + rng.randint(-4, 3))
                household.people.append(spouse)
            family_surname = surname if male or spouse is None else spouse.name[0]
            if born <= 1957:
                if rng.random() < 0.25:
                    child_male = rng.random() < 0.5
                    household.people.append(
                        member(
                            "儿子" if child_male else "女儿",
                            male=child_male,
                            born=born + rng.randint(25, 33),
                            surname=family_surname,
                        )
                    )
            else:
                for _ in range(rng.choices((0, 1, 2), (25, 45, 30))[0]):
                    child_born = born + rng.randint(24, 36)
                    if child_born > 2023:
                        continue
                    child_male = rng.random() < 0.5
                    household.people.append(
                        member(
                            "儿子" if child_male else "女儿",
                            male=child_male,
                            born=child_born,
                            surname=family_surname,
                        )
                    )
                if born >= 1975 and rng.random() < 0.15:
                    father = rng.random() < 0.5
                    household.people.append(
                        member(
                            "父亲" if father else "母亲",
                            male=father,
                            born=born - rng.randint(26, 32),
                            surname=surname if father else None,
                        )
                    )
        if rng.random() < 0.2:
            household.contacts.append(
                (names.name(male=rng.random() < 0.5, born=born), names.mobile(), rng.choice(("亲属", "朋友")))
            )
        for _ in range(rng.choices((0, 1, 2), (47, 45, 8))[0]):
            household.vehicles.append((names.plate(), rng.choice(CAR_MODELS)))
    elif room.state == RoomState.RENTED:
        start = max(since, datetime.date(2021, 1, 1))
        moved_in = _date_between(rng, start, datetime.date(2025, 6, 30))
        if (moved_in - since).days > 400 and rng.random() < 0.2:  # the previous tenant, moved out
            earlier = _date_between(rng, since, moved_in - datetime.timedelta(days=400))
            tenant_male = rng.random() < 0.5
            tenant_born = rng.randint(1975, 2000)
            household.people.append(
                PersonSpec(
                    PersonKind.TENANT,
                    names.name(male=tenant_male, born=tenant_born),
                    phone=names.mobile(),
                    relation="承租人",
                    moved_in_on=earlier,
                    moved_out_on=moved_in - datetime.timedelta(days=rng.randint(3, 40)),
                )
            )
        count = 1 if room.use == RoomUse.SHOP else rng.choices((1, 2, 3), (40, 40, 20))[0]
        for index in range(count):
            tenant_male = rng.random() < 0.55
            tenant_born = rng.randint(1972, 2003)
            relation = "承租人" if index == 0 else rng.choice(("配偶", "合租人"))
            household.people.append(
                PersonSpec(
                    PersonKind.TENANT,
                    names.name(male=tenant_male, born=tenant_born),
                    phone=names.mobile(),
                    id_number=names.id_number(male=tenant_male, born=tenant_born)
                    if rng.random() < 0.7
                    else "",
                    relation=relation,
                    moved_in_on=moved_in,
                )
            )
        if room.use == RoomUse.SHOP:
            household.notes = f"出租经营：{rng.choice(SHOP_TRADES)}"
        elif rng.random() < 0.25:
            household.vehicles.append((names.plate(), rng.choice(CAR_MODELS)))
        if rng.random() < 0.15:
            household.contacts.append(
                (names.name(male=rng.random() < 0.5, born=born), names.mobile(), "亲属")
            )
    elif room.use == RoomUse.SHOP:
        household.notes = (
            f"业主自营：{rng.choice(SHOP_TRADES)}" if room.state != RoomState.VACANT else "商铺招租中"
        )
        if rng.random() < 0.1:
            household.vehicles.append((names.plate(), rng.choice(CAR_MODELS)))
    elif room.state == RoomState.DECORATING:
        household.notes = "装修中，装修押金已收"
    elif rng.random() < 0.3:  # vacant
        household.notes = rng.choice(ELSEWHERE_NOTES)
    return household


def plan_community(*, community: CommunityPlan, scale: float = 1.0) -> Plan:
    """Every room and household of one demo community, decided by a seeded generator."""
    rng = random.Random(f"wuye-demo:{community.key}:{scale:g}")
    names = _Names(rng)
    rooms = plan_rooms(community=community, scale=scale, rng=rng)
    households: list[HouseholdSpec] = []
    holder: dict[int, HouseholdSpec] = {}
    last_day = datetime.date(2024, 12, 31)

    def since_date() -> datetime.date:
        if rng.random() < 0.65:  # bought from the developer, moved in at handover
            return _date_between(rng, community.handover, community.handover + datetime.timedelta(days=180))
        return _date_between(rng, community.handover, last_day)  # bought second-hand later

    for index, room in enumerate(rooms):
        if room.use in (RoomUse.PARKING, RoomUse.STORAGE):
            continue
        if room.state == RoomState.VACANT and rng.random() < 0.8:
            continue  # unsold, still the developer's
        previous = holder.get(index - 1)
        if (
            previous is not None
            and len(previous.rooms) == 1
            and (rooms[index - 1].building, rooms[index - 1].unit) == (room.building, room.unit)
            and rooms[index - 1].floor == room.floor
            and room.use == RoomUse.RESIDENTIAL
            and rng.random() < 0.012
        ):
            # Two neighbouring flats bought together and joined (打通): one household, same state.
            rooms[index] = dataclasses.replace(room, state=rooms[index - 1].state)
            previous.rooms.append(index)
            holder[index] = previous
            continue
        household = _household(rng, names, room, since_date())
        household.rooms.append(index)
        holder[index] = household
        households.append(household)

    # Parking spaces and storage rooms in use belong to households that also hold a flat.
    with_car = [h for h in households if h.vehicles]
    by_building: dict[str, list[HouseholdSpec]] = {}
    for household in households:
        by_building.setdefault(rooms[household.rooms[0]].building, []).append(household)
    for index, room in enumerate(rooms):
        if room.use not in (RoomUse.PARKING, RoomUse.STORAGE) or room.state == RoomState.VACANT:
            continue
        candidates = with_car if room.use == RoomUse.PARKING else by_building.get(room.building, [])
        candidates = [h for h in candidates if len(h.rooms) == 1]
        if not candidates:
            rooms[index] = dataclasses.replace(room, state=RoomState.VACANT)
            continue
        household = rng.choice(candidates)
        household.rooms.append(index)

    _plan_tags(rng, rooms, households)
    return Plan(community=community, rooms=rooms, households=households)


def _plan_tags(rng: random.Random, rooms: list[RoomSpec], households: list[HouseholdSpec]) -> None:
    living = [
        h
        for h in households
        if rooms[h.rooms[0]].use == RoomUse.RESIDENTIAL and rooms[h.rooms[0]].state == RoomState.SELF_OCCUPIED
    ]
    for household in households:
        if household.has_tenants:
            household.tags.add("租户")
    for household in living:
        if rng.random() < 0.07:
            household.tags.add("党员")
        if rng.random() < 0.015:
            household.tags.add("残疾人")
    committee = rng.sample(living, min(7, len(living)))
    for household in committee:
        household.tags.add("业委会成员")
    for household in households:
        if rng.random() < 0.015:
            household.tags.add("重点关注")
            note = rng.choice(WATCH_NOTES)
            household.notes = f"{household.notes}；{note}" if household.notes else note


def plan_demo(*, scale: float = 1.0) -> list[Plan]:
    """The whole demo, without touching the database (tests check its size and mix from this)."""
    return [plan_community(community=community, scale=scale) for community in COMMUNITIES]


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass
class CommunityReport:
    name: str
    seeded_now: bool
    buildings: int
    rooms: int
    households: int
    people: int
    vehicles: int
    vacant_households: int


@dataclasses.dataclass
class LoginReport:
    username: str
    role_label: str
    display_name: str
    created: bool


@dataclasses.dataclass
class OwnerLoginReport:
    community: str
    room: str
    name: str
    phone: str


@dataclasses.dataclass
class SeedReport:
    company: str
    communities: list[CommunityReport]
    logins: list[LoginReport]
    password: str
    seconds: float
    owners: list[OwnerLoginReport] = dataclasses.field(default_factory=list)


def seed_logins(*, communities: list[Community]) -> list[LoginReport]:
    """The staff accounts of the demo, each with its role in every demo community.

    A new account gets the demo password; an existing one keeps whatever password it has.
    """
    user_model = get_user_model()
    reports = []
    password_hash = None
    with transaction.atomic():
        for username, role, display_name, label in LOGINS:
            user = user_model.objects.filter(username=username).first()
            created = user is None
            if created:
                password_hash = password_hash or make_password(DEMO_PASSWORD)  # hash once, ~0.3 s
                user = user_model(username=username, first_name=display_name, password=password_hash)
                user.save()
            for community in communities:
                StaffRole.objects.get_or_create(user=user, community=community, role=role)
            reports.append(LoginReport(username, label, display_name, created))
    return reports


DEMO_OWNERS_PER_COMMUNITY = 2


def seed_owner_accounts(*, communities: list[Community], actor=None) -> list[OwnerLoginReport]:
    """Invite the first owners (by household) of each community to the owner portal (/m/).

    Idempotent: inviting again changes nothing. They log in with their phone; without an SMS gateway
    the one-time code is in the development server's log (the console's SMS outbox keeps it masked).
    """
    from wuye.owners.domain.bindings import binding_invite  # the demo sits above every app
    from wuye.owners.validators import MOBILE

    reports = []
    for community in communities:
        owners = (
            Person.objects.filter(
                community=community, kind=PersonKind.OWNER, household__room_links__isnull=False
            )
            .exclude(phone="")
            .select_related("household")
            .order_by("household_id", "pk")
            .distinct()
        )
        invited = 0
        # A bounded list, not .iterator(): the loop stops early, and an open iterator outlives the
        # command's database connection ("Cannot operate on a closed database" at exit).
        for person in owners[: DEMO_OWNERS_PER_COMMUNITY * 20]:
            if invited == DEMO_OWNERS_PER_COMMUNITY:
                break
            if not MOBILE.match(person.phone):
                continue
            binding_invite(person=person, actor=actor)
            room = person.household.room_links.select_related("room__building", "room__unit").first().room
            reports.append(OwnerLoginReport(community.name, str(room), person.name, person.phone))
            invited += 1
    return reports


def _bulk(model, objects: list, *, batch_size: int = BATCH) -> list:
    return model.objects.bulk_create(objects, batch_size=batch_size)


@transaction.atomic
def write_community(*, community: Community, plan: Plan, actor=None) -> None:
    """Write one planned community with set-based inserts. The caller checks it has no rooms yet."""
    cid = community.pk
    floors: dict[str, int] = {}
    notes = {b.name: b.note for b in plan.community.buildings}
    for spec in plan.rooms:
        floors[spec.building] = max(floors.get(spec.building, 0), spec.floor)
    buildings = {
        b.name: b
        for b in _bulk(
            Building,
            [
                Building(community_id=cid, name=name, floors=top, note=notes[name])
                for name, top in floors.items()
            ],
        )
    }
    unit_keys = list(dict.fromkeys((spec.building, spec.unit) for spec in plan.rooms))
    units = dict(
        zip(
            unit_keys,
            _bulk(Unit, [Unit(community_id=cid, building=buildings[b], name=u) for b, u in unit_keys]),
            strict=True,
        )
    )
    rooms = _bulk(
        Room,
        [
            Room(
                community_id=cid,
                building=buildings[spec.building],
                unit=units[spec.building, spec.unit],
                number=spec.number,
                floor=spec.floor,
                built_area=spec.built_area,
                inner_area=spec.inner_area,
                use=spec.use,
                state=spec.state,
            )
            for spec in plan.rooms
        ],
        batch_size=1000,
    )
    households = _bulk(
        Household, [Household(community_id=cid, name=h.name, notes=h.notes) for h in plan.households]
    )
    pairs = list(zip(plan.households, households, strict=True))
    _bulk(
        HouseholdRoom,
        [
            HouseholdRoom(community_id=cid, household=row, room=rooms[index], since=spec.since)
            for spec, row in pairs
            for index in spec.rooms
        ],
        batch_size=1000,
    )
    _bulk(
        Person,
        [
            Person(
                community_id=cid,
                household=row,
                kind=p.kind,
                name=p.name,
                phone=p.phone,
                id_number=p.id_number,
                relation=p.relation,
                moved_in_on=p.moved_in_on,
                moved_out_on=p.moved_out_on,
            )
            for spec, row in pairs
            for p in spec.people
        ],
    )
    _bulk(
        Vehicle,
        [
            Vehicle(community_id=cid, household=row, plate=plate, model=model)
            for spec, row in pairs
            for plate, model in spec.vehicles
        ],
    )
    _bulk(
        EmergencyContact,
        [
            EmergencyContact(community_id=cid, household=row, name=name, phone=phone, relation=relation)
            for spec, row in pairs
            for name, phone, relation in spec.contacts
        ],
    )
    tags: dict[str, Tag] = {}
    for group_name, position, group_tags in TAG_GROUPS:
        group, _created = TagGroup.objects.get_or_create(
            community_id=cid, name=group_name, defaults={"position": position}
        )
        for name, colour, description in group_tags:
            tags[name], _created = Tag.objects.get_or_create(
                community_id=cid,
                name=name,
                defaults={"group": group, "colour": colour, "description": description},
            )
    _bulk(
        HouseholdTag,
        [
            HouseholdTag(community_id=cid, household=row, tag=tags[name], created_by=actor)
            for spec, row in pairs
            for name in sorted(spec.tags)
        ],
        batch_size=1000,
    )
    # The documented extension point: listeners (rule tags, later billing) see the new rooms.
    room_changed.send(sender=Room, community_id=cid, room_pks=None)
    tags_refresh(community=community)
    log_action(
        "demo.seeded",
        actor=None,
        obj=community,
        community_id=cid,
        changes={
            "buildings": len(buildings),
            "rooms": len(rooms),
            "households": len(households),
            "people": sum(len(spec.people) for spec in plan.households),
        },
    )


def _report(community: Community, *, seeded_now: bool) -> CommunityReport:
    vacant = Tag.objects.filter(community=community, rule="vacant").first()
    return CommunityReport(
        name=community.name,
        seeded_now=seeded_now,
        buildings=Building.objects.filter(community=community).count(),
        rooms=Room.objects.filter(community=community).count(),
        households=Household.objects.filter(community=community).count(),
        people=Person.objects.filter(community=community).count(),
        vehicles=Vehicle.objects.filter(community=community).count(),
        vacant_households=vacant.household_links.count() if vacant else 0,
    )


def seed_payment_channels(*, community: Community) -> None:
    """WeChat Pay and Alipay accounts against paysim (the local simulator, `wuye paysim`), whose
    notifications come back to this site: a new user pays a bill end to end with no merchant account."""

    from wuye.paysim.seed import paysim_accounts

    for account in paysim_accounts(community):
        account.notify_base_url = settings.PUBLIC_URL
        account.save(update_fields=["notify_base_url"])


def seed_official_account(*, company: Company) -> None:
    """The company's WeChat official account at paysim (its OAuth and template messages): a new user
    opens http://127.0.0.1:8000/m/wechat/ as if from the account's menu, signs in once with a code,
    and from then on WeChat signs them in, pays by JSAPI and gets template messages (paysim lists them
    at /_sim/mp). SMS stay in the log: that is where the demo's login codes are read."""
    from wuye.paysim.seed import paysim_wechat_account

    paysim_wechat_account(company)


def _statistics_refresh() -> None:
    """PostgreSQL plans from table statistics. The history writes hundreds of thousands of payment rows
    in one transaction (the test suite's), which autovacuum never sees: a plan made for empty tables
    then reads every row once per row. Analyse what was written (ANALYZE counts the transaction's own
    rows)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "ANALYZE ledger_ledgertransaction, ledger_posting, payments_receipt, payments_allocation,"
                " payments_paymentattempt, payments_paymentorder, payments_orderline, billing_bill,"
                " billing_billline"
            )


@contextlib.contextmanager
def _jobs_inline():
    """Run background jobs (owners' notices) in the seeding thread: a job thread would write to SQLite
    while the seed holds its write lock for seconds, and fail with "database is locked"."""
    previous = getattr(settings, "WUYE_JOBS", "thread")
    settings.WUYE_JOBS = "inline"
    try:
        yield
    finally:
        settings.WUYE_JOBS = previous


def seed(*, scale: float = 1.0) -> SeedReport:
    """Seed the demo company, communities, archive and logins; skip what is already there."""
    if not 0 < scale <= 4:
        raise ValueError("scale must be in (0, 4]")
    with _jobs_inline():
        return _seed(scale=scale)


def _seed(*, scale: float) -> SeedReport:
    started = time.monotonic()
    company, _created = Company.objects.get_or_create(name=COMPANY)
    communities = []
    for community_plan in COMMUNITIES:
        community, _created = Community.objects.get_or_create(
            company=company,
            name=community_plan.name,
            defaults={"address": community_plan.address, "phone": community_plan.phone},
        )
        communities.append(community)
    logins = seed_logins(communities=communities)
    admin = get_user_model().objects.get(username=LOGINS[0][0])
    reports = []
    for community_plan, community in zip(COMMUNITIES, communities, strict=True):
        seeded_now = not Room.objects.filter(community=community).exists()
        if seeded_now:
            write_community(
                community=community, plan=plan_community(community=community_plan, scale=scale), actor=admin
            )
        reports.append(_report(community, seeded_now=seeded_now))
    for community in communities:  # a year of bills, issued before the owners join the portal
        seed_billing(community=community, actor=admin)
    owners = seed_owner_accounts(communities=communities, actor=admin)
    seed_official_account(company=company)
    for community in communities:
        seed_debit(community=community, actor=admin)
        seed_payment_channels(community=community)
        seed_debit_batches(community=community, creditor_name=company.name, actor=admin)
        seed_history(community=community, actor=admin)
        _statistics_refresh()
    paid = {  # the stranger's payment is the same order in every community's list: once
        (order["method"], order["out_trade_no"]): order
        for community in communities
        for order in seed_recon(community=community, actor=admin)
    }
    orders_write(list(paid.values()))
    for community in communities:
        seed_partner_demo(community, actor=admin, scale=scale)
        seed_service(community=community, actor=admin)
        seed_notices(community=community, actor=admin)
        seed_parking(community=community, actor=admin)
        seed_access(community=community, actor=admin)
        seed_rental(community=community, actor=admin)
        tags_refresh(community=community)  # once more after yesterday's payments (demo.recon)
    return SeedReport(
        company=company.name,
        communities=reports,
        logins=logins,
        password=DEMO_PASSWORD,
        seconds=time.monotonic() - started,
        owners=owners,
    )
