"""Debit batches end to end in the domain: build, send (lines locked), results (success, failure,
unknown, whole-file rejection, double import, a later file), retries and late returns; the ledger
checks green after each."""

import datetime

import pytest
from django.db.models import Sum

from tests.debit.factories import FEB, JAN, community_with_debit, digest, mandated_household, result_of
from tests.payments.factories import prepay
from wuye.billing.models import Bill, BillLine
from wuye.debit.domain.batches import BatchError, batch_build, batch_cancel, batch_send
from wuye.debit.domain.results import ResultError, result_settle, returns_settle
from wuye.debit.enums import BatchState, LineState
from wuye.debit.models import DebitLine
from wuye.ledger.models import LedgerTransaction, Posting
from wuye.payments.domain.checks import ledger_check
from wuye.payments.domain.payments import PaymentError, counter_payment_take, order_create
from wuye.payments.domain.prepayments import prepayment_balance_fen
from wuye.payments.models import PaymentAttempt, Receipt

pytestmark = pytest.mark.django_db
CUTOFF = datetime.date(2026, 2, 20)
COLLECT = datetime.date(2026, 2, 25)


def _build(community, **kwargs):
    return batch_build(
        company=community.company, communities=[community], cutoff_on=CUTOFF, collection_on=COLLECT, **kwargs
    )


def _sent(community):
    batch = _build(community)
    return batch_send(batch=batch, files_sha256="x" * 64)


def _settle(batch, outcomes, **kwargs):
    result = result_of(batch, outcomes)
    return result_settle(batch=batch, result=result, file_name="r.txt", sha256=digest(result), **kwargs)


def _paid(household):
    return BillLine.objects.filter(household=household).aggregate(t=Sum("paid_fen"))["t"]


def test_a_batch_takes_every_covered_open_line_with_control_totals():
    community = community_with_debit()
    first, _bills, _m = mandated_household(community, (12000, 3000))
    second, _bills, _m = mandated_household(community, (5000,), periods=(JAN, FEB))

    batch = _build(community)

    assert (batch.line_count, batch.total_fen, batch.state) == (2, 25000, BatchState.BUILT)
    lines = list(batch.lines.order_by("line_no"))
    assert [(line.household_id, line.amount_fen) for line in lines] == [(first.pk, 15000), (second.pk, 10000)]
    assert [line.reference for line in lines] == [f"{batch.number}-000001", f"{batch.number}-000002"]
    assert batch.left_out == []


def test_limits_leave_lines_out_with_their_reason():
    community = community_with_debit()
    _household, _bills, _m = mandated_household(
        community, (5000,), periods=(JAN, FEB), limit_per_debit_fen=6000
    )

    batch = _build(community)

    assert (batch.line_count, batch.total_fen) == (1, 5000)
    assert batch.left_out == [{"reason": "limit_debit", "households": 1, "lines": 1, "amount_fen": 5000}]


def test_nothing_to_debit_is_refused_and_writes_nothing():
    community = community_with_debit()
    with pytest.raises(BatchError):
        _build(community)
    assert PaymentAttempt.objects.count() == 0


def test_a_sent_line_is_locked_against_qr_and_counter_payments():
    community = community_with_debit()
    household, _bills, _m = mandated_household(community, (12000,))
    _sent(community)
    line = BillLine.objects.get(household=household)

    with pytest.raises(PaymentError):
        order_create(household=household, line_ids=[line.pk])
    with pytest.raises(PaymentError):
        counter_payment_take(
            household=household, line_ids=[line.pk], method="cash", key="k1", tendered_fen=12000, actor=None
        )
    with pytest.raises(PaymentError):  # "everything owed" leaves out what the bank collects: nothing left
        order_create(household=household)
    assert _paid(household) == 0
    assert Receipt.objects.count() == 0


def test_a_prepayment_never_pays_a_line_the_bank_is_collecting():
    community = community_with_debit()
    household, _bills, _m = mandated_household(community, (12000,))
    batch = _sent(community)

    receipt = prepay(household, 20000)  # at the counter: applied at once to what is open here

    assert _paid(household) == 0  # the sent line stays the bank's
    assert prepayment_balance_fen(household=household) == 20000 and receipt.amount_fen == 20000
    _settle(batch, {1: ("success", "0000", False)})
    assert _paid(household) == 12000 and prepayment_balance_fen(household=household) == 20000
    assert ledger_check(community=community) == []


