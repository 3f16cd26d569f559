"""Bodies past their limit are refused while they arrive: never kept, never read to the end.

Starlette's test client sends a body in one piece, so these tests speak ASGI to the app: the
body comes in chunks, and the test counts how many the app asked for. The app runs on a loop of
its own thread, as a browser test's Playwright may already hold this thread's loop.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import anyio
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hamkor.core.models import Role, User
from hamkor.directory.models import City, Country
from hamkor.settings import Settings
from tests.fixtures.core import ClientFactory, UserFactory, csrf_of
from tests.fixtures.directory import bearer, city_body

CHUNK = 64 * 1024
BOUNDARY = "hamkor-test-boundary"


@pytest.fixture
def client(client_for: ClientFactory, create_user: UserFactory, settings: Settings) -> TestClient:
    settings.import_max_bytes = settings.file_max_bytes = CHUNK
    return client_for(create_user(Role.PLATFORM_ADMIN))


def _chunks(token: str, count: int) -> Iterator[bytes]:
    """A multipart form with its CSRF token and a file of ``count`` chunks of 64 KB."""
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
        "Content-Type: text/csv\r\n\r\ncode\r\n"
    ).encode()
    for _ in range(count):
        yield b"X\r\n" * (CHUNK // 3)
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def _json_chunks(count: int) -> Iterator[bytes]:
    """A JSON object of ``count`` chunks of 64 KB, which no schema would take."""
    yield b'{"code": "'
    for _ in range(count):
        yield b"X" * CHUNK
    yield b'"}'


def _post(
    client: TestClient,
    path: str,
    chunks: Iterator[bytes],
    headers: dict[str, str],
    content_type: str = f"multipart/form-data; boundary={BOUNDARY}",
) -> tuple[int, int]:
    """POST ``chunks`` to ``path`` as the client's user; the status and the chunks read."""
    read = 0

    async def receive() -> dict[str, Any]:
        nonlocal read
        body = next(chunks, None)
        if body is None:
            return {"type": "http.disconnect"}
        read += 1
        return {"type": "http.request", "body": body, "more_body": True}

    started: list[int] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            started.append(message["status"])

    cookies = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "headers": [
            (b"host", b"testserver"),
            (b"cookie", cookies.encode()),
            (b"content-type", content_type.encode()),
            (b"accept-language", b"en"),
            *((name.encode(), value.encode()) for name, value in headers.items()),
        ],
    }
    app = cast(Any, client.app)
    with anyio.from_thread.start_blocking_portal() as portal:
        portal.call(app, scope, receive, send)
    return started[0], read


def test_an_upload_is_refused_as_soon_as_it_passes_the_limit(client: TestClient) -> None:
    token = csrf_of(client.get("/directory/import").text)
    status, read = _post(client, "/directory/import", _chunks(token, 100), {})
    assert status == 413
    assert read <= 4  # of 102: the limit, the form's margin of 64 KB, and the chunk past them


def test_an_upload_declaring_a_length_past_the_limit_is_refused_unread(
    client: TestClient,
) -> None:
    token = csrf_of(client.get("/directory/import").text)
    length = {"content-length": str(100 * CHUNK)}
    status, read = _post(client, "/directory/import", _chunks(token, 100), length)
    assert (status, read) == (413, 0)


def test_a_json_body_is_refused_as_soon_as_it_passes_a_megabyte(
    client: TestClient, settings: Settings
) -> None:
    headers = {"x-csrf-token": csrf_of(client.get("/tokens").text)}
    status, read = _post(client, "/api/v1/cities", _json_chunks(100), headers, "application/json")
    assert status == 413
    # The opening and 16 chunks: past the megabyte by the opening's 10 bytes; of 102 chunks.
    assert read == 1 + settings.body_max_bytes // CHUNK


def test_a_json_body_past_the_limit_is_refused_naming_it(
    app_client: TestClient, admin: User, db: Session, uzbekistan: Country
) -> None:
    body = city_body(uzbekistan, names={"en": "X" * (1024 * 1024)})
    response = app_client.post("/api/v1/cities", json=body, headers=bearer(db, admin))
    assert response.status_code == 413
    assert response.json()["errors"] == [
        {"field": "body", "message": "The request is larger than 1 MB, the most one may be."}
    ]
    assert db.scalar(select(func.count()).select_from(City)) == 0
