"""The job queue: exclusive claims, progress written to the row, failures kept as messages."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

from hamkor.core import jobs
from hamkor.core.db import make_sessionmaker
from hamkor.core.errors import UserError
from hamkor.core.i18n import N_, Message
from hamkor.core.jobs import Job, JobStatus

ECHO, REFUSE, CRASH, SLOW = "test.echo", "test.refuse", "test.crash", "test.slow"


def _echo(context: jobs.JobContext) -> dict[str, Any]:
    context.progress(50, N_("Improving the plan"), force=True, objective=12.5)
    return {"echo": context.payload["value"]}


def _refuse(context: jobs.JobContext) -> None:
    raise UserError.one("program", N_("This plan is infeasible and cannot be accepted."))


def _crash(context: jobs.JobContext) -> None:
    raise RuntimeError("patient Ivanov, diagnosis I21")  # must not reach the row or the page


@pytest.fixture(autouse=True)
def handlers() -> None:
    jobs.register(ECHO, _echo)
    jobs.register(REFUSE, _refuse)
    jobs.register(CRASH, _crash)


def _queue(db: Session, kind: str, **payload: Any) -> int:
    job = jobs.enqueue(db=db, kind=kind, payload=payload, created_by=None)
    db.commit()
    return job.id


def test_a_job_runs_to_its_result_with_its_progress_written(
    db: Session, session_factory: sessionmaker[Session]
) -> None:
    job_id = _queue(db, ECHO, value=7)

    assert jobs.run_next(session_factory, "here:1") == job_id
    db.expire_all()
    job = db.get(Job, job_id)
    assert job is not None
    assert (job.status, job.result, job.progress) == (JobStatus.DONE, {"echo": 7}, 100)
    assert job.details == {"objective": 12.5}
    assert job.worker == "here:1"
    assert job.finished_at is not None
    assert jobs.run_next(session_factory) is None


def test_progress_is_written_at_most_once_a_second(
    db: Session, session_factory: sessionmaker[Session]
) -> None:
    job_id = _queue(db, ECHO, value=1)
    now = [100.0]
    progress = jobs.Progress(session_factory, job_id, clock=lambda: now[0])

    assert progress(10, "a", objective=1.0)
    now[0] += 0.5
    assert not progress(20, "b", objective=2.0)
    now[0] += 0.6
    assert progress(30, "c", objective=3.0)
    db.expire_all()
    job = db.get(Job, job_id)
    assert job is not None
    assert (job.progress, job.note, job.details) == (
        30,
        "c",
        {"objective": 3.0},
    )


def test_a_refusal_is_kept_as_a_translatable_message(
    db: Session, session_factory: sessionmaker[Session]
) -> None:
    job_id = _queue(db, REFUSE)
    jobs.run_next(session_factory)
    db.expire_all()
    job = db.get(Job, job_id)
    assert job is not None
    assert job.status == JobStatus.FAILED
    assert Message(job.error or "", job.error_params).render("ru") == (
        "Этот план невыполним и не может быть принят."
    )


def test_a_crash_fails_the_job_without_its_message(
    db: Session, session_factory: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    job_id = _queue(db, CRASH)
    jobs.run_next(session_factory)
    db.expire_all()
    job = db.get(Job, job_id)
    assert job is not None
    assert job.status == JobStatus.FAILED
    assert job.error == jobs.FAILED_UNEXPECTEDLY
    assert "Ivanov" not in caplog.text
    assert "Ivanov" not in repr(job.result)


def test_a_job_of_a_dead_process_is_failed_at_the_next_start(
    db: Session, session_factory: sessionmaker[Session]
) -> None:
    job_id = _queue(db, ECHO, value=1)
    host = jobs.worker_name().rpartition(":")[0]
    dead_pid = 2**22 + 1  # above the kernel's pid_max: no such process
    assert jobs.claim(session_factory, f"{host}:{dead_pid}") == job_id
    alive = _queue(db, ECHO, value=2)
    assert jobs.claim(session_factory, jobs.worker_name()) == alive

    assert jobs.recover_interrupted(session_factory) == [job_id]
    db.expire_all()
    lost, running = db.get(Job, job_id), db.get(Job, alive)
    assert lost is not None
    assert (lost.status, lost.error) == (JobStatus.FAILED, jobs.INTERRUPTED)
    assert running is not None
    assert running.status == JobStatus.RUNNING


@pytest.fixture
def committed_jobs(postgresql_engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Real transactions on PostgreSQL (claims from two connections); the rows go afterwards."""
    sessions = make_sessionmaker(postgresql_engine)
    yield sessions
    with sessions.begin() as db:
        db.execute(delete(Job).where(Job.kind == ECHO))


def test_two_workers_never_claim_the_same_job_on_postgresql(
    committed_jobs: sessionmaker[Session],
) -> None:
    with committed_jobs.begin() as db:
        ids = [
            jobs.enqueue(db=db, kind=ECHO, payload={"value": n}, created_by=None).id
            for n in range(40)
        ]
    claimed: dict[str, list[int]] = {"a": [], "b": []}
    start = threading.Barrier(2)

    def work(name: str) -> None:
        start.wait()
        while (job_id := jobs.claim(committed_jobs, f"{name}:1")) is not None:
            claimed[name].append(job_id)

    threads = [threading.Thread(target=work, args=(name,)) for name in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(claimed["a"] + claimed["b"]) == ids
    assert not set(claimed["a"]) & set(claimed["b"])
    with committed_jobs() as db:
        workers = dict(db.execute(select(Job.id, Job.worker).where(Job.id.in_(ids))).all())
    assert all(workers[i] == "a:1" for i in claimed["a"])
    assert all(workers[i] == "b:1" for i in claimed["b"])
