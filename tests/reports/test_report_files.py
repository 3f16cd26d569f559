"""A program's report as Markdown and as CSV, made by the report job: suppressed like the
public page, in the language asked for; a bad format or language is refused naming its field."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hamkor.core import jobs
from hamkor.core.access import Actor
from hamkor.core.errors import UserError
from hamkor.core.i18n import Translator
from hamkor.core.models import User
from hamkor.reports import report_job
from hamkor.reports.files import csv_zip, markdown
from hamkor.reports.service import ReportFigures, report_figures
from tests.fixtures.reports import TODAY, ReportWorld


def _report(db: Session, world: ReportWorld, language: str) -> ReportFigures:
    program = world.care.days.program
    return report_figures(db, program, Translator(language), today=TODAY, threshold=5)


def test_the_markdown_report_suppresses_small_counts_of_patients(
    db: Session, report_world: ReportWorld
) -> None:
    text = markdown(db, _report(db, report_world, "en"), Translator("en"), 5).decode()
    assert text.startswith("# Days of Kazakh Medicine in Uzbekistan\n")
    assert "| Patients consulted | <5 |  |" in text
    assert "| High-tech interventions performed | 2 |  |" in text
    assert "Aliyev" not in text


def test_the_markdown_report_reads_in_kazakh(db: Session, report_world: ReportWorld) -> None:
    text = markdown(db, _report(db, report_world, "kk"), Translator("kk"), 5).decode()
    assert "| Көрсеткіш | Мәні | Мақсат |" in text
    assert "Оқытылған дәрігерлер" in text


def test_the_csv_report_is_a_zip_of_figures_and_breakdowns(
    db: Session, report_world: ReportWorld
) -> None:
    packed = zipfile.ZipFile(
        io.BytesIO(csv_zip(db, _report(db, report_world, "ru"), Translator("ru"), 5))
    )
    assert packed.namelist() == ["figures.csv", "breakdowns.csv"]
    rows = list(csv.DictReader(io.StringIO(packed.read("figures.csv").decode("utf-8-sig"))))
    values = {row["indicator"]: row["value"] for row in rows}
    assert values["patients_consulted"] == "<5"
    assert values["activities"] == "5"
    cells = list(csv.DictReader(io.StringIO(packed.read("breakdowns.csv").decode("utf-8-sig"))))
    by_day = [c for c in cells if (c["indicator"], c["breakdown"]) == ("patients_consulted", "day")]
    assert [(c["value"], c["count"]) for c in by_day] == [("2025-10-13", "<5")]


def test_the_report_job_writes_the_file(
    db: Session,
    session_factory: sessionmaker[Session],
    report_world: ReportWorld,
    admin: User,
) -> None:
    job = report_job.start(
        db=db,
        actor=Actor.of(admin),
        program=report_world.care.days.program,
        format="md",
        language="uz-Cyrl",
        threshold=5,
    )
    db.commit()
    assert jobs.claim(session_factory, "test", job.id) == job.id
    jobs.run(session_factory, job.id)
    db.expire_all()
    done = db.get_one(jobs.Job, job.id)
    assert done.status == jobs.JobStatus.DONE
    assert done.progress == 100
    assert done.result is not None
    assert done.result["name"] == "KZ-UZ-2025-uz-Cyrl.md"
    assert "Ўқитилган шифокорлар" in report_job.file_of(done.result).decode()


@pytest.mark.parametrize(
    ("changes", "field"), [({"format": "docx"}, "format"), ({"language": "de"}, "lang")]
)
def test_a_format_or_a_language_not_offered_is_refused_and_nothing_queued(
    db: Session, report_world: ReportWorld, admin: User, changes: dict[str, str], field: str
) -> None:
    asked = {"format": "md", "language": "ru"} | changes
    with pytest.raises(UserError) as refused:
        report_job.start(
            db=db,
            actor=Actor.of(admin),
            program=report_world.care.days.program,
            threshold=5,
            **asked,
        )
    assert [error.field for error in refused.value.errors] == [field]
    assert db.scalar(select(func.count()).select_from(jobs.Job)) == 0
