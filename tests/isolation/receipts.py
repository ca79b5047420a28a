from tests.factories import HouseholdRoomFactory
from tests.payments.factories import prepay


def build(community, staff_user) -> dict[str, int]:
    household = HouseholdRoomFactory(household__community=community).household
    return {"receipt_pk": prepay(household, 12345, actor=staff_user).pk}
