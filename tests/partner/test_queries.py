"""The partner dashboard's figures on a constructed dataset (tests/partner/factories.py): exact counts
and amounts in fen, per community, per month and in total, and a fixed number of queries."""

import datetime

import pytest

from tests.debit.factories import digest, mandated_household, result_of
from tests.factories import HouseholdRoomFactory
from tests.partner.factories import APR, JAN, partner_data
from wuye.debit.domain.batches import batch_build, batch_send
from wuye.debit.domain.results import result_settle
from wuye.partner.domain.queries import LineCounts, Share, months_back, partner_dashboard

pytestmark = pytest.mark.django_db
MONTHS = months_back(last=APR, count=4)


@pytest.fixture
def data():
    return partner_data()


def _lines(figures: LineCounts) -> tuple:
    return (
        figures.sent,
        figures.sent_fen,
        figures.succeeded,
        figures.succeeded_fen,
        figures.failed,
        figures.failed_fen,
        figures.unknown,
        figures.unknown_fen,
        figures.returned,
        figures.returned_fen,
    )


def test_months_back_counts_back_from_the_month_of_the_day():
    assert months_back(last=datetime.date(2026, 2, 17), count=3) == [
        datetime.date(2025, 12, 1),
        datetime.date(2026, 1, 1),
        datetime.date(2026, 2, 1),
    ]
    assert months_back(last=APR, count=4) == [JAN, datetime.date(2026, 2, 1), datetime.date(2026, 3, 1), APR]
    assert len(months_back(last=APR, count=99)) == 24
    assert months_back(last=APR, count=0) == [APR]


@pytest.mark.parametrize(
    ("part", "whole", "percent"),
    [(6, 10, "60.0%"), (2, 3, "66.7%"), (1, 3, "33.3%"), (1, 8, "12.5%"), (1, 2000, "0.1%"), (0, 0, "—")],
)
def test_share_rounds_half_up_exactly(part, whole, percent):
    assert Share(part, whole).percent == percent


def test_households_mandates_and_referrals_of_one_community(data):
    dashboard = partner_dashboard(communities=[data.a], months=MONTHS)

    [a] = dashboard.communities
    assert a.community == data.a
    assert (a.households, a.mandated, a.mandated_share.percent) == (10, 6, "60.0%")
    assert a.mandates == {
        "draft": 0,
        "pending_bank": 1,
        "active": 6,
        "suspended": 0,
        "revoked": 1,
        "expired": 0,
        "rejected": 0,
    }
    assert a.referrals == {"booked": 2, "opened": 1, "not_opened": 1, "cancelled": 0}
    assert (a.mandates_total, a.referrals_total) == (8, 4)


def test_debit_lines_per_month_count_only_batches_sent(data):
    dashboard = partner_dashboard(communities=[data.a], months=MONTHS)

    by_month = {row.month: row.lines for row in dashboard.by_month}
    assert list(by_month) == MONTHS
    assert _lines(by_month[JAN]) == (0,) * 10
    assert _lines(by_month[datetime.date(2026, 2, 1)]) == (6, 39000, 1, 15000, 3, 11000, 1, 7000, 1, 6000)
    assert _lines(by_month[datetime.date(2026, 3, 1)]) == (3, 13000, 2, 11000, 1, 2000, 0, 0, 0, 0)
    assert _lines(by_month[APR]) == (0,) * 10  # April's batch was built and never sent
    assert by_month[datetime.date(2026, 2, 1)].success.percent == "20.0%"  # 1 of 5 answered
    assert by_month[datetime.date(2026, 3, 1)].success.percent == "66.7%"
    assert by_month[JAN].success.percent == "—"
    total = dashboard.total.lines
    assert _lines(total) == (9, 52000, 3, 26000, 4, 13000, 1, 7000, 1, 6000)
    assert total.success.percent == "37.5%"  # 3 of 8 answered
    assert _lines(dashboard.communities[0].lines) == _lines(total)


def test_failure_reasons_grouped_by_code_and_message_most_lines_first(data):
    dashboard = partner_dashboard(communities=[data.a], months=MONTHS)

    assert [(r.code, r.message, r.lines, r.amount_fen) for r in dashboard.failure_reasons] == [
        ("51", "code 51", 3, 9000),
        ("14", "code 14", 1, 4000),
    ]


