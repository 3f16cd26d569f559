"""``hamkor plan program``: the demo program planned and accepted from the command line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from hamkor.cli import app
from hamkor.core.db import make_engine, make_sessionmaker, transaction
from hamkor.demo.loader import load_demo
from hamkor.planning.models import PlanningRequest, PlanRun, RunStatus
from hamkor.settings import get_settings


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


def test_the_demo_program_is_planned_and_accepted(demo_database: str) -> None:
    result = CliRunner().invoke(
        app,
        ["plan", "program", "KZ-UZ-2025", "--user", "coordinator", "--time-limit", "5", "--accept"],
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
        assert placed == len(run.plan["activities"]) - len(run.instance["pinned"])  # type: ignore[index]


def test_an_unknown_user_is_refused(demo_database: str) -> None:
    result = CliRunner().invoke(app, ["plan", "program", "KZ-UZ-2025", "--user", "nobody"])
    assert result.exit_code == 1
    assert "No active user is called nobody." in result.output
