"""The report form on a program's dashboard: the job started, its page with its progress,
then the file to download; a language not offered refused beside its field, nothing queued."""

from __future__ import annotations

import io
import re

import openpyxl
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hamkor.core import jobs
from tests.fixtures.core import ClientFactory
from tests.fixtures.programs import submit
from tests.fixtures.reports import ReportWorld


def test_the_report_form_starts_the_job_and_its_page_gives_the_file(
    client_for: ClientFactory,
    session_factory: sessionmaker[Session],
    report_world: ReportWorld,
) -> None:
    program = report_world.care.days.program
    client = client_for(report_world.care.days.coordinator)
    page = f"/programs/{program.id}"
    assert f'action="{page}/report"' in client.get(page).text
    started = submit(client, page, f"{page}/report", {"format": "xlsx", "lang": "kk"})
    assert started.status_code == 303
    found = re.fullmatch(r"/reports/jobs/(\d+)", started.headers["location"])
    assert found is not None
    job_id = int(found.group(1))
    waiting = client.get(started.headers["location"], headers={"accept-language": "en"})
    assert "Waiting for a worker" in waiting.text
    assert f'hx-get="/reports/jobs/{job_id}/progress"' in waiting.text
    assert client.get(f"/reports/jobs/{job_id}/file").status_code == 404

    assert jobs.claim(session_factory, "test", job_id) == job_id
    jobs.run(session_factory, job_id)
    done = client.get(f"/reports/jobs/{job_id}/progress", headers={"accept-language": "en"})
    assert "The report is ready." in done.text
    assert "hx-get" not in done.text  # the panel stops polling
    download = client.get(f"/reports/jobs/{job_id}/file")
    assert download.status_code == 200
    assert "KZ-UZ-2025-kk.xlsx" in download.headers["content-disposition"]
    assert openpyxl.load_workbook(io.BytesIO(download.content)).sheetnames[0] == "Бағдарлама"


def test_a_language_not_offered_is_refused_beside_its_field(
    client_for: ClientFactory, db: Session, report_world: ReportWorld
) -> None:
    program = report_world.care.days.program
    client = client_for(report_world.care.days.coordinator)
    page = f"/programs/{program.id}"
    refused = submit(client, page, f"{page}/report", {"format": "pdf", "lang": "de"})
    assert refused.status_code == 422
    assert 'id="lang-error"' in refused.text
    assert db.scalar(select(func.count()).select_from(jobs.Job)) == 0


def test_another_users_report_job_is_not_found(
    client_for: ClientFactory, report_world: ReportWorld
) -> None:
    program = report_world.care.days.program
    client = client_for(report_world.care.days.coordinator)
    page = f"/programs/{program.id}"
    started = submit(client, page, f"{page}/report", {"format": "md", "lang": "ru"})
    other = client_for(report_world.care.registrar)
    assert other.get(started.headers["location"]).status_code == 404
    assert other.get(started.headers["location"] + "/file").status_code == 404
