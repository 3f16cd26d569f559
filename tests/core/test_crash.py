"""``kill -9`` of real processes half-way through the work that writes most (issue 22): a bulk
import, a plan accept, a burst of bookings, a report job. Each leaves all of its rows or none,
no slot twice, and no job ``running`` once another worker has noticed the silence.

PostgreSQL only, on a database of its own (``<test database>_crash``) emptied for each test:
the processes killed are ``hamkor serve`` and ``hamkor worker`` themselves, which see only
committed rows. Where "half-way" cannot be caught by watching alone (an accept takes a fraction
of a second), the test holds a lock the work needs next, sees it waiting there with its first
rows written, and kills it then.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from sqlalchemy import Connection, Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from hamkor.care.importing import IMPORT_JOB
from hamkor.care.models import Appointment, Patient, Referral, ReferralStatus
from hamkor.care.service import slot_count
from hamkor.core import import_jobs, jobs
from hamkor.core.access import Actor
from hamkor.core.db import make_sessionmaker
from hamkor.core.i18n import Translator
from hamkor.core.import_jobs import ImportFile
from hamkor.core.jobs import Job, JobStatus
from hamkor.planning.models import PlanRun, RunStatus
from hamkor.programs.models import Activity
from hamkor.reports import report_job
from tests.conftest import POSTGRES_ENV, fresh_database, reset_postgres
from tests.fixtures.care import CareWorld, PatientFactory, ReferralFactory
from tests.fixtures.directory import bearer
from tests.fixtures.planning import PlannedDays, solve_run

HAMKOR = Path(sys.executable).parent / "hamkor"
#: Long enough that a live worker on a busy machine keeps its jobs, short for the test.
LAPSE_SECONDS = 3


# --- a database of its own, whose rows are committed -------------------------------------


@pytest.fixture(scope="module")
def crash_url() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"PostgreSQL only: set {POSTGRES_ENV}")
    return fresh_database(url, "crash")


@pytest.fixture
def engine(crash_url: str) -> Iterator[Engine]:
    """The crash database, emptied and migrated (overrides the suite's, on both backends)."""
    migrated = reset_postgres(crash_url)
    yield migrated
    migrated.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that really commit: the served app and the workers are other processes."""
    return make_sessionmaker(engine)


def count(db: Session, model: type[Any], *where: Any) -> int:
    return db.scalar(select(func.count()).select_from(model).where(*where)) or 0


# --- the processes --------------------------------------------------------------------------


class Processes:
    """``hamkor`` processes on the crash database; any still alive is killed at the end."""

    def __init__(self, url: str, home: Path) -> None:
        self.env = os.environ | {
            "HAMKOR_DATABASE_URL": url,
            "HAMKOR_VAR_DIR": str(home),
            "HAMKOR_SECRET_KEY": "test-secret-key",
            "HAMKOR_DEFAULT_LANGUAGE": "en",
            "HAMKOR_JOB_WORKERS": "0",
            "HAMKOR_JOB_HEARTBEAT_LAPSE_SECONDS": str(LAPSE_SECONDS),
            "HAMKOR_JOB_POLL_SECONDS": "0.2",
        }
        self.home = home
        self.started: list[subprocess.Popen[str]] = []

    def _start(self, *args: str) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [str(HAMKOR), *args], cwd=self.home, env=self.env, stdout=subprocess.PIPE, text=True
        )
        self.started.append(process)
        return process

    def worker(self) -> subprocess.Popen[str]:
        """A ``hamkor worker``, once it says it runs."""
        process = self._start("worker", "--threads", "1")
        assert process.stdout is not None
        assert process.stdout.readline().startswith("Worker "), "the worker did not start"
        return process

    def server(self) -> tuple[subprocess.Popen[str], str]:
        """A ``hamkor serve`` on a free port, once it answers; and its address."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        process = self._start("serve", "--port", str(port))
        address = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert process.poll() is None, "the server stopped"
            try:
                httpx.get(f"{address}/login", timeout=5)
                return process, address
            except httpx.TransportError:
                time.sleep(0.2)
        raise AssertionError("the server never answered")

    def end_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.kill()
            process.wait()
            assert process.stdout is not None
            process.stdout.close()


@pytest.fixture
def processes(crash_url: str, engine: Engine, tmp_path: Path) -> Iterator[Processes]:
    started = Processes(crash_url, tmp_path)
    yield started
    started.end_all()


def kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait()


def wait_for(what: Callable[[], Any], seconds: float = 120) -> Any:
    """What ``what`` returns once it is true (other processes: give them a while)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = what()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("never happened")


def job_of(sessions: sessionmaker[Session], job_id: int) -> Job:
    with sessions() as db:
        return db.get_one(Job, job_id)


@contextmanager
def holding(engine: Engine, table: str, mode: str) -> Iterator[Connection]:
    """A lock on ``table`` held until the block ends (its transaction rolled back)."""
    with engine.connect() as connection:
        connection.execute(text(f"LOCK TABLE {table} IN {mode} MODE"))
        yield connection
        connection.rollback()


def waiting_for_lock(engine: Engine, writing: str) -> int | None:
    """The backend that waits for a lock while it holds a write lock on ``writing`` (its
    first rows written), or None."""
    with engine.connect() as connection:
        pid: int | None = connection.scalar(
            text(
                "SELECT a.pid FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid "
                "WHERE a.wait_event_type = 'Lock' AND l.relation = CAST(:t AS regclass) "
                "AND l.mode = 'RowExclusiveLock' AND l.granted"
            ),
            {"t": writing},
        )
        return pid


def gone(engine: Engine, pid: int) -> bool:
    """Whether PostgreSQL has ended the backend (and so rolled back what it held)."""
    with engine.connect() as connection:
        return not connection.scalar(
            text("SELECT count(*) FROM pg_stat_activity WHERE pid = :p"), {"p": pid}
        )


def interrupted_is_translated() -> None:
    assert Translator("ru").gettext(jobs.INTERRUPTED) != jobs.INTERRUPTED


# --- (a) a bulk import ----------------------------------------------------------------------

IMPORT_ROWS = 3_000
WRITING = "Writing the rows"  # the job's note once the rows are checked and being written


def referrals_csv(world: CareWorld, rows: int) -> bytes:
    """``rows`` valid referrals, each of a new patient (a passport number)."""
    days = world.days
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "names.uz",
            "birth_date",
            "sex",
            "identifier_kind",
            "identifier",
            "identifier_issuer",
            "institution",
            "consents",
            "program",
            "specialty",
            "icd10",
            "reason",
            "priority",
            "referring_institution",
            "cities",
        ]
    )
    for number in range(rows):
        writer.writerow(
            (
                *(f"Crash Patient {number}", "1970-01-01", "female", "passport", f"N{number:08d}"),
                *("KZ", days.vakhidov.code, "treatment", days.program.code),
                *(days.cardiac_surgery.code, "I05.0", "Mitral stenosis", "3"),
                *(days.vakhidov.code, days.tashkent.code),
            )
        )
    return out.getvalue().encode()


def test_a_worker_killed_mid_import_leaves_no_row_and_no_file_and_fails_the_job(
    db: Session,
    session_factory: sessionmaker[Session],
    care_world: CareWorld,
    processes: Processes,
) -> None:
    job = import_jobs.queue(
        db=db,
        actor=Actor.of(care_world.registrar),
        content=referrals_csv(care_world, IMPORT_ROWS),
        filename="referrals.csv",
        kind=IMPORT_JOB,
        payload={"rows": IMPORT_ROWS, "back": "/care/import", "address": None},
    )
    db.commit()
    worker = processes.worker()
    writing = wait_for(lambda: (found := job_of(session_factory, job.id)).note == WRITING and found)
    assert 0 < writing.details["done"] < IMPORT_ROWS  # half-way through writing its rows
    kill(worker)

    processes.worker()
    ended = wait_for(lambda: (found := job_of(session_factory, job.id)).is_finished and found)
    assert (ended.status, ended.error) == (JobStatus.FAILED, jobs.INTERRUPTED)
    interrupted_is_translated()
    db.expire_all()
    assert count(db, Patient) == count(db, Referral) == 0
    # The file holds patients' names: the job it waited for is over, so it goes too.
    assert count(db, ImportFile) == 0


# --- (b) a plan accept ----------------------------------------------------------------------


def test_a_server_killed_mid_accept_writes_nothing_and_the_plan_is_accepted_after(
    db: Session,
    engine: Engine,
    session_factory: sessionmaker[Session],
    planned_days: PlannedDays,
    care_world: CareWorld,
    create_patient: PatientFactory,
    create_referral: ReferralFactory,
    processes: Processes,
) -> None:
    for number in range(3):
        create_referral(create_patient(f"Planned Patient {number}"))
    run = solve_run(db, session_factory, planned_days)
    assert run.status == RunStatus.PROPOSED
    assert run.plan is not None
    assert run.plan["consultations"]
    activities_before = count(db, Activity)
    headers = bearer(db, planned_days.days.coordinator)
    server, address = processes.server()
    accept = f"{address}/api/v1/planning/runs/{run.id}/accept"

    with holding(engine, "appointments", "SHARE"), ThreadPoolExecutor(1) as asker:
        asking = asker.submit(httpx.post, accept, headers=headers, timeout=120)
        backend = wait_for(lambda: waiting_for_lock(engine, "activities"))
        kill(server)
        with pytest.raises(httpx.TransportError):  # the server died while the accept waited
            asking.result()
    wait_for(lambda: gone(engine, backend))

    db.expire_all()
    assert db.get_one(PlanRun, run.id).status == RunStatus.PROPOSED
    assert count(db, Activity) == activities_before
    assert count(db, Appointment) == 0

    _server, address = processes.server()
    accepted = httpx.post(f"{address}/api/v1/planning/runs/{run.id}/accept", headers=headers)
    assert accepted.status_code == 200, accepted.text
    db.expire_all()
    assert count(db, Activity) > activities_before
    assert count(db, Appointment) == len(run.plan["consultations"])


# --- (c) a burst of bookings ----------------------------------------------------------------

REFERRALS = 24


async def _burst(address: str, headers: dict[str, str], bodies: list[dict[str, int]]) -> list[Any]:
    async with httpx.AsyncClient(base_url=address, headers=headers, timeout=60) as client:

        async def book(body: dict[str, int]) -> Any:
            try:
                return await client.post("/api/v1/care/appointments", json=body)
            except httpx.TransportError as lost:
                return lost

        return await asyncio.gather(*(book(body) for body in bodies))


def test_a_server_killed_in_a_booking_burst_double_books_nothing_and_loses_no_answer(
    db: Session,
    session_factory: sessionmaker[Session],
    care_world: CareWorld,
    create_patient: PatientFactory,
    create_referral: ReferralFactory,
    processes: Processes,
) -> None:
    session = care_world.session
    slots = slot_count(db, session)
    referrals = [create_referral(create_patient(f"Burst {n}")).id for n in range(REFERRALS)]
    headers = bearer(db, care_world.registrar)
    server, address = processes.server()
    # Every referral asks twice, for a given slot and for any: far more asks than slots.
    bodies = [
        {"referral_id": referral, "activity_id": session.id, **slot}
        for n, referral in enumerate(referrals)
        for slot in ({"slot": n % slots}, {})
    ]

    def booked() -> int:
        with session_factory() as other:
            return count(other, Appointment, Appointment.activity_id == session.id)

    async def burst_then_kill() -> list[Any]:
        asking = asyncio.ensure_future(_burst(address, headers, bodies))
        while not booked():
            assert not asking.done(), [getattr(a, "text", a) for a in asking.result()][:3]
            await asyncio.sleep(0.01)
        kill(server)
        return await asking

    # A thread of its own: the browser tests' Playwright keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as aside:
        answers = aside.submit(asyncio.run, burst_then_kill()).result()

    db.expire_all()
    rows = db.execute(
        select(Appointment.id, Appointment.slot, Appointment.referral_id).where(
            Appointment.activity_id == session.id
        )
    ).all()
    assert rows
    assert len({slot for _, slot, _ in rows}) == len(rows) <= slots  # no slot twice
    assert len({referral for _, _, referral in rows}) == len(rows)  # no referral twice
    held = {referral for _, _, referral in rows}
    moved = select(Referral.id).where(Referral.status == ReferralStatus.BOOKED)
    assert set(db.scalars(moved)) == held  # each booking moved its referral, none alone
    told = {answer.json()["id"] for answer in answers if getattr(answer, "status_code", 0) == 201}
    assert told <= {appointment for appointment, _, _ in rows}  # an answered booking stays
    assert any(isinstance(answer, httpx.TransportError) for answer in answers)  # killed mid-way


# --- (d) a report job -----------------------------------------------------------------------


def test_a_report_job_of_a_killed_worker_is_run_again_and_completes(
    db: Session,
    engine: Engine,
    session_factory: sessionmaker[Session],
    care_world: CareWorld,
    processes: Processes,
) -> None:
    days = care_world.days
    with holding(engine, "programs", "ACCESS EXCLUSIVE"):
        with session_factory.begin() as queueing:
            job_id = report_job.start(
                db=queueing,
                actor=Actor.of(days.coordinator),
                program=days.program,
                format="xlsx",
                language="ru",
                threshold=5,
            ).id
        worker = processes.worker()
        wait_for(lambda: job_of(session_factory, job_id).note == "Counting the figures")
        wait_for(lambda: _waiting(engine))
        kill(worker)

    processes.worker()
    ended = wait_for(lambda: (found := job_of(session_factory, job_id)).is_finished and found)
    assert (ended.status, ended.attempts) == (JobStatus.DONE, 2)
    assert ended.result is not None
    assert report_job.file_of(ended.result)[:2] == b"PK"  # an XLSX is a zip


def _waiting(engine: Engine) -> bool:
    """Whether some backend waits for a lock (the report's, on the programs held)."""
    with engine.connect() as connection:
        return bool(
            connection.scalar(
                text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            )
        )
