"""The device API: a door signs each request with its key; a bad signature, a stale timestamp or a
replayed event id is refused and changes nothing. The door simulator drives it through the test client."""

import datetime
import time

import pytest
from django.utils import timezone

from tests.access.factories import AccessRuleFactory, CredentialFactory, DoorFactory, group_of
from wuye.access.domain.passes import visitor_pass_create
from wuye.access.models import DoorEvent, VisitorPass
from wuye.access.sim import DoorSim

pytestmark = pytest.mark.django_db


@pytest.fixture
def visitor_pass(estate):
    now = timezone.now()
    return visitor_pass_create(
        binding=estate["binding"],
        visitor_name="李访客",
        valid_from=now,
        valid_until=now + datetime.timedelta(hours=2),
        max_uses=2,
    )


@pytest.fixture
def gate(estate, client):
    return DoorSim(estate["gate"], client=client)


def state():
    return (
        list(DoorEvent.objects.values_list("pk", flat=True)),
        list(VisitorPass.objects.values_list("uses", flat=True)),
    )


def test_device_event_granted_and_recorded(gate, visitor_pass):
    answer = gate.present("pass", visitor_pass.token, event_id="evt-1")

    assert answer.status == 200
    assert answer.body == {"event": "evt-1", "result": "granted", "reason": "visitor", "holder": "李访客"}
    event = DoorEvent.objects.get()
    assert (event.device_event_id, event.result, event.visitor_pass_id) == (
        "evt-1",
        "granted",
        visitor_pass.pk,
    )
    assert visitor_pass.token not in event.presented
    visitor_pass.refresh_from_db()
    assert visitor_pass.uses == 1


def test_device_event_of_a_card_decided_by_the_rules(estate, gate):
    AccessRuleFactory(group=group_of(estate["gate"]), subject="residents")
    card = CredentialFactory(person=estate["person"], value="A12345678")

    answer = gate.present("card", card.value)

    assert (answer.status, answer.body["result"], answer.body["holder"]) == (200, "granted", "王小明")
    assert DoorEvent.objects.get().presented == "A1***5678"
    assert gate.present("card", "B0000000").body["reason"] == "unknown"


def test_device_event_with_a_bad_signature_refused_nothing_changed(gate, visitor_pass):
    before = state()
    body = b'{"event_id":"evt-1","kind":"pass","value":"%s"}' % visitor_pass.token.encode()
    headers = gate.signed(body)
    headers["X-Wuye-Signature"] = "0" * 64

    answer = gate.send(body, headers)

    assert answer.status == 401
    assert state() == before


def test_device_event_signed_with_another_key_or_for_another_door_refused(estate, client, visitor_pass):
    before = state()
    wrong_key = DoorSim(estate["gate"], client=client, key="not-the-key")
    other_community_door = DoorFactory(device_id="gate-east")  # same device id, another community
    posing = DoorSim(other_community_door, client=client, wire_id=f"{other_community_door.community_id}:nope")

    assert wrong_key.present("pass", visitor_pass.token).status == 401
    assert posing.present("pass", visitor_pass.token).status == 401
    assert state() == before


def test_device_event_with_a_body_changed_after_signing_refused(gate, visitor_pass):
    before = state()
    body = b'{"event_id":"evt-1","kind":"pass","value":"%s"}' % visitor_pass.token.encode()
    headers = gate.signed(body)

    answer = gate.send(body.replace(b"evt-1", b"evt-2"), headers)

    assert answer.status == 401
    assert state() == before


@pytest.mark.parametrize("seconds", [-301, 301, -3600])
def test_device_event_with_a_stale_timestamp_refused_nothing_changed(gate, visitor_pass, seconds):
    before = state()

    answer = gate.present("pass", visitor_pass.token, now=time.time() + seconds)

    assert answer.status == 401
    assert state() == before


def test_device_event_replayed_refused_nothing_changed(gate, visitor_pass):
    first = gate.present("pass", visitor_pass.token, event_id="evt-1")
    before = state()

    again = gate.present("pass", visitor_pass.token, event_id="evt-1")

    assert first.status == 200
    assert again.status == 409
    assert again.body["result"] == "granted"  # the first decision, told again
    assert state() == before
    visitor_pass.refresh_from_db()
    assert visitor_pass.uses == 1


def test_device_event_same_id_at_another_door_is_its_own(estate, client, gate, visitor_pass):
    door_1 = DoorSim(estate["door_1"], client=client)

    assert gate.present("pass", visitor_pass.token, event_id="evt-1").status == 200
    assert door_1.present("pass", visitor_pass.token, event_id="evt-1").status == 200
    assert DoorEvent.objects.count() == 2


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"event_id":"","kind":"pass","value":"x"}',
        b'{"event_id":"e","kind":"key","value":"x"}',
    ],
)
def test_device_event_not_an_event_answers_400(gate, body):
    answer = gate.send(body, gate.signed(body))

    assert answer.status == 400
    assert DoorEvent.objects.count() == 0


def test_device_event_get_not_allowed(client):
    assert client.get("/access/devices/v1/events/").status_code == 405


def test_device_event_of_a_door_whose_key_cannot_be_read_refused(estate, client, visitor_pass):
    door = estate["gate"]
    sim = DoorSim(door, client=client)
    door.key_ref = "env:WUYE_CHANNEL_NOT_SET_ANYWHERE"
    door.save()

    assert sim.present("pass", visitor_pass.token).status == 401
    assert DoorEvent.objects.count() == 0
