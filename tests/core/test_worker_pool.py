"""The worker threads of a process (``core.worker``): they run queued jobs, take up the jobs of
a dead worker once its heartbeat lapses, stop a cancelled job, queue a scheduled job once per
period however many pools there are, and release their job when stopped (issue 16)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import select

from hamkor.core import clock, jobs
from hamkor.core.jobs import Job, JobStatus
from hamkor.core.worker import WorkerPool
from tests.fixtures.jobs import FAST, JobDatabase


def _probe(database: JobDatabase, seconds: float = 0, max_attempts: int | None = None) -> int:
    with database.sessions.begin() as db:
        job = jobs.enqueue(
            db=db,
            kind=jobs.PROBE_JOB,
            payload={"seconds": seconds},
            created_by=None,
            max_attempts=max_attempts,
        )
        return job.id


@contextmanager
def _pools(database: JobDatabase, count: int = 1, **options: object) -> Iterator[None]:
    pools = [
        WorkerPool(database.sessions, 1, timing=FAST, schedules=[], **options)  # type: ignore[arg-type]
        for _ in range(count)
    ]
    for pool in pools:
        pool.start()
    try:
        yield
    finally:
        for pool in pools:
            pool.stop(timeout=None)


def test_the_pool_runs_queued_jobs_and_takes_up_those_of_a_dead_worker(
    job_database: JobDatabase,
) -> None:
    repeatable = _probe(job_database)
    once = _probe(job_database, max_attempts=1)
    assert jobs.claim(job_database.sessions, "gone:1") == repeatable
    assert jobs.claim(job_database.sessions, "gone:1") == once
    queued = _probe(job_database)

    with _pools(job_database):
        done = job_database.wait(queued, lambda job: job.is_finished)
        retried = job_database.wait(repeatable, lambda job: job.is_finished)
        failed = job_database.wait(once, lambda job: job.is_finished)

    assert (done.status, done.attempts) == (JobStatus.DONE, 1)
    assert (retried.status, retried.attempts) == (JobStatus.DONE, 2)
    assert (failed.status, failed.error) == (JobStatus.FAILED, jobs.INTERRUPTED)
    assert job_database.probe_runs([queued, repeatable, once]) == {queued: 1, repeatable: 1}


def test_a_cancelled_running_job_stops_and_ends_cancelled(job_database: JobDatabase) -> None:
    job_id = _probe(job_database, seconds=600)

    with _pools(job_database):
        job_database.wait(job_id, lambda job: job.note == jobs.PROBING)
        with job_database.sessions.begin() as db:
            jobs.cancel(db=db, job=db.get_one(Job, job_id), now=clock.now())
        cancelled = job_database.wait(job_id, lambda job: job.is_finished)

    assert (cancelled.status, cancelled.error) == (JobStatus.CANCELLED, jobs.CANCELLED)
    assert job_database.probe_runs([job_id]) == {}


def test_a_stopped_pool_releases_its_running_job(job_database: JobDatabase) -> None:
    job_id = _probe(job_database, seconds=600)

    with _pools(job_database):
        job_database.wait(job_id, lambda job: job.note == jobs.PROBING)

    released = job_database.wait(job_id, lambda job: job.status != JobStatus.RUNNING)
    assert (released.status, released.attempts, released.worker) == (JobStatus.QUEUED, 1, None)
    assert job_database.probe_runs([job_id]) == {}


def test_three_pools_run_a_scheduled_job_once_per_period(job_database: JobDatabase) -> None:
    daily = jobs.Schedule(jobs.PROBE_JOB, every=timedelta(days=1))
    key = daily.run_key(daily.period_start(clock.now()))
    pools = [WorkerPool(job_database.sessions, 1, timing=FAST, schedules=[daily]) for _ in range(3)]
    for pool in pools:
        pool.start()
    try:
        found = None
        while found is None:
            with job_database.sessions() as db:
                found = db.scalar(select(Job.id).where(Job.run_key == key))
        job_database.wait(found, lambda job: job.is_finished)
        # Every watcher has looked again since (a beat is 0.2 s) and found the period's job.
        job_database.wait(found, lambda job: clock.now() - job.created_at > FAST.lapse)
    finally:
        for pool in pools:
            pool.stop(timeout=None)

    with job_database.sessions() as db:
        probes = db.scalars(select(Job).where(Job.kind == jobs.PROBE_JOB)).all()
    assert [(job.run_key, job.status) for job in probes] == [(key, JobStatus.DONE)]
    assert job_database.probe_runs([found]) == {found: 1}
