import datetime

from tests.factories import HouseholdRoomFactory
from tests.payments.factories import issue_bill
from wuye.billing.models import BillLine
from wuye.payments.domain.payments import counter_payment_take
from wuye.payments.domain.refunds import refund_request
from wuye.payments.models import ChannelAccount


def build(community, staff_user) -> dict[str, int]:
    household = HouseholdRoomFactory(household__community=community).household
    issue_bill(household, datetime.date(2026, 1, 1), [5000])
    line = BillLine.objects.get(household=household)
    attempt = counter_payment_take(
        household=household,
        line_ids=[line.pk],
        method="card",
        key=f"iso{community.pk:021d}",
        actor=staff_user,
    ).attempt
    refund = refund_request(attempt=attempt, amount_fen=100, reason="test", actor=staff_user)
    account = ChannelAccount.objects.create(
        community=community, method="alipay", app_id="2021000000000001", private_key_ref="env:NONE"
    )
    return {"paymentattempt_pk": attempt.pk, "refund_pk": refund.pk, "channelaccount_pk": account.pk}
