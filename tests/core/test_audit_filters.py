"""The audit trail filtered by a day far from our years: a translated 422 naming the field in
the API, the filter form again with its error on the page; it used to overflow into a 500
(issue 15: ``/audit?until=9999-12-31``)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hamkor.core.models import Role, User
from tests.fixtures.core import ClientFactory, UserFactory
from tests.fixtures.directory import bearer


def test_the_api_refuses_a_day_in_the_year_9999_naming_it(
    app_client: TestClient, db: Session, admin: User
) -> None:
    headers = {**bearer(db, admin), "accept-language": "ru"}

    response = app_client.get("/api/v1/audit?until=9999-12-31", headers=headers)

    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {"field": "until", "message": "Введите дату в пределах 1900–2100 годов."}
    ]


def test_the_page_shows_the_filters_again_with_the_error_and_no_rows(
    client_for: ClientFactory, create_user: UserFactory
) -> None:
    auditor = client_for(create_user(Role.AUDITOR))

    response = auditor.get("/audit?until=9999-12-31&actor=aud", headers={"accept-language": "en"})

    assert response.status_code == 422
    assert '<a href="#f-until">Enter a date between the years 1900 and 2100.</a>' in response.text
    assert 'name="until" value="9999-12-31" min="1900-01-01" max="2100-12-31" aria-invalid' in (
        response.text
    )
    assert 'name="actor" value="aud"' in response.text
    assert "Nothing matches these filters." in response.text


def test_the_last_day_of_the_range_is_searched(
    client_for: ClientFactory, create_user: UserFactory
) -> None:
    auditor = client_for(create_user(Role.AUDITOR, username="aud"))

    response = auditor.get("/audit?since=1900-01-01&until=2100-12-31&action=login")

    assert response.status_code == 200
    assert "<td>aud</td>" in response.text


def test_a_filter_past_its_bound_is_refused(
    app_client: TestClient, db: Session, admin: User
) -> None:
    response = app_client.get(
        "/api/v1/audit", params={"entity_id": "9" * 201}, headers=bearer(db, admin)
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "entity_id", "message": "Must be at most 200 characters."}
    ]
