"""``hamkor worker`` processes: with each other and an app's pool they run every job once, a
worker killed with ``kill -9`` has its jobs taken up once its heartbeat lapses, and SIGTERM
stops one cleanly (issue 16). The jobs are the built-in probe, which records each run in the
append-only audit trail."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from hamkor.core import jobs
from hamkor.core.jobs import Job, JobStatus
from hamkor.core.worker import WorkerPool
from tests.fixtures.jobs import FAST, JobDatabase

HAMKOR = Path(sys.executable).parent / "hamkor"


class Workers:
    """``hamkor worker`` processes on one database; each is stopped (or killed) at the end."""

    def __init__(self, database: JobDatabase, home: Path) -> None:
        self.database = database
        self.home = home
        self.started: list[subprocess.Popen[str]] = []

    def start(self, threads: int = 1) -> subprocess.Popen[str]:
        """A worker process, once it says it runs (its first line of output)."""
        env = os.environ | {
            "HAMKOR_DATABASE_URL": self.database.url,
            "HAMKOR_VAR_DIR": str(self.home),
            "HAMKOR_SECRET_KEY": "test-secret-key",
            "HAMKOR_JOB_HEARTBEAT_LAPSE_SECONDS": str(FAST.lapse.total_seconds()),
            "HAMKOR_JOB_POLL_SECONDS": str(FAST.poll),
        }
        process = subprocess.Popen(
            [str(HAMKOR), "worker", "--threads", str(threads)],
            cwd=self.home,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.started.append(process)
        assert process.stdout is not None
        assert process.stdout.readline().startswith("Worker "), "the worker did not start"
        return process

    def stop(self, process: subprocess.Popen[str]) -> int:
        process.send_signal(signal.SIGTERM)
        return process.wait(timeout=60)

    def end_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.kill()
            process.wait()
            assert process.stdout is not None
            process.stdout.close()


@pytest.fixture
def workers(job_database: JobDatabase, tmp_path: Path) -> Iterator[Workers]:
    started = Workers(job_database, tmp_path)
    yield started
    started.end_all()


def _probes(database: JobDatabase, count: int, **payload: float) -> list[int]:
    with database.sessions.begin() as db:
        return [
            jobs.enqueue(db=db, kind=jobs.PROBE_JOB, payload=payload, created_by=None).id
            for _ in range(count)
        ]


def test_two_processes_and_a_pool_run_a_thousand_jobs_each_once(
    job_database: JobDatabase, workers: Workers
) -> None:
    if not job_database.url.startswith("postgresql"):
        pytest.skip("SQLite serves one machine: its workers are the app's threads")
    processes = [workers.start(threads=2), workers.start(threads=2)]
    pool = WorkerPool(job_database.sessions, 1, timing=FAST, schedules=[])
    pool.start()
    try:
        ids = _probes(job_database, 1000)
        job_database.wait(ids[-1], lambda job: job.is_finished)
        for job_id in ids:
            job_database.wait(job_id, lambda job: job.is_finished)
    finally:
        pool.stop(timeout=None)
    assert [workers.stop(process) for process in processes] == [0, 0]

    with job_database.sessions() as db:
        ran = db.execute(select(Job.status, Job.attempts, Job.worker).where(Job.id.in_(ids))).all()
    assert {(status, attempts) for status, attempts, _ in ran} == {(JobStatus.DONE, 1)}
    assert len({worker for _, _, worker in ran}) == 3  # both processes and the pool took part
    runs = job_database.probe_runs(ids)
    assert len(runs) == 1000
    assert set(runs.values()) == {1}


def test_the_jobs_of_a_killed_worker_are_taken_up_once_its_heartbeat_lapses(
    job_database: JobDatabase, workers: Workers
) -> None:
    process = workers.start(threads=2)
    repeatable, once = _probes(job_database, 1, seconds=1)[0], 0
    with job_database.sessions.begin() as db:
        once = jobs.enqueue(
            db=db, kind=jobs.PROBE_JOB, payload={"seconds": 600}, created_by=None, max_attempts=1
        ).id
    for job_id in (repeatable, once):
        job_database.wait(job_id, lambda job: job.note == jobs.PROBING)
    process.send_signal(signal.SIGKILL)
    process.wait()

    pool = WorkerPool(job_database.sessions, 1, timing=FAST, schedules=[])
    pool.start()
    try:
        retried = job_database.wait(repeatable, lambda job: job.is_finished)
        failed = job_database.wait(once, lambda job: job.is_finished)
    finally:
        pool.stop(timeout=None)

    assert (retried.status, retried.attempts, retried.worker) == (
        JobStatus.DONE,
        2,
        jobs.worker_name(),
    )
    assert (failed.status, failed.error) == (JobStatus.FAILED, jobs.INTERRUPTED)
    assert job_database.probe_runs([repeatable, once]) == {repeatable: 1}


def test_sigterm_releases_the_running_job_and_ends_the_worker(
    job_database: JobDatabase, workers: Workers
) -> None:
    process = workers.start()
    (job_id,) = _probes(job_database, 1, seconds=600)
    job_database.wait(job_id, lambda job: job.note == jobs.PROBING)

    assert workers.stop(process) == 0
    with job_database.sessions() as db:
        job = db.get_one(Job, job_id)
        assert (job.status, job.attempts) == (JobStatus.QUEUED, 1)