def test_failure_reasons_keep_the_top_ten(data):
    # Eleven lines of B fail, each for a reason of its own: one line each, so the larger amounts come
    # first and the smallest drops out.
    for index in range(11):
        mandated_household(data.b, (1000 * (index + 1),))
    batch = batch_send(
        batch=batch_build(
            company=data.b.company,
            communities=[data.b],
            cutoff_on=datetime.date(2026, 3, 20),
            collection_on=datetime.date(2026, 3, 25),
        ),
        files_sha256="x" * 64,
    )
    outcomes = {number: ("failed", f"E{number:02d}", False) for number in range(1, 12)}
    result = result_of(batch, outcomes)
    result_settle(batch=batch, result=result, file_name="r.txt", sha256=digest(result))

    dashboard = partner_dashboard(communities=[data.b], months=MONTHS)

    assert [(r.code, r.lines, r.amount_fen) for r in dashboard.failure_reasons] == [
        (f"E{number:02d}", 1, 1000 * number) for number in range(11, 1, -1)
    ]


def test_money_collected_per_month_by_method_in_shanghai_months(data):
    dashboard = partner_dashboard(communities=[data.a], months=MONTHS)

    amounts = {row.month: row.funds.amounts() for row in dashboard.by_month}
    # debit, wechat, alipay, cash, card, transfer
    assert amounts == {
        JAN: [0, 0, 0, 0, 0, 0],
        datetime.date(2026, 2, 1): [21000, 0, 0, 10700, 0, 0],
        datetime.date(2026, 3, 1): [11000, 8000, 0, 0, 0, 0],
        APR: [0, 0, 3000, 0, 0, 0],
    }
    funds = dashboard.total.funds
    assert (funds.amounts(), funds.total_fen, funds.bank_fen) == (
        [32000, 8000, 3000, 10700, 0, 0],
        53700,
        32000,
    )
    assert funds.bank_share.percent == "59.6%"
    assert dashboard.by_month[1].funds.bank_share.percent == "66.2%"  # 21000 / 31700


def test_each_community_and_the_total(data):
    dashboard = partner_dashboard(communities=[data.b, data.a], months=MONTHS)

    a, b = dashboard.communities
    assert (a.community, b.community) == (data.a, data.b)
    assert (b.households, b.mandated, b.referrals["opened"]) == (1, 1, 1)
    assert _lines(b.lines) == (1, 9000, 1, 9000, 0, 0, 0, 0, 0, 0)
    assert b.funds.amounts() == [9000, 0, 0, 2500, 0, 0]
    total = dashboard.total
    assert total.community is None
    assert (total.households, total.mandated, total.mandated_share.percent) == (11, 7, "63.6%")
    assert total.referrals == {"booked": 2, "opened": 2, "not_opened": 1, "cancelled": 0}
    assert _lines(total.lines) == (10, 61000, 4, 35000, 4, 13000, 1, 7000, 1, 6000)
    assert total.lines.success.percent == "44.4%"
    assert total.funds.amounts() == [41000, 8000, 3000, 13200, 0, 0]
    feb = dashboard.by_month[1]
    assert (feb.lines.sent, feb.funds.bank_fen) == (7, 30000)


def test_another_communitys_figures_are_left_out(data):
    only_b = partner_dashboard(communities=[data.b], months=MONTHS)

    assert [item.community for item in only_b.communities] == [data.b]
    assert (only_b.total.households, only_b.total.lines.sent, only_b.total.funds.total_fen) == (1, 1, 11500)
    assert only_b.failure_reasons == []


def test_months_outside_leave_everything_out(data):
    later = partner_dashboard(
        communities=[data.a], months=months_back(last=datetime.date(2026, 5, 1), count=1)
    )

    assert later.total.lines.sent == 0
    assert later.total.funds.amounts() == [0, 0, 0, 500, 0, 0]  # the prepayment of 1 May, 00:10
    assert later.total.households == 10  # households and mandates are as they stand today


def test_the_queries_do_not_grow_with_households(data, django_assert_num_queries):
    for _ in range(5):
        HouseholdRoomFactory(household__community=data.a, room__community=data.a, community=data.a)
    with django_assert_num_queries(8):
        dashboard = partner_dashboard(communities=[data.a, data.b], months=MONTHS)
    assert dashboard.total.households == 16
