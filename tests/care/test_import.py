"""Bulk import of referrals: the documented sample imports; a bad file writes nothing."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import Connection, event, func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from hamkor.care import service
from hamkor.care.importing import import_referrals
from hamkor.care.models import ConsentKind, Patient, Referral
from hamkor.core import jobs, migrate
from hamkor.core.access import Actor
from hamkor.core.db import make_engine, make_sessionmaker, transaction
from hamkor.core.import_jobs import ImportFile
from hamkor.core.importing import Stage
from hamkor.core.models import AuditEntry
from hamkor.programs.models import Program, ProgramKind
from hamkor.settings import Settings, get_settings
from tests.fixtures.care import CareWorld
from tests.fixtures.core import ClientFactory, csrf_of
from tests.fixtures.imports import MIB, peak_memory, workbook
from tests.fixtures.programs import DirectoryRows

DOC = Path(__file__).parents[2] / "docs" / "formats" / "referral-import.md"


def sample() -> bytes:
    """The CSV sample of the format's documentation, exactly as it is written there."""
    found = re.search(r"```csv\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert found is not None
    return found.group(1).encode()


@pytest.fixture
def demo_codes(care_world: CareWorld, programs_directory: DirectoryRows) -> None:
    """The codes of the sample that the program fixture lacks."""
    rows = programs_directory
    for code in ("spine_surgery", "traumatology_orthopaedics", "paediatric_oncology"):
        rows.specialty(code)
    rows.city("NUK", care_world.days.uzbekistan, 42.46, 59.61, "Asia/Tashkent", en="Nukus")
    rows.db.commit()


def _count(db: Session, model: type[Patient] | type[Referral]) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def test_the_documented_sample_imports(
    db: Session, care_world: CareWorld, demo_codes: None
) -> None:
    seen: list[tuple[Stage, int, int | None]] = []
    result = import_referrals(
        db=db,
        actor=care_world.admin,
        file=io.BytesIO(sample()),
        progress=lambda stage, done, total: seen.append((stage, done, total)),
    )
    assert result.ok, [(e.line, e.column, e.render("en")) for e in result.errors]
    assert result.created == 4
    assert seen[-1] == (Stage.WRITING, 4, 4)
    assert _count(db, Patient) == 3
    rahimov = db.scalar(select(Patient).where(Patient.search.contains("rahimov")))
    assert rahimov is not None
    assert rahimov.phone == "+998901234567"
    referrals = service.list_referrals(db=db, actor=care_world.admin, patient_id=rahimov.id)
    assert sorted(r.icd10 for r in referrals) == ["M17.1", "M51.1"]
    assert service.may_share_abroad(db, rahimov.id)
    child = db.scalar(select(Patient).where(Patient.search.contains("sobirova")))
    assert child is not None
    assert service.has_consent(db, child.id, ConsentKind.TELEMEDICINE)


def test_a_bad_file_is_refused_row_by_row_and_nothing_is_written(
    db: Session, care_world: CareWorld, demo_codes: None
) -> None:
    lines = sample().decode().splitlines()
    lines[1] = lines[1].replace("31204680260174", "31204680260175")  # wrong check digit
    lines[3] = lines[3].replace("C91.0", "C99.9")  # no such ICD-10 code
    lines[4] = lines[4].replace("KZ-UZ-2025", "NO-SUCH")
    before = (_count(db, Patient), _count(db, Referral))
    result = import_referrals(
        db=db, actor=care_world.admin, file=io.BytesIO("\n".join(lines).encode())
    )
    assert not result.ok
    assert {(e.line, e.column) for e in result.errors} >= {
        (2, "identifier"),
        (4, "icd10"),
        (5, "program"),
    }
    assert (_count(db, Patient), _count(db, Referral)) == before


def test_a_registrar_imports_for_their_own_institution_only(
    db: Session, care_world: CareWorld, demo_codes: None
) -> None:
    content = sample().decode().replace(",VAKHIDOV,treatment", ",SAM-RH,treatment").encode()
    result = import_referrals(db=db, actor=Actor.of(care_world.registrar), file=io.BytesIO(content))
    assert not result.ok
    assert {e.column for e in result.errors} == {"institution"}


def test_the_import_page(
    client_for: ClientFactory, db: Session, care_world: CareWorld, demo_codes: None
) -> None:
    client = client_for(care_world.registrar)
    token_page = client.get("/care/import")
    assert token_page.status_code == 200
    response = client.post(
        "/care/import",
        data={"csrf_token": csrf_of(token_page.text)},
        files={"file": ("referrals.csv", sample(), "text/csv")},
    )
    assert response.status_code == 200, response.text
    assert _count(db, Referral) == 4
    assert "4" in response.text


def _post(client: TestClient, name: str, content: bytes) -> Response:
    page = client.get("/care/import")
    return client.post(
        "/care/import",
        data={"csrf_token": csrf_of(page.text)},
        files={"file": (name, content, "application/octet-stream")},
        headers={"accept-language": "en"},
        follow_redirects=False,
    )


def test_a_workbook_declaring_every_cell_of_a_sheet_imports_in_bounded_memory(
    client_for: ClientFactory, db: Session, care_world: CareWorld, demo_codes: None
) -> None:
    header, *rows = (tuple(row) for row in csv.reader(io.StringIO(sample().decode())))
    lines = [1, 2, 3, 4, 30_000]  # the last row far down, as a sheet may have it
    content = workbook(dict(zip(lines, [header, *rows], strict=True)), dimension="A1:XFD1048576")
    client = client_for(care_world.registrar)
    with peak_memory() as peak:
        response = _post(client, "referrals.xlsx", content)
    assert response.status_code == 200, response.text
    assert _count(db, Referral) == 4
    assert peak() < 64 * MIB  # issue 15: 3.8 GB


def test_a_file_larger_than_the_limit_is_refused_naming_the_file(
    client_for: ClientFactory, settings: Settings, db: Session, care_world: CareWorld
) -> None:
    settings.import_max_bytes = MIB
    content = sample() * (MIB // len(sample()) + 20)  # past the limit, not past the form's
    response = _post(client_for(care_world.registrar), "referrals.csv", content)
    assert response.status_code == 413
    # Within the largest upload (a document's), so the import refuses it beside its field.
    refusal = '<p class="error" id="e-file">The file is larger than 1 MB, the most an upload'
    assert refusal in response.text
    assert _count(db, Referral) == 0


def test_a_file_of_more_rows_than_the_limit_is_refused_on_the_page(
    client_for: ClientFactory, settings: Settings, db: Session, care_world: CareWorld
) -> None:
    settings.import_max_rows = 3
    response = _post(client_for(care_world.registrar), "referrals.csv", sample())
    assert response.status_code == 422
    assert "The file has more than 3 rows; split it into several files." in response.text
    assert _count(db, Referral) == 0


@pytest.fixture
def queued(
    client_for: ClientFactory, settings: Settings, care_world: CareWorld, demo_codes: None
) -> Callable[[bytes], tuple[TestClient, str]]:
    """Upload a file as the registrar with jobs from 3 rows on: their client and job page."""
    settings.import_job_rows = 2

    def upload(content: bytes) -> tuple[TestClient, str]:
        client = client_for(care_world.registrar)
        response = _post(client, "referrals.csv", content)
        assert response.status_code == 303, response.text
        return client, response.headers["location"]

    return upload


def test_a_file_of_thousands_of_rows_is_imported_by_a_job(
    queued: Callable[[bytes], tuple[TestClient, str]],
    session_factory: sessionmaker[Session],
    db: Session,
) -> None:
    client, page = queued(sample())
    waiting = client.get(page, headers={"accept-language": "en"})
    assert "Waiting for a worker" in waiting.text
    assert f'hx-get="{page}/progress"' in waiting.text
    assert _count(db, Referral) == 0
    assert jobs.run_next(session_factory) is not None
    done = client.get(f"{page}/progress", headers={"accept-language": "en"})
    assert "4 records were imported." in done.text
    assert "hx-get" not in done.text
    assert _count(db, Referral) == 4
    assert db.scalar(select(func.count()).select_from(ImportFile)) == 0


def test_a_refused_file_in_a_job_writes_nothing_and_lists_its_rows(
    queued: Callable[[bytes], tuple[TestClient, str]],
    session_factory: sessionmaker[Session],
    db: Session,
) -> None:
    content = sample().replace(b"KZ-UZ-2025", b"NO-SUCH")
    client, page = queued(content)
    jobs.run_next(session_factory)
    done = client.get(page, headers={"accept-language": "en"})
    assert "because of 4 problems; nothing was imported" in done.text
    assert "Nothing with the code NO-SUCH exists." in done.text
    assert (_count(db, Patient), _count(db, Referral)) == (0, 0)
    assert db.scalar(select(func.count()).select_from(ImportFile)) == 0


def test_an_import_job_cancelled_before_it_ran_leaves_no_file(
    queued: Callable[[bytes], tuple[TestClient, str]], db: Session
) -> None:
    _client, page = queued(sample())
    job = db.get_one(jobs.Job, int(page.rsplit("/", 1)[1]))
    assert db.scalar(select(func.count()).select_from(ImportFile)) == 1
    jobs.cancel(db=db, job=job, now=job.created_at)
    assert job.status == jobs.JobStatus.CANCELLED
    assert db.scalar(select(func.count()).select_from(ImportFile)) == 0


def test_an_import_job_is_shown_to_its_user_only(
    queued: Callable[[bytes], tuple[TestClient, str]],
    client_for: ClientFactory,
    care_world: CareWorld,
) -> None:
    _client, page = queued(sample())
    other = client_for(care_world.specialist)
    assert other.get(page).status_code == 404


def test_a_name_longer_than_any_field_takes_is_refused_on_its_row(
    db: Session, care_world: CareWorld, demo_codes: None
) -> None:
    lines = sample().decode().splitlines()
    lines[3] = lines[3].replace("Sobirova Madina", "Sobirova " + "M" * 5_000, 1)
    result = import_referrals(
        db=db, actor=care_world.admin, file=io.BytesIO("\n".join(lines).encode())
    )
    assert [(e.line, e.column) for e in result.errors] == [(4, "names.uz")]
    assert _count(db, Patient) == 0


def test_checking_a_file_asks_the_database_the_same_for_any_number_of_rows(
    db: Session, connection: Connection, care_world: CareWorld, demo_codes: None
) -> None:
    lines = sample().decode().splitlines()
    statements: list[str] = []

    def record(*args: Any) -> None:
        if args[2].lstrip().startswith("SELECT"):
            statements.append(args[2])

    def check(rows: int) -> int:
        header, first = lines[0], lines[1].replace(",4,VAKHIDOV", ",3,NO-SUCH")
        content = "\n".join([header] + [first] * rows).encode()
        statements.clear()
        event.listen(connection, "before_cursor_execute", record)
        try:
            result = import_referrals(db=db, actor=care_world.admin, file=io.BytesIO(content))
        finally:
            event.remove(connection, "before_cursor_execute", record)
        assert not result.ok
        return len(statements)

    assert check(3) == check(60)


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated SQLite file the command's settings point at, with the sample's codes."""
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    engine = make_engine(url)
    with engine.begin() as connection:
        migrate.upgrade(connection)
    with transaction(make_sessionmaker(engine)) as db:
        rows = DirectoryRows(db)
        uz, kz = rows.country("UZ"), rows.country("KZ")
        tashkent = rows.city("TAS", uz, 41.3, 69.2, "Asia/Tashkent")
        rows.city("NUK", uz, 42.46, 59.61, "Asia/Tashkent")
        rows.institution("VAKHIDOV", tashkent)
        for code in ("spine_surgery", "traumatology_orthopaedics", "paediatric_oncology"):
            rows.specialty(code)
        db.add(
            Program(
                code="KZ-UZ-2025",
                kind=ProgramKind.MEDICAL_DAYS,
                names={"en": "Days of Kazakh Medicine"},
                guest_country_id=kz.id,
                host_country_id=uz.id,
                starts_on=date(2025, 10, 13),
                ends_on=date(2025, 10, 17),
            )
        )
    monkeypatch.setenv("HAMKOR_DATABASE_URL", url)
    monkeypatch.setenv("HAMKOR_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("HAMKOR_DEFAULT_LANGUAGE", "en")
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()
    engine.dispose()


def test_the_command_imports_the_sample_once(cli_database: str, tmp_path: Path) -> None:
    from hamkor.cli import app

    file = tmp_path / "referrals.csv"
    file.write_bytes(sample())
    result = CliRunner().invoke(app, ["import", "referrals", str(file)])
    assert result.exit_code == 0, result.output
    assert "4 referrals imported" in result.output
    again = CliRunner().invoke(app, ["import", "referrals", str(file)])
    assert again.exit_code == 1
    assert "Nothing was imported" in again.output
    assert "already waits" in again.output


def test_numbers_of_patients_out_of_reach_name_no_record_and_are_audited(
    db: Session, care_world: CareWorld, demo_codes: None
) -> None:
    elsewhere = sample().decode().replace("VAKHIDOV", "SAM-RH").encode()
    assert import_referrals(db=db, actor=care_world.admin, file=io.BytesIO(elsewhere)).ok
    theirs = {str(patient_id) for patient_id in db.scalars(select(Patient.id))}
    result = import_referrals(
        db=db, actor=Actor.of(care_world.registrar), file=io.BytesIO(sample())
    )
    refusals = [e.render("en") for e in result.errors if e.column == "identifier"]
    assert len(refusals) == 4
    assert not any(re.search(r"record \d", refusal) for refusal in refusals)
    probes = db.scalars(
        select(AuditEntry.entity_id).where(
            AuditEntry.action == "denied", AuditEntry.note == "probe"
        )
    )
    assert set(probes) == theirs


def test_a_program_coordinator_imports_no_patient_they_could_not_open(
    db: Session, care_world: CareWorld, demo_codes: None
) -> None:
    coordinator = Actor.of(care_world.days.coordinator)
    elsewhere = sample().decode().replace("VAKHIDOV", "SAM-RH").encode()
    result = import_referrals(db=db, actor=coordinator, file=io.BytesIO(elsewhere))
    assert {e.column for e in result.errors} == {"institution"}
    assert _count(db, Patient) == 0
