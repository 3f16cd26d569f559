"""The request path: the session is a dependency committed before the response is sent, the
context is a dependency built on it, and the request threads are sized to the pool."""

from __future__ import annotations

from collections.abc import Iterator

import anyio.to_thread
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import Message, Receive, Scope, Send

from hamkor.app import create_app
from hamkor.core.models import Role, User
from hamkor.directory.models import City, Country
from hamkor.settings import Settings
from tests.fixtures.core import UserFactory
from tests.fixtures.directory import bearer, city_body


@pytest.fixture
def moments(
    settings: Settings, session_factory: sessionmaker[Session]
) -> Iterator[tuple[TestClient, list[str]]]:
    """A client of the app, and the order in which requests' sessions commit and their
    responses start."""
    seen: list[str] = []
    app = create_app(settings, session_factory)

    async def watched(scope: Scope, receive: Receive, send: Send) -> None:
        async def noting(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen.append(f"response {message['status']}")
            await send(message)

        await app(scope, receive, noting)

    def committed(_db: Session) -> None:
        seen.append("commit")

    event.listen(session_factory, "after_commit", committed)
    try:
        with TestClient(watched) as client:
            yield client, seen
    finally:
        event.remove(session_factory, "after_commit", committed)


def test_a_write_is_committed_before_its_response_is_sent(
    moments: tuple[TestClient, list[str]], admin: User, db: Session, uzbekistan: Country
) -> None:
    """A client answered 201 finds the row: the session's dependency ends with the route."""
    client, seen = moments
    headers = bearer(db, admin)
    seen.clear()  # the test's own commits
    response = client.post("/api/v1/cities", json=city_body(uzbekistan), headers=headers)
    assert response.status_code == 201, response.text
    assert seen == ["commit", "response 201"]
    db.expire_all()
    assert db.scalar(select(City.code).where(City.id == response.json()["id"])) == "SKD"


def test_a_refused_write_is_not_committed(
    moments: tuple[TestClient, list[str]], admin: User, db: Session, uzbekistan: Country
) -> None:
    client, seen = moments
    headers = bearer(db, admin)
    assert client.post("/api/v1/cities", json=city_body(uzbekistan), headers=headers).is_success
    seen.clear()
    again = client.post("/api/v1/cities", json=city_body(uzbekistan), headers=headers)
    assert again.status_code == 422
    assert seen == ["response 422"]
    assert len(db.scalars(select(City.id)).all()) == 1


def test_request_threads_are_the_settings(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    sized = settings.model_copy(update={"database_pool_size": 3, "request_threads": 77})
    with TestClient(create_app(sized, session_factory)) as client:
        assert client.portal is not None  # the app's event loop, where its limiter lives
        limiter = client.portal.call(anyio.to_thread.current_default_thread_limiter)
        assert limiter.total_tokens == 77


def test_a_refused_body_is_answered_after_the_caller_is_known_in_their_language(
    app_client: TestClient, create_user: UserFactory, db: Session, uzbekistan: Country
) -> None:
    """The fields are checked after the context's dependency has identified the caller."""
    admin = create_user(Role.PLATFORM_ADMIN, username="rustam", language="ru")
    body = city_body(uzbekistan, latitude=95)
    response = app_client.post("/api/v1/cities", json=body, headers=bearer(db, admin))
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "latitude", "message": "Значение должно быть не больше 90."}
    ]
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


def test_a_page_that_needs_a_user_sends_strangers_to_log_in(app_client: TestClient) -> None:
    response = app_client.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/"
