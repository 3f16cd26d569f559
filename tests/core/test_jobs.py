"""The job queue: exclusive claims, progress written to the row, failures kept as messages,
retries with backoff, heartbeat lapses, cancellation and schedules (issue 16)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from hamkor.core import clock, jobs
from hamkor.core.db import make_sessionmaker
from hamkor.core.errors import UserError
from hamkor.core.i18n import N_, Message
from hamkor.core.import_jobs import ImportFile
from hamkor.core.jobs import Job, JobStatus

ECHO, REFUSE, CRASH, FLAKY, WRITER = (
    "test.echo",
    "test.refuse",
    "test.crash",
    "test.flaky",
    "test.w",
)
TIMING = jobs.Timing()
_failures: Counter[int] = Counter()


def _echo(context: jobs.JobContext) -> dict[str, Any]:
    context.progress(50, N_("Improving the plan"), force=True, objective=12.5)
    return {"echo": context.payload["value"]}


def _refuse(context: jobs.JobContext) -> None:
    raise UserError.one("program", N_("This plan is infeasible and cannot be accepted."))


def _crash(context: jobs.JobContext) -> None:
    raise RuntimeError("patient Ivanov, diagnosis I21")  # must not reach the row or the page


def _flaky(context: jobs.JobContext) -> dict[str, Any]:
    """Fails the first ``fails`` times it runs for a job."""
    if _failures[context.job_id] < int(context.payload["fails"]):
        _failures[context.job_id] += 1
        raise ConnectionError("the mail server went away")
    return {"after": _failures[context.job_id]}


def _write_then_report(context: jobs.JobContext) -> None:
    """Writes a row in its own transaction, then reports progress before committing."""
    with context.sessions() as db:
        db.add(ImportFile(filename=f"job {context.job_id}", content=b"x"))
        db.flush()
        context.progress(50, force=True)
        db.commit()


@pytest.fixture(autouse=True)
def handlers() -> None:
    jobs.register(ECHO, _echo)
    jobs.register(REFUSE, _refuse, max_attempts=jobs.REPEATABLE)
    jobs.register(CRASH, _crash)
    jobs.register(FLAKY, _flaky, max_attempts=jobs.REPEATABLE)
    jobs.register(WRITER, _write_then_report)


def _queue(db: Session, kind: str, **payload: Any) -> int:
    job = jobs.enqueue(db=db, kind=kind, payload=payload, created_by=None)
    db.commit()
    return job.id


def _job(db: Session, job_id: int) -> Job:
    db.expire_all()
    return db.get_one(Job, job_id)


def test_a_job_runs_to_its_result_with_its_progress_written(
    db: Session, session_factory: sessionmaker[Session]
) -> None:
    job_id = _queue(db, ECHO, value=7)

    assert jobs.run_next(session_factory, "here:1") == job_id
    job = _job(db, job_id)
    assert (job.status, job.result, job.progress) == (JobStatus.DONE, {"echo": 7}, 100)
    assert job.details == {"objective": 12.5}
    assert (job.worker, job.attempts) == ("here:1", 1)
    assert job.finished_at is not None
    assert jobs.run_next(session_factory) is None


def test_progress_is_written_at_most_once_a_second(
    db: Session, session_factory: sessionmaker[Session]
) -> None:
    job_id = _queue(db, ECHO, value=1)
    assert jobs.claim(session_factory, "here:1") == job_id
    now = [100.0]
    progress = jobs.Progress(session_factory, job_id, attempt=1, clock=lambda: now[0])

    assert progress(10, "a", objective=1.0)
    now[0] += 0.5
    assert not progress(20, "b", objective=2.0)
    now[0] += 0.6
    assert progress(30, "c", objective=3.0)
    job = _job(db, job_id)
    assert (job.progress, job.note, job.details) == (30, "c", {"objective": 3.0})


def test_a_refusal_is_kept_as_a_translatable_message_and_never_retried(
    db: Session, session_factory: sessionmaker[Session]
) -> None:
    job_id = _queue(db, REFUSE)
    jobs.run_next(session_factory)
    job = _job(db, job_id)
    assert (job.status, job.attempts, job.max_attempts) == (JobStatus.FAILED, 1, 3)
    assert Message(job.error or "", job.error_params).render("ru") == (
        "Этот план невыполним и не может быть принят."
    )


def test_a_crash_fails_the_job_without_its_message(
    db: Session, session_factory: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    job_id = _queue(db, CRASH)
    jobs.run_next(session_factory)
    job = _job(db, job_id)
    assert job.status == JobStatus.FAILED
    assert job.error == jobs.FAILED_UNEXPECTEDLY
    assert "Ivanov" not in caplog.text
    assert "Ivanov" not in repr(job.result)


def test_a_repeatable_job_is_retried_after_its_backoff_until_it_succeeds(
    db: Session, session_factory: sessionmaker[Session]
) -> None:
    job_id = _queue(db, FLAKY, fails=2)
    first = clock.now()

    assert jobs.run_next(session_factory, now=first) == job_id
    job = _job(db, job_id)
    assert (job.status, job.attempts) == (JobStatus.QUEUED, 1)
    assert job.run_after is not None
    assert job.run_after >= first + TIMING.backoff
    assert jobs.run_next(session_factory, now=job.run_after - timedelta(seconds=1)) is None

    second = clock.now()
    assert jobs.run_next(session_factory, now=job.run_after) == job_id
    second_wait = _job(db, job_id).run_after
    assert second_wait is not None
    assert second_wait >= second + 2 * TIMING.backoff
    assert jobs.run_next(session_factory, now=second_wait - timedelta(seconds=1)) is None

    assert jobs.run_next(session_factory, now=second_wait) == job_id
    job = _job(db, job_id)
    assert (job.status, job.attempts, job.result) == (JobStatus.DONE, 3, {"after": 2})


def test_a_repeatable_job_fails_once_its_attempts_are_spent(
    db: Session, session_factory: sessionmaker[Session]
) -> None:
    job_id = _queue(db, FLAKY, fails=5)
    later = clock.now() + timedelta(days=1)
    for _ in range(jobs.REPEATABLE):
        assert jobs.run_next(session_factory, now=later) == job_id
    job = _job(db, job_id)
    assert (job.status, job.attempts, job.error) == (
        JobStatus.FAILED,
        3,
        jobs.FAILED_UNEXPECTEDLY,
    )
    assert jobs.run_next(session_factory, now=later) is None


def test_a_lapsed_job_is_queued_again_if_repeatable_else_failed_and_only_once(
    db: Session, session_factory: sessionmaker[Session]
) -> None:
    repeatable = _queue(db, FLAKY, fails=0)
    once = _queue(db, ECHO, value=1)
    assert jobs.claim(session_factory, "gone:1") == repeatable
    assert jobs.claim(session_factory, "gone:1") == once
    now = clock.now()

    assert jobs.recover_lapsed(session_factory, timing=TIMING, now=now) == []
    after_lapse = now + TIMING.lapse + timedelta(seconds=1)
    assert sorted(jobs.recover_lapsed(session_factory, timing=TIMING, now=after_lapse)) == [
        repeatable,
        once,
    ]
    assert jobs.recover_lapsed(session_factory, timing=TIMING, now=after_lapse) == []

    failed = _job(db, once)
    assert (failed.status, failed.error) == (JobStatus.FAILED, jobs.INTERRUPTED)
    assert _job(db, repeatable).status == JobStatus.QUEUED
    assert jobs.run_next(session_factory, now=after_lapse + timedelta(hours=1)) == repeatable
    done = _job(db, repeatable)
    assert (done.status, done.attempts) == (JobStatus.DONE, 2)


def test_a_run_whose_job_was_taken_up_writes_nothing_more(
    db: Session, session_factory: sessionmaker[Session]
) -> None:
    job_id = _queue(db, FLAKY, fails=0)
    assert jobs.claim(session_factory, "slow:1") == job_id
    later = clock.now() + TIMING.lapse * 2
    jobs.recover_lapsed(session_factory, timing=TIMING, now=later)
    assert jobs.claim(session_factory, "other:1", now=later + timedelta(hours=1)) == job_id

    with pytest.raises(jobs.Released):
        jobs.Progress(session_factory, job_id, attempt=1)(10, force=True)
    job = _job(db, job_id)
    assert (job.status, job.worker, job.attempts, job.progress) == (
        JobStatus.RUNNING,
        "other:1",
        2,
        0,
    )


def test_a_cancelled_queued_job_never_runs(
    db: Session, session_factory: sessionmaker[Session]
) -> None:
    job_id = _queue(db, ECHO, value=1)
    jobs.cancel(db=db, job=db.get_one(Job, job_id), now=clock.now())
    db.commit()

    assert jobs.run_next(session_factory) is None
    job = _job(db, job_id)
    assert (job.status, job.attempts, job.result) == (JobStatus.CANCELLED, 0, None)


def test_a_cancelled_running_job_stops_at_its_progress_and_commits_nothing(
    db: Session, session_factory: sessionmaker[Session]
) -> None:
    job_id = _queue(db, WRITER)
    assert jobs.claim(session_factory, "here:1") == job_id
    jobs.cancel(db=db, job=db.get_one(Job, job_id), now=clock.now())
    db.commit()
    assert _job(db, job_id).state_label == jobs.CANCELLING

    jobs.run(session_factory, job_id)
    job = _job(db, job_id)
    assert (job.status, job.error) == (JobStatus.CANCELLED, jobs.CANCELLED)
    written = db.scalar(select(func.count()).where(ImportFile.filename == f"job {job_id}"))
    assert written == 0


def test_the_same_job_runs_with_its_write_when_not_cancelled(
    db: Session, session_factory: sessionmaker[Session]
) -> None:
    """The counterpart of the test above: the handler's row is written when nothing stops it."""
    job_id = _queue(db, WRITER)
    jobs.run_next(session_factory)
    assert _job(db, job_id).status == JobStatus.DONE
    assert db.scalar(select(func.count()).where(ImportFile.filename == f"job {job_id}")) == 1


