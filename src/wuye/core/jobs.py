"""Background jobs that never vanish: every job is a ``Job`` row from the moment it is started.

One way to start one, everywhere: mark the function ``@job`` (plain keyword arguments: ids, not
objects) and call ``start(function, **kwargs)``. The row is written in the caller's transaction, so a
job exists exactly when the work that asked for it was committed; it is handed to a worker after the
commit. Where it runs (``settings.WUYE_JOBS``):

- with ``WUYE_BROKER_URL`` set, on Celery's workers (``wuye.celery`` is the app; the task here is
  Celery's ``shared_task``, so ``core`` imports nothing of ours), acknowledged late and given back to
  the broker when a worker is lost;
- "thread" (default without a broker): a small pool of threads of this process;
- "inline" (the test suite): in the caller, once its transaction commits.

The row is the truth and the broker only a doorbell. A worker claims a job with one conditional
UPDATE (queued and due, or running with its lease run out), so a job handed out twice runs once. A
running job holds a lease its worker renews (a heartbeat thread); a worker killed mid-job stops
renewing, ``sweep`` finds the lease run out and queues the job again. Jobs are written so that running
them again after an interruption gives what one clean run gives (a billing run commits chunk by chunk
and resumes where it stopped). A transient error (the database restarting, the broker blinking) is
retried with backoff up to ``max_attempts``; any other error fails the job at once, with its error
kept on the row, for an administrator to retry from the console (``job_retry``).

Periodic commands: beat ticks ``tick(name)``; the ``Schedule`` row lets one start through per period
however many beat processes tick (two started by mistake run each command once).
"""

from __future__ import annotations

import datetime
import importlib
import logging
import os
import queue
import socket
import threading
import traceback
from collections.abc import Callable

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError, IntegrityError, close_old_connections, connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from wuye.core.logs import request_id_get, request_id_reset, request_id_set
from wuye.core.models import Job, Schedule

logger = logging.getLogger(__name__)

WORKERS = 2  # a long job (a billing run) never holds up the short ones (notifications) alone
BACKOFF_SECONDS = 5  # the first retry's wait; doubled each attempt, at most BACKOFF_MAX
BACKOFF_MAX = 300
REDISPATCH_SECONDS = 60  # a queued, due job handed out this long ago and not claimed is handed out again
KEEP_PERIODIC = datetime.timedelta(days=2)  # succeeded periodic jobs are pruned after this
KEEP = datetime.timedelta(days=90)  # other succeeded jobs

_registry: dict[str, Callable] = {}
_labels: dict[str, object] = {}
_queue: queue.Queue[int] = queue.Queue()
_started: list[threading.Thread] = []
_start_lock = threading.Lock()
_current = threading.local()


def job(function: Callable | None = None, *, label=None):
    """Mark ``function`` as a job (its name is its dotted path; ``label`` names it in the console).
    Only marked functions run. ``@job`` or ``@job(label=gettext_lazy("…"))``."""

    def mark(function: Callable) -> Callable:
        name = f"{function.__module__}.{function.__qualname__}"
        function.job_name = name
        _registry[name] = function
        _labels[name] = label
        return function

    return mark(function) if function is not None else mark


def job_label(name: str):
    """How the console names the job ``name``: its label, else its function's name."""
    return _labels.get(name) or name.rsplit(".", 1)[-1]


def _function(name: str) -> Callable:
    if name not in _registry:
        importlib.import_module(name.rsplit(".", 1)[0])  # a worker imports the module on first use
    try:
        return _registry[name]
    except KeyError:
        raise LookupError(f"{name} is not a job (mark it with @wuye.core.jobs.job)") from None


def _lease() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.WUYE_JOB_LEASE_SECONDS)


def _mode() -> str:
    mode = getattr(settings, "WUYE_JOBS", "thread")
    if mode != "inline" and getattr(settings, "WUYE_BROKER_URL", ""):
        return "celery"
    return mode


