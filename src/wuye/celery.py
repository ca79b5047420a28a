"""Celery, when ``WUYE_BROKER_URL`` is set (Redis): the jobs that ``wuye.core.jobs.enqueue`` queues run
on worker processes, on as many machines as needed, and beat runs the periodic commands.

One task runs any job by its dotted path with plain keyword arguments (what ``enqueue`` sends), so a
job is written once and runs the same in a thread, inline in tests, or on a worker. Start a worker
(with beat on one of them) with::

    celery -A wuye.celery worker --beat --loglevel INFO
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wuye.settings")

app = Celery("wuye")
app.config_from_object("django.conf:settings", namespace="CELERY")


@app.task(name="wuye.job", ignore_result=True)
def run_job(path: str, kwargs: dict) -> None:
    from wuye.core.jobs import run

    run(path, kwargs)


@app.task(name="wuye.command", ignore_result=True)
def run_command(name: str, args: list[str]) -> None:
    """A periodic management command (beat's schedule is in settings: CELERY_BEAT_SCHEDULE)."""
    from django.core.management import call_command

    call_command(name, *args)
