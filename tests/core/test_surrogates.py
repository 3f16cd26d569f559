"""A lone surrogate (``"\\ud800"``: half of a UTF-16 pair, which JSON may escape but UTF-8 cannot
encode) is refused naming its field, on SQLite and on PostgreSQL alike (issue 15).

Before, it reached the database: SQLite's driver and PostgreSQL's both failed to encode it, and
the request became a 500. Every test here runs on both backends (``engine`` is parametrized).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hamkor.care.models import Patient, Sex
from hamkor.core.models import User
from hamkor.directory.models import City
from tests.fixtures.care import CareWorld, make_pinfl
from tests.fixtures.core import ClientFactory, csrf_of
from tests.fixtures.directory import bearer, city_body
from tests.fixtures.fhir import hospital_bundle

LONE = "\ud800"
NOT_ALLOWED = "This value contains a character that is not allowed."


def _patient(care_world: CareWorld, **changes: Any) -> dict[str, Any]:
    born = date(1970, 2, 1)
    return {
        "names": {"ru": "Нурматов Азиз"},
        "birth_date": born.isoformat(),
        "sex": "male",
        "identifiers": [{"kind": "uz_pinfl", "value": make_pinfl(born, Sex.MALE)}],
        "institution_id": care_world.days.vakhidov.id,
        "confirm_new": True,
        **changes,
    }


def _post_json(client: TestClient, url: str, body: Any, headers: dict[str, str]) -> Any:
    # ``json.dumps`` writes the surrogate as the escape ``\ud800``, as a client's JSON would.
    raw = json.dumps(body)
    return client.post(url, content=raw, headers={**headers, "content-type": "application/json"})


def _count(db: Session, model: type[Patient] | type[City]) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def test_a_lone_surrogate_in_a_json_name_is_refused_naming_the_field(
    app_client: TestClient, db: Session, care_world: CareWorld
) -> None:
    body = _patient(care_world, names={"ru": f"Нурматов{LONE}"})

    response = _post_json(
        app_client, "/api/v1/care/patients", body, bearer(db, care_world.registrar)
    )

    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [{"field": "names.ru", "message": NOT_ALLOWED}]
    assert _count(db, Patient) == 0


def test_a_lone_surrogate_in_a_json_text_is_refused_naming_the_field(
    app_client: TestClient, db: Session, care_world: CareWorld
) -> None:
    body = {"kind": "treatment", "decision": "given", "by_patient": False}
    body["representative_name"] = f"Nurmatova{LONE}"
    patient = _post_json(
        app_client, "/api/v1/care/patients", _patient(care_world), bearer(db, care_world.registrar)
    ).json()

    response = _post_json(
        app_client,
        f"/api/v1/care/patients/{patient['id']}/consents",
        body,
        bearer(db, care_world.registrar),
    )

    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [{"field": "representative_name", "message": NOT_ALLOWED}]


def test_a_lone_surrogate_in_a_key_of_the_body_is_refused(
    app_client: TestClient, db: Session, admin: User, care_world: CareWorld
) -> None:
    body = {**city_body(care_world.days.uzbekistan, code="SKD2"), f"x{LONE}": 1}

    response = _post_json(app_client, "/api/v1/cities", body, bearer(db, admin))

    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [{"field": "", "message": NOT_ALLOWED}]


def test_a_lone_surrogate_as_the_language_of_a_name_is_refused_naming_the_names(
    app_client: TestClient, db: Session, admin: User, care_world: CareWorld
) -> None:
    body = city_body(care_world.days.uzbekistan, code="SKD2", names={LONE: "Samarqand"})

    response = _post_json(app_client, "/api/v1/cities", body, bearer(db, admin))

    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["field"].startswith("names.")
    assert error["field"].endswith(".[key]")
    assert error["message"] == NOT_ALLOWED


def test_a_lone_surrogate_in_a_fhir_bundle_is_refused(
    app_client: TestClient, db: Session, care_world: CareWorld
) -> None:
    bundle = hospital_bundle()
    bundle["entry"][0]["resource"]["name"] = [{"family": f"Yusupova{LONE}", "given": ["Malika"]}]
    headers = {**bearer(db, care_world.registrar), "content-type": "application/fhir+json"}

    response = app_client.post(
        "/fhir?program=KZ-UZ-2025", content=json.dumps(bundle), headers=headers
    )

    assert response.status_code == 422, response.text
    assert response.json()["resourceType"] == "OperationOutcome"
    assert _count(db, Patient) == 0


def _multipart(fields: dict[str, str], charset: str) -> tuple[bytes, str]:
    """A multipart form whose declared charset decodes ``\\ud800`` into a lone surrogate."""
    boundary = "hamkor-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    body = ("".join(parts) + f"--{boundary}--\r\n").encode("ascii", "backslashreplace")
    return body, f"multipart/form-data; boundary={boundary}; charset={charset}"


def test_a_lone_surrogate_in_a_form_field_is_refused_naming_the_field(
    client_for: ClientFactory, db: Session, care_world: CareWorld
) -> None:
    registrar = client_for(care_world.registrar)
    token = csrf_of(registrar.get("/care/patients/new").text)
    body, content_type = _multipart(
        {"csrf_token": token, "names.ru": f"Нурматов{LONE}", "sex": "male"}, "unicode_escape"
    )

    response = registrar.post(
        "/care/patients",
        content=body,
        headers={"content-type": content_type, "accept-language": "en"},
    )

    assert response.status_code == 422, response.text
    assert f"<code>names.ru</code>: {NOT_ALLOWED}" in response.text
    assert _count(db, Patient) == 0


def test_a_lone_surrogate_in_the_name_of_a_form_field_is_refused_naming_it_readably(
    client_for: ClientFactory, care_world: CareWorld
) -> None:
    registrar = client_for(care_world.registrar)
    token = csrf_of(registrar.get("/care/patients/new").text)
    body, content_type = _multipart({"csrf_token": token, f"names.{LONE}": "x"}, "unicode_escape")

    response = registrar.post(
        "/care/patients",
        content=body,
        headers={"content-type": content_type, "accept-language": "en"},
    )

    assert response.status_code == 422, response.text
    assert f"<code>names.\ufffd</code>: {NOT_ALLOWED}" in response.text


def test_undecodable_bytes_in_a_query_parameter_are_no_surrogate_and_find_nothing(
    app_client: TestClient, db: Session, admin: User
) -> None:
    # ``%ED%A0%80`` is ``\ud800`` written in UTF-8, which UTF-8 forbids: the server reads it
    # as U+FFFD, so a surrogate cannot arrive in a query string at all.
    response = app_client.get("/api/v1/programs?q=%ED%A0%80", headers=bearer(db, admin))

    assert response.status_code == 200, response.text
    assert response.json()["items"] == []


def test_a_csrf_token_that_is_not_ascii_is_an_expired_form_not_a_crash(
    client_for: ClientFactory, care_world: CareWorld
) -> None:
    registrar = client_for(care_world.registrar)

    response = registrar.post(
        "/care/patients", data={"csrf_token": "jeton-périmé"}, headers={"accept-language": "en"}
    )

    assert response.status_code == 400, response.text
    assert "The form has expired." in response.text
