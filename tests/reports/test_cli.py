"""``hamkor report program``: the job run with its progress bar, the file written; a language
not offered refused, naming it, with nothing queued."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from hamkor.cli import app
from hamkor.core.db import make_engine, make_sessionmaker, transaction
from hamkor.core.jobs import Job
from hamkor.directory.models import Country
from hamkor.programs.models import Program, ProgramKind
from hamkor.settings import get_settings


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A database file with one program and nothing in it yet."""
    url = f"sqlite:///{tmp_path / 'report.sqlite3'}"
    monkeypatch.setenv("HAMKOR_DATABASE_URL", url)
    monkeypatch.setenv("HAMKOR_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("HAMKOR_DEFAULT_LANGUAGE", "en")
    get_settings.cache_clear()
    assert CliRunner().invoke(app, ["db", "upgrade"]).exit_code == 0
    with transaction(make_sessionmaker(make_engine(url))) as db:
        kz = Country(code="KZ", names={"en": "Kazakhstan"})
        uz = Country(code="UZ", names={"en": "Uzbekistan"})
        db.add_all([kz, uz])
        db.flush()
        db.add(
            Program(
                code="EMPTY-2026",
                kind=ProgramKind.MEDICAL_DAYS,
                names={"en": "Days to come", "kk": "Алдағы күндер"},
                guest_country_id=kz.id,
                host_country_id=uz.id,
                starts_on=date(2026, 5, 4),
                ends_on=date(2026, 5, 8),
            )
        )
    yield url
    get_settings.cache_clear()


def _jobs(url: str) -> int:
    with make_sessionmaker(make_engine(url))() as db:
        return db.scalar(select(func.count()).select_from(Job)) or 0


def test_the_command_writes_the_report(database: str, tmp_path: Path) -> None:
    out = tmp_path / "report.md"
    result = CliRunner().invoke(
        app, ["report", "program", "EMPTY-2026", "--lang", "kk", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Алдағы күндер\n")
    assert "| Делегаттар | 0 |  |" in text
    with make_sessionmaker(make_engine(database))() as db:
        assert db.scalars(select(Job.status)).all() == ["done"]


def test_a_language_not_offered_is_refused(database: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["report", "program", "EMPTY-2026", "--lang", "de", "--out", str(tmp_path / "x.md")],
    )
    assert result.exit_code == 1
    assert "lang: Choose one of the offered values." in result.output
    assert _jobs(database) == 0
    assert not (tmp_path / "x.md").exists()


def test_the_command_writes_the_workbook(database: str, tmp_path: Path) -> None:
    import openpyxl

    out = tmp_path / "report.xlsx"
    result = CliRunner().invoke(
        app,
        ["report", "program", "EMPTY-2026", "--format", "xlsx", "--lang", "kk", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(out).sheetnames[0] == "Бағдарлама"


def test_the_command_writes_the_pdf(database: str, tmp_path: Path) -> None:
    import pypdf

    out = tmp_path / "report.pdf"
    result = CliRunner().invoke(
        app,
        [
            "report",
            "program",
            "EMPTY-2026",
            "--format",
            "pdf",
            "--lang",
            "uz-Cyrl",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    cover = pypdf.PdfReader(out).pages[0].extract_text()
    assert "Дастур ҳисоботи" in cover  # "Report of a program", under the program's name
