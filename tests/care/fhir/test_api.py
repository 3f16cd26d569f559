"""The /fhir API: reads and searches through the access policies, audited, OperationOutcomes
for every refusal, and a CapabilityStatement that lists exactly what is mounted."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hamkor.care.fhir.terms import FHIR_JSON, PINFL_SYSTEM, sid
from hamkor.care.models import Patient
from hamkor.core.models import AuditEntry, Role, User
from hamkor.settings import Settings
from tests.fixtures.care import CareWorld
from tests.fixtures.core import ClientFactory, UserFactory
from tests.fixtures.directory import bearer
from tests.fixtures.fhir import CareData, VisitData, hospital_bundle, resources


@pytest.fixture
def registrar(client_for: ClientFactory, care_world: CareWorld) -> TestClient:
    """The Vakhidov centre's registrar, logged in (the patients are the centre's)."""
    return client_for(care_world.registrar)


def _outcome(response: Any, status: int, code: str) -> list[dict[str, Any]]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(FHIR_JSON)
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["code"] == code
    issues: list[dict[str, Any]] = body["issue"]
    return issues


def _views(db: Session, entity: str) -> list[str | None]:
    return list(
        db.scalars(
            select(AuditEntry.entity_id).where(
                AuditEntry.action == "view", AuditEntry.entity == entity
            )
        )
    )


def test_a_patient_is_read_as_fhir_json_and_the_view_is_audited(
    db: Session, registrar: TestClient, fhir_care: CareData
) -> None:
    karimov = fhir_care.karimov

    response = registrar.get(f"/fhir/Patient/{karimov.id}")

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(FHIR_JSON)
    assert response.json()["identifier"][0]["system"] == PINFL_SYSTEM
    assert _views(db, "patients") == [str(karimov.id)]


def test_another_institutions_patient_is_forbidden_and_the_denial_audited(
    db: Session,
    client_for: ClientFactory,
    create_user: UserFactory,
    fhir_care: CareData,
    care_world: CareWorld,
) -> None:
    stranger = create_user(Role.REGISTRAR, institution_id=care_world.days.samarkand_hospital.id)
    client = client_for(stranger)

    _outcome(client.get(f"/fhir/Patient/{fhir_care.karimov.id}"), 403, "forbidden")
    searched = client.get(
        "/fhir/Patient", params={"identifier": f"{sid('patient')}|{fhir_care.karimov.id}"}
    )

    denial = db.scalars(select(AuditEntry).where(AuditEntry.action == "denied")).one()
    assert (denial.entity, denial.entity_id, denial.actor_id) == (
        "patients",
        str(fhir_care.karimov.id),
        stranger.id,
    )
    assert searched.status_code == 200
    assert searched.json()["total"] == 0
    assert _views(db, "patients") == []


def test_unknown_ids_missing_credentials_and_unknown_routes_get_operation_outcomes(
    app_client: TestClient, registrar: TestClient, fhir_care: CareData
) -> None:
    _outcome(registrar.get("/fhir/Patient/999999"), 404, "not-found")
    _outcome(registrar.get("/fhir/Appointment/not-a-number"), 404, "not-found")
    _outcome(registrar.get("/fhir/Observation/1"), 404, "not-found")
    _outcome(app_client.get(f"/fhir/Patient/{fhir_care.karimov.id}"), 401, "login")
    _outcome(
        app_client.get("/fhir/Patient", headers={"authorization": "Bearer nonsense"}), 401, "login"
    )


def _search(client: TestClient, resource_type: str, **params: str) -> list[dict[str, Any]]:
    response = client.get(f"/fhir/{resource_type}", params=params)
    assert response.status_code == 200, response.text
    bundle = response.json()
    assert bundle["type"] == "searchset"
    return resources(bundle)


def test_patients_are_searched_by_identifier_and_birth_date(
    registrar: TestClient, fhir_care: CareData
) -> None:
    karimov, serikova = fhir_care.karimov, fhir_care.serikova
    pinfl = karimov.identifiers[0].value

    def ids(**params: str) -> list[str]:
        return [p["id"] for p in _search(registrar, "Patient", **params)]

    assert ids(identifier=f"{PINFL_SYSTEM}|{pinfl}") == [str(karimov.id)]
    assert ids(identifier=pinfl) == [str(karimov.id)]
    assert ids(identifier="http://hl7.org/fhir/sid/passport-UZB|ab1234567") == [str(karimov.id)]
    assert ids(identifier=f"{sid('patient')}|{serikova.id}") == [str(serikova.id)]
    assert ids(identifier=f"http://other.example/ids|{pinfl}") == []
    assert ids(birthdate="1979-04-02") == [str(karimov.id)]
    assert ids(birthdate="ge2000") == [str(serikova.id)]
    assert ids(birthdate="lt1979-04-02") == []
    assert ids(birthdate="le1979") == [str(karimov.id)]
    assert ids() == [str(karimov.id), str(serikova.id)]


def test_appointments_are_searched_by_the_slots_start_status_and_patient(
    client_for: ClientFactory, care_world: CareWorld, fhir_visit: VisitData
) -> None:
    client = client_for(care_world.registrar)
    karimov = fhir_visit.care.karimov
    found = [str(fhir_visit.appointment_id)]

    def ids(**params: str) -> list[str]:
        return [a["id"] for a in _search(client, "Appointment", **params)]

    # Slot 1 of the 09:00 Tashkent session starts at 04:20 UTC.
    assert ids(date="2025-10-13") == found
    assert ids(date="ge2025-10-13T04:20:00Z") == found
    assert ids(date="gt2025-10-13T04:20:00Z") == []
    assert ids(date="lt2025-10-13T04:20Z", **{"_count": "5"}) == []
    assert ids(date="le2025-10-13T09:20:00+05:00") == found
    assert ids(date="2025-10-14") == []
    assert ids(status="fulfilled") == found
    assert ids(status="booked,cancelled") == []
    assert ids(patient=f"Patient/{karimov.id}") == found
    assert ids(patient=str(fhir_visit.care.serikova.id)) == []


def test_referrals_are_searched_by_status_and_paged(
    registrar: TestClient, fhir_care: CareData
) -> None:
    assert len(_search(registrar, "ServiceRequest", status="active")) == 2
    assert _search(registrar, "ServiceRequest", status="revoked") == []
    first = registrar.get("/fhir/ServiceRequest", params={"_count": "1"}).json()
    assert first["total"] == 2
    assert len(first["entry"]) == 1
    following = next(link["url"] for link in first["link"] if link["relation"] == "next")
    second = registrar.get(following).json()
    assert [e["resource"]["id"] for e in first["entry"] + second["entry"]] == [
        str(r.id) for r in fhir_care.referrals
    ]
    assert all(link["relation"] != "next" for link in second["link"])


@pytest.mark.parametrize(
    ("path", "params", "parameter"),
    [
        ("/fhir/Appointment", {"date": "13.10.2025"}, "date"),
        ("/fhir/Appointment", {"date": "2025-02-30"}, "date"),
        ("/fhir/ServiceRequest", {"status": "waiting"}, "status"),
        ("/fhir/Patient", {"name": "Karimov"}, "name"),
        ("/fhir/Patient", {"_count": "0"}, "_count"),
        ("/fhir/Patient", {"identifier": "|"}, "identifier"),
        ("/fhir/Appointment", {"patient": "Practitioner/3"}, "patient"),
        ("/fhir/Patient", {"_format": "xml"}, "_format"),
    ],
)
def test_a_bad_search_parameter_is_a_400_naming_it(
    registrar: TestClient, path: str, params: dict[str, str], parameter: str
) -> None:
    issues = _outcome(registrar.get(path, params=params), 400, "invalid")
    assert issues[0]["expression"] == [parameter]


def test_a_bundle_is_posted_with_a_token_and_answered_per_entry(
    db: Session, app_client: TestClient, care_world: CareWorld
) -> None:
    registrar = db.get(User, care_world.registrar.id)
    assert registrar is not None
    headers = {**bearer(db, registrar), "content-type": FHIR_JSON}

    response = app_client.post("/fhir?program=KZ-UZ-2025", json=hospital_bundle(), headers=headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["type"] == "transaction-response"
    patient = db.scalars(select(Patient)).one()
    assert body["entry"][0]["response"] == {
        "status": "201 Created",
        "location": f"Patient/{patient.id}",
    }


def test_a_refused_bundle_is_a_422_with_an_issue_per_problem(
    db: Session, app_client: TestClient, care_world: CareWorld
) -> None:
    headers = {**bearer(db, care_world.registrar), "content-type": FHIR_JSON}

    response = app_client.post(
        "/fhir?program=KZ-UZ-2025", json=hospital_bundle(icd10="X99.99"), headers=headers
    )

    issues = _outcome(response, 422, "processing")
    assert [i["expression"] for i in issues] == [["entry[1].resource.reasonCode[0].coding[0].code"]]
    assert db.scalars(select(Patient)).all() == []


def test_a_bundle_larger_than_the_limit_is_refused_413_unread(
    db: Session, app_client: TestClient, settings: Settings, care_world: CareWorld
) -> None:
    settings.fhir_max_bytes = 1024
    headers = {**bearer(db, care_world.registrar), "content-type": FHIR_JSON}

    response = app_client.post("/fhir?program=KZ-UZ-2025", json=hospital_bundle(), headers=headers)

    issues = _outcome(response, 413, "too-long")
    assert issues[0]["expression"] == ["bundle"]
    assert db.scalars(select(Patient)).all() == []


def test_a_bundle_of_more_entries_than_the_limit_is_refused(
    db: Session, app_client: TestClient, settings: Settings, care_world: CareWorld
) -> None:
    settings.import_max_rows = 2
    headers = {**bearer(db, care_world.registrar), "content-type": FHIR_JSON}

    response = app_client.post("/fhir?program=KZ-UZ-2025", json=hospital_bundle(), headers=headers)

    issues = _outcome(response, 422, "processing")
    assert issues[0]["expression"] == ["entry"]
    assert db.scalars(select(Patient)).all() == []


def test_a_body_that_is_not_json_is_refused_naming_the_bundle(
    db: Session, app_client: TestClient, care_world: CareWorld
) -> None:
    headers = {**bearer(db, care_world.registrar), "content-type": FHIR_JSON}

    response = app_client.post("/fhir", content=b'{"resourceType": "Bund', headers=headers)

    issues = _outcome(response, 422, "processing")
    assert issues[0]["expression"] == ["bundle"]


def test_the_capability_statement_lists_exactly_what_is_mounted(
    app_client: TestClient, registrar: TestClient
) -> None:
    statement = app_client.get("/fhir/metadata").json()
    paths = app_client.get("/api/v1/openapi.json").json()["paths"]
    mounted = {
        (path, method.upper())
        for path, operations in paths.items()
        if path == "/fhir" or path.startswith("/fhir/")
        for method in operations
    }

    assert statement["fhirVersion"] == "4.3.0"
    (rest,) = statement["rest"]
    promised = {("/fhir/metadata", "GET")}
    (transaction,) = rest["interaction"]
    assert transaction["code"] == "transaction"
    promised.add(("/fhir", "POST"))
    if "Prefer: respond-async" in transaction["documentation"]:
        promised.add(("/fhir/_async/{job_id}", "GET"))
    exported_only = []
    for resource in rest["resource"]:
        codes = {i["code"] for i in resource.get("interaction", [])}
        if not codes:  # what the modules built on care add to the export, not served
            exported_only.append(resource["type"])
            continue
        assert codes == {"read", "search-type"}
        promised |= {
            (f"/fhir/{resource['type']}/{{record_id}}", "GET"),
            (f"/fhir/{resource['type']}", "GET"),
        }
        for param in resource["searchParam"]:
            assert _taken(registrar, resource["type"], param["name"], param["type"])
        assert not _taken(registrar, resource["type"], "_unlisted", "token")
    assert mounted == promised
    assert exported_only == ["Task", "Communication", "DocumentReference"]


def _taken(client: TestClient, resource_type: str, name: str, kind: str) -> bool:
    """Whether the search takes the parameter (any answer but the refusal of an unknown one;
    a token such as a status may still be refused for its value)."""
    value = {"token": "a|b", "date": "ge2025", "reference": "Patient/1", "number": "1"}[kind]
    response = client.get(
        f"/fhir/{resource_type}", params={name: value}, headers={"accept-language": "en"}
    )
    return response.status_code == 200 or "not supported" not in response.text
