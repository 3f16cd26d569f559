"""The ``hamkor`` command reads the same settings as the app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, select
from typer.testing import CliRunner

from hamkor.cli import app
from hamkor.core import migrate
from hamkor.core.db import make_engine, make_sessionmaker
from hamkor.core.models import Membership, Role, User
from hamkor.core.security import verify_password
from hamkor.settings import get_settings


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("HAMKOR_DATABASE_URL", url)
    monkeypatch.setenv("HAMKOR_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("HAMKOR_DEFAULT_LANGUAGE", "en")
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_db_upgrade_then_user_create(database_url: str) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "users" in inspect(make_engine(database_url)).get_table_names()

    result = runner.invoke(
        app,
        ["user", "create", "amina", "--password", "long-enough-1", "--role", "auditor"],
    )
    assert result.exit_code == 0, result.output
    with make_sessionmaker(make_engine(database_url))() as db:
        user = db.scalars(select(User).where(User.username == "amina")).one()
        assert verify_password(user, "long-enough-1")
        assert db.scalars(select(Membership.role)).all() == [Role.AUDITOR]


def test_user_create_refuses_a_short_password_and_writes_nothing(database_url: str) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(app, ["user", "create", "bek", "--password", "short"])
    assert result.exit_code == 1
    assert "at least 8 characters" in result.output
    with make_sessionmaker(make_engine(database_url))() as db:
        assert db.scalars(select(User)).all() == []


def test_migrations_go_down_to_nothing_and_up_again(database_url: str) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    engine = make_engine(database_url)
    with engine.begin() as connection:
        command.downgrade(migrate.alembic_config(connection), "base")
    assert inspect(engine).get_table_names() == ["alembic_version"]
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert "audit_log" in inspect(engine).get_table_names()
