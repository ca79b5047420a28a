"""The gates (道闸) over their signed interface, driven by paysim's simulated gate: residents' cars come
and go, visitors' cars enter while there is room and leave once they owe nothing, blocked plates are
refused, a repeated event is answered as recorded, and an unsigned, forged or stale request changes
nothing."""

from __future__ import annotations

import datetime
import json

import pytest
from django.utils import timezone

from wuye.core.devices import device_headers
from wuye.parking.domain.spaces import plate_block
from wuye.parking.enums import VisitKind, VisitState
from wuye.parking.models import ParkingVisit

pytestmark = pytest.mark.django_db


def _inside(plate):
    return ParkingVisit.objects.filter(plate=plate, state=VisitState.INSIDE).count()


def test_a_residents_car_enters_and_leaves_without_paying(gates, resident):
    entry, exit_, session = gates

    assert entry.car("粤B 12345", session=session)["action"] == "open" and entry.is_open
    visit = ParkingVisit.objects.get()
    assert (visit.plate, visit.kind, visit.space_id) == ("粤B12345", VisitKind.RESIDENT, resident.pk)

    answer = exit_.car("粤B12345", session=session)

    assert (answer["action"], answer["due_fen"]) == ("open", 0) and exit_.is_open
    visit.refresh_from_db()
    assert (visit.state, visit.exit_gate.device_id, visit.fee_fen) == (VisitState.LEFT, "GATE-OUT", 0)


def test_a_visitor_within_the_free_minutes_leaves_free(gates):
    entry, exit_, session = gates
    entry.car("京A00001", session=session)
    ParkingVisit.objects.update(entered_at=timezone.now() - datetime.timedelta(minutes=29))

    assert exit_.car("京A00001", session=session)["action"] == "open"
    assert ParkingVisit.objects.get().state == VisitState.LEFT


def test_a_visitor_who_owes_is_asked_to_pay_and_the_gate_stays_shut(gates):
    entry, exit_, session = gates
    entry.car("京A00001", session=session)
    ParkingVisit.objects.update(entered_at=timezone.now() - datetime.timedelta(minutes=61))

    answer = exit_.car("京A00001", session=session)

    visit = ParkingVisit.objects.get()
    assert answer["action"] == "pay" and not exit_.is_open
    assert answer["due_fen"] in (1000, 200, 600)  # two started units, day or night price by the clock
    assert answer["pay_url"].endswith(f"/m/park/{visit.token}/")
    assert (visit.state, visit.fee_fen) == (VisitState.INSIDE, answer["due_fen"])


def test_the_entry_refuses_a_blocked_plate_and_a_full_car_park(gates, community, admin_user):
    entry, _exit, session = gates
    plate_block(community=community, plate="沪C99999", reason="欠停车费", actor=admin_user)

    refused = entry.car("沪C99999", session=session)

    assert refused["action"] == "refuse" and "欠停车费" in refused["reason"] and not entry.is_open
    assert ParkingVisit.objects.count() == 0
    entry.car("京A00001", session=session)
    entry.car("京A00002", session=session)
    full = entry.car("京A00003", session=session)
    assert full["action"] == "refuse" and ParkingVisit.objects.count() == 2


def test_a_residents_car_enters_a_full_car_park(gates, resident):
    entry, _exit, session = gates
    entry.car("京A00001", session=session)
    entry.car("京A00002", session=session)

    assert entry.car("粤B12345", session=session)["action"] == "open"


def test_a_repeated_event_is_answered_as_recorded_and_written_once(gates):
    entry, _exit, session = gates

    first = entry.car("京A00001", event_id="evt-1", session=session)
    again = entry.car("京A00001", event_id="evt-1", session=session)

    assert first["action"] == again["action"] == "open"
    assert ParkingVisit.objects.count() == 1


def test_a_car_entering_again_closes_its_stay_whose_exit_was_never_reported(gates):
    entry, _exit, session = gates
    entry.car("京A00001", session=session)
    entry.car("京A00001", session=session)

    assert list(ParkingVisit.objects.order_by("pk").values_list("state", flat=True)) == ["left", "inside"]
    assert _inside("京A00001") == 1


def test_an_exit_without_an_entry_is_refused(gates):
    _entry, exit_, session = gates

    answer = exit_.car("京A00001", session=session)

    assert answer["action"] == "refuse" and ParkingVisit.objects.count() == 0


def _post(client, body: bytes, headers: dict):
    extra = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}
    return client.post("/parking/gates/events", data=body, content_type="application/json", **extra)


@pytest.mark.parametrize("case", ["unsigned", "forged", "stale", "unknown device", "inactive gate"])
def test_a_request_not_signed_by_an_active_gate_is_refused_and_writes_nothing(client, area, case):
    from wuye.paysim.gates import device_test_key

    body = json.dumps({"plate": "京A00001", "event_id": "e1"}).encode()
    key, device, now = device_test_key(), "GATE-IN", None
    if case == "forged":
        key = "not-the-key"
    if case == "stale":
        now = timezone.now().timestamp() - 301
    if case == "unknown device":
        device = "GATE-X"
    if case == "inactive gate":
        area.gates.update(is_active=False)
    headers = {} if case == "unsigned" else device_headers(key=key, device_id=device, body=body, now=now)

    response = _post(client, body, headers)

    assert response.status_code == 401 and response.json()["action"] == "refuse"
    assert ParkingVisit.objects.count() == 0


def test_a_signature_over_another_body_is_refused(client, area):
    from wuye.paysim.gates import device_test_key

    signed = json.dumps({"plate": "京A00001", "event_id": "e1"}).encode()
    sent = json.dumps({"plate": "京A99999", "event_id": "e1"}).encode()

    response = _post(client, sent, device_headers(key=device_test_key(), device_id="GATE-IN", body=signed))

    assert response.status_code == 401 and ParkingVisit.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        json.dumps({"plate": "京A1"}).encode(),
        json.dumps({"plate": 5, "event_id": "x"}).encode(),
        json.dumps({"plate": "京A1", "event_id": "x", "at": "2020-01-01T00:00:00+08:00"}).encode(),
        json.dumps({"plate": "京A1", "event_id": "x", "at": "2026-01-01T00:00:00"}).encode(),
    ],
)
def test_a_bad_body_is_refused_and_writes_nothing(client, area, body):
    from wuye.paysim.gates import device_test_key

    response = _post(client, body, device_headers(key=device_test_key(), device_id="GATE-IN", body=body))

    assert response.status_code == 400 and ParkingVisit.objects.count() == 0
