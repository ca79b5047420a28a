"""Takings reports: exact fen per day, week and month (cut at Beijing midnight), per channel, cashier,
fee item and building; refunds per period; the collection-rate trend."""

import datetime

import pytest

from tests.recon.reports_fixture import build_takings
from wuye.recon.domain.reports import DAY, MONTH, NOT_ALLOCATED, ONLINE_CASHIER, WEEK, takings_report

D = datetime.date


@pytest.fixture
def takings(community):
    return build_takings(community)


def _periods(report) -> dict:
    return {
        period.window.first: (period.takings_fen, period.reversal_count, period.reversal_fen)
        for period in report.periods
        if period.takings_fen or period.reversal_count
    }


def _rows(breakdown) -> dict:
    return {row.key: row.total_fen for row in breakdown.rows}


def test_day_report_cuts_days_at_beijing_midnight(takings):
    report = takings_report(community=takings.community, kind=DAY, day=D(2026, 3, 9))

    assert len(report.periods) == 31
    assert _periods(report) == {
        D(2026, 3, 8): (10000, 0, 0),
        D(2026, 3, 9): (20000 + 5000 + 3000, 0, 0),
        D(2026, 3, 10): (0, 1, 2000),
        D(2026, 3, 31): (7000, 0, 0),
    }
    assert (report.takings_fen, report.reversal_count, report.reversal_fen, report.net_fen) == (
        45000,
        1,
        2000,
        43000,
    )
    assert report.totals_by_method == {"cash": 13000, "wechat": 20000, "card": 5000, "alipay": 7000}
    assert [value for value, _label in report.methods] == ["cash", "card", "wechat", "alipay"]
    nine = next(period for period in report.periods if period.window.first == D(2026, 3, 9))
    assert nine.by_method == {"wechat": 20000, "card": 5000, "cash": 3000}


def test_day_report_breakdowns_are_of_the_chosen_day(takings):
    report = takings_report(community=takings.community, kind=DAY, day=D(2026, 3, 9))
    cashier_a, cashier_b = takings.cashiers
    one, two = takings.buildings
    items = takings.fee_items

    assert _rows(report.by_channel) == {"card": 5000, "wechat": 20000, "cash": 3000}
    assert (report.by_channel.total_fen, report.by_channel.count) == (28000, 3)
    assert _rows(report.by_cashier) == {cashier_a.pk: 3000, cashier_b.pk: 5000, ONLINE_CASHIER: 20000}
    assert {row.key: row.label for row in report.by_cashier.rows}[cashier_a.pk] == "甲"
    assert _rows(report.by_fee_item) == {items["Y"].pk: 20000, items["Z"].pk: 5000, NOT_ALLOCATED: 3000}
    assert _rows(report.by_building) == {one.pk: 5000, two.pk: 20000, NOT_ALLOCATED: 3000}
    for breakdown in (report.by_channel, report.by_cashier, report.by_fee_item, report.by_building):
        assert breakdown.total_fen == 28000


def test_week_report_cuts_weeks_on_monday_beijing_time(takings):
    report = takings_report(community=takings.community, kind=WEEK, day=D(2026, 4, 1))

    assert len(report.periods) == 12
    assert report.periods[-1].window.first == D(2026, 3, 30)
    assert _periods(report) == {
        D(2026, 3, 2): (10000, 0, 0),
        D(2026, 3, 9): (28000, 1, 2000),
        D(2026, 3, 30): (7000 + 1500, 0, 0),
    }
    assert _rows(report.by_channel) == {"alipay": 7000, "cash": 1500}
    assert _rows(report.by_cashier) == {takings.cashiers[1].pk: 1500, ONLINE_CASHIER: 7000}


def test_month_report_cuts_months_at_beijing_midnight(takings):
    report = takings_report(community=takings.community, kind=MONTH, day=D(2026, 3, 15))
    cashier_a, cashier_b = takings.cashiers
    one, two = takings.buildings
    items = takings.fee_items

    assert len(report.periods) == 12
    assert _periods(report) == {D(2026, 3, 1): (45000, 1, 2000)}
    assert _rows(report.by_channel) == {"cash": 13000, "card": 5000, "wechat": 20000, "alipay": 7000}
    assert report.by_channel.count == 5
    assert _rows(report.by_cashier) == {cashier_a.pk: 13000, cashier_b.pk: 5000, ONLINE_CASHIER: 27000}
    assert _rows(report.by_fee_item) == {
        items["X"].pk: 10000,
        items["Z"].pk: 5000,
        items["Y"].pk: 20000,
        items["W"].pk: 7000,
        NOT_ALLOCATED: 3000,
    }
    assert _rows(report.by_building) == {one.pk: 22000, two.pk: 20000, NOT_ALLOCATED: 3000}

    april = takings_report(community=takings.community, kind=MONTH, day=D(2026, 4, 1))
    assert _periods(april) == {D(2026, 3, 1): (45000, 1, 2000), D(2026, 4, 1): (1500, 0, 0)}
    assert _rows(april.by_building) == {two.pk: 1500}
    assert _rows(april.by_fee_item) == {items["V"].pk: 1500}


def test_collection_rate_trend_is_paid_over_billed_per_billing_month(takings):
    report = takings_report(community=takings.community, kind=MONTH, day=D(2026, 4, 1))
    rates = {
        month: (rate.collected_fen, rate.billed_fen, rate.percent)
        for month, rate in report.collection.month_rows()
    }

    assert len(rates) == 12
    assert rates[D(2026, 2, 1)] == (0, 4000, "0.0%")
    # March: 420.00 billed; 400.00 collected (the card payment's 20.00 refund took back from its line)
    assert rates[D(2026, 3, 1)] == (40000, 42000, "95.2%")
    assert rates[D(2026, 4, 1)] == (1500, 1500, "100.0%")
    assert rates[D(2026, 1, 1)] == (0, 0, "—")


def test_an_empty_community_reports_nothing(community):
    report = takings_report(community=community, kind=DAY, day=D(2026, 3, 9))

    assert report.is_empty
    assert (report.takings_fen, report.reversal_fen, report.suspense_fen, report.methods) == (0, 0, 0, [])
    assert (report.by_channel.rows, report.by_fee_item.rows, report.by_building.rows) == ([], [], [])


def test_another_community_takings_stay_out(takings):
    from tests.factories import CommunityFactory

    other = build_takings(CommunityFactory())
    report = takings_report(community=takings.community, kind=MONTH, day=D(2026, 3, 15))

    assert report.takings_fen == 45000
    assert other.community != takings.community
