"""access_decide: rules by building, by staff role and by time window; credentials' own validity."""

import datetime

import pytest
from django.utils import timezone

from tests.access.factories import AccessRuleFactory, CredentialFactory, group_of
from tests.factories import UserFactory
from wuye.access.domain.decide import access_decide
from wuye.access.enums import Reason
from wuye.access.models import Credential
from wuye.core.enums import Role

pytestmark = pytest.mark.django_db
# A Wednesday, 10:00 local time.
WEDNESDAY_10 = timezone.make_aware(datetime.datetime(2026, 3, 4, 10, 0))


def decide(door, credential, at=WEDNESDAY_10):
    return access_decide(door=door, kind=credential.kind, value=credential.value, at=at)


@pytest.fixture
def card(estate):
    return CredentialFactory(person=estate["person"], valid_from=WEDNESDAY_10 - datetime.timedelta(days=30))


@pytest.fixture
def building_rules(estate):
    """Residents of building 1 through building 1's door, residents of building 2 through building 2's."""
    for number in (1, 2):
        AccessRuleFactory(
            group=group_of(estate[f"door_{number}"]),
            subject="building",
            building=estate[f"building_{number}"],
        )


def test_decide_resident_of_building_1_opens_building_1_not_building_2(estate, card, building_rules):
    granted = decide(estate["door_1"], card)
    refused = decide(estate["door_2"], card)

    assert (granted.result, granted.reason) == ("granted", Reason.RULE)
    assert (refused.result, refused.reason) == ("refused", Reason.NO_RULE)


def test_decide_all_residents_rule_opens_the_gate(estate, card):
    AccessRuleFactory(group=group_of(estate["gate"]), subject="residents")

    assert decide(estate["gate"], card).granted
    assert decide(estate["door_1"], card).reason == Reason.NO_RULE


def test_decide_staff_by_role(estate):
    AccessRuleFactory(
        group=group_of(estate["door_1"], estate["door_2"]), subject="role", role=Role.TECHNICIAN
    )
    technician = UserFactory(roles=[(estate["community"], Role.TECHNICIAN)])
    cashier = UserFactory(roles=[(estate["community"], Role.CASHIER)])
    since = WEDNESDAY_10 - datetime.timedelta(days=1)
    technician_card = Credential.objects.create(
        community=estate["community"], user=technician, kind="card", value="T1", valid_from=since
    )
    cashier_card = Credential.objects.create(
        community=estate["community"], user=cashier, kind="card", value="C1", valid_from=since
    )

    assert decide(estate["door_2"], technician_card).granted
    assert decide(estate["door_2"], cashier_card).reason == Reason.NO_RULE
    technician.is_active = False
    technician.save()
    assert decide(estate["door_2"], technician_card).reason == Reason.STAFF_INACTIVE


def test_decide_staff_role_in_another_community_does_not_count(estate):
    from tests.factories import CommunityFactory

    AccessRuleFactory(group=group_of(estate["door_1"]), subject="role", role=Role.TECHNICIAN)
    elsewhere = UserFactory(
        roles=[(CommunityFactory(), Role.TECHNICIAN), (estate["community"], Role.CASHIER)]
    )
    card = Credential.objects.create(
        community=estate["community"], user=elsewhere, kind="card", value="X1", valid_from=WEDNESDAY_10
    )

    assert decide(estate["door_1"], card).reason == Reason.NO_RULE


@pytest.mark.parametrize(
    ("at", "result", "reason"),
    [
        (WEDNESDAY_10, "granted", Reason.RULE),
        (WEDNESDAY_10.replace(hour=7, minute=59), "refused", Reason.OUTSIDE_HOURS),
        (WEDNESDAY_10.replace(hour=8, minute=0), "granted", Reason.RULE),
        (WEDNESDAY_10.replace(hour=18, minute=0, second=59), "granted", Reason.RULE),
        (WEDNESDAY_10.replace(hour=18, minute=1), "refused", Reason.OUTSIDE_HOURS),
        (WEDNESDAY_10 + datetime.timedelta(days=3), "refused", Reason.OUTSIDE_HOURS),  # Saturday
    ],
)
def test_decide_time_window_of_weekdays_and_hours(estate, card, at, result, reason):
    AccessRuleFactory(
        group=group_of(estate["door_1"]),
        subject="building",
        building=estate["building_1"],
        weekdays="12345",
        starts_at=datetime.time(8, 0),
        ends_at=datetime.time(18, 0),
    )

    decision = decide(estate["door_1"], card, at=at)

    assert (decision.result, decision.reason) == (result, reason)


def test_decide_credential_validity_and_revocation(estate, card, building_rules):
    card.valid_until = WEDNESDAY_10
    card.save()
    assert decide(estate["door_1"], card).reason == Reason.EXPIRED
    assert decide(estate["door_1"], card, at=WEDNESDAY_10 - datetime.timedelta(days=31)).reason == (
        Reason.NOT_YET_VALID
    )
    card.valid_until = None
    card.revoked_at = WEDNESDAY_10 - datetime.timedelta(days=1)
    card.save()
    assert decide(estate["door_1"], card).reason == Reason.REVOKED


def test_decide_unknown_card_and_door_out_of_service(estate, card, building_rules):
    door = estate["door_1"]
    assert access_decide(door=door, kind="card", value="nobody", at=WEDNESDAY_10).reason == Reason.UNKNOWN
    door.is_active = False
    assert decide(door, card).reason == Reason.DOOR_INACTIVE


def test_decide_a_card_of_another_community_is_unknown(estate, building_rules):
    other = CredentialFactory(valid_from=WEDNESDAY_10 - datetime.timedelta(days=1))

    decision = decide(estate["door_1"], other)

    assert decision.reason == Reason.UNKNOWN
