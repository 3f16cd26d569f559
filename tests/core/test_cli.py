"""The ``hamkor`` command reads the same settings as the app."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
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
from tests.fixtures.mail import Inbox


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


def test_serve_writes_no_address_to_its_output(database_url: str, tmp_path: Path) -> None:
    """A search's address holds a patient's name: the server's log must not repeat it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    output = tmp_path / "serve.log"
    with output.open("w") as log:
        server = subprocess.Popen(
            [Path(sys.executable).parent / "hamkor", "serve", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            answer = _first_answer(f"http://127.0.0.1:{port}/care/patients?q=Dilnoza+Karimova")
        finally:
            server.terminate()
            server.wait(timeout=30)
    assert answer == 303  # to the log-in page: the request was served
    written = output.read_text()
    assert "Hamkor on http://127.0.0.1" in written
    assert "Dilnoza" not in written
    assert "/care/patients" not in written


def _first_answer(url: str) -> int:
    """The status of ``url`` once the server listens (it imports the app first)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            return httpx.get(url, follow_redirects=False).status_code
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_user_email_refuses_an_address_without_a_domain(database_url: str) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    created = runner.invoke(app, ["user", "create", "dana", "--password", "long-enough-1"])
    assert created.exit_code == 0, created.output

    result = runner.invoke(app, ["user", "email", "dana", "dana@localhost"])

    assert result.exit_code == 1
    assert "Enter a valid e-mail address." in result.output


def test_mail_test_reaches_the_mail_server(database_url: str, mail_server: Inbox) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    created = runner.invoke(
        app,
        ["user", "create", "dana", "--password", "long-enough-1", "--email", "dana@moh.kz"],
    )
    assert created.exit_code == 0, created.output

    result = runner.invoke(app, ["mail", "test", "dana"])

    assert result.exit_code == 0, result.output
    assert mail_server.recipients == [["dana@moh.kz"]]


def test_public_address_follows_the_served_one_unless_set(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hamkor.core.server import follow_served_address

    # Recorded first, so that the address written by the call is removed after the test.
    monkeypatch.setenv("HAMKOR_PUBLIC_BASE_URL", "recorded")
    monkeypatch.delenv("HAMKOR_PUBLIC_BASE_URL")
    get_settings.cache_clear()
    assert follow_served_address("127.0.0.1", 8123) == "http://127.0.0.1:8123"
    assert get_settings().public_base_url == "http://127.0.0.1:8123"

    monkeypatch.setenv("HAMKOR_PUBLIC_BASE_URL", "https://hamkor.example")
    get_settings.cache_clear()
    assert follow_served_address("127.0.0.1", 8123) == "https://hamkor.example"
