"""Concurrent log-ins and public requests on PostgreSQL: the throttle's counts hold exactly.

Issue 15: 40 wrong passwords sent at once got 14 checks against a limit of 5, because each
request counted the failures before any of the others had recorded theirs. Here the requests
go through a real server on loopback into a schema of their own (the rolled-back connection of
the other tests would hide the very races this test is about), as several browsers would.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from hamkor.core.db import transaction
from hamkor.core.models import LoginAttempt, Throttle
from hamkor.core.users import create_user
from tests.fixtures.core import PASSWORD, csrf_of
from tests.fixtures.live import at_once, own_schema, serve_app

SCHEMA = "core_throttle_races"
AT_ONCE = 40


@pytest.fixture(scope="module")
def dedicated() -> Iterator[sessionmaker[Session]]:
    with own_schema(SCHEMA, pool_size=AT_ONCE) as factory:
        yield factory


@pytest.fixture
def fresh(dedicated: sessionmaker[Session]) -> sessionmaker[Session]:
    """The dedicated schema with no counters left by the previous test (all come from 127.0.0.1)."""
    with transaction(dedicated) as db:
        db.execute(delete(Throttle))
        db.execute(delete(LoginAttempt))
    return dedicated


def _wrong_passwords(url: str, usernames: list[str]) -> Counter[int]:
    with httpx.Client(base_url=url) as client:
        token = csrf_of(client.get("/login").text)
        cookies = dict(client.cookies)

    def attempt(index: int) -> int:
        with httpx.Client(base_url=url, cookies=cookies) as client:
            response = client.post(
                "/login",
                data={"username": usernames[index], "password": "wrong!", "csrf_token": token},
            )
            return response.status_code

    return at_once(len(usernames), attempt)


def _checked(factory: sessionmaker[Session]) -> int:
    """How many attempts were checked against a password (each check is recorded)."""
    with factory() as db:
        return db.scalar(select(func.count()).select_from(LoginAttempt)) or 0


def test_forty_wrong_passwords_at_once_get_exactly_the_limit_of_checks(
    fresh: sessionmaker[Session], tmp_path: Path
) -> None:
    with transaction(fresh) as db:
        create_user(db, username="target", password=PASSWORD, display_name="Target")
    with serve_app(fresh, tmp_path, login_max_failures=5) as url:
        statuses = _wrong_passwords(url, ["target"] * AT_ONCE)
    assert (_checked(fresh), statuses) == (5, Counter({401: 5, 429: AT_ONCE - 5}))


def test_forty_names_at_once_from_one_address_get_exactly_its_limit_of_checks(
    fresh: sessionmaker[Session], tmp_path: Path
) -> None:
    names = [f"guess{index}" for index in range(AT_ONCE)]
    with serve_app(fresh, tmp_path, login_max_failures_per_address=7) as url:
        statuses = _wrong_passwords(url, names)
    assert (_checked(fresh), statuses) == (7, Counter({401: 7, 429: AT_ONCE - 7}))


def test_forty_public_requests_at_once_get_exactly_the_limit(
    fresh: sessionmaker[Session], tmp_path: Path
) -> None:
    with serve_app(fresh, tmp_path, public_rate_limit=10) as url:

        def read(_index: int) -> int:
            return httpx.get(f"{url}/fhir/metadata").status_code

        statuses = at_once(AT_ONCE, read)
    assert statuses == Counter({200: 10, 429: AT_ONCE - 10})
