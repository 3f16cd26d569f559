"""Requests with one API token or one log-in session while another request renews it.

A token's ``last_used_at`` and a session's ``last_seen_at`` are renewed with the request's
other writes, and the row stays locked until that request commits, which it does only after
its answer has been checked in a thread of the limiter. Requests that waited for the lock held
those threads, so the renewing request never got one: the booking benchmark (64 clients, one
token) hung so for good. A renewal now skips a row another request is renewing. Here the test
holds that lock itself, and the server's connections give up on a lock after 5 s, so a
request that waits shows as a 503 instead of a hang.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from hamkor.core import sessions
from hamkor.core.db import Base, transaction, utcnow
from hamkor.core.models import ApiToken, Role, UserSession
from hamkor.core.security import new_api_token
from hamkor.core.users import create_user, grant
from hamkor.settings import Settings
from tests.fixtures.core import PASSWORD
from tests.fixtures.live import at_once, own_schema, serve_app

SCHEMA = "core_shared_credentials"
AT_ONCE = 12


@pytest.fixture
def factory() -> Iterator[sessionmaker[Session]]:
    with own_schema(SCHEMA, pool_size=AT_ONCE + 2, lock_timeout="5s") as made:
        yield made


@contextmanager
def _renewing(factory: sessionmaker[Session], model: type[Base], row_id: int) -> Iterator[None]:
    """Hold the row's lock, as a request renewing it does until it commits."""
    with factory() as db:
        db.execute(select(model).where(model.id == row_id).with_for_update())  # type: ignore[attr-defined]
        yield
        db.rollback()


def _statuses(
    url: str, path: str, headers: dict[str, str], cookies: dict[str, str]
) -> Counter[int]:
    """The statuses of ``AT_ONCE`` GETs of ``path`` sent together, all with one credential."""

    def call(_index: int) -> int:
        with httpx.Client(base_url=url, headers=headers, cookies=cookies, timeout=60) as http:
            return http.get(path).status_code

    return at_once(AT_ONCE, call)


def test_calls_with_a_token_being_renewed_do_not_wait_for_it(
    factory: sessionmaker[Session], tmp_path: Path
) -> None:
    with transaction(factory) as db:
        user = create_user(db, username="hospital", password=PASSWORD, display_name="HIS")
        grant(db, user=user, role=Role.REGISTRAR)
        token, secret = new_api_token(db, user=user, name="his", scopes=["read"])
    auth = {"authorization": f"Bearer {secret}"}
    with serve_app(factory, tmp_path) as url, _renewing(factory, ApiToken, token.id):
        statuses = _statuses(url, "/api/v1/countries", auth, {})
    assert statuses == Counter({200: AT_ONCE})


def test_pages_of_a_session_being_renewed_do_not_wait_for_it(
    factory: sessionmaker[Session], tmp_path: Path
) -> None:
    with transaction(factory) as db:
        user = create_user(db, username="coordinator", password=PASSWORD, display_name="C")
        policy = sessions.Policy.of(Settings(var_dir=tmp_path))
        cookie = sessions.start(db, user=user, policy=policy, now=utcnow())
        db.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=2)))
        session_id = db.scalars(select(UserSession.id)).one()
    with serve_app(factory, tmp_path) as url, _renewing(factory, UserSession, session_id):
        statuses = _statuses(url, "/notifications", {}, {sessions.SESSION_COOKIE: cookie})
    assert statuses == Counter({200: AT_ONCE})