def start(
    function: Callable,
    *,
    actor=None,
    community_id: int | None = None,
    parent: Job | None = None,
    key: str | None = None,
    schedule: str = "",
    max_attempts: int = 5,
    **kwargs,
) -> Job:
    """Start ``function`` (marked ``@job``) with ``kwargs``: a Job row now, in the caller's
    transaction, handed to a worker once it commits. With ``key``, a job started before under the
    same key is returned instead (and nothing new runs). The keywords before ``kwargs`` are the
    record's (who, which community, …): a job's own arguments never use their names."""
    name = function.job_name
    fields = {
        "name": name,
        "kwargs": kwargs,
        "community_id": community_id,
        "parent": parent,
        "created_by": actor if getattr(actor, "is_authenticated", False) else None,
        "schedule": schedule,
        "max_attempts": max_attempts,
        "request_id": request_id_get(),  # the request's id follows it into the jobs it starts
    }
    if key is not None:
        try:
            with transaction.atomic():
                record = Job.objects.create(key=key, **fields)
        except IntegrityError:
            return Job.objects.get(key=key)
    else:
        record = Job.objects.create(**fields)
    if _mode() == "inline":  # the test suite: run in this process, still only once committed
        transaction.on_commit(lambda: execute(record.pk, reraise=True))
    else:
        transaction.on_commit(lambda: dispatch(record.pk))
    return record


def dispatch(pk: int, *, countdown: float = 0) -> None:
    """Hand job ``pk`` to a worker. A failure to reach the broker is logged, not raised: the row stays
    queued and ``sweep`` hands it out again."""
    Job.objects.filter(pk=pk).update(dispatched_at=timezone.now())
    mode = _mode()
    if mode == "inline":
        execute(pk)
        return
    if mode == "celery":
        try:
            run_job.apply_async(args=[pk], countdown=countdown or None, retry=False)
        except Exception:  # the broker is down: the sweep hands the job out when it is back
            logger.warning("job %s could not reach the broker; it stays queued", pk, exc_info=True)
        return
    _ensure_workers()
    if countdown:
        timer = threading.Timer(countdown, _queue.put, args=[pk])
        timer.daemon = True
        timer.start()
    else:
        _queue.put(pk)


def _claim(pk: int) -> Job | None:
    now = timezone.now()
    due = Q(state=Job.State.QUEUED) & (Q(not_before__isnull=True) | Q(not_before__lte=now))
    lost = Q(state=Job.State.RUNNING, lease_until__lt=now, attempts__lt=F("max_attempts"))
    claimed = Job.objects.filter(due | lost, pk=pk, parts__isnull=True).update(
        state=Job.State.RUNNING,
        attempts=F("attempts") + 1,
        started_at=now,
        lease_until=now + _lease(),
        worker=f"{socket.gethostname()}:{os.getpid()}"[:120],
    )
    return Job.objects.get(pk=pk) if claimed else None


class _Heartbeat(threading.Thread):
    """Renews a running job's lease from its own connection until the job ends."""

    def __init__(self, pk: int):
        super().__init__(daemon=True, name=f"wuye-job-{pk}-heartbeat")
        self.pk, self.done = pk, threading.Event()

    def run(self) -> None:
        every = max(1.0, settings.WUYE_JOB_LEASE_SECONDS / 4)
        try:
            while not self.done.wait(every):
                try:
                    Job.objects.filter(pk=self.pk, state=Job.State.RUNNING).update(
                        lease_until=timezone.now() + _lease()
                    )
                except DatabaseError:
                    logger.warning("job %s: the lease could not be renewed", self.pk, exc_info=True)
        finally:
            connection.close()


def transient(error: BaseException) -> bool:
    """Whether ``error`` is worth another attempt as it is: the database or the broker was away."""
    from django.db import InterfaceError, OperationalError

    if isinstance(error, OperationalError | InterfaceError | ConnectionError | TimeoutError):
        return True
    return type(error).__module__.split(".")[0] in ("redis", "kombu", "amqp")


def backoff(attempts: int) -> float:
    return float(min(BACKOFF_MAX, BACKOFF_SECONDS * 2 ** max(0, attempts - 1)))


def execute(pk: int, *, reraise: bool = False) -> str | None:
    """Claim job ``pk`` and run it; returns its state after, or None when it was not ours to run
    (running elsewhere, not due yet, finished). Never raises but with ``reraise`` (inline mode)."""
    _fresh_connection()
    record = _claim(pk)
    if record is None:
        return None
    _current.job = record.pk
    logged_as = request_id_set(record.request_id)
    heartbeat = None if _mode() == "inline" else _Heartbeat(pk)
    if heartbeat is not None:
        heartbeat.start()
    failure = None
    try:
        function = _function(record.name)
        if connection.in_atomic_block:  # inline, inside the caller's transaction: all or nothing
            with transaction.atomic():
                function(**record.kwargs)
        else:
            function(**record.kwargs)
    except Exception as error:  # recorded on the row, never swallowed into a log line alone
        failure = error
    finally:
        if heartbeat is not None:
            heartbeat.done.set()
        _current.job = None
        request_id_reset(logged_as)
    state = _finish(record, failure)
    _fresh_connection()
    if failure is not None and reraise:
        raise failure
    return state


