"""Late fees (滞纳金) as of a date: before due, within grace, after grace, capped, fixed, waived."""

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from tests.billing.test_bills import (
    household_with_room,
    issue_bill,
    money_snapshot,
    pay,
    property_fee,
)
from tests.factories import staff
from wuye.billing.domain.bills import BillError, line_adjust, line_waive
from wuye.billing.domain.latefees import (
    LateFeeTerms,
    LateFeeWaiverApprovalError,
    late_days,
    late_fee_compute,
    late_fee_explain,
    late_fee_fen,
    line_late_fee_waiver_approve,
    line_late_fee_waiver_reject,
    line_late_fee_waiver_request,
)
from wuye.billing.enums import LateFeeMethod
from wuye.billing.models import BillLine
from wuye.core.enums import Role
from wuye.core.models import AuditLog, Community

DUE = datetime.date(2024, 3, 15)


def _line(community, name="物业费", **late_fee):
    """A March property-fee line of 223.75 yuan due 2024-03-15 under the given late-fee terms."""
    household = household_with_room(community)
    item = property_fee(community, name=name, **late_fee)
    return issue_bill(household, items=[item], due_on=DUE).lines.get()


DAILY = {
    "late_fee_method": LateFeeMethod.DAILY_RATE,
    "late_fee_rate": Decimal("0.0005"),
    "late_fee_grace_days": 10,
}


@pytest.mark.parametrize(
    ("as_of", "fen"),
    [
        (datetime.date(2024, 3, 1), 0),  # before the due date
        (datetime.date(2024, 3, 15), 0),  # on the due date
        (datetime.date(2024, 3, 16), 0),  # first grace day
        (datetime.date(2024, 3, 25), 0),  # last grace day
        (datetime.date(2024, 3, 26), 11),  # 1 day: 22375 × 0.0005 = 11.1875 → 11
        (datetime.date(2024, 4, 5), 123),  # 11 days: 123.0625 → 123
        (datetime.date(2024, 4, 7), 145),  # 13 days: 145.4375 → 145
    ],
)
def test_late_fee_daily_rate_as_of_dates(community, as_of, fen):
    line = _line(community, **DAILY)
    assert late_fee_fen(line=line, as_of=as_of) == fen


@pytest.mark.parametrize(
    ("outstanding", "days", "fen"),
    [(1000, 1, 1), (1000, 3, 2), (999, 1, 0), (1001, 1, 1), (3000, 1, 2)],  # 0.5 → 1, 1.5 → 2, 0.4995 → 0
)
def test_late_fee_rounds_half_up_once(outstanding, days, fen):
    terms = LateFeeTerms(LateFeeMethod.DAILY_RATE, 0, Decimal("0.0005"), 0, None)
    as_of = DUE + datetime.timedelta(days=days)
    assert (
        late_fee_compute(outstanding_fen=outstanding, due_on=DUE, as_of=as_of, terms=terms, waived=False)
        == fen
    )


def test_late_fee_rate_with_six_decimals_is_exact():
    terms = LateFeeTerms(LateFeeMethod.DAILY_RATE, 0, Decimal("0.000333"), 0, None)
    # 22375 × 0.000333 × 30 = 223.52625 → 224
    as_of = DUE + datetime.timedelta(days=30)
    assert late_fee_compute(outstanding_fen=22375, due_on=DUE, as_of=as_of, terms=terms, waived=False) == 224


def test_late_fee_capped(community):
    line = _line(community, **DAILY, late_fee_cap_fen=100)
    assert late_fee_fen(line=line, as_of=datetime.date(2024, 3, 30)) == 56  # 5 days: 55.9375 → 56
    assert late_fee_fen(line=line, as_of=datetime.date(2024, 4, 5)) == 100  # 123 capped
    assert late_fee_fen(line=line, as_of=datetime.date(2025, 1, 1)) == 100


@pytest.mark.parametrize(
    ("as_of", "fen"),
    [
        (datetime.date(2024, 3, 15), 0),
        (datetime.date(2024, 3, 22), 0),
        (datetime.date(2024, 3, 23), 2000),
        (datetime.date(2024, 12, 31), 2000),
    ],
)
def test_late_fee_fixed_after_grace(community, as_of, fen):
    line = _line(
        community, late_fee_method=LateFeeMethod.FIXED, late_fee_fixed_fen=2000, late_fee_grace_days=7
    )
    assert late_fee_fen(line=line, as_of=as_of) == fen


