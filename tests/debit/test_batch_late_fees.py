"""Debit batches charge each line's late fee due on the day the batch is built: in the order, the
attempt and the debit line's amount, within the mandate's limits; the bank's success collects it."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.debit.factories import community_with_debit, digest, mandated_household, result_of
from wuye.billing.enums import LateFeeMethod
from wuye.billing.models import BillLine, FeeItem
from wuye.debit.domain.batches import LEFT_OUT_LIMIT_DEBIT, batch_build, batch_send
from wuye.debit.domain.results import result_settle
from wuye.debit.models import DebitLine
from wuye.ledger.enums import Account
from wuye.ledger.models import Posting
from wuye.payments.domain.checks import ledger_check
from wuye.payments.models import OrderLine

pytestmark = pytest.mark.django_db


def _late_household(community, **limits):
    """Lines of 12000 and 3000 fen due 20 days ago at 0.05 % a day: late fees of 120 and 30 fen today."""
    household, bills, _mandate = mandated_household(community, (12000, 3000), **limits)
    for bill in bills:
        bill.due_on = timezone.localdate() - datetime.timedelta(days=20)
        bill.save(update_fields=["due_on"])
    FeeItem.objects.filter(lines__household=household).update(
        late_fee_method=LateFeeMethod.DAILY_RATE, late_fee_rate=Decimal("0.0005")
    )
    return household


def _build(community):
    today = timezone.localdate()
    return batch_build(
        company=community.company,
        communities=[community],
        cutoff_on=today,
        collection_on=today + datetime.timedelta(days=3),
    )


@pytest.mark.parametrize("set_based", [False, True])
def test_a_debit_line_includes_the_late_fee_of_the_build_day_and_collects_it(set_based):
    community = community_with_debit()
    household = _late_household(community)
    first, second = BillLine.objects.filter(household=household).order_by("pk")

    batch = _build(community)

    debit = DebitLine.objects.get(batch=batch)
    assert (debit.amount_fen, batch.total_fen) == (15150, 15150)
    order = debit.attempt.order
    assert (order.total_fen, order.late_fee_fen, debit.attempt.amount_fen) == (15150, 150, 15150)
    assert sorted(
        OrderLine.objects.filter(order=order).values_list("line_id", "amount_fen", "late_fee_fen")
    ) == [
        (first.pk, 12000, 120),
        (second.pk, 3000, 30),
    ]

    batch = batch_send(batch=batch, files_sha256="z" * 64)
    result = result_of(batch, {debit.line_no: ("success", "0000", False)})
    result_settle(batch=batch, result=result, file_name="r", sha256=digest(result), set_based=set_based)

    assert list(
        BillLine.objects.filter(household=household)
        .order_by("pk")
        .values_list("paid_fen", "late_fee_paid_fen")
    ) == [(12000, 120), (3000, 30)]
    debit.attempt.refresh_from_db()
    assert sorted(
        Posting.objects.filter(transaction_id=debit.attempt.transaction_id).values_list(
            "account", "amount_fen"
        )
    ) == sorted([(Account.DEBIT, 15150), (Account.RECEIVABLE, -15000), (Account.LATE_FEE_INCOME, -150)])
    assert ledger_check(community=community) == []


def test_the_mandates_limit_per_debit_holds_for_the_bill_and_its_late_fee():
    community = community_with_debit()
    _late_household(community, limit_per_debit_fen=12120 + 3029)  # one fen short of both with late fees

    batch = _build(community)

    assert DebitLine.objects.get(batch=batch).amount_fen == 12120
    assert batch.left_out == [
        {"reason": LEFT_OUT_LIMIT_DEBIT, "households": 1, "lines": 1, "amount_fen": 3030}
    ]
