from tests.factories import HouseholdFactory, HouseholdRoomFactory, RoomFactory, UnitFactory
from wuye.core.models import AuditLog
from wuye.estate.domain.estate import room_update
from wuye.households.domain.tagrules import RULES, TagRule, register_tag_rule, tags_refresh
from wuye.households.enums import TagColour
from wuye.households.models import Household, HouseholdTag, Tag


def _vacant_pks(community):
    tag = Tag.objects.get(community=community, rule="vacant")
    return set(HouseholdTag.objects.filter(tag=tag).values_list("household_id", flat=True))


def test_vacant_tag_follows_room_states(community, admin_user):
    unit = UnitFactory(building__community=community)
    all_vacant = HouseholdFactory(community=community)
    mixed = HouseholdFactory(community=community)
    HouseholdFactory(community=community)  # no rooms: never vacant
    HouseholdRoomFactory(household=all_vacant, room=RoomFactory(unit=unit, state="vacant"))
    HouseholdRoomFactory(household=all_vacant, room=RoomFactory(unit=unit, state="vacant"))
    HouseholdRoomFactory(household=mixed, room=RoomFactory(unit=unit, state="vacant"))
    occupied = RoomFactory(unit=unit, state="self_occupied")
    HouseholdRoomFactory(household=mixed, room=occupied)

    assert tags_refresh(community=community, keys=["vacant"]) == {"vacant": (1, 0)}
    assert _vacant_pks(community) == {all_vacant.pk}
    assert tags_refresh(community=community, keys=["vacant"]) == {"vacant": (0, 0)}

    # The room moves out: the rule puts the tag on, through the estate's extension point.
    room_update(room=occupied, state="vacant", actor=admin_user)
    assert _vacant_pks(community) == {all_vacant.pk, mixed.pk}
    room_update(room=occupied, state="rented", actor=admin_user)
    assert _vacant_pks(community) == {all_vacant.pk}
    actions = list(AuditLog.objects.filter(household_id=mixed.pk).values_list("action", flat=True))
    assert actions.count("households.tag.rule_applied") == 1
    assert actions.count("households.tag.rule_removed") == 1
    assert actions.count("estate.room.changed") == 2


def test_rules_are_a_mechanism_other_apps_plug_into(community):
    household = HouseholdFactory(community=community, name="特别户")
    HouseholdFactory(community=community)
    rule = TagRule(
        key="test_special",
        name="特别",
        colour=TagColour.RED,
        description="test",
        households=lambda c: Household.objects.filter(community=c, name="特别户").values("pk"),
    )
    register_tag_rule(rule)
    try:
        assert tags_refresh(community=community, keys=["test_special"]) == {"test_special": (1, 0)}
        tag = Tag.objects.get(community=community, rule="test_special")
        assert tag.is_system
        assert list(tag.household_links.values_list("household_id", flat=True)) == [household.pk]
    finally:
        RULES.pop("test_special")
