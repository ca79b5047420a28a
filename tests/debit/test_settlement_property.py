"""The set-based settlement of a result file leaves exactly the books that the one-by-one path
(``payment_apply`` per debit) leaves, for the same households, bills, QR payments and outcomes."""

import datetime
from decimal import Decimal

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.debit.factories import FEB, JAN, community_with_debit, digest, mandated_household, result_of
from wuye.billing.enums import LateFeeMethod
from wuye.billing.models import Bill, BillLine, FeeItem
from wuye.core.models import AuditLog
from wuye.debit.domain.batches import batch_build, batch_send
from wuye.debit.domain.results import result_settle
from wuye.debit.models import DebitLine
from wuye.ledger.models import Posting
from wuye.payments.domain.checks import ledger_check
from wuye.payments.domain.payments import attempt_create, order_create, payment_apply
from wuye.payments.domain.receipts import rooms_label
from wuye.payments.models import Allocation, PaymentAttempt, Receipt

pytestmark = pytest.mark.django_db
CUTOFF = datetime.date(2026, 2, 20)
COLLECT = datetime.date(2026, 2, 25)

household_strategy = st.tuples(
    st.lists(st.integers(min_value=1, max_value=90000), min_size=1, max_size=3),  # line amounts (fen)
    st.booleans(),  # two months of bills instead of one
    st.sampled_from(["success", "failed", "unknown"]),
    st.booleans(),  # a QR payment of the first line lands after the batch was built (double collection)
    st.sampled_from(["", "daily", "fixed"]),  # the late-fee terms of the household's fee items
)
LATE_FEE_TERMS = {
    "": {},
    "daily": {"late_fee_method": LateFeeMethod.DAILY_RATE, "late_fee_rate": Decimal("0.0005")},
    "fixed": {"late_fee_method": LateFeeMethod.FIXED, "late_fee_fixed_fen": 1500, "late_fee_cap_fen": 1000},
}


def _scenario(spec, *, set_based: bool):
    community = community_with_debit()
    households = []
    for amounts, two_months, _outcome, _qr, late_fee in spec:
        household, _bills, _mandate = mandated_household(
            community, tuple(amounts), periods=(JAN, FEB) if two_months else (JAN,)
        )
        households.append(household)
        # Bills of January and February, late by now: each line's late fee is debited and collected.
        FeeItem.objects.filter(lines__household=household).update(**LATE_FEE_TERMS[late_fee])
    # QR orders opened before the batch (not locked then), paid after it was built.
    qr_attempts = {}
    for index, (_amounts, _two, _outcome, qr, _late_fee) in enumerate(spec):
        if qr:
            first = BillLine.objects.filter(household=households[index]).order_by("pk").first()
            order = order_create(household=households[index], line_ids=[first.pk])
            qr_attempts[index] = attempt_create(order=order, channel="wechat_native")
    batch = batch_build(
        company=community.company, communities=[community], cutoff_on=CUTOFF, collection_on=COLLECT
    )
    batch = batch_send(batch=batch, files_sha256="z" * 64)
    for attempt in qr_attempts.values():
        payment_apply(attempt=attempt, amount_fen=attempt.amount_fen)
    by_household = {line.household_id: line.line_no for line in DebitLine.objects.filter(batch=batch)}
    outcomes = {
        by_household[households[index].pk]: (outcome, "0000" if outcome == "success" else "51", True)
        for index, (_a, _t, outcome, _q, _l) in enumerate(spec)
    }
    result = result_of(batch, outcomes)
    result_settle(batch=batch, result=result, file_name="r", sha256=digest(result), set_based=set_based)
    assert ledger_check(community=community) == []
    return community, households, batch


