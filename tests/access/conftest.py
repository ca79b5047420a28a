import pytest

from tests.access.factories import DoorFactory
from tests.factories import BuildingFactory, HouseholdRoomFactory, PersonFactory
from tests.owners.factories import HouseholdBindingFactory


@pytest.fixture
def estate(community):
    """Two buildings of the community, a household in building 1 with its owner bound, the estate's gate
    and a door of each building."""
    building_1 = BuildingFactory(community=community, name="1栋")
    building_2 = BuildingFactory(community=community, name="2栋")
    link = HouseholdRoomFactory(
        household__community=community, room__unit__building=building_1, household__name="王家"
    )
    person = PersonFactory(household=link.household, name="王小明", phone="13912345678")
    binding = HouseholdBindingFactory(person=person)
    return {
        "community": community,
        "building_1": building_1,
        "building_2": building_2,
        "household": link.household,
        "person": person,
        "binding": binding,
        "gate": DoorFactory(community=community, name="东门", device_id="gate-east"),
        "door_1": DoorFactory(community=community, building=building_1, name="1栋门", device_id="b1"),
        "door_2": DoorFactory(community=community, building=building_2, name="2栋门", device_id="b2"),
    }
