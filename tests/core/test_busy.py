"""A server out of database connections says so (503, retry later) instead of crashing."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from hamkor.app import create_app
from hamkor.core import security
from hamkor.core.db import make_engine, make_sessionmaker
from hamkor.core.i18n import Translator
from hamkor.core.models import AuditEntry, User
from hamkor.core.security import new_api_token
from hamkor.settings import Settings
from tests.conftest import POSTGRES_ENV
from tests.fixtures.core import csrf_of

BUSY = "The server is busy right now. Please try again in a few seconds."


@pytest.fixture
def busy_client(engine: Engine, settings: Settings) -> Iterator[TestClient]:
    """A client of an app whose every database connection is held by someone else."""
    small = make_engine(
        engine.url.render_as_string(hide_password=False), pool_size=1, pool_timeout=0.2
    )  # one connection kept, one more in a burst: both held below
    app = create_app(settings, make_sessionmaker(small))
    try:
        with small.connect(), small.connect(), TestClient(app) as client:
            yield client
    finally:
        small.dispose()


def test_no_free_connection_is_a_503_to_retry(busy_client: TestClient) -> None:
    api = busy_client.get(
        "/api/v1/me", headers={"authorization": "Bearer hk_anything", "accept-language": "en"}
    )
    login = busy_client.get("/login", headers={"accept-language": "en"})
    page = busy_client.post(
        "/login",
        data={"username": "admin", "password": "x", "csrf_token": csrf_of(login.text)},
        headers={"accept-language": "en"},
    )
    assert api.status_code == 503
    assert api.headers["retry-after"] == "2"
    assert api.json() == {"detail": BUSY, "errors": []}
    assert page.status_code == 503
    assert page.headers["retry-after"] == "2"
    assert BUSY in page.text
    assert "Traceback" not in page.text


def test_refused_fields_without_a_free_connection_are_a_503_too(busy_client: TestClient) -> None:
    """The caller of a request with bad fields is identified first (the context is a
    dependency, the fields are checked after it), which needs the database: without a
    connection, the answer is the busy 503, not a crash."""
    response = busy_client.post(
        "/api/v1/cities",
        json={"latitude": 95},
        headers={"authorization": "Bearer hk_anything", "accept-language": "en"},
    )
    assert response.status_code == 503
    assert response.headers["retry-after"] == "2"
    assert response.json() == {"detail": BUSY, "errors": []}


def test_the_busy_answer_is_translated(busy_client: TestClient) -> None:
    api = busy_client.get(
        "/api/v1/me", headers={"authorization": "Bearer hk_anything", "accept-language": "ru"}
    )
    assert api.status_code == 503
    assert api.json()["detail"] == Translator("ru").gettext(BUSY)
    assert api.json()["detail"] != BUSY


def test_last_use_of_a_token_is_written_at_most_once_a_minute(
    app_client: TestClient, admin: User, db: Session
) -> None:
    token, secret = new_api_token(db, user=admin, name="often", scopes=["read"])
    db.commit()
    headers = {"authorization": f"Bearer {secret}"}

    def used() -> None:
        assert app_client.get("/api/v1/me", headers=headers).status_code == 200
        db.refresh(token)

    used()
    first = token.last_used_at
    assert first is not None
    used()
    assert token.last_used_at == first  # within the minute: no write, no row lock
    token.last_used_at = first - timedelta(seconds=61)
    db.commit()
    used()
    assert token.last_used_at is not None
    assert token.last_used_at > first - timedelta(seconds=1)


def test_the_last_use_of_a_token_is_audited_as_a_change_by_its_user(
    app_client: TestClient, admin: User, db: Session
) -> None:
    token, secret = new_api_token(db, user=admin, name="audited", scopes=["read"])
    db.commit()
    assert app_client.get("/api/v1/me", headers={"authorization": f"Bearer {secret}"}).is_success
    entry = db.scalars(
        select(AuditEntry).where(
            AuditEntry.entity == "api_tokens",
            AuditEntry.entity_id == str(token.id),
            AuditEntry.action == "update",
        )
    ).one()
    db.refresh(token)
    assert token.last_used_at is not None
    assert (entry.actor_id, entry.actor_name) == (admin.id, admin.username)
    assert entry.changes == {"last_used_at": [None, token.last_used_at.isoformat()]}


def test_a_request_that_finds_the_last_use_renewed_since_leaves_it_alone(
    db: Session, admin: User
) -> None:
    """Once a minute concurrent requests read the same stale ``last_used_at``: each writes it
    only if it is still stale when its row is loaded."""
    token, secret = new_api_token(db, user=admin, name="shared", scopes=["read"])
    stale = datetime.now(UTC) - timedelta(minutes=5)
    token.last_used_at = stale
    db.flush()
    seen = security.token_use(db, secret)
    assert seen is not None
    assert seen.last_used_at == stale

    security.note_token_use(db, seen)
    db.flush()
    renewed = token.last_used_at
    assert renewed is not None
    assert renewed > stale

    security.note_token_use(db, seen)  # read stale with the token, found renewed as loaded
    assert token.last_used_at == renewed
    assert token not in db.dirty


def test_a_connection_the_database_dropped_costs_one_503_then_the_app_reconnects(
    postgresql_engine: Engine, settings: Settings
) -> None:
    """The pool does not ping before each request (a round trip on every one); a connection
    PostgreSQL closed meanwhile fails its request with the busy answer, and the pool starts
    afresh for the next."""
    url = postgresql_engine.url.update_query_dict({"application_name": "hamkor-dropped"})
    engine = make_engine(url.render_as_string(hide_password=False), pool_size=2)
    headers = {"authorization": "Bearer hk_unknown", "accept-language": "en"}
    try:
        with TestClient(create_app(settings, make_sessionmaker(engine))) as client:
            assert client.get("/api/v1/me", headers=headers).status_code == 401
            with postgresql_engine.connect() as admin_connection:
                admin_connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE application_name = 'hamkor-dropped'"
                    )
                )
            dropped = client.get("/api/v1/me", headers=headers)
            assert dropped.status_code == 503
            assert dropped.json() == {"detail": BUSY, "errors": []}
            assert client.get("/api/v1/me", headers=headers).status_code == 401
    finally:
        engine.dispose()


def test_the_apps_connections_give_up_on_a_lock_held_too_long(tmp_path: Path) -> None:
    """Requests waiting for one another's locks could hold every thread of the limiter for
    ever; the app's connections give up after ``HAMKOR_DATABASE_LOCK_TIMEOUT`` (a 503)."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"PostgreSQL only: set {POSTGRES_ENV}")
    settings = Settings(var_dir=tmp_path, database_url=url, database_lock_timeout=0.5)
    app_engine = create_app(settings).state.sessionmaker.kw["bind"]
    holder = make_engine(url)
    try:
        with holder.connect() as held, app_engine.connect() as waiting:
            assert waiting.scalar(text("SHOW lock_timeout")) == "500ms"
            held.execute(select(func.pg_advisory_lock(4242)))
            with pytest.raises(OperationalError):
                waiting.execute(select(func.pg_advisory_lock(4242)))
    finally:
        holder.dispose()
        app_engine.dispose()
