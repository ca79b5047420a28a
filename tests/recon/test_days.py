"""Cashier handovers and day close: a difference needs a reason, a supervisor signs off, a day closes
only when everything of it is settled, and nothing lands on a closed day afterwards."""

import datetime

import pytest
import time_machine
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from tests.factories import staff
from tests.payments.factories import prepay
from tests.recon.test_runs import _household, back, paid, stranger
from wuye.core.enums import Role
from wuye.payments.domain.online import attempt_query
from wuye.payments.domain.payments import counter_payment_take
from wuye.recon.domain.actions import difference_carry, difference_suspend
from wuye.recon.domain.days import booked_takings, day_close, day_close_blockers, day_reopen
from wuye.recon.domain.runs import ReconError, day_window, recon_fetch
from wuye.recon.domain.shifts import shift_hand_over, shift_return, shift_sign_off
from wuye.recon.models import DayClose, Difference, Shift


def test_a_shift_with_a_cash_difference_cannot_close_without_a_reason(community):
    cashier, supervisor = staff(community, Role.CASHIER), staff(community, Role.SUPERVISOR)
    counter_payment_take(
        household=_household(community, 12345),
        line_ids=None,
        method="cash",
        key="k1",
        tendered_fen=20000,
        actor=cashier,
    )
    counter_payment_take(
        household=_household(community, 5000), line_ids=None, method="card", key="k2", actor=cashier
    )
    prepay(_household(community, 1), 30000, actor=cashier, method="cash")
    counter_payment_take(
        household=_household(community, 777),
        line_ids=None,
        method="cash",
        key="k3",
        tendered_fen=777,
        actor=supervisor,
    )

    with pytest.raises(ReconError):
        shift_hand_over(community=community, cashier=cashier, counted={"cash": 42300, "card": 5000})
    assert Shift.objects.count() == 0

    shift = shift_hand_over(
        community=community, cashier=cashier, counted={"cash": 42300, "card": 5000}, reason="少收45元，已补"
    )
    assert (shift.system_cash_fen, shift.system_card_fen, shift.system_transfer_fen, shift.payments) == (
        42345,
        5000,
        0,
        3,
    )
    assert (shift.difference_fen, shift.state) == (-45, "submitted")

    with pytest.raises(ReconError):
        shift_sign_off(shift=shift, actor=cashier)  # not the cashier's own
    shift_sign_off(shift=shift, actor=supervisor)
    shift.refresh_from_db()
    assert (shift.state, shift.signed_off_by) == ("signed_off", supervisor)
    with pytest.raises(IntegrityError):
        Shift.objects.filter(pk=shift.pk).update(signed_off_by=cashier)


def test_a_returned_shift_is_counted_again_in_the_next_handover(community):
    cashier, supervisor = staff(community, Role.CASHIER), staff(community, Role.SUPERVISOR)
    counter_payment_take(
        household=_household(community, 10000),
        line_ids=None,
        method="cash",
        key="k1",
        tendered_fen=10000,
        actor=cashier,
    )
    first = shift_hand_over(community=community, cashier=cashier, counted={"cash": 9000}, reason="数错")
    shift_return(shift=first, actor=supervisor, note="请重点")
    counter_payment_take(
        household=_household(community, 2000),
        line_ids=None,
        method="cash",
        key="k2",
        tendered_fen=2000,
        actor=cashier,
    )

    second = shift_hand_over(community=community, cashier=cashier, counted={"cash": 12000})

    assert (second.started_at, second.system_cash_fen, second.payments, second.reason) == (None, 12000, 2, "")
    third = shift_hand_over(community=community, cashier=cashier, counted={})
    assert (third.started_at, third.system_cash_fen, third.payments) == (second.ended_at, 0, 0)