def _fresh_connection() -> None:
    """A worker's connection past its age or broken is replaced, a good one kept; never inside a
    caller's transaction (inline jobs)."""
    if not connection.in_atomic_block:
        close_old_connections()


def _finish(record: Job, failure: Exception | None) -> str:
    now = timezone.now()
    if failure is None and Job.objects.filter(parent_id=record.pk).exists():
        _parent_refresh(record.pk)  # split in parts: it ends when they have
        state = Job.objects.get(pk=record.pk).state
    elif failure is None:
        Job.objects.filter(pk=record.pk).update(
            state=Job.State.SUCCEEDED, finished_at=now, error="", lease_until=None, not_before=None
        )
        state = Job.State.SUCCEEDED
    else:
        text = "".join(traceback.format_exception(failure))[-4000:]
        if transient(failure) and record.attempts < record.max_attempts:
            wait = backoff(record.attempts)
            Job.objects.filter(pk=record.pk).update(
                state=Job.State.QUEUED,
                error=text,
                lease_until=None,
                not_before=now + datetime.timedelta(seconds=wait),
            )
            logger.warning("job %s (%s) failed, retried in %ss: %s", record.pk, record.name, wait, failure)
            if _mode() != "inline":
                transaction.on_commit(lambda: dispatch(record.pk, countdown=wait))
            return Job.State.QUEUED
        Job.objects.filter(pk=record.pk).update(
            state=Job.State.FAILED, finished_at=now, error=text, lease_until=None
        )
        logger.error("job %s (%s) failed: %s", record.pk, record.name, failure, exc_info=failure)
        state = Job.State.FAILED
    if record.parent_id is not None:
        _parent_refresh(record.parent_id)
    return state


def _parent_refresh(pk: int) -> None:
    """A job split in parts ends when its parts have: failed if one failed, else succeeded."""
    states = dict(
        Job.objects.filter(parent_id=pk).values_list("state").annotate(count=Count("pk")).order_by()
    )
    changes = {"progress_done": states.get(Job.State.SUCCEEDED, 0), "progress_total": sum(states.values())}
    if not states.get(Job.State.QUEUED) and not states.get(Job.State.RUNNING):
        changes.update(
            state=Job.State.FAILED if states.get(Job.State.FAILED) else Job.State.SUCCEEDED,
            finished_at=timezone.now(),
            lease_until=None,
        )
    Job.objects.filter(pk=pk).exclude(state=Job.State.QUEUED).update(**changes)


def split(
    function: Callable, parts: list[dict], *, community_ids: list[int | None] | None = None
) -> list[Job]:
    """Called from inside a running job: start ``function`` once per ``parts`` item (its kwargs),
    each a part of the current job (one per community, never one per household). The current job
    ends when its parts have."""
    parent = Job.objects.get(pk=_current.job)
    Job.objects.filter(pk=parent.pk).update(progress_total=len(parts))
    return [
        start(function, parent=parent, community_id=(community_ids or [None] * len(parts))[index], **kwargs)
        for index, kwargs in enumerate(parts)
    ]


def progress(done: int, total: int) -> None:
    """The running job's progress (shown in the console); also renews its lease."""
    pk = getattr(_current, "job", None)
    if pk is not None:
        Job.objects.filter(pk=pk).update(
            progress_done=min(done, total), progress_total=total, lease_until=timezone.now() + _lease()
        )


@transaction.atomic
def job_retry(*, record: Job, actor=None) -> Job:
    """Queue a failed job again (an administrator, from the console), with a fresh set of attempts."""
    from wuye.core.audit import log_action

    locked = Job.objects.select_for_update().get(pk=record.pk)
    if locked.state != Job.State.FAILED:
        return locked
    locked.state, locked.not_before, locked.finished_at = Job.State.QUEUED, None, None
    locked.max_attempts = locked.attempts + 5
    locked.save(update_fields=["state", "not_before", "finished_at", "max_attempts"])
    if locked.parent_id is not None:
        Job.objects.filter(pk=locked.parent_id).update(
            state=Job.State.RUNNING, finished_at=None, lease_until=timezone.now() + _lease()
        )
    log_action(
        "core.job.retried",
        actor=actor,
        obj=locked,
        community_id=locked.community_id,
        changes={"job_name": locked.name, "attempts": locked.attempts},
    )
    transaction.on_commit(lambda: dispatch(locked.pk))
    return locked