def test_results_settle_each_line_on_its_own():
    community = community_with_debit()
    paying, _b, _m = mandated_household(community, (12000, 3000))
    broke, _b, _m = mandated_household(community, (5000,))
    unsure, _b, _m = mandated_household(community, (7000,))
    batch = _sent(community)

    record = _settle(
        batch, {1: ("success", "0000", False), 2: ("failed", "51", True), 3: ("unknown", "2000", False)}
    )

    batch.refresh_from_db()
    assert (record.succeeded, record.failed, record.unknown) == (1, 1, 1)
    assert batch.state == BatchState.PARTIAL
    assert (_paid(paying), _paid(broke), _paid(unsure)) == (15000, 0, 0)
    assert Bill.objects.get(household=paying).state == "paid"
    receipt = Receipt.objects.get()
    assert (receipt.number, receipt.amount_fen, receipt.method, receipt.household_id) == (
        1,
        15000,
        "debit",
        paying.pk,
    )
    states = dict(DebitLine.objects.values_list("household_id", "state"))
    assert states == {paying.pk: "succeeded", broke.pk: "failed", unsure.pk: "unknown"}
    # The failed line is free again; the unknown one stays locked.
    assert order_create(household=broke).total_fen == 5000
    with pytest.raises(PaymentError):
        order_create(
            household=unsure,
            line_ids=list(BillLine.objects.filter(household=unsure).values_list("pk", flat=True)),
        )
    assert ledger_check(community=community) == []


def test_the_same_file_twice_changes_nothing():
    community = community_with_debit()
    mandated_household(community, (12000,))
    batch = _sent(community)
    first = _settle(batch, {1: ("success", "0000", False)})
    before = (LedgerTransaction.objects.count(), Posting.objects.count(), Receipt.objects.count())

    again = _settle(batch, {1: ("success", "0000", False)})

    assert again.pk == first.pk
    assert (LedgerTransaction.objects.count(), Posting.objects.count(), Receipt.objects.count()) == before


def test_a_later_file_settles_the_unknown_lines():
    community = community_with_debit()
    household, _b, _m = mandated_household(community, (12000,))
    batch = _sent(community)
    _settle(batch, {1: ("unknown", "2000", False)})

    batch.refresh_from_db()
    _settle(batch, {1: ("success", "0000", False)})

    batch.refresh_from_db()
    assert batch.state == BatchState.SETTLED
    assert _paid(household) == 12000
    assert ledger_check(community=community) == []


def test_a_contradicting_file_is_refused_and_changes_nothing():
    community = community_with_debit()
    mandated_household(community, (12000,))
    batch = _sent(community)
    _settle(batch, {1: ("failed", "14", False)})
    batch.refresh_from_db()
    before = LedgerTransaction.objects.count()

    with pytest.raises(ResultError):
        _settle(batch, {1: ("success", "0000", False)})

    assert LedgerTransaction.objects.count() == before
    assert DebitLine.objects.get().state == "failed"


def test_a_file_of_another_batch_is_refused():
    community = community_with_debit()
    mandated_household(community, (12000,))
    batch = _sent(community)
    result = result_of(batch, {1: ("success", "0000", False)})
    other = type(result)(batch_no="D000000000000", lines=result.lines)

    with pytest.raises(ResultError):
        result_settle(batch=batch, result=other, file_name="r", sha256=digest(other))
    assert Receipt.objects.count() == 0


def test_a_whole_file_rejection_returns_every_line_to_the_pool():
    community = community_with_debit()
    household, _b, _m = mandated_household(community, (12000,))
    batch = _sent(community)
    result = type(result_of(batch, {}))(
        batch_no=batch.number, file_rejected=True, reject_code="1103", reject_message="金额不符"
    )

    result_settle(batch=batch, result=result, file_name="r", sha256=digest(result))

    batch.refresh_from_db()
    assert batch.state == BatchState.REJECTED
    assert DebitLine.objects.get().state == LineState.FAILED
    again = _build(community)
    assert (again.line_count, again.total_fen) == (1, 12000)
    assert _paid(household) == 0


def test_retryable_failures_are_retried_until_the_limit_and_final_ones_never():
    community = community_with_debit(max_attempts=2)
    broke, _b, _m = mandated_household(community, (5000,))
    _closed, _b, _m = mandated_household(community, (7000,))
    batch = _sent(community)
    _settle(batch, {1: ("failed", "51", True), 2: ("failed", "AC04", False)})

    second = batch_send(batch=_build(community), files_sha256="y" * 64)

    assert [line.household_id for line in second.lines.all()] == [broke.pk]
    assert second.lines.get().try_number == 2
    reasons = {entry["reason"] for entry in second.left_out}
    assert reasons == {"final_failure"}
    _settle(second, {1: ("failed", "51", True)})
    with pytest.raises(BatchError):  # tried twice: the most allowed
        _build(community)


def test_a_late_return_reverses_the_payment_and_reopens_the_lines():
    community = community_with_debit()
    household, _b, _m = mandated_household(community, (12000, 3000))
    batch = _sent(community)
    _settle(batch, {1: ("success", "0000", False)})
    line = DebitLine.objects.get()

    class Return:
        reference, amount_fen, code, message = line.reference, 15000, "MS02", "付款人拒付"

    assert returns_settle(batch=batch, returns=[Return]) == 1
    assert returns_settle(batch=batch, returns=[Return]) == 0

    assert _paid(household) == 0
    assert DebitLine.objects.get().state == LineState.RETURNED
    assert Bill.objects.get(household=household).state == "open"
    assert ledger_check(community=community) == []


def test_a_cancelled_batch_frees_its_lines():
    community = community_with_debit()
    household, _b, _m = mandated_household(community, (12000,))
    batch = _build(community)
    batch_cancel(batch=batch)
    assert order_create(household=household).total_fen == 12000
