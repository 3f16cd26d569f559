"""A server out of database connections says so (503, retry later) instead of crashing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from hamkor.app import create_app
from hamkor.core.db import make_engine, make_sessionmaker
from hamkor.core.i18n import Translator
from hamkor.core.models import User
from hamkor.core.security import new_api_token
from hamkor.settings import Settings
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
