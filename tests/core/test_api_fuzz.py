"""Property-based fuzzing of the JSON API: no generated request, valid or not, gets a 5xx.

Schemathesis reads the app's OpenAPI document and, for every operation under ``/api/v1``, sends
requests built from it (and deliberately broken ones) with a platform admin's bearer token. The
app shares the test's rolled-back transaction, so nothing the fuzzer writes outlives the test.
A little data is seeded first, so that ids in paths sometimes exist.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlalchemy.orm import Session, sessionmaker

from hamkor.app import create_app
from hamkor.core.models import User
from hamkor.directory.models import Country
from hamkor.settings import Settings
from tests.fixtures.directory import bearer
from tests.fixtures.programs import ActivityFactory, DirectoryRows, ProgramFactory

MAX_EXAMPLES = 25

CHECKS = [not_a_server_error, response_schema_conformance]


@pytest.fixture
def seeded(
    programs_directory: DirectoryRows,
    create_program: ProgramFactory,
    create_activity: ActivityFactory,
) -> None:
    """A country, city, institution, room, person, program and activity."""
    rows = programs_directory
    uzbekistan: Country = rows.country("UZ", en="Uzbekistan")
    tashkent = rows.city("TAS", uzbekistan, 41.31, 69.28, "Asia/Tashkent", en="Tashkent")
    vakhidov = rows.institution("VAKHIDOV", tashkent, en="Vakhidov Center")
    theatre = rows.room(vakhidov, "OR-1", en="Theatre 1")
    surgeon = rows.person(institution=vakhidov, en="Aziz Karimov")
    rows.db.commit()
    program = create_program(host=uzbekistan)
    create_activity(program, city=tashkent, room=theatre, leads=[surgeon])


@pytest.fixture
def admin_headers(db: Session, admin: User, seeded: None) -> dict[str, str]:
    return bearer(db, admin)


@pytest.fixture
def app(settings: Settings, session_factory: sessionmaker[Session]) -> FastAPI:
    """The app under test, sharing the test's transaction."""
    return create_app(settings, session_factory)


# The OpenAPI document does not depend on the database: it is read once from an app that never
# connects; each example is then sent to the test's own ``app`` (the ASGI transport's ``app``).
schema = schemathesis.openapi.from_asgi(
    "/api/v1/openapi.json",
    create_app(
        Settings(var_dir=Path(tempfile.gettempdir()), secret_key="fuzz", database_url="sqlite://"),
        sessionmaker(),
    ),
).include(path_regex=r"^/api/v1/")


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_request_gets_a_server_error(
    case: Case[Any], app: FastAPI, admin_headers: dict[str, str]
) -> None:
    case.call_and_validate(app=app, headers=admin_headers, checks=CHECKS)


BIG = 2**63  # past SQLite's 64-bit integers: sent to the database, it used to crash


@pytest.mark.parametrize(
    ("method", "url", "body", "field"),
    [
        ("get", f"/api/v1/rooms/{BIG}", None, "room_id"),
        ("get", f"/api/v1/people/{BIG}", None, "person_id"),
        ("get", f"/api/v1/rooms?institution={BIG}", None, "institution"),
        ("post", "/api/v1/institutions", {"code": "X", "city_id": BIG}, "city_id"),
        ("post", "/api/v1/people", {"code": "X", "specialty_ids": [BIG]}, "specialty_ids.0"),
        ("patch", "/api/v1/programs/1/activities/1", {"end_time": "10:00:00Z"}, "end_time"),
    ],
)
def test_values_the_database_cannot_hold_are_refused_by_field(
    app_client: TestClient,
    admin_headers: dict[str, str],
    method: str,
    url: str,
    body: dict[str, Any] | None,
    field: str,
) -> None:
    response = app_client.request(method, url, headers=admin_headers, json=body)
    assert response.status_code == 422, response.text
    assert field in {error["field"] for error in response.json()["errors"]}
