"""PostgreSQL: a run issues its chunks side by side on several connections, and ends exactly as alone."""

import contextlib
import threading

import pytest
from django.db.backends.signals import connection_created
from django.db.models import Sum

from tests.billing.test_runs import NOV, amounts
from tests.billing.test_runs_chunks import build, consistent
from tests.conftest import on_postgres
from tests.factories import CommunityFactory
from wuye.billing.domain import runs
from wuye.billing.models import Bill, BillingRun, BillLine

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if not on_postgres():
        pytest.skip("a run issues its chunks one at a time on SQLite (one writer); this needs PostgreSQL")


def issue(community, user, *, workers: int, settings) -> tuple[BillingRun, set[str]]:
    """Preview and issue a run of November in chunks of two rooms; (the run, threads that issued)."""
    settings.WUYE_RUN_WORKERS = workers
    run = runs.run_preview(community=community, period=NOV, actor=user)
    threads: set[str] = set()
    run = runs.run_issue(
        run=run, actor=user, chunk_rooms=2, progress=lambda *_: threads.add(threading.current_thread().name)
    )
    return run, threads


def rows(community) -> list[tuple]:
    return [(room.split("-", 1)[1], *rest) for room, *rest in amounts(community)]


def both_at_the_bills(barrier: threading.Barrier):
    """On every new connection (a worker's): hold each chunk's first bill INSERT until both chunks
    reach it, so both have looked for the shared household's bill and found none."""

    def wrapper(execute, sql, params, many, context):
        if sql.lstrip().startswith("INSERT INTO billing_bill ") and not barrier.broken:
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=10)
        return execute(sql, params, many, context)

    def attach(sender, connection, **kwargs):
        connection.execute_wrappers.append(wrapper)

    return attach


def test_side_by_side_equals_alone(admin_user, settings):
    alone = CommunityFactory()
    build(alone)
    run_alone, threads = issue(alone, admin_user, workers=1, settings=settings)
    assert threads == {threading.current_thread().name}
    expected = rows(alone)
    assert len(expected) == 8

    together = CommunityFactory()
    build(together)
    run, threads = issue(together, admin_user, workers=2, settings=settings)
    # Chunks went through the run's own threads (one may have met the other at the shared household's
    # bill and been issued again alone, from this thread).
    assert {name for name in threads if name.startswith(f"wuye-run-{run.pk}-")}
    assert rows(together) == expected
    assert (run.state, run.lines_issued, run.total_fen) == ("issued", 8, run_alone.total_fen)
    assert run.progress_done == run.progress_total == 4
    consistent(together)


def test_a_household_in_two_chunks_at_once_is_billed_once(admin_user, settings):
    """Both chunks insert the shared household's bill at the same moment: one waits for the other's
    commit and fails on the one-bill-per-month index, rolls back whole and is issued again alone."""
    alone = CommunityFactory()
    build(alone)
    issue(alone, admin_user, workers=1, settings=settings)

    community = CommunityFactory()
    build(community)
    barrier = threading.Barrier(2)
    attach = both_at_the_bills(barrier)
    connection_created.connect(attach)
    try:
        run, threads = issue(community, admin_user, workers=2, settings=settings)
    finally:
        connection_created.disconnect(attach)
    assert not barrier.broken  # both chunks did reach the bills together
    # The chunk issued again alone reports its progress from the caller's thread.
    assert threading.current_thread().name in threads
    assert rows(community) == rows(alone)
    assert Bill.objects.filter(community=community).count() == 3  # one per household
    shared = Bill.objects.filter(community=community).order_by("-total_fen").first()
    assert shared.lines.count() == 4
    assert shared.total_fen == shared.lines.aggregate(t=Sum("amount_fen"))["t"]
    assert (run.lines_issued, run.total_fen) == (
        8,
        BillLine.objects.filter(community=community).aggregate(t=Sum("amount_fen"))["t"],
    )
    consistent(community)