def sweep() -> dict[str, int]:
    """Find the jobs that would otherwise vanish: running ones whose worker stopped renewing their
    lease are queued again; queued ones that are due and were handed out long ago (or never: the
    broker was down) are handed out again. Succeeded jobs past their keeping time are deleted."""
    now = timezone.now()
    # A job split in parts waits for them and holds no lease worth renewing: never taken for lost.
    lost = Job.objects.filter(state=Job.State.RUNNING, lease_until__lt=now, parts__isnull=True)
    given_up = lost.filter(attempts__gte=F("max_attempts"))
    for record in list(given_up):  # its worker died every time: failed, for a person to look at
        Job.objects.filter(pk=record.pk, state=Job.State.RUNNING).update(
            state=Job.State.FAILED,
            finished_at=now,
            lease_until=None,
            error="the worker was lost on every attempt",
        )
        if record.parent_id is not None:
            _parent_refresh(record.parent_id)
    lost_pks = list(lost.values_list("pk", flat=True))
    requeued = Job.objects.filter(pk__in=lost_pks, state=Job.State.RUNNING, lease_until__lt=now).update(
        state=Job.State.QUEUED, lease_until=None, not_before=None, error="the worker was lost"
    )
    stale = now - datetime.timedelta(seconds=REDISPATCH_SECONDS)
    due = list(
        Job.objects.filter(state=Job.State.QUEUED)
        .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
        .filter(Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=stale) | Q(pk__in=lost_pks))
        .values_list("pk", flat=True)[:1000]
    )
    for pk in due:
        dispatch(pk)
    pruned, _kinds = Job.objects.filter(
        Q(schedule__gt="", finished_at__lt=now - KEEP_PERIODIC) | Q(finished_at__lt=now - KEEP),
        state=Job.State.SUCCEEDED,
        parent__isnull=True,
    ).delete()
    return {"requeued": requeued, "dispatched": len(due), "pruned": pruned}


def tick(name: str) -> Job | None:
    """Beat's tick of the periodic entry ``name`` (``settings.CELERY_BEAT_SCHEDULE``): start its
    command as a job, at most once per period however many beats tick."""
    entry = settings.WUYE_PERIODIC[name]
    seconds, command, arguments = entry["seconds"], entry["command"], entry["args"]
    now = timezone.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                Schedule.objects.get_or_create(
                    name=name, defaults={"last_started_at": now - datetime.timedelta(days=1)}
                )
        except IntegrityError:
            pass  # another beat wrote it first
        claimed = Schedule.objects.filter(
            name=name, last_started_at__lte=now - datetime.timedelta(seconds=0.9 * seconds)
        ).update(last_started_at=now)
        if not claimed:
            return None
        return start(command_run, schedule=name, max_attempts=1, command=command, args=list(arguments))


@job
def command_run(*, command: str, args: list[str]) -> None:
    """A management command as a job (beat's periodic commands)."""
    from django.core.management import call_command

    call_command(command, *args)


@shared_task(name="wuye.job", ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def run_job(pk: int) -> None:
    execute(pk)


@shared_task(name="wuye.tick", ignore_result=True)
def run_tick(name: str) -> None:
    close_old_connections()
    try:
        if name == "jobs-sweep":
            sweep()
        else:
            tick(name)
    finally:
        close_old_connections()


def _work() -> None:
    while True:
        try:
            pk = _queue.get(timeout=settings.WUYE_JOB_LEASE_SECONDS)
        except queue.Empty:  # idle: look for lost and due jobs (retries with backoff, lost workers)
            try:
                sweep()
            except Exception:
                logger.exception("the job sweep failed")
            finally:
                close_old_connections()
            continue
        try:
            execute(pk)
        except Exception:
            logger.exception("job %s could not be run", pk)
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


def wait_idle() -> None:
    """Block until every queued job has run (for the command line and tests of the thread mode)."""
    _queue.join()
