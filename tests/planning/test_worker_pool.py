"""The app's worker threads: started with the app, they run a queued job to its end."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from hamkor.core import jobs, migrate
from hamkor.core.db import make_engine, make_sessionmaker
from hamkor.core.jobs import Job, JobStatus

KIND = "test.pool"


def _double(context: jobs.JobContext) -> dict[str, int]:
    return {"twice": 2 * int(context.payload["n"])}


def _wait_finished(sessions: sessionmaker[Session], job_id: int) -> Job:
    """The job once it has ended (the workers are other threads; give them a while)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with sessions() as db:
            job = db.get(Job, job_id)
            assert job is not None
            if job.is_finished:
                return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish")


def test_the_pool_runs_queued_jobs_and_fails_those_a_dead_process_left(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'pool.sqlite3'}")
    with engine.begin() as connection:
        migrate.upgrade(connection)
    sessions = make_sessionmaker(engine)
    jobs.register(KIND, _double)
    with sessions.begin() as db:
        lost = jobs.enqueue(db=db, kind=KIND, payload={"n": 0}, created_by=None).id
    host = jobs.worker_name().rpartition(":")[0]
    assert jobs.claim(sessions, f"{host}:{2**22 + 1}") == lost  # a process that is gone
    with sessions.begin() as db:
        queued = jobs.enqueue(db=db, kind=KIND, payload={"n": 21}, created_by=None).id

    pool = jobs.WorkerPool(sessions, size=2)
    pool.start()
    try:
        done = _wait_finished(sessions, queued)
        failed = _wait_finished(sessions, lost)
    finally:
        pool.stop()
        engine.dispose()

    assert (done.status, done.result) == (JobStatus.DONE, {"twice": 42})
    assert (failed.status, failed.error) == (JobStatus.FAILED, jobs.INTERRUPTED)
