"""The routes anyone may call are limited per address (issue 15), with a translated 429."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from hamkor.app import create_app
from hamkor.core.i18n import Translator
from hamkor.settings import Settings

TOO_MANY = "Too many requests from your address. Please wait a little and try again."
#: Every route reachable without logging in, but for the log-in page (throttled by log-ins)
#: and the static API explorer.
PUBLIC = [
    ("GET", "/verify"),
    ("GET", "/verify/HMK-2025-000001"),
    ("GET", "/verify/HMK-2025-000001/ABCDEFGHJK"),
    ("GET", "/institutions/1/did.json"),
    ("GET", "/institutions/1/jwks.json"),
    ("GET", "/institutions/1/status-list"),
    ("GET", "/fhir/metadata"),
    ("POST", "/api/v1/credentials/verify"),
]


@pytest.fixture
def limited(settings: Settings, session_factory: sessionmaker[Session]) -> Iterator[TestClient]:
    """A client of an app that allows two public requests a minute per address."""
    two = settings.model_copy(update={"public_rate_limit": 2, "public_rate_window_seconds": 60})
    with TestClient(create_app(two, session_factory)) as client:
        yield client


def _send(client: TestClient, method: str, path: str, language: str = "en") -> int:
    body = {"credential": "x"} if method == "POST" else None
    response = client.request(method, path, json=body, headers={"accept-language": language})
    return response.status_code


@pytest.mark.parametrize(("method", "path"), PUBLIC)
def test_each_public_route_refuses_past_the_limit(
    limited: TestClient, method: str, path: str
) -> None:
    statuses = [_send(limited, method, path) for _ in range(3)]
    assert statuses[:2] != [429, 429]
    assert statuses[2] == 429


def test_the_public_routes_share_one_count_per_address(limited: TestClient) -> None:
    statuses = [_send(limited, "GET", path) for path in ("/verify", "/fhir/metadata", "/verify")]
    assert statuses == [200, 200, 429]


def test_a_refused_page_says_why_in_the_readers_language_and_when_to_retry(
    limited: TestClient,
) -> None:
    for _ in range(2):
        limited.get("/verify")
    response = limited.get("/verify", headers={"accept-language": "uz"})
    assert (response.status_code, response.headers["retry-after"]) == (429, "60")
    assert Translator("uz").gettext(TOO_MANY) in response.text


def test_a_refused_api_call_gets_the_api_error_body(limited: TestClient) -> None:
    for _ in range(2):
        _send(limited, "POST", "/api/v1/credentials/verify")
    response = limited.post(
        "/api/v1/credentials/verify", json={"credential": "x"}, headers={"accept-language": "en"}
    )
    assert (response.status_code, response.json()) == (429, {"detail": TOO_MANY, "errors": []})


def test_a_refused_fhir_read_is_an_operation_outcome(limited: TestClient) -> None:
    for _ in range(2):
        limited.get("/fhir/metadata")
    response = limited.get("/fhir/metadata", headers={"accept-language": "en"})
    assert (response.status_code, response.json()["resourceType"]) == (429, "OperationOutcome")


def test_the_log_in_page_is_left_to_the_log_in_throttle(limited: TestClient) -> None:
    statuses = [limited.get("/login").status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
