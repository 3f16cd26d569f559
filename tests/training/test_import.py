"""Bulk enrolment from CSV and XLSX: row-by-row errors, all or nothing, page and command."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from hamkor.core import migrate
from hamkor.core.access import Actor
from hamkor.core.db import make_engine, make_sessionmaker, transaction
from hamkor.core.importing import Stage
from hamkor.directory.models import City, Institution, InstitutionKind, Person
from hamkor.directory.service import ensure_country
from hamkor.settings import get_settings
from hamkor.training.importing import import_enrolments
from hamkor.training.models import Course, CourseKind, Enrolment, EnrolmentStatus
from tests.fixtures.core import ClientFactory, csrf_of
from tests.fixtures.directory import TASHKENT
from tests.fixtures.programs import KzUzDays, submit
from tests.fixtures.training import CourseFactory, TraineeFactory

DAY = date(2025, 10, 15)


def codes(trainees: TraineeFactory, count: int) -> list[str]:
    return [str(trainees().person.code) for _ in range(count)]


def enrolled(db: Session, course: Course) -> dict[str, tuple[EnrolmentStatus, str]]:
    rows = db.execute(
        select(Person.code, Enrolment.status, Enrolment.language)
        .join(Person, Person.id == Enrolment.person_id)
        .where(Enrolment.course_id == course.id)
    )
    return {str(code): (status, language) for code, status, language in rows}


def test_a_good_file_fills_the_seats_then_the_waiting_list(
    db: Session,
    kz_uz_days: KzUzDays,
    create_course: CourseFactory,
    create_trainee: TraineeFactory,
) -> None:
    course = create_course(capacity=2)
    people = codes(create_trainee, 3)
    content = f"person;language\n{people[0]};kk\n{people[1]};\n\n{people[2]};ru\n".encode()
    seen: list[tuple[Stage, int, int | None]] = []
    result = import_enrolments(
        db=db,
        actor=Actor.of(kz_uz_days.coordinator),
        course=course,
        file=io.BytesIO(content),
        progress=lambda stage, done, total: seen.append((stage, done, total)),
    )
    assert (result.ok, result.created, seen[-1]) == (True, 3, (Stage.WRITING, 3, 3))
    assert enrolled(db, course) == {
        people[0]: (EnrolmentStatus.ENROLLED, "kk"),
        people[1]: (EnrolmentStatus.ENROLLED, "uz"),  # the person's own language
        people[2]: (EnrolmentStatus.WAITLISTED, "ru"),
    }


def test_a_bad_file_names_each_line_and_writes_nothing(
    db: Session,
    kz_uz_days: KzUzDays,
    create_course: CourseFactory,
    create_trainee: TraineeFactory,
) -> None:
    course = create_course()
    people = codes(create_trainee, 2)
    actor = Actor.of(kz_uz_days.coordinator)
    first = import_enrolments(
        db=db, actor=actor, course=course, file=io.BytesIO(f"person\n{people[0]}\n".encode())
    )
    assert first.ok
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in (
        ("person", "language"),
        (people[1], None),
        ("NOBODY", None),
        (people[0], None),
        (people[1], None),
        ("NOBODY-2", "de"),
    ):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = import_enrolments(
        db=db, actor=actor, course=course, file=io.BytesIO(buffer.getvalue())
    )
    assert [(e.line, e.column, e.render("en")) for e in result.errors] == [
        (3, "person", "Nothing with the code NOBODY exists."),
        (4, "person", f"{people[0]} is already in the course."),
        (5, "person", "Line 2 has the same code; codes must be unique."),
        (6, "language", "Choose one of the offered values."),
    ]
    assert list(enrolled(db, course)) == [people[0]]


def test_only_the_course_managers_import(
    db: Session,
    client_for: ClientFactory,
    create_course: CourseFactory,
    create_trainee: TraineeFactory,
) -> None:
    course = create_course()
    people = codes(create_trainee, 1)
    client = client_for(create_trainee().user)
    url = f"/training/courses/{course.id}/import"
    assert client.get(url).status_code == 403
    response = client.post(
        url,
        data={"csrf_token": csrf_of(client.get(f"/training/courses/{course.id}").text)},
        files={"file": ("trainees.csv", f"person\n{people[0]}\n".encode(), "text/csv")},
    )
    assert response.status_code == 403
    assert enrolled(db, course) == {}


def test_the_page_imports_and_shows_the_refused_lines(
    db: Session,
    client_for: ClientFactory,
    kz_uz_days: KzUzDays,
    create_course: CourseFactory,
    create_trainee: TraineeFactory,
) -> None:
    course = create_course()
    people = codes(create_trainee, 1)
    client = client_for(kz_uz_days.coordinator)
    url = f"/training/courses/{course.id}/import"
    token_page = client.get(url)
    assert token_page.status_code == 200

    def upload(text: str) -> str:
        response = client.post(
            url,
            data={"csrf_token": csrf_of(client.get(url).text)},
            files={"file": ("trainees.csv", text.encode(), "text/csv")},
            headers={"accept-language": "en"},
        )
        return f"{response.status_code} {response.text}"

    refused = upload("person\nNOBODY\n")
    assert refused.startswith("422")
    assert "Nothing with the code NOBODY exists." in refused
    done = upload(f"person\n{people[0]}\n")
    assert done.startswith("200")
    assert "1 record was imported." in done
    assert list(enrolled(db, course)) == people
    assert submit(client, url, url, {}).status_code == 422


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated SQLite file the command points at, with a course and two doctors."""
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    engine = make_engine(url)
    with engine.begin() as connection:
        migrate.upgrade(connection)
    with transaction(make_sessionmaker(engine)) as db:
        uz = ensure_country(db, "UZ")
        city = City(code="TAS", country=uz, names=TASHKENT, latitude=41.3, longitude=69.2,
                    timezone="Asia/Tashkent")  # fmt: skip
        host = Institution(code="VAKHIDOV", kind=InstitutionKind.HOSPITAL, names={"en": "V"},
                           city=city, country=uz)  # fmt: skip
        db.add_all(
            [host, Person(code="DR-1", names={"en": "A"}), Person(code="DR-2", names={"en": "B"})]
        )
        db.flush()
        db.add(Course(code="MC-1", title={"en": "MC"}, kind=CourseKind.MASTER_CLASS,
                      issuer_institution_id=host.id, host_institution_id=host.id,
                      starts_on=DAY, ends_on=DAY, language="ru", capacity=1))  # fmt: skip
    monkeypatch.setenv("HAMKOR_DATABASE_URL", url)
    monkeypatch.setenv("HAMKOR_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("HAMKOR_DEFAULT_LANGUAGE", "en")
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()
    engine.dispose()


def test_the_command_enrols_a_file(cli_database: str, tmp_path: Path) -> None:
    from hamkor.cli import app

    bad = tmp_path / "bad.csv"
    bad.write_text("person\nDR-1\nDR-9\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["training", "enrol", "MC-1", str(bad)])
    assert result.exit_code == 1
    assert "Problems to correct: 1" in result.output
    assert "DR-9" in result.output
    good = tmp_path / "good.csv"
    good.write_text("person\nDR-1\nDR-2\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["training", "enrol", "MC-1", str(good)])
    assert result.exit_code == 0, result.output
    assert "2 people enrolled in MC-1" in result.output
    engine = make_engine(cli_database)
    with make_sessionmaker(engine)() as db:
        statuses = db.scalars(select(Enrolment.status).order_by(Enrolment.id)).all()
        assert statuses == [EnrolmentStatus.ENROLLED, EnrolmentStatus.WAITLISTED]
        assert db.scalar(select(func.count()).select_from(Enrolment)) == 2
    engine.dispose()
    missing = CliRunner().invoke(app, ["training", "enrol", "NO-SUCH", str(good)])
    assert missing.exit_code == 1
    assert "Nothing with the code NO-SUCH exists." in missing.output
