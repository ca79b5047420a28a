"""Jobs that never vanish (``wuye.core.jobs``): every job a record, failures kept and retried from the
console, transient errors retried with backoff, lost workers' jobs found again, periodic commands
started once per period however many beats tick, work split per community."""

from __future__ import annotations

import datetime

import pytest
from django.db import OperationalError
from django.utils import timezone

from tests.factories import CommunityFactory, staff
from wuye.core import jobs
from wuye.core.enums import Role
from wuye.core.logs import request_id_get, request_id_reset, request_id_set
from wuye.core.models import AuditLog, Job, Schedule

CALLS: list[dict] = []
BROKEN = {"permanent": 0, "transient": 0}


@jobs.job
def record_call(*, value: int) -> None:
    CALLS.append({"value": value})


@jobs.job
def fragile(*, value: int) -> None:
    if BROKEN["permanent"]:
        raise ValueError("the data is wrong")
    if BROKEN["transient"]:
        BROKEN["transient"] -= 1
        raise OperationalError("server closed the connection unexpectedly")
    CALLS.append({"value": value})


@jobs.job
def in_parts(*, values: list[int]) -> None:
    jobs.split(record_call, [{"value": value} for value in values])


@pytest.fixture(autouse=True)
def _clean():
    CALLS.clear()
    BROKEN.update(permanent=0, transient=0)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Jobs run when the transaction that started them commits: this commits (for the test)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _job(**fields) -> Job:
    now = timezone.now()
    return Job.objects.create(
        **{"name": fragile.job_name, "kwargs": {"value": 7}, **fields, "created_at": now}
    )


@pytest.mark.django_db
def test_a_started_job_is_a_record_that_ends_succeeded(community, admin_user, committed):
    with committed():
        job = jobs.start(record_call, actor=admin_user, community_id=community.pk, value=3)
        assert (Job.objects.get().state, CALLS) == ("queued", [])  # nothing runs before the commit

    job.refresh_from_db()
    assert CALLS == [{"value": 3}]
    assert (job.state, job.attempts, job.kwargs, job.created_by, job.community) == (
        "succeeded",
        1,
        {"value": 3},
        admin_user,
        community,
    )
    assert job.finished_at is not None and job.lease_until is None


@pytest.mark.django_db
def test_only_marked_functions_run():
    job = Job.objects.create(name="os.system", kwargs={"command": "true"})

    assert jobs.execute(job.pk) == "failed"
    job.refresh_from_db()
    assert "is not a job" in job.error


@pytest.mark.django_db
def test_a_failing_job_is_kept_with_its_error_and_not_retried_by_itself():
    BROKEN["permanent"] = 1
    job = _job()

    assert jobs.execute(job.pk) == "failed"

    job.refresh_from_db()
    assert (job.state, job.attempts, CALLS) == ("failed", 1, [])
    assert "ValueError: the data is wrong" in job.error
    assert jobs.sweep()["dispatched"] == 0  # a failure waits for a person
    assert jobs.execute(job.pk) is None  # and is not claimed again


@pytest.mark.django_db
def test_a_transient_error_is_retried_with_backoff_until_it_succeeds():
    BROKEN["transient"] = 2
    job = _job()

    assert jobs.execute(job.pk) == "queued"
    job.refresh_from_db()
    assert (job.state, job.attempts) == ("queued", 1)
    wait = (job.not_before - timezone.now()).total_seconds()
    assert jobs.BACKOFF_SECONDS - 1 < wait <= jobs.BACKOFF_SECONDS
    assert jobs.execute(job.pk) is None  # not due yet: nobody may claim it

    Job.objects.filter(pk=job.pk).update(not_before=timezone.now())
    assert jobs.execute(job.pk) == "queued"
    job.refresh_from_db()
    wait = (job.not_before - timezone.now()).total_seconds()
    assert 2 * jobs.BACKOFF_SECONDS - 1 < wait <= 2 * jobs.BACKOFF_SECONDS  # doubled

    Job.objects.filter(pk=job.pk).update(not_before=timezone.now())
    assert jobs.execute(job.pk) == "succeeded"
    job.refresh_from_db()
    assert (job.state, job.attempts, CALLS) == ("succeeded", 3, [{"value": 7}])


@pytest.mark.django_db
def test_transient_errors_end_in_failure_after_the_last_attempt():
    BROKEN["transient"] = 10
    job = _job(max_attempts=2)

    assert jobs.execute(job.pk) == "queued"
    Job.objects.filter(pk=job.pk).update(not_before=timezone.now())
    assert jobs.execute(job.pk) == "failed"
    job.refresh_from_db()
    assert (job.state, job.attempts, CALLS) == ("failed", 2, [])


@pytest.mark.django_db
def test_the_job_of_a_lost_worker_is_found_by_the_sweep_and_run_again():
    lost = timezone.now() - datetime.timedelta(seconds=1)
    job = _job(state="running", attempts=1, lease_until=lost, started_at=lost)
    alive = _job(state="running", attempts=1, lease_until=timezone.now() + datetime.timedelta(minutes=1))

    assert jobs.execute(alive.pk) is None  # its worker still renews the lease: not ours
    report = jobs.sweep()

    job.refresh_from_db()
    alive.refresh_from_db()
    assert report["requeued"] == 1
    assert (job.state, job.attempts, CALLS) == ("succeeded", 2, [{"value": 7}])
    assert alive.state == "running"


