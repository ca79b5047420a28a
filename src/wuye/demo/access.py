"""The demo's doors (门禁): the estate's east gate open to every resident and to visitor passes, and each
building's door to its residents, all paysim's simulated devices (``wuye access_sim``), so that an
owner's visitor pass from the portal opens the gate in the demo. Through the access domain functions;
idempotent (a community with doors is left alone)."""

from __future__ import annotations

from wuye.access.domain.doors import door_create, group_create, rule_create
from wuye.access.enums import RuleSubject
from wuye.access.models import Door
from wuye.core.models import Community
from wuye.estate.models import Building
from wuye.paysim.gates import DEVICE_KEY_REF

ESTATE_GATE = "GATE-E"


def seed_access(*, community: Community, actor) -> bool:
    if Door.objects.filter(community=community).exists():
        return False
    gate = door_create(
        community=community, name="小区东门", device_id=ESTATE_GATE, key_ref=DEVICE_KEY_REF, actor=actor
    )
    everyone = group_create(community=community, name="小区大门", doors=[gate], actor=actor)
    rule_create(group=everyone, subject=RuleSubject.RESIDENTS, actor=actor)
    for building in Building.objects.filter(community=community).order_by("pk"):
        door = door_create(
            community=community,
            name=f"{building.name}单元门",
            device_id=f"B{building.pk}-DOOR",
            key_ref=DEVICE_KEY_REF,
            building=building,
            actor=actor,
        )
        group = group_create(community=community, name=f"{building.name}门禁", doors=[door], actor=actor)
        rule_create(group=group, subject=RuleSubject.BUILDING, building=building, actor=actor)
    return True
