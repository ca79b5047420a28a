"""Jobs and periodic commands on a real Celery worker: a Redis server and a worker process of our own,
against the test database. PostgreSQL only: the worker is another process and reads committed rows
(SQLite's test database lives in the test process's memory)."""

import datetime
import os
import subprocess
import sys
import time
import uuid

import psycopg
import pytest
from django.db import connection

from tests.conftest import on_postgres, until
from tests.core import celery_jobs
from tests.factories import CommunityFactory
from tests.owners.factories import HouseholdBindingFactory
from tests.payments.factories import issue_bill
from tests.paysim.fixtures import _paysim_server, paysim  # noqa: F401
from wuye.billing import tasks as billing_tasks
from wuye.billing.domain import runs as runs_domain
from wuye.billing.models import BillingRun, BillLine
from wuye.celery import app
from wuye.core import jobs
from wuye.core.models import Community, Job
from wuye.demo import bench_billing as billing_bench
from wuye.households.models import Household
from wuye.notifications.models import Message
from wuye.payments.domain.checks import ledger_check
from wuye.payments.domain.online import attempt_start
from wuye.payments.domain.payments import attempt_create, order_create
from wuye.payments.domain.prepayments import prepayment_record
from wuye.payments.domain.receipt_notices import RECEIPT_ISSUED
from wuye.paysim.seed import paysim_accounts

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if not on_postgres():
        pytest.skip("the worker is another process: it needs PostgreSQL's test database (make test-postgres)")


def _worker(redis_url: str) -> subprocess.Popen:
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "WUYE_BROKER_URL": redis_url,
        "WUYE_JOBS": "thread",  # with a broker: the jobs a job starts go to the broker, for any worker
        "WUYE_JOB_LEASE_SECONDS": "5",
    }
    options = [
        "--pool",
        "solo",
        "--loglevel",
        "WARNING",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--hostname",
        f"w{uuid.uuid4().hex[:8]}@%h",
    ]
    command = [sys.executable, "-m", "celery", "-A", "wuye.celery", "worker", *options]
    return subprocess.Popen(command, env=env)  # noqa: S603


@pytest.fixture
def workers(redis_url, settings, _postgres_only):
    """Two Celery worker processes on the test database; jobs started here go to them."""
    settings.WUYE_BROKER_URL = redis_url
    settings.WUYE_JOBS = "thread"
    settings.WUYE_JOB_LEASE_SECONDS = 5
    app.conf.broker_url = redis_url
    processes = [_worker(redis_url), _worker(redis_url)]
    try:
        assert until(lambda: len(app.control.ping(timeout=0.5)) == 2, 60), "the Celery workers did not start"
        yield processes
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


@pytest.fixture
def worker(workers):
    return workers[0]


def test_a_receipt_notice_is_sent_by_the_worker(household, worker, monkeypatch):
    HouseholdBindingFactory(person=household.people.get())

    def no_threads():
        raise AssertionError("with a broker, jobs go to Celery, not to threads of this process")

    monkeypatch.setattr(jobs, "_ensure_workers", no_threads)

    receipt = prepayment_record(
        household=household, amount_fen=12345, method="cash", key=uuid.uuid4().hex, actor=None
    ).receipt  # committed: the notice job goes to Redis, and the worker writes the message

    assert until(lambda: Message.objects.filter(event=RECEIPT_ISSUED).exists())
    message = Message.objects.get(event=RECEIPT_ISSUED)
    assert (message.person, receipt.amount_fen) == (household.people.get(), 12345)
    assert Message.objects.count() == 1


def test_beat_s_sweep_command_settles_a_payment_whose_notification_was_lost(
    household,
    worker,
    paysim,  # noqa: F811
):
    paysim_accounts(household.community, base_url=paysim.base_url)
    issue_bill(household, datetime.date(2026, 1, 1), [5000])
    attempt = attempt_start(
        attempt=attempt_create(order=order_create(household=household), channel="wechat_native"),
        description="物业费",
    )
    paysim.pay(attempt.out_trade_no, notify=False)  # paid; the notification is lost
    jobs.start(jobs.command_run, command="payments", args=["sweep", "--minutes", "0"])

    assert until(lambda: BillLine.objects.get().paid_fen == 5000)
    attempt.refresh_from_db()
    assert attempt.state == "succeeded"
    assert ledger_check(community=household.community) == []


def test_two_beats_ticking_start_a_periodic_command_once(worker, settings):
    schedule = app.conf.beat_schedule["tags-refresh"]
    assert schedule["task"] == "wuye.tick"

    app.send_task(schedule["task"], args=schedule["args"])  # one beat
    app.send_task(schedule["task"], args=schedule["args"])  # and a second, started by mistake

    assert until(lambda: Job.objects.filter(schedule="tags-refresh", state="succeeded").exists())
    time.sleep(2)  # the second tick has been handled too
    assert Job.objects.filter(schedule="tags-refresh").count() == 1