@pytest.mark.django_db
def test_a_job_whose_worker_dies_every_time_fails_in_the_end():
    lost = timezone.now() - datetime.timedelta(seconds=1)
    job = _job(state="running", attempts=5, max_attempts=5, lease_until=lost)

    jobs.sweep()

    job.refresh_from_db()
    assert (job.state, job.error, CALLS) == ("failed", "the worker was lost on every attempt", [])


@pytest.mark.django_db
def test_a_queued_job_whose_message_was_lost_is_handed_out_again():
    job = _job(dispatched_at=timezone.now() - datetime.timedelta(minutes=5))
    fresh = _job(dispatched_at=timezone.now())

    report = jobs.sweep()

    job.refresh_from_db()
    fresh.refresh_from_db()
    assert report["dispatched"] == 1
    assert (job.state, fresh.state) == ("succeeded", "queued")


@pytest.mark.django_db
def test_a_key_starts_a_job_once(committed):
    with committed():
        first = jobs.start(record_call, key="once", value=1)
        second = jobs.start(record_call, key="once", value=2)

    assert first.pk == second.pk
    assert CALLS == [{"value": 1}]
    assert Job.objects.count() == 1


@pytest.mark.django_db
def test_a_job_in_parts_ends_when_its_parts_have(committed):
    with committed():
        parent = jobs.start(in_parts, values=[1, 2, 3])

    parent.refresh_from_db()
    parts = list(Job.objects.filter(parent=parent).order_by("pk"))
    assert [part.kwargs for part in parts] == [{"value": 1}, {"value": 2}, {"value": 3}]
    assert [part.state for part in parts] == ["succeeded"] * 3
    assert (parent.state, parent.progress_done, parent.progress_total) == ("succeeded", 3, 3)
    assert sorted(call["value"] for call in CALLS) == [1, 2, 3]


@pytest.mark.django_db
def test_two_beats_start_a_periodic_command_once_per_period(settings, committed):
    settings.WUYE_PERIODIC = {"test-entry": {"seconds": 60, "command": "check", "args": []}}

    with committed():
        first = jobs.tick("test-entry")
        second = jobs.tick("test-entry")  # the second beat's tick, moments later

    assert first is not None and second is None
    assert Job.objects.filter(schedule="test-entry").count() == 1
    assert Job.objects.get(schedule="test-entry").state == "succeeded"

    Schedule.objects.filter(name="test-entry").update(
        last_started_at=timezone.now() - datetime.timedelta(seconds=55)
    )
    with committed():
        assert jobs.tick("test-entry") is not None  # 0.9 of a period later: the next period's start
    assert Job.objects.filter(schedule="test-entry").count() == 2


@pytest.mark.django_db
def test_console_lists_failed_jobs_and_an_administrator_retries_one(client, community, admin_user, committed):
    BROKEN["permanent"] = 1
    job = _job(community=community)
    jobs.execute(job.pk)
    other = _job(community=CommunityFactory())
    jobs.execute(other.pk)
    client.force_login(admin_user)

    listing = client.get("/console/jobs/?state=failed")
    assert listing.status_code == 200
    assert f"#{job.pk}" in listing.content.decode() and f"#{other.pk}" not in listing.content.decode()
    detail = client.get(f"/console/jobs/{job.pk}/").content.decode()
    assert "ValueError: the data is wrong" in detail
    assert client.get(f"/console/jobs/{other.pk}/").status_code == 404
    assert client.post(f"/console/jobs/{other.pk}/retry/").status_code == 404

    BROKEN["permanent"] = 0  # the data was put right
    with committed():
        response = client.post(f"/console/jobs/{job.pk}/retry/")

    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.state, job.attempts, CALLS) == ("succeeded", 2, [{"value": 7}])
    entry = AuditLog.objects.get(action="core.job.retried")
    assert (entry.actor, entry.object_pk) == (admin_user, job.pk)
    other.refresh_from_db()
    assert other.state == "failed"


@pytest.mark.django_db
def test_only_administrators_see_the_jobs(client, community):
    BROKEN["permanent"] = 1
    job = _job(community=community)
    jobs.execute(job.pk)
    client.force_login(staff(community, Role.CASHIER))

    assert client.get("/console/jobs/").status_code == 404
    assert client.post(f"/console/jobs/{job.pk}/retry/").status_code == 404
    job.refresh_from_db()
    assert (job.state, job.attempts) == ("failed", 1)


SEEN_IDS: list[str] = []


@jobs.job
def remember_request_id() -> None:
    SEEN_IDS.append(request_id_get())


@pytest.mark.django_db
def test_a_request_s_id_follows_it_into_the_jobs_it_starts(committed):
    SEEN_IDS.clear()
    token = request_id_set("req-7f3a")
    try:
        with committed():
            job = jobs.start(remember_request_id)
    finally:
        request_id_reset(token)

    job.refresh_from_db()
    assert (job.request_id, SEEN_IDS, request_id_get()) == ("req-7f3a", ["req-7f3a"], "")