def test_late_fee_fixed_capped(community):
    line = _line(
        community, late_fee_method=LateFeeMethod.FIXED, late_fee_fixed_fen=2000, late_fee_cap_fen=1500
    )
    assert late_fee_fen(line=line, as_of=datetime.date(2024, 3, 16)) == 1500


def test_late_fee_none_without_terms(community):
    line = _line(community)
    assert late_fee_fen(line=line, as_of=datetime.date(2025, 1, 1)) == 0


def test_late_fee_follows_the_outstanding_amount(community):
    line = _line(community, **DAILY)
    supervisor = staff(community, Role.SUPERVISOR)
    line_adjust(line=line, amount_fen=-2375, reason="优惠", approver=supervisor, actor=supervisor)
    line = BillLine.objects.select_related("bill", "fee_item").get(pk=line.pk)
    assert late_fee_fen(line=line, as_of=datetime.date(2024, 3, 26)) == 10  # 20000 × 0.0005 = 10
    pay(line, 20000)
    assert late_fee_fen(line=line, as_of=datetime.date(2024, 3, 26)) == 0


def test_late_fee_zero_after_a_waiver_of_the_line(community):
    line = _line(community, **DAILY)
    supervisor = staff(community, Role.SUPERVISOR)
    line_waive(line=line, reason="减免", approver=supervisor, actor=supervisor)
    line = BillLine.objects.select_related("bill", "fee_item").get(pk=line.pk)
    assert late_fee_fen(line=line, as_of=datetime.date(2024, 6, 1)) == 0


def test_late_days_counts_from_the_day_after_grace():
    assert late_days(due_on=DUE, grace_days=0, as_of=DUE) == 0
    assert late_days(due_on=DUE, grace_days=0, as_of=datetime.date(2024, 3, 16)) == 1
    assert late_days(due_on=DUE, grace_days=10, as_of=datetime.date(2024, 3, 26)) == 1


def line_late_fee_waive(*, line, reason, actor, approver=None):
    """Ask (``actor``) and approve (``approver``, a second supervisor by default): the two steps of a waiver."""
    line_late_fee_waiver_request(line=line, reason=reason, actor=actor)
    if approver is None:
        approver = staff(Community.objects.get(pk=line.community_id), Role.SUPERVISOR)
    return line_late_fee_waiver_approve(line=line, actor=approver)


def test_line_late_fee_waive_stops_the_late_fee_and_is_audited(community):
    line = _line(community, **DAILY)
    cashier = staff(community, Role.SUPERVISOR)
    supervisor = staff(community, Role.SUPERVISOR)
    assert late_fee_fen(line=line, as_of=datetime.date(2024, 4, 5)) == 123
    before = money_snapshot()
    line_late_fee_waiver_request(line=line, reason="首次逾期", actor=cashier)
    line = BillLine.objects.select_related("bill", "fee_item").get(pk=line.pk)
    assert line.late_fee_waived_at is None  # asked, not approved: the late fee is still due
    assert line.late_fee_waiver_requested_by == cashier
    assert late_fee_fen(line=line, as_of=datetime.date(2024, 4, 5)) == 123
    line_late_fee_waiver_approve(line=line, actor=supervisor)
    line = BillLine.objects.select_related("bill", "fee_item").get(pk=line.pk)
    assert line.late_fee_waived_by == supervisor
    assert line.late_fee_waiver_reason == "首次逾期"
    assert line.late_fee_waived_at is not None
    assert late_fee_fen(line=line, as_of=datetime.date(2024, 4, 5)) == 0
    assert late_fee_fen(line=line, as_of=datetime.date(2025, 4, 5)) == 0
    entry = AuditLog.objects.get(action="billing.line.late_fee_waived")
    assert entry.household_id == line.household_id
    assert entry.changes["reason"] == "首次逾期"
    assert entry.changes["requested_by"] == cashier.get_username()
    assert AuditLog.objects.filter(action="billing.line.late_fee_waiver_requested").count() == 1
    # No money moved: the ledger and the line's counters are as they were.
    after = money_snapshot()
    assert after[:3] == before[:3] and after[4:] == before[4:]


