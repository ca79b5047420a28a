"""Visitor passes: the window and uses checked when made; refused before and after the window, after its
uses, when revoked, at a door of another building, and once the owner's binding ends."""

import datetime

import pytest
from django.utils import timezone

from tests.access.factories import VisitorPassFactory
from wuye.access.domain.decide import access_decide
from wuye.access.domain.devices import Presented, door_event_record
from wuye.access.domain.errors import AccessError
from wuye.access.domain.passes import visitor_pass_create, visitor_pass_revoke
from wuye.access.enums import Reason
from wuye.access.models import DoorEvent, VisitorPass
from wuye.core.models import AuditLog

pytestmark = pytest.mark.django_db
HOUR = datetime.timedelta(hours=1)


def make(estate, **values):
    now = timezone.now()
    defaults = {
        "visitor_name": "李访客",
        "valid_from": now + HOUR,
        "valid_until": now + 3 * HOUR,
        "max_uses": 1,
    }
    return visitor_pass_create(binding=estate["binding"], **{**defaults, **values})


def present(estate, visitor_pass, at, door="gate", event_id=None):
    _event, decision = door_event_record(
        door=estate[door],
        presented=Presented(
            event_id=event_id or f"e{DoorEvent.objects.count()}", kind="pass", value=visitor_pass.token
        ),
        at=at,
    )
    return decision


def test_pass_create_logged_on_the_household(estate):
    visitor_pass = make(estate, visitor_phone="13800001111", max_uses=3)

    assert visitor_pass.household_id == estate["household"].pk
    assert visitor_pass.created_by_id == estate["binding"].account_id
    assert len(visitor_pass.token) == 32
    entry = AuditLog.objects.get(action="access.pass.created")
    assert entry.household_id == estate["household"].pk and entry.changes["max_uses"] == 3


@pytest.mark.parametrize(
    "values",
    [
        {"valid_from": timezone.now() - 2 * HOUR},  # in the past
        {"valid_until": timezone.now() + HOUR},  # ends when it starts
        {"valid_until": timezone.now() + datetime.timedelta(days=8)},  # longer than 7 days
        {
            "valid_from": timezone.now() + datetime.timedelta(days=8),
            "valid_until": timezone.now() + datetime.timedelta(days=9),
        },
        {"max_uses": 0},
        {"max_uses": 11},
        {"visitor_name": " "},
    ],
)
def test_pass_create_refused_changes_nothing(estate, values):
    with pytest.raises(AccessError):
        make(estate, **values)

    assert VisitorPass.objects.count() == 0
    assert not AuditLog.objects.filter(action="access.pass.created").exists()


def test_pass_refused_before_and_after_its_window_granted_within(estate):
    visitor_pass = make(estate, max_uses=3)
    start, end = visitor_pass.valid_from, visitor_pass.valid_until

    assert present(estate, visitor_pass, start - datetime.timedelta(minutes=1)).reason == Reason.NOT_YET_VALID
    assert present(estate, visitor_pass, start + HOUR).granted
    assert present(estate, visitor_pass, end).reason == Reason.EXPIRED
    visitor_pass.refresh_from_db()
    assert visitor_pass.uses == 1


def test_pass_refused_after_its_uses(estate):
    visitor_pass = make(estate, max_uses=2)
    at = visitor_pass.valid_from + HOUR

    results = [present(estate, visitor_pass, at).reason for _ in range(3)]

    assert results == [Reason.VISITOR, Reason.VISITOR, Reason.USED_UP]
    visitor_pass.refresh_from_db()
    assert visitor_pass.uses == 2
    assert list(DoorEvent.objects.order_by("pk").values_list("result", flat=True)) == [
        "granted",
        "granted",
        "refused",
    ]


def test_pass_opens_the_gate_and_its_buildings_door_only(estate):
    visitor_pass = make(estate, max_uses=5)
    at = visitor_pass.valid_from + HOUR

    assert present(estate, visitor_pass, at, door="gate").granted
    assert present(estate, visitor_pass, at, door="door_1").granted
    assert present(estate, visitor_pass, at, door="door_2").reason == Reason.WRONG_DOOR


def test_pass_revoked_by_the_owner_is_refused(estate):
    visitor_pass = make(estate)

    visitor_pass_revoke(visitor_pass=visitor_pass, owner=estate["binding"].account, reason="不来了")

    assert present(estate, visitor_pass, visitor_pass.valid_from + HOUR).reason == Reason.REVOKED
    assert AuditLog.objects.filter(action="access.pass.revoked", object_pk=visitor_pass.pk).count() == 1


def test_pass_revoked_when_the_owners_binding_ends(estate):
    visitor_pass = make(estate)

    estate["binding"].delete()

    visitor_pass.refresh_from_db()
    assert visitor_pass.revoked_at is not None
    assert present(estate, visitor_pass, visitor_pass.valid_from + HOUR).reason == Reason.REVOKED


def test_pass_of_an_owner_no_longer_bound_is_refused_even_unrevoked(estate):
    visitor_pass = VisitorPassFactory(household=estate["household"], created_by=None)

    decision = access_decide(door=estate["gate"], kind="pass", value=visitor_pass.token, at=timezone.now())

    assert decision.reason == Reason.BINDING_ENDED
