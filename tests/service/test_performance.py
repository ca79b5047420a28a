"""Staff performance: handled, on time, rated, average rating per person and per team; the stars."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from tests.service.factories import ServiceRequestFactory, team_with, technician
from wuye.service.domain.queries import performance, period_bounds, stars
from wuye.service.enums import Period, RequestState

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = datetime.date(2026, 5, 6)  # a Wednesday; its week is 4–10 May


def local(day, hour=10, minute=0):
    return datetime.datetime(2026, day[0], day[1], hour, minute, tzinfo=SHANGHAI)


def done(category, assignee, at, *, on_time=True, stars=None, team=None, state=None):
    """A request done at ``at``; its deadline is an hour after (on time) or an hour before (late)."""
    deadline = at + datetime.timedelta(hours=1 if on_time else -1)
    return ServiceRequestFactory(
        community=category.community,
        category=category,
        state=state or (RequestState.RATED if stars else RequestState.DONE),
        assignee=assignee,
        team=team,
        submitted_at=deadline - datetime.timedelta(hours=24),
        completion_due_at=deadline,
        done_at=at,
        stars=stars,
    )


def test_period_bounds_are_local_days_weeks_and_months():
    assert period_bounds(Period.DAY, DAY) == (local((5, 6), 0), local((5, 7), 0))
    assert period_bounds(Period.WEEK, DAY) == (local((5, 4), 0), local((5, 11), 0))
    assert period_bounds(Period.MONTH, DAY) == (local((5, 1), 0), local((6, 1), 0))
    assert period_bounds(Period.MONTH, datetime.date(2026, 12, 31))[1] == datetime.datetime(
        2027, 1, 1, tzinfo=SHANGHAI
    )


def test_figures_per_person_and_team_are_exact(community, category):
    a, b, c = (
        technician(community, first_name="甲"),
        technician(community, first_name="乙"),
        technician(community),
    )
    team = team_with(community, a, b)
    done(category, a, local((5, 6), 9), stars=5, team=team)
    done(category, a, local((5, 6), 11), stars=4, team=team)
    done(category, a, local((5, 6), 15), on_time=False, team=team)
    done(category, b, local((5, 6), 10), stars=3, team=team, state=RequestState.CLOSED)
    done(category, b, local((5, 6), 23, 59))
    done(category, c, local((5, 6), 0))
    done(category, c, local((5, 6), 8))
    # Outside the day, or not done any more (reopened), or not done at all: never counted.
    done(category, c, local((5, 5), 23, 59))
    done(category, c, local((5, 7), 0))
    ServiceRequestFactory(community=community, category=category, state=RequestState.ASSIGNED, assignee=a)

    report = performance(community=community, period=Period.DAY, day=DAY)

    rows = [
        (f.subject, f.handled, f.on_time, f.rated, f.on_time_rate, f.average_rating) for f in report.people
    ]
    assert rows == [
        (a, 3, 2, 2, Decimal("66.7"), Decimal("4.50")),
        (b, 2, 2, 1, Decimal("100.0"), Decimal("3.00")),
        (c, 2, 2, 0, Decimal("100.0"), None),
    ]
    teams = [(f.subject, f.handled, f.on_time, f.rated, f.average_rating) for f in report.teams]
    assert teams == [(team, 4, 3, 3, Decimal("4.00"))]
    assert report.star.subject == a


def test_stars_of_the_day_week_and_month(community, category):
    a, b, c = technician(community), technician(community), technician(community)
    done(category, a, local((5, 6)), stars=5)
    done(category, b, local((5, 6)), stars=4)
    done(category, b, local((5, 8)), stars=4)
    for day in ((5, 20), (5, 21), (5, 22)):
        done(category, c, local(day))
    done(category, a, local((4, 30), 23, 59))  # April: no month of May's star for that
    best = stars(community=community, day=DAY)
    assert {period: figures.subject for period, figures in best.items()} == {
        Period.DAY: a,
        Period.WEEK: b,
        Period.MONTH: c,
    }


def test_star_tie_break_is_the_lower_pk(community, category):
    first, second = technician(community), technician(community)
    done(category, second, local((5, 6)), stars=5)
    done(category, first, local((5, 6)), stars=5)
    assert performance(community=community, period=Period.DAY, day=DAY).star.subject == first


def test_star_ranks_more_handled_when_on_time_and_rating_tie(community, category):
    a, b = technician(community), technician(community)
    for value in (5, 5, 4):
        done(category, a, local((5, 6)), stars=value)
    for value in (5, 5, 4):
        done(category, b, local((5, 6)), stars=value)
    done(category, b, local((5, 6), 12), on_time=False)
    report = performance(community=community, period=Period.DAY, day=DAY)
    # Same on time (3) and the same exact rating: b handled more, so b ranks first.
    assert [(f.subject, f.handled) for f in report.people] == [(b, 4), (a, 3)]


def test_nobody_handled_anything_means_no_star(community):
    assert performance(community=community, period=Period.WEEK, day=DAY).star is None