def _books(community, households, batch):
    index = {household.pk: number for number, household in enumerate(households)}
    lines = {
        pk: number
        for number, pk in enumerate(
            BillLine.objects.filter(community=community).order_by("pk").values_list("pk", flat=True)
        )
    }
    bills = {
        pk: number
        for number, pk in enumerate(
            Bill.objects.filter(community=community).order_by("pk").values_list("pk", flat=True)
        )
    }

    qr_numbers = PaymentAttempt.objects.filter(community=community, channel="wechat_native").values_list(
        "out_trade_no", flat=True
    )

    def plain(text):  # the numbers that differ from one community to the other
        for number in qr_numbers:
            text = text.replace(number, "QR")
        return text.replace(batch.number, "BATCH")

    receipts = Receipt.objects.filter(community=community).order_by("number")
    for receipt in receipts:
        assert receipt.rooms_label == rooms_label(receipt.household)
        assert receipt.payer_name == receipt.household.name
    return {
        "lines": sorted(
            (lines[pk], paid, late_fee_paid)
            for pk, paid, late_fee_paid in BillLine.objects.filter(community=community).values_list(
                "pk", "paid_fen", "late_fee_paid_fen"
            )
        ),
        "bills": sorted(
            (bills[pk], state)
            for pk, state in Bill.objects.filter(community=community).values_list("pk", "state")
        ),
        "allocations": sorted(
            (index[h], lines[line], amount, late_fee, kind)
            for h, line, amount, late_fee, kind in Allocation.objects.filter(community=community).values_list(
                "household_id", "line_id", "amount_fen", "late_fee_fen", "transaction__kind"
            )
        ),
        "postings": sorted(
            (account, index.get(h), amount, kind, plain(key or ""), memo)
            for account, h, amount, kind, key, memo in Posting.objects.filter(
                community=community
            ).values_list(
                "account",
                "household_id",
                "amount_fen",
                "transaction__kind",
                "transaction__key",
                "transaction__memo",
            )
        ),
        "receipts": [
            (r.number, index[r.household_id], r.amount_fen, r.method, r.kind, plain(r.note)) for r in receipts
        ],
        "attempts": sorted(
            (
                index[a.household_id],
                a.channel,
                a.state,
                a.amount_fen,
                a.excess_fen,
                a.receipt.number if a.receipt else None,
            )
            for a in PaymentAttempt.objects.filter(community=community).select_related("receipt")
        ),
        "timeline": sorted(
            (index.get(h), action, plain(repr(sorted(changes.items()))))
            for h, action, changes in AuditLog.objects.filter(
                community=community,
                action__in=(
                    "payments.payment.received",
                    "billing.bill.state_changed",
                    "payments.attempt.changed",
                ),
            ).values_list("household_id", "action", "changes")
        ),
        "prepayment": Posting.objects.filter(community=community, account="prepayment").aggregate(
            t=Sum("amount_fen")
        )["t"],
    }


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spec=st.lists(household_strategy, min_size=1, max_size=4))
def test_batch_and_single_payment_paths_leave_identical_books(spec):
    one_by_one = _books(*_scenario(spec, set_based=False))
    set_based = _books(*_scenario(spec, set_based=True))
    assert set_based == one_by_one


def test_both_paths_collect_late_fees_once_when_a_qr_payment_beats_the_debit():
    """The example the property draws at random, pinned: fixed late fees on both lines, a QR payment of
    the first line lands after the batch was built; both paths collect each line's late fee once."""
    spec = [([12000, 3000], False, "success", True, "fixed")]
    one_by_one = _books(*_scenario(spec, set_based=False))
    set_based = _books(*_scenario(spec, set_based=True))
    assert set_based == one_by_one
    # The QR payment took line 0 with its 10.00 late fee (capped); the debit asked 12000 + 1000 + 3000 + 1000
    # and took line 1 with its late fee; line 0's share of the debit (13000) was kept as prepayment.
    assert set_based["lines"] == [(0, 12000, 1000), (1, 3000, 1000)]
    assert sorted(a[1:4] for a in set_based["allocations"]) == [(0, 12000, 1000), (1, 3000, 1000)]
    assert set_based["prepayment"] == -13000
    late_fee_income = [p for p in set_based["postings"] if p[0] == "income_late_fee"]
    assert sorted(p[2] for p in late_fee_income) == [-1000, -1000]
