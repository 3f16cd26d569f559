"""The demo program planned and accepted from the command line and through the pages: the
accepted plan adds no conflict to what the demo's coordinators entered by hand (issue 13)."""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from hamkor.app import create_app
from hamkor.cli import app
from hamkor.core import jobs
from hamkor.core.db import make_engine, make_sessionmaker, transaction
from hamkor.core.demo import DEMO_PASSWORD
from hamkor.demo.loader import load_demo
from hamkor.directory.service import travel_matrix
from hamkor.planning.models import PlanningRequest, PlanRun, RunStatus
from hamkor.programs import conflicts
from hamkor.programs.models import Activity, Program
from hamkor.settings import get_settings
from tests.fixtures.core import csrf_of, log_in

DEMO = "KZ-UZ-2025"


@pytest.fixture
def demo_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'plan.sqlite3'}"
    monkeypatch.setenv("HAMKOR_DATABASE_URL", url)
    monkeypatch.setenv("HAMKOR_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("HAMKOR_DEFAULT_LANGUAGE", "en")
    get_settings.cache_clear()
    assert CliRunner().invoke(app, ["db", "upgrade"]).exit_code == 0
    with transaction(make_sessionmaker(make_engine(url))) as db:
        load_demo(db)
    yield url
    get_settings.cache_clear()


def program_conflicts(url: str) -> set[tuple[Hashable, ...]]:
    """The demo program's conflicts as its panel lists them, each as (kind, subject, ids)."""
    with make_sessionmaker(make_engine(url))() as db:
        program = db.scalars(select(Program).where(Program.code == DEMO)).one()
        activities = db.scalars(select(Activity).where(Activity.program_id == program.id)).all()
        matrix = travel_matrix(db, {activity.city_id for activity in activities})
        found = conflicts.find(activities, lambda a, b: matrix[a.id, b.id])
        return {(c.kind, c.subject.id, *c.activity_ids) for c in found}


def test_the_demo_program_is_planned_and_accepted(demo_database: str) -> None:
    before = program_conflicts(demo_database)
    result = CliRunner().invoke(
        app, ["plan", "program", DEMO, "--user", "coordinator", "--time-limit", "5", "--accept"]
    )
    assert result.exit_code == 0, result.output
    assert "accepted" in result.output
    with make_sessionmaker(make_engine(demo_database))() as db:
        run = db.scalars(select(PlanRun)).one()
        assert run.status == RunStatus.ACCEPTED
        placed = db.scalar(
            select(func.count())
            .select_from(PlanningRequest)
            .where(PlanningRequest.activity_id.is_not(None))
        )
        assert placed
        assert placed == len(run.plan["activities"])  # type: ignore[index]
        assert run.instance["busy"]
    assert before  # the demo's hand-entered activities conflict as the news reports left them
    assert program_conflicts(demo_database) == before


def test_the_demo_program_is_planned_and_accepted_through_the_pages(demo_database: str) -> None:
    before = program_conflicts(demo_database)
    sessions = make_sessionmaker(make_engine(demo_database))
    # No worker threads: the test runs the job itself.
    settings = get_settings().model_copy(update={"job_workers": 0})
    with TestClient(create_app(settings, sessions)) as client:
        log_in(client, "coordinator", DEMO_PASSWORD)
        with sessions() as db:
            program_id = db.scalars(select(Program.id).where(Program.code == DEMO)).one()
        planning = client.get(f"/programs/{program_id}/planning")
        started = client.post(
            f"/programs/{program_id}/plan",
            data={"time_limit_seconds": "5", "csrf_token": csrf_of(planning.text)},
            follow_redirects=False,
        )
        assert started.status_code == 303
        assert jobs.run_next(sessions) is not None
        review = client.get(started.headers["location"])
        assert "This plan adds no conflict to the program." in review.text
        assert f"The program already has {len(before)} conflicts" in review.text
        accepted = client.post(
            f"{started.headers['location']}/accept",
            data={"csrf_token": csrf_of(review.text)},
            follow_redirects=False,
        )
        assert accepted.status_code == 303
    assert program_conflicts(demo_database) == before


def test_an_unknown_user_is_refused(demo_database: str) -> None:
    result = CliRunner().invoke(app, ["plan", "program", DEMO, "--user", "nobody"])
    assert result.exit_code == 1
    assert "No active user is called nobody." in result.output
