"""A request's session, context, route and commit take one hop to the thread pool."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import anyio.to_thread
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hamkor.core import threads
from hamkor.core.models import Role, User
from hamkor.directory.models import City, Country
from tests.fixtures.core import UserFactory
from tests.fixtures.directory import bearer, city_body


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the functions sent to a thread, by FastAPI or Starlette (anyio) or by us."""
    sent: list[str] = []
    run_sync, in_thread = anyio.to_thread.run_sync, threads.in_thread

    def name(function: Callable[..., Any]) -> str:
        while isinstance(function, partial):
            function = function.func
        return function.__name__

    async def counted_run_sync(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        sent.append(name(function))
        return await run_sync(function, *args, **kwargs)

    async def counted_in_thread(function: Callable[..., Any], *args: Any) -> Any:
        sent.append(name(function))
        return await in_thread(function, *args)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted_run_sync)
    monkeypatch.setattr(threads, "in_thread", counted_in_thread)
    return sent


def test_an_api_call_takes_one_hop(
    app_client: TestClient, create_user: UserFactory, db: Session, hops: list[str]
) -> None:
    reader = bearer(db, create_user(Role.REGISTRAR, username="reg"), write=False)
    response = app_client.get("/api/v1/me", headers=reader)
    assert response.json()["username"] == "reg"
    assert hops == ["_in_unit_of_work"]


def test_an_api_write_is_committed_in_its_one_hop(
    app_client: TestClient, admin: User, db: Session, uzbekistan: Country, hops: list[str]
) -> None:
    headers = bearer(db, admin)
    response = app_client.post("/api/v1/cities", json=city_body(uzbekistan), headers=headers)
    assert response.status_code == 201, response.text
    assert hops == ["_in_unit_of_work"]
    db.expire_all()
    assert db.scalar(select(City.code).where(City.id == response.json()["id"])) == "SKD"


def test_a_refused_body_is_answered_after_the_caller_is_known_in_their_language(
    app_client: TestClient,
    create_user: UserFactory,
    db: Session,
    uzbekistan: Country,
    hops: list[str],
) -> None:
    """The fields are checked before the route's thread: the caller is identified after."""
    admin = create_user(Role.PLATFORM_ADMIN, username="rustam", language="ru")
    body = city_body(uzbekistan, latitude=95)
    response = app_client.post("/api/v1/cities", json=body, headers=bearer(db, admin))
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "latitude", "message": "Значение должно быть не больше 90."}
    ]
    assert hops == ["identify"]
    assert db.scalar(select(City.id)) is None
    stranger = {"authorization": "Bearer hk_not-a-token"}
    assert app_client.post("/api/v1/cities", json=body, headers=stranger).status_code == 401


def test_a_read_only_token_with_bad_fields_is_told_it_may_only_read(
    app_client: TestClient, admin: User, db: Session, uzbekistan: Country
) -> None:
    body = city_body(uzbekistan, latitude=95)
    headers = {**bearer(db, admin, write=False), "accept-language": "en"}
    response = app_client.post("/api/v1/cities", json=body, headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "token", "message": "This API token may only read."}
    ]


def test_a_page_takes_one_hop(admin_client: TestClient, hops: list[str]) -> None:
    response = admin_client.get("/")
    assert response.status_code == 200
    assert hops == ["_in_unit_of_work"]


def test_a_page_that_needs_a_user_still_sends_strangers_to_log_in(
    app_client: TestClient, hops: list[str]
) -> None:
    response = app_client.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/"
    assert hops == ["_in_unit_of_work"]
