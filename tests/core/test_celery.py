"""Jobs and periodic commands on a real Celery worker: a Redis server and a worker process of our own,
against the test database. PostgreSQL only: the worker is another process and reads committed rows
(SQLite's test database lives in the test process's memory)."""

import datetime
import os
import subprocess
import sys
import uuid

import pytest
from django.db import connection

from tests.conftest import on_postgres, until
from tests.owners.factories import HouseholdBindingFactory
from tests.payments.factories import issue_bill
from tests.paysim.fixtures import _paysim_server, paysim  # noqa: F401
from wuye.billing.models import BillLine
from wuye.celery import app
from wuye.core import jobs
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


@pytest.fixture
def worker(redis_url, settings, _postgres_only):
    """A Celery worker process on the test database; jobs enqueued here go to it."""
    settings.WUYE_BROKER_URL = redis_url
    settings.WUYE_JOBS = "thread"
    app.conf.broker_url = redis_url
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": database_url, "WUYE_BROKER_URL": redis_url, "WUYE_JOBS": "inline"}
    options = [
        "--pool",
        "solo",
        "--loglevel",
        "WARNING",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    command = [sys.executable, "-m", "celery", "-A", "wuye.celery", "worker", *options]
    process = subprocess.Popen(command, env=env)  # noqa: S603
    try:
        assert until(lambda: bool(app.control.ping(timeout=0.5)), 60), "the Celery worker did not start"
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


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
    schedule = app.conf.beat_schedule["payments-sweep"]

    app.send_task(schedule["task"], args=("payments", ["sweep", "--minutes", "0"]))

    assert until(lambda: BillLine.objects.get().paid_fen == 5000)
    attempt.refresh_from_db()
    assert attempt.state == "succeeded"
    assert ledger_check(community=household.community) == []