def _billed(community) -> list[tuple[str, str, int]]:
    return sorted(
        BillLine.objects.filter(bill__community=community, is_void=False).values_list(
            "room__building__name", "room__number", "amount_fen"
        )
    )


def test_billing_many_communities_is_split_across_workers_and_survives_a_killed_worker(workers, admin_user):
    communities = [
        billing_bench.build(households=60 + index, fee_items=1, log=lambda _text: None) for index in range(10)
    ]
    # Hold every community as a writer would: each part claims its job, previews, starts issuing and
    # waits at its first chunk, mid-run.
    blocker = psycopg.connect(**_connect_args(), autocommit=False)
    try:
        with blocker.cursor() as cursor:
            # As an update of the communities would: rows pointing at them can still be written (a
            # job's part names its community), a billing chunk's lock waits.
            cursor.execute(
                "SELECT id FROM core_community WHERE id = ANY(%s) FOR NO KEY UPDATE",
                [[each.pk for each in communities]],
            )
        parent = jobs.start(
            billing_tasks.communities_bill,
            actor=admin_user,
            community_ids=[each.pk for each in communities],
            period=billing_bench.PERIOD.isoformat(),
            actor_pk=admin_user.pk,
        )

        def two_running():
            return Job.objects.filter(parent=parent, state="running").count() == 2

        assert until(two_running, 60), list(Job.objects.values_list("name", "state", "error"))
        running = Job.objects.filter(parent=parent, state="running").order_by("pk")
        assert len({part.worker for part in running}) == 2  # one part on each worker
        victim_job = running.first()
        victim_pid = int(victim_job.worker.rsplit(":", 1)[1])
        victim = next(process for process in workers if process.pid == victim_pid)
        victim.kill()  # SIGKILL: no goodbye, its transaction dies with its connection
        victim.wait(timeout=30)
    finally:
        blocker.rollback()
        blocker.close()

    def all_done():
        jobs.sweep()  # beat's sweep: the lost part's lease runs out and it is handed out again
        parent.refresh_from_db()
        return parent.state == "succeeded"

    assert until(all_done, 180), Job.objects.filter(parent=parent).values_list("state", "attempts", "error")
    parts = Job.objects.filter(parent=parent)
    assert parts.count() == 10 and set(parts.values_list("state", flat=True)) == {"succeeded"}
    victim_job.refresh_from_db()
    assert (
        victim_job.attempts == 2
        and victim_job.worker != f"{victim_job.worker.rsplit(':', 1)[0]}:{victim_pid}"
    )
    for index, community in enumerate(communities):
        runs = BillingRun.objects.filter(community=community)
        assert [run.state for run in runs] == ["issued"]
        assert BillLine.objects.filter(bill__community=community).count() == 60 + index  # each line once
        assert ledger_check(community=community) == []
    # The community whose worker was killed billed exactly as a clean run bills its twin.
    killed = Community.objects.get(pk=victim_job.community_id)
    time.sleep(1.1)  # the twin's name carries the time
    twin = billing_bench.build(
        households=Household.objects.filter(community=killed).count(), fee_items=1, log=lambda _text: None
    )
    runs_domain.run_issue(
        run=runs_domain.run_preview(community=twin, period=billing_bench.PERIOD, actor=None), actor=None
    )
    assert (
        _billed(killed) == _billed(twin)
        and len(_billed(twin)) == Household.objects.filter(community=killed).count()
    )


def _connect_args() -> dict:
    db = connection.settings_dict
    return {
        "host": db["HOST"],
        "port": db["PORT"],
        "user": db["USER"],
        "password": db["PASSWORD"] or None,
        "dbname": db["NAME"],
    }


def test_a_failing_job_is_recorded_shown_and_retried_from_the_console(worker, client, community, admin_user):
    started = jobs.start(celery_jobs.needs_a_community_named, community_id=community.pk, name="新城")

    assert until(lambda: Job.objects.get(pk=started.pk).state == "failed")
    failed = Job.objects.get(pk=started.pk)
    assert failed.attempts == 1 and "LookupError: no community is called 新城" in failed.error
    client.force_login(admin_user)
    assert "新城" in client.get(f"/console/jobs/{failed.pk}/").content.decode()

    CommunityFactory(name="新城")  # the data put right
    assert client.post(f"/console/jobs/{failed.pk}/retry/").status_code == 302

    assert until(lambda: Job.objects.get(pk=started.pk).state == "succeeded")
    assert Job.objects.get(pk=started.pk).attempts == 2
