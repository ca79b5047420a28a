"""Two visitors' cars at two entry gates at the same moment, one space left (PostgreSQL): one enters,
the other is refused; without the car park's lock the race shows (the control), both taking the space."""

import pytest

from tests.payments.test_concurrency import _all_at_once, _meet, _postgres_only  # noqa: F401 (autouse: PostgreSQL only)
from wuye.parking.domain import gates as gates_module
from wuye.parking.domain.gates import gate_event
from wuye.parking.enums import GateAction, GateDirection, VisitState
from wuye.parking.models import Gate, ParkingArea, ParkingVisit
from wuye.paysim.gates import DEVICE_KEY_REF

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("locks", [True, False], ids=["locked", "control-without-the-lock"])
def test_two_visitors_at_two_gates_cannot_both_take_the_last_space(monkeypatch, community, locks):
    area = ParkingArea.objects.create(community=community, name="地面停车场", temporary_capacity=1)
    entries = [
        Gate.objects.create(
            community=community,
            area=area,
            name=device,
            direction=GateDirection.ENTRY,
            device_id=device,
            key_ref=DEVICE_KEY_REF,
        )
        for device in ("GATE-IN-1", "GATE-IN-2")
    ]
    if not locks:
        monkeypatch.setattr(gates_module, "area_lock", lambda area: None)
    meet = _meet(2)  # each counts the cars inside, then waits for the other (or for the lock)
    original = gates_module.visitors_inside

    def counted(area):
        found = original(area)
        meet()
        return found

    monkeypatch.setattr(gates_module, "visitors_inside", counted)
    actions = {}

    def work(n):
        actions[n] = gate_event(gate=entries[n], plate=f"粤B0000{n}", event_id=f"entry-{n}").action

    assert _all_at_once(work, [0, 1]) == ["done", "done"]
    inside = ParkingVisit.objects.filter(area=area, state=VisitState.INSIDE).count()
    if locks:
        assert sorted(actions.values()) == sorted([GateAction.OPEN, GateAction.REFUSE])
        assert inside == 1
    else:
        assert list(actions.values()) == [GateAction.OPEN, GateAction.OPEN]
        assert inside == 2  # the control: both cars took the one space
