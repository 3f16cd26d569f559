"""Benchmark of the dashboard: its time and its statements at 1× and 10× the demo program.

Run: ``.venv/bin/python bench/reports.py [--database-url postgresql://…/hk_reports] [--runs 5]``
(not part of the test suite; the database is wiped). It loads the demo into PostgreSQL, reads
the 2025 program's dashboard (``GET /programs/{id}``, in process, as its coordinator) and the
figures alone (``reports.service.figures``) at the issue's 1× (the demo's patients and trainees
copied up to 150 delegates, about 200 patients and 450 enrolments), then multiplies the program's
delegates, patients (with their referrals, appointments, encounters, operations and follow-ups)
and trainees (with their enrolments and attendance) until it has ten times those rows, and reads
them again.

Printed per scale: the rows, the median time of the dashboard page and of its figures over the
runs (after one warm-up), the statements one dashboard sends (counted on the engine), and the
median time and peak memory of the program's report as XLSX and as PDF. Goals (issue 19): the
statements do not grow with the rows; 10× the rows take at most 3× the dashboard's time and at
most 2× the files' time (a report carries aggregates).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, event, func, insert, select, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hamkor.app import create_app
from hamkor.care.models import (
    Appointment,
    Encounter,
    FollowUpTask,
    Patient,
    Procedure,
    Referral,
)
from hamkor.core import migrate
from hamkor.core.db import Base, make_engine, make_sessionmaker, transaction
from hamkor.core.demo import DEMO_PASSWORD
from hamkor.core.i18n import Translator
from hamkor.demo.loader import load_demo
from hamkor.directory.models import Person
from hamkor.modules import install
from hamkor.programs.models import Participation, Program
from hamkor.reports import service
from hamkor.reports.files import FORMATS
from hamkor.reports.schemas import FigureFilter
from hamkor.settings import Settings
from hamkor.training.models import Attendance, Course, Enrolment

console = Console(width=132)
PROGRAM = "KZ-UZ-2025"
#: The program at 1× of issue 19's benchmark; 10× is ten times each.
ISSUE_SCALE = {"delegates": 150, "patients": 200, "enrolments": 450}
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/hk_reports"


def reset(engine: Engine) -> None:
    """An empty database at the latest schema (the benchmark's database is ours to wipe)."""
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    with engine.begin() as connection:
        migrate.upgrade(connection)


def _values(row: Base, **changes: Any) -> dict[str, Any]:
    """A row's columns but its id, with ``changes``: the values of its copy."""
    columns = row.__table__.columns
    return {c.key: getattr(row, c.key) for c in columns if c.key != "id"} | changes


def _copies(db: Session, model: type[Base], rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` of ``model`` in one statement, and their new ids in the same order."""
    if not rows:
        return []
    stmt = insert(model).returning(model.__table__.c.id, sort_by_parameter_order=True)
    return list(db.scalars(stmt, list(rows)))


def _people(db: Session, people: Sequence[Person], copy: int) -> list[int]:
    rows = [_values(p, code=f"X{copy}-{p.id}", user_id=None, email=None) for p in people]
    return _copies(db, Person, rows)


@dataclass(frozen=True)
class Growth:
    """How many times to copy each part of a program; ``round`` keeps each round's copies
    apart (their people's codes and their appointments' slots)."""

    delegates: int
    patients: int
    trainees: int
    round: int = 0

    def number(self, copy: int) -> int:
        return 100 * self.round + copy


def grow(db: Session, program: Program, growth: Growth) -> None:
    """The program's delegates, patients (with their care) and trainees (with their
    attendance) copied until there are so many times as many, each copy with its own people."""
    _grow_delegates(db, program, growth)
    _grow_patients(db, program, growth)
    _grow_trainees(db, program, growth)


def _grow_delegates(db: Session, program: Program, growth: Growth) -> None:
    taking_part = list(
        db.scalars(select(Participation).where(Participation.program_id == program.id))
    )
    for copy in range(1, growth.delegates):
        people = _people(db, [p.person for p in taking_part], growth.number(copy))
        _copies(
            db,
            Participation,
            [_values(p, person_id=n) for p, n in zip(taking_part, people, strict=True)],
        )


def _grow_patients(db: Session, program: Program, growth: Growth) -> None:
    referrals = list(db.scalars(select(Referral).where(Referral.program_id == program.id)))
    old = [r.id for r in referrals]
    appointments = list(db.scalars(select(Appointment).where(Appointment.referral_id.in_(old))))
    encounters = list(db.scalars(select(Encounter).where(Encounter.referral_id.in_(old))))
    treated: list[Procedure | FollowUpTask] = [
        *db.scalars(select(Procedure).where(Procedure.referral_id.in_(old))),
        *db.scalars(select(FollowUpTask).where(FollowUpTask.referral_id.in_(old))),
    ]
    for copy in range(1, growth.patients):
        originals = {r.patient_id: r.patient for r in referrals}
        patients = _copies(db, Patient, [_values(p) for p in originals.values()])
        patient_of = dict(zip(originals, patients, strict=True))
        new = [_values(r, patient_id=patient_of[r.patient_id]) for r in referrals]
        referral_of = dict(zip(old, _copies(db, Referral, new), strict=True))
        shift = 10_000 * growth.number(copy)
        booked = [
            _values(a, referral_id=referral_of[a.referral_id], slot=a.slot + shift)
            for a in appointments
        ]
        appointment_of = dict(
            zip([a.id for a in appointments], _copies(db, Appointment, booked), strict=True)
        )
        seen = [
            _values(
                e,
                referral_id=referral_of[e.referral_id],
                appointment_id=appointment_of.get(e.appointment_id or 0),
            )
            for e in encounters
        ]
        _copies(db, Encounter, seen)
        for row in treated:
            _copies(db, type(row), [_values(row, referral_id=referral_of[row.referral_id])])


def _grow_trainees(db: Session, program: Program, growth: Growth) -> None:
    courses = select(Course.id).where(Course.program_id == program.id)
    enrolments = list(db.scalars(select(Enrolment).where(Enrolment.course_id.in_(courses))))
    present = list(
        db.scalars(
            select(Attendance).where(Attendance.enrolment_id.in_([e.id for e in enrolments]))
        )
    )
    for copy in range(1, growth.trainees):
        trainees = _people(db, [e.person for e in enrolments], growth.number(copy))
        enrolled = [_values(e, person_id=n) for e, n in zip(enrolments, trainees, strict=True)]
        enrolment_of = dict(
            zip([e.id for e in enrolments], _copies(db, Enrolment, enrolled), strict=True)
        )
        _copies(
            db,
            Attendance,
            [_values(a, enrolment_id=enrolment_of[a.enrolment_id]) for a in present],
        )


def to_issue_scale(counts: dict[str, int]) -> Growth:
    """The growth that takes the demo program to the issue's 1×: 150 delegates, 200 patients
    and 450 enrolments (the demo has its 150 delegates but fewer patients and 45 enrolments)."""

    def times(kind: str) -> int:
        return max(1, round(ISSUE_SCALE[kind] / max(counts[kind], 1)))

    return Growth(times("delegates"), times("patients"), times("enrolments"), round=1)


def rows_of(db: Session, program: Program) -> dict[str, int]:
    def count(stmt: Any) -> int:
        return db.scalar(select(func.count()).select_from(stmt.subquery())) or 0

    return {
        "delegates": count(select(Participation.id).where(Participation.program_id == program.id)),
        "patients": count(
            select(Referral.patient_id).where(Referral.program_id == program.id).distinct()
        ),
        "enrolments": count(
            select(Enrolment.id).join(Course).where(Course.program_id == program.id)
        ),
    }


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    """The statements sent on ``engine`` meanwhile."""
    sent: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", note)


def measure(engine: Engine, client: TestClient, program: Program, runs: int) -> dict[str, float]:
    """Median seconds of the dashboard page and of its figures alone, and its statements."""
    address = f"/programs/{program.id}"
    assert client.get(address).status_code == 200  # warm-up: caches, the charts' engine
    pages, alone = [], []
    statements = 0
    for _ in range(runs):
        with counting(engine) as sent:
            started = time.perf_counter()
            response = client.get(address)
            pages.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
        statements = len(sent)
        with Session(engine) as db:
            actor = service.program_reader(program)
            started = time.perf_counter()
            service.figures(
                db=db,
                actor=actor,
                today=date(2025, 11, 30),
                program_ids=[program.id],
                filters=FigureFilter(),
                translator=Translator("ru"),
            )
            alone.append(time.perf_counter() - started)
    return {
        "page": statistics.median(pages),
        "figures": statistics.median(alone),
        "statements": statements,
    }


def files_made(engine: Engine, program: Program, runs: int) -> dict[str, float]:
    """Median seconds to count the report's figures and write each file, and the peak of
    Python's allocations while writing it once (tracemalloc: Pango's and cairo's own memory
    in WeasyPrint is not in it)."""
    found: dict[str, float] = {}
    translator = Translator("ru")
    with Session(engine) as db:

        def made(kind: str) -> bytes:
            report = service.report_figures(
                db, program, translator, today=date(2025, 11, 30), threshold=5
            )
            return FORMATS[kind].write(db, report, translator, 5)

        for kind in ("xlsx", "pdf"):
            made(kind)  # warm-up: fonts, the charts' engine
            took = []
            for _ in range(runs):
                started = time.perf_counter()
                made(kind)
                took.append(time.perf_counter() - started)
            tracemalloc.start()
            made(kind)
            _now, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            found[f"{kind} s"] = statistics.median(took)
            found[f"{kind} MB"] = peak / 2**20
    return found


def log_in(client: TestClient, username: str) -> None:
    page = client.get("/login").text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    answer = client.post(
        "/login",
        data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scale", type=int, default=10)
    args = parser.parse_args(argv)
    install()
    engine = make_engine(args.database_url)
    reset(engine)
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as db:
        load_demo(db)
    results = []
    with tempfile.TemporaryDirectory() as var_dir:
        settings = Settings(
            var_dir=Path(var_dir), database_url=args.database_url, secret_key="bench", job_workers=0
        )
        with TestClient(create_app(settings, sessions)) as client:
            log_in(client, "coordinator")
            for scale in (1, args.scale):
                with transaction(sessions) as db:
                    program = db.scalars(select(Program).where(Program.code == PROGRAM)).one()
                    if scale == 1:
                        growth = to_issue_scale(rows_of(db, program))
                    else:
                        growth = Growth(scale, scale, scale, round=2)
                    grow(db, program, growth)
                    db.flush()
                    db.execute(text("ANALYZE"))
                    counts = rows_of(db, program)
                timing = measure(engine, client, program, args.runs)
                timing |= files_made(engine, program, args.runs)
                results.append((scale, counts, timing))
    report(results)


def report(results: list[tuple[int, dict[str, int], dict[str, float]]]) -> None:
    table = Table(title=f"Dashboard of {PROGRAM} (load {os.getloadavg()[0]:.2f})")
    for column in (
        "scale",
        "delegates",
        "patients",
        "enrolments",
        "page s",
        "figures s",
        "statements",
        "xlsx s",
        "xlsx MB",
        "pdf s",
        "pdf MB",
    ):
        table.add_column(column, justify="right")
    for scale, counts, timing in results:
        table.add_row(
            f"{scale}×",
            *(f"{counts[k]:,}" for k in ("delegates", "patients", "enrolments")),
            f"{timing['page']:.3f}",
            f"{timing['figures']:.3f}",
            f"{timing['statements']:.0f}",
            *(f"{timing[k]:.2f}" for k in ("xlsx s", "xlsx MB", "pdf s", "pdf MB")),
        )
    console.print(table)
    (_, _, one), (_, _, many) = results
    console.print(
        f"10× / 1×: page {many['page'] / one['page']:.2f}, figures "
        f"{many['figures'] / one['figures']:.2f} (goal ≤ 3); statements "
        f"{one['statements']:.0f} → {many['statements']:.0f} (goal: the same); xlsx "
        f"{many['xlsx s'] / one['xlsx s']:.2f}, pdf {many['pdf s'] / one['pdf s']:.2f} (goal ≤ 2)"
    )


if __name__ == "__main__":
    main()