def test_a_schedule_queues_one_job_per_period(
    db: Session, session_factory: sessionmaker[Session]
) -> None:
    daily = jobs.Schedule(ECHO, every=timedelta(days=1))
    morning = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)

    first = jobs.enqueue_due(session_factory, now=morning, due=[daily])
    again = jobs.enqueue_due(session_factory, now=morning + timedelta(hours=20), due=[daily])
    next_day = jobs.enqueue_due(session_factory, now=morning + timedelta(days=1), due=[daily])

    assert len(first) == 1
    assert again == []
    assert len(next_day) == 1
    job = _job(db, first[0])
    assert job.run_key == "test.echo:2026-12-06T00:00"
    assert job.payload == {"period_start": "2026-12-06T00:00:00+00:00"}
    context = jobs.JobContext(job.id, job.payload, None, session_factory, None)  # type: ignore[arg-type]
    assert context.as_of() == datetime(2026, 12, 6, tzinfo=UTC)
    assert _job(db, next_day[0]).run_key == "test.echo:2026-12-07T00:00"


def test_the_jobs_are_scheduled_daily() -> None:
    assert {(s.kind, s.every) for s in jobs.schedules()} >= {
        ("files.collect", timedelta(days=1)),
        ("core.purge", timedelta(days=1)),
    }


def test_today_is_the_city_s_date() -> None:
    """Tashkent (UTC+5) is a day ahead of UTC from 19:00 UTC."""
    assert clock.today("Asia/Tashkent") in {
        clock.now().date(),
        clock.now().date() + timedelta(days=1),
    }
    assert clock.now().tzinfo is UTC


# --- real transactions on PostgreSQL --------------------------------------------------------


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


def test_racing_schedulers_queue_one_job_on_postgresql(
    committed_jobs: sessionmaker[Session],
) -> None:
    daily = jobs.Schedule(ECHO, every=timedelta(days=1))
    now = datetime(2026, 12, 6, 12, tzinfo=UTC)
    start = threading.Barrier(3)
    queued: list[list[int]] = []

    def schedule() -> None:
        start.wait()
        queued.append(jobs.enqueue_due(committed_jobs, now=now, due=[daily]))

    threads = [threading.Thread(target=schedule) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(len(ids) for ids in queued) == [0, 0, 1]
    with committed_jobs() as db:
        keys = db.scalars(select(Job.run_key).where(Job.kind == ECHO)).all()
    assert keys == ["test.echo:2026-12-06T00:00"]