@pytest.mark.parametrize("reason", ["", "  "])
def test_line_late_fee_waive_refused_without_reason(community, reason):
    line = _line(community, **DAILY)
    before = money_snapshot()
    with pytest.raises(BillError):
        line_late_fee_waiver_request(line=line, reason=reason, actor=None)
    assert money_snapshot() == before
    assert BillLine.objects.get(pk=line.pk).late_fee_waiver_requested_at is None


def test_line_late_fee_waive_refused_twice_or_without_terms(community):
    supervisor = staff(community, Role.SUPERVISOR)
    line = _line(community, **DAILY)
    plain = _line(community, name="停车费")
    line_late_fee_waive(line=line, reason="x", actor=supervisor)
    before = money_snapshot()
    with translation.override("en"), pytest.raises(BillError, match="already waived"):
        line_late_fee_waiver_request(line=line, reason="y", actor=supervisor)
    with translation.override("en"), pytest.raises(BillError, match="no late fee"):
        line_late_fee_waiver_request(line=plain, reason="y", actor=supervisor)
    assert money_snapshot() == before
    assert BillLine.objects.get(pk=line.pk).late_fee_waiver_reason == "x"


def test_late_fee_explain_in_words(community):
    line = _line(community, **DAILY, late_fee_cap_fen=100)
    with translation.override("en"):
        assert late_fee_explain(line=line, as_of=datetime.date(2024, 3, 20)) == (
            "Not late: a late fee runs from 2024-03-26."
        )
        assert late_fee_explain(line=line, as_of=datetime.date(2024, 3, 30)) == (
            "0.0500 % a day × 223.75 yuan × 5 days from 2024-03-26 = 0.56 yuan"
        )
        assert late_fee_explain(line=line, as_of=datetime.date(2024, 4, 30)) == (
            "0.0500 % a day × 223.75 yuan × 36 days from 2024-03-26 (capped at 1.00 yuan) = 1.00 yuan"
        )


def test_line_late_fee_waiver_needs_a_second_person(community):
    supervisor = staff(community, Role.SUPERVISOR)
    line = _line(community, **DAILY)
    line_late_fee_waiver_request(line=line, reason="首次逾期", actor=supervisor)
    before = money_snapshot()
    with translation.override("en"), pytest.raises(LateFeeWaiverApprovalError, match="someone other"):
        line_late_fee_waiver_approve(line=line, actor=supervisor)
    with translation.override("en"), pytest.raises(LateFeeWaiverApprovalError, match="someone other"):
        line_late_fee_waiver_approve(line=line, actor=None)
    assert money_snapshot() == before
    stored = BillLine.objects.select_related("bill", "fee_item").get(pk=line.pk)
    assert stored.late_fee_waived_at is None
    assert late_fee_fen(line=stored, as_of=datetime.date(2024, 4, 5)) == 123
    assert not AuditLog.objects.filter(action="billing.line.late_fee_waived").exists()


def test_line_late_fee_waiver_rejected_leaves_the_late_fee_due(community):
    asker, other = staff(community, Role.SUPERVISOR), staff(community, Role.SUPERVISOR)
    line = _line(community, **DAILY)
    line_late_fee_waiver_request(line=line, reason="首次逾期", actor=asker)
    with translation.override("en"), pytest.raises(BillError, match="already awaiting"):
        line_late_fee_waiver_request(line=line, reason="again", actor=asker)
    line_late_fee_waiver_reject(line=line, actor=other, reason="不符合条件")
    stored = BillLine.objects.select_related("bill", "fee_item").get(pk=line.pk)
    assert (
        stored.late_fee_waiver_requested_at,
        stored.late_fee_waived_at,
        stored.late_fee_waiver_reason,
    ) == (
        None,
        None,
        "",
    )
    assert late_fee_fen(line=stored, as_of=datetime.date(2024, 4, 5)) == 123
    with translation.override("en"), pytest.raises(BillError, match="No waiver"):
        line_late_fee_waiver_approve(line=line, actor=other)
    assert (
        AuditLog.objects.get(action="billing.line.late_fee_waiver_rejected").changes["reason"] == "不符合条件"
    )
