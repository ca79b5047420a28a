from tests.access.factories import (
    AccessRuleFactory,
    CredentialFactory,
    DoorFactory,
    VisitorPassFactory,
    group_of,
)
from tests.factories import HouseholdRoomFactory, PersonFactory


def build(community, staff_user) -> dict[str, int]:
    door = DoorFactory(community=community)
    group = group_of(door)
    household = HouseholdRoomFactory(household__community=community).household
    return {
        "door_pk": door.pk,
        "doorgroup_pk": group.pk,
        "accessrule_pk": AccessRuleFactory(group=group).pk,
        "credential_pk": CredentialFactory(person=PersonFactory(household=household)).pk,
        "visitorpass_pk": VisitorPassFactory(household=household).pk,
    }
