"""``hamkor fhir import`` and ``hamkor fhir export`` on a database of the settings."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from hamkor.care.models import Patient, Referral
from hamkor.cli import app
from hamkor.core import migrate
from hamkor.core.db import make_engine, make_sessionmaker
from hamkor.core.models import Membership, Role
from hamkor.core.users import create_user
from hamkor.directory.models import InstitutionKind
from hamkor.programs.models import Program, ProgramKind
from hamkor.settings import get_settings
from tests.fixtures.core import PASSWORD
from tests.fixtures.fhir import hospital_bundle, resources
from tests.fixtures.programs import END, START, DirectoryRows


@pytest.fixture
def engine_of_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A migrated SQLite file as the settings' database, with the places a hospital names."""
    url = f"sqlite:///{tmp_path / 'fhir.sqlite3'}"
    monkeypatch.setenv("HAMKOR_DATABASE_URL", url)
    monkeypatch.setenv("HAMKOR_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("HAMKOR_DEFAULT_LANGUAGE", "en")
    get_settings.cache_clear()
    engine = make_engine(url)
    with engine.begin() as connection:
        migrate.upgrade(connection)
    with make_sessionmaker(engine)() as db:
        rows = DirectoryRows(db)
        kz, uz = rows.country("KZ"), rows.country("UZ")
        tashkent = rows.city("TAS", uz, 41.3, 69.2, "Asia/Tashkent", en="Tashkent")
        samarkand = rows.city("SKD", uz, 39.6, 66.9, "Asia/Samarkand", en="Samarkand")
        vakhidov = rows.institution("VAKHIDOV", tashkent, InstitutionKind.RESEARCH_CENTRE)
        rows.institution("SAM-RH", samarkand)
        rows.specialty("neurosurgery", en="Neurosurgery")
        db.add(
            Program(
                code="KZ-UZ-2025",
                kind=ProgramKind.MEDICAL_DAYS,
                names={"en": "Days of Kazakh Medicine"},
                guest_country_id=kz.id,
                host_country_id=uz.id,
                starts_on=START,
                ends_on=END,
            )
        )
        registrar = create_user(db, username="registrar", password=PASSWORD, display_name="R")
        db.add(Membership(user=registrar, role=Role.REGISTRAR, institution_id=vakhidov.id))
        db.commit()
    yield engine
    engine.dispose()
    get_settings.cache_clear()


def test_import_then_export_on_the_command_line(engine_of_settings: Engine, tmp_path: Path) -> None:
    runner = CliRunner()
    sent = tmp_path / "referrals.json"
    sent.write_text(json.dumps(hospital_bundle()), encoding="utf-8")
    out = tmp_path / "bundle.json"

    imported = runner.invoke(
        app, ["fhir", "import", str(sent), "--program", "KZ-UZ-2025", "--user", "registrar"]
    )
    exported = runner.invoke(app, ["fhir", "export", "--out", str(out)])

    assert imported.exit_code == 0, imported.output
    assert "2 records imported" in imported.output
    assert exported.exit_code == 0, exported.output
    bundle = json.loads(out.read_text(encoding="utf-8"))
    Bundle.model_validate(bundle)
    (request,) = resources(bundle, "ServiceRequest")
    assert request["reasonCode"][0]["coding"][0]["code"] == "M51.1"


def test_a_refused_import_prints_every_problem_and_writes_nothing(
    engine_of_settings: Engine, tmp_path: Path
) -> None:
    sent = tmp_path / "referrals.json"
    sent.write_text(json.dumps(hospital_bundle(icd10="X99.99")), encoding="utf-8")

    result = CliRunner().invoke(
        app, ["fhir", "import", str(sent), "--program", "KZ-UZ-2025", "--user", "registrar"]
    )

    assert result.exit_code == 1
    assert "Nothing was imported" in result.output
    assert "X99.99 is not an ICD-10 code." in result.output
    with make_sessionmaker(engine_of_settings)() as db:
        assert db.scalars(select(Patient)).all() == []
        assert db.scalars(select(Referral)).all() == []


def test_exporting_an_unknown_program_fails_clearly(
    engine_of_settings: Engine, tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        app, ["fhir", "export", "--program", "999", "--out", str(tmp_path / "x.json")]
    )

    assert result.exit_code == 1
    assert "No program 999" in result.output
    assert not (tmp_path / "x.json").exists()
