"""Programs take no date past the events' range and no text past its bound, through the API and
the pages; a filter far from our years is refused, not a 500 (issue 15)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hamkor.core.models import User
from hamkor.programs.models import Program
from tests.fixtures.core import ClientFactory
from tests.fixtures.directory import bearer
from tests.fixtures.programs import KzUzDays, submit
from tests.programs.test_pages import error_beside, program_form

BETWEEN = "Enter a date between the years 2000 and 2100."


def _programs(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Program)) or 0


def test_a_program_from_1900_to_2999_is_refused_through_the_api_naming_both_days(
    app_client: TestClient, db: Session, admin: User, kz_uz_days: KzUzDays
) -> None:
    before = _programs(db)
    body = {
        "code": "LONG-1900",
        "kind": "forum",
        "names": {"en": "A very long forum"},
        "guest_country_id": kz_uz_days.kazakhstan.id,
        "host_country_id": kz_uz_days.uzbekistan.id,
        "starts_on": "1900-01-01",
        "ends_on": "2999-12-31",
    }

    response = app_client.post("/api/v1/programs", json=body, headers=bearer(db, admin))

    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {"field": "starts_on", "message": BETWEEN},
        {"field": "ends_on", "message": BETWEEN},
    ]
    assert _programs(db) == before


def test_a_program_from_1900_to_2999_comes_back_from_the_page_with_both_errors(
    client_for: ClientFactory, db: Session, admin: User, kz_uz_days: KzUzDays
) -> None:
    before = _programs(db)
    form = program_form(kz_uz_days, starts_on="1900-01-01", ends_on="2999-12-31")

    response = submit(client_for(admin), "/programs/new", "/programs", form)

    assert response.status_code == 422
    assert error_beside(response.text, "starts_on") == BETWEEN
    assert error_beside(response.text, "ends_on") == BETWEEN
    assert _programs(db) == before


def test_a_description_past_4000_characters_is_refused_naming_its_language(
    app_client: TestClient, db: Session, admin: User, kz_uz_days: KzUzDays
) -> None:
    response = app_client.patch(
        f"/api/v1/programs/{kz_uz_days.program.id}",
        json={"descriptions": {"kk": "ж" * 4001}},
        headers=bearer(db, admin),
    )

    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {"field": "descriptions.kk", "message": "Must be at most 4000 characters."}
    ]


def test_activities_filtered_from_9999_are_refused_not_a_crash(
    app_client: TestClient, db: Session, admin: User, kz_uz_days: KzUzDays
) -> None:
    response = app_client.get(
        f"/api/v1/programs/{kz_uz_days.program.id}/activities?from=9999-12-31",
        headers=bearer(db, admin),
    )

    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {"field": "from", "message": "Enter a date between the years 1900 and 2100."}
    ]