def test_a_day_closes_only_when_reconciled_settled_and_signed_off_and_then_refuses_changes(setup, paysim):
    day = back(1)
    accountant, supervisor, cashier = (
        staff(setup, role) for role in (Role.ACCOUNTANT, Role.SUPERVISOR, Role.CASHIER)
    )
    evening = day_window(day)[0] + datetime.timedelta(hours=20)
    with time_machine.travel(evening, tick=True):  # yesterday evening: money booked on the day
        paid(paysim, _household(setup, 10000), "wechat", day)
        paid(paysim, _household(setup, 20000), "alipay", day)
        late = paid(paysim, _household(setup, 30000), "wechat", day, query=False)  # lost notification
        stranger(paysim, "wechat", "NOTOURS5", 500, day, 2)
        # The cashier took cash and handed over; the handover waits for its sign-off.
        counter_payment_take(
            household=_household(setup, 4000),
            line_ids=None,
            method="cash",
            key="k1",
            tendered_fen=4000,
            actor=cashier,
        )
        shift = shift_hand_over(community=setup, cashier=cashier, counted={"cash": 4000})

    blockers = day_close_blockers(community=setup, day=day)
    assert len(blockers) == 3, blockers  # two channels unreconciled, the handover unsigned

    recon_fetch(community=setup, method="wechat", day=day)
    recon_fetch(community=setup, method="alipay", day=day)
    shift_sign_off(shift=shift, actor=supervisor)
    assert len(day_close_blockers(community=setup, day=day)) == 1  # the two differences
    with pytest.raises(ReconError):
        day_close(community=setup, day=day, actor=accountant)

    lost, unknown = (
        Difference.objects.get(reference=late.out_trade_no),
        Difference.objects.get(reference="NOTOURS5"),
    )
    difference_suspend(difference=unknown, reason="不明来款", actor=accountant)
    difference_carry(difference=lost, note="明天向微信查询", actor=accountant)
    closed = day_close(community=setup, day=day, actor=accountant)

    assert closed.takings == {"alipay": [1, 20000], "cash": [1, 4000], "wechat": [1, 10000]}
    with pytest.raises(ReconError):
        day_close(community=setup, day=day, actor=accountant)
    with pytest.raises(ReconError):
        recon_fetch(community=setup, method="wechat", day=day)

    # The lost payment is booked now: it lands on today, the closed day's figures stay.
    attempt_query(attempt=late)
    assert booked_takings(community=setup, day=day)[0] == closed.takings
    assert booked_takings(community=setup, day=day_window(timezone.localdate())[0].date())[0]["wechat"] == [
        1,
        30000,
    ]

    day_reopen(closed=closed, actor=accountant, reason="补录")
    assert DayClose.objects.filter(reopened_at__isnull=True).count() == 0
    assert DayClose.objects.get().reopen_reason == "补录"


def test_the_cashier_hands_over_from_the_console_and_the_supervisor_signs_off(client, community):
    cashier, supervisor = staff(community, Role.CASHIER), staff(community, Role.SUPERVISOR)
    counter_payment_take(
        household=_household(community, 8800),
        line_ids=None,
        method="cash",
        key="k1",
        tendered_fen=10000,
        actor=cashier,
    )
    client.force_login(cashier)
    page = client.get(reverse("console:handover")).content.decode()
    assert "88.00" in page

    refused = client.post(reverse("console:handover"), {"cash": "80", "card": "0", "transfer": "0"})
    assert refused.status_code == 200 and Shift.objects.count() == 0
    client.post(
        reverse("console:handover"), {"cash": "80", "card": "0", "transfer": "0", "reason": "找零有误"}
    )
    shift = Shift.objects.get()
    assert (shift.counted_cash_fen, shift.difference_fen, shift.reason) == (8000, -800, "找零有误")
    assert client.get(reverse("console:shift", args=[shift.pk])).status_code == 404  # finance pages only

    client.force_login(supervisor)
    assert "找零有误" in client.get(reverse("console:shift", args=[shift.pk])).content.decode()
    client.post(reverse("console:shift_sign_off", args=[shift.pk]))
    shift.refresh_from_db()
    assert shift.state == "signed_off"
