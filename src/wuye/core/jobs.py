"""Running background work: on Celery workers when ``WUYE_BROKER_URL`` is set, in threads of the
process otherwise.

``settings.WUYE_JOBS``: "thread" (default: a small pool of daemon worker threads per process runs the
jobs in order of arrival, each thread keeping its own database connection between jobs; with a broker,
Celery's workers run them instead, see ``wuye.celery``) or "inline" (run now, in the caller; the test
suite uses it).
"""

from __future__ import annotations

import importlib
import logging
import queue
import threading

from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger(__name__)

WORKERS = 2  # a long job (a billing run) never holds up the short ones (notifications) alone

_queue: queue.Queue[tuple[str, dict]] = queue.Queue()
_started: list[threading.Thread] = []
_start_lock = threading.Lock()


def _resolve(path: str):
    module, name = path.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


def run(path: str, kwargs: dict) -> None:
    """Run one job (in a thread of ours or on a Celery worker), with a usable database connection."""
    close_old_connections()  # a connection past its age or broken is replaced; a good one is kept
    try:
        _resolve(path)(**kwargs)
    except Exception:
        logger.exception("job %s failed", path)
    finally:
        close_old_connections()


def _work() -> None:
    while True:
        path, kwargs = _queue.get()
        try:
            run(path, kwargs)
        finally:
            _queue.task_done()


def _ensure_workers() -> None:
    with _start_lock:
        alive = [thread for thread in _started if thread.is_alive()]
        _started[:] = alive
        for index in range(len(alive), WORKERS):
            thread = threading.Thread(target=_work, daemon=True, name=f"wuye-jobs-{index}")
            thread.start()
            _started.append(thread)


def enqueue(path: str, **kwargs) -> None:
    """Run the function at dotted ``path`` with plain keyword arguments (ids, not objects)."""
    mode = getattr(settings, "WUYE_JOBS", "thread")
    if mode == "inline":
        _resolve(path)(**kwargs)
        return
    if getattr(settings, "WUYE_BROKER_URL", ""):
        from wuye.celery import run_job

        run_job.delay(path, kwargs)
        return
    _ensure_workers()
    _queue.put((path, kwargs))


def wait_idle() -> None:
    """Block until every queued job has run (for the command line and tests of the thread mode)."""
    _queue.join()
