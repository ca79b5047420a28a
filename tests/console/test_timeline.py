"""The household timeline reads in Chinese: amounts in yuan, states and other choices by their labels."""

import datetime
from decimal import Decimal

from django.urls import reverse
from django.utils import translation

from tests.billing.test_runs import assign, item, occupied_room
from tests.payments.factories import issue_bill
from wuye.billing.domain import runs
from wuye.core.audit import field_display
from wuye.payments.domain.attempts import attempt_transition
from wuye.payments.domain.payments import order_create
from wuye.payments.enums import AttemptState
from wuye.payments.models import PaymentAttempt


def _timeline(client, household) -> str:
    page = client.get(reverse("console:household", args=[household.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = page.content.decode()
    return text[text.index('id="timeline"') :]


def test_timeline_shows_a_bill_total_in_yuan(admin_client, admin_user, community):
    fee = item(community, name="物业费", price=Decimal("1.3529"))
    room = occupied_room(community, built_area=Decimal("100"))
    assign(fee, room)
    runs.run_issue(
        run=runs.run_preview(community=community, period=datetime.date(2026, 11, 1), actor=admin_user),
        actor=admin_user,
    )

    timeline = _timeline(admin_client, room.household_links.get().household)

    assert "合计（元）: 135.29" in timeline
    assert "13529" not in timeline
    assert "（分）" not in timeline


def test_timeline_shows_payment_states_by_their_chinese_labels(admin_client, household):
    issue_bill(household, datetime.date(2026, 1, 1), [12345])
    order = order_create(household=household)
    attempt = PaymentAttempt.objects.create(
        community_id=order.community_id,
        order=order,
        household_id=household.pk,
        channel="wechat_native",
        method="wechat",
        amount_fen=order.total_fen,
    )
    assert attempt.state == AttemptState.CREATED
    assert attempt_transition(attempt=attempt, to_state=AttemptState.PENDING)

    timeline = _timeline(admin_client, household)

    assert "状态: 已创建 → 等待付款" in timeline
    assert "created → pending" not in timeline
    assert "attempt_state" not in timeline


def test_logged_money_yes_no_and_choices_read_as_people_write_them():
    with translation.override("zh-hans"):
        assert field_display("total_fen", 13529) == ("合计（元）", "135.29")
        assert field_display("charge_fen", 250000)[1] == "2,500.00"
        assert field_display("is_active", True)[1] == "是"
        assert field_display("is_active", False)[1] == "否"
        assert str(field_display("attempt_state", "created")[1]) == "已创建"
