"""``hamkor telemedicine deadlines`` and ``hamkor telemedicine export`` on a database of the
settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fhir.resources.R4B.bundle import Bundle
from typer.testing import CliRunner

from hamkor.cli import app
from hamkor.core import migrate
from hamkor.core.access import Actor
from hamkor.core.db import make_engine, make_sessionmaker
from hamkor.core.models import Membership, Role
from hamkor.core.users import create_user
from hamkor.directory.models import InstitutionKind
from hamkor.settings import get_settings
from hamkor.telemedicine import service
from hamkor.telemedicine.schemas import CaseCreate
from tests.fixtures.core import PASSWORD
from tests.fixtures.programs import DirectoryRows
from tests.fixtures.telemedicine import DEADLINES, NOW


def test_a_case_is_reminded_then_exported_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'tele.sqlite3'}"
    monkeypatch.setenv("HAMKOR_DATABASE_URL", url)
    monkeypatch.setenv("HAMKOR_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    engine = make_engine(url)
    with engine.begin() as connection:
        migrate.upgrade(connection)
    with make_sessionmaker(engine)() as db:
        rows = DirectoryRows(db)
        kz, uz = rows.country("KZ"), rows.country("UZ")
        tashkent = rows.city("TAS", uz, 41.3, 69.2, "Asia/Tashkent", en="Tashkent")
        almaty = rows.city("ALA", kz, 43.2, 76.9, "Asia/Almaty", en="Almaty")
        vakhidov = rows.institution("VAKHIDOV", tashkent, InstitutionKind.RESEARCH_CENTRE)
        syzganov = rows.institution("SYZGANOV", almaty, InstitutionKind.RESEARCH_CENTRE)
        specialty = rows.specialty("cardiac_surgery", en="Cardiac surgery")
        asker = create_user(db, username="asker", password=PASSWORD, display_name="Asker")
        db.add(Membership(user=asker, role=Role.SPECIALIST, institution_id=vakhidov.id))
        coordinator = create_user(db, username="coord", password=PASSWORD, display_name="C")
        db.add(
            Membership(
                user=coordinator, role=Role.INSTITUTION_COORDINATOR, institution_id=syzganov.id
            )
        )
        db.flush()
        case = service.create_case(
            db=db,
            actor=Actor.of(asker),
            data=CaseCreate(
                asking_institution_id=vakhidov.id,
                centre_id=syzganov.id,
                specialty_id=specialty.id,
                urgency="urgent",
                question="Operate now?",
                clinical_summary="Mitral stenosis.",
                icd10=["I05.0"],
            ),
            now=NOW,
        )
        service.submit(db=db, actor=Actor.of(asker), case=case, now=NOW, deadlines=DEADLINES)
        db.commit()
    runner = CliRunner()
    late = runner.invoke(app, ["telemedicine", "deadlines", "--at", "2025-10-21T10:00:00+00:00"])
    assert late.exit_code == 0, late.output
    assert "0 reminded, 1 escalated, 1 notified." in late.output
    out = tmp_path / "cases.json"
    exported = runner.invoke(
        app,
        ["telemedicine", "export", "--out", str(out), "--centre", "SYZGANOV", "--user", "coord"],
    )
    assert exported.exit_code == 0, exported.output
    bundle = Bundle.model_validate(json.loads(out.read_text("utf-8")))
    kinds = [entry.resource.get_resource_type() for entry in bundle.entry or []]  # type: ignore[union-attr]
    assert kinds == ["ServiceRequest", "Task"]
    unknown = runner.invoke(app, ["telemedicine", "export", "--out", str(out), "--centre", "NONE"])
    assert unknown.exit_code == 1
    engine.dispose()
    get_settings.cache_clear()
