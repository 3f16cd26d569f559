"""A FHIR date search far from our years is a 400 OperationOutcome naming the parameter, whatever
its prefix or zone; it used to overflow (the day after 9999-12-31) into a 500 (issue 15)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from hamkor.care.fhir.terms import FHIR_JSON
from tests.fixtures.care import CareWorld
from tests.fixtures.core import ClientFactory


@pytest.fixture
def registrar(client_for: ClientFactory, care_world: CareWorld) -> TestClient:
    return client_for(care_world.registrar)


@pytest.mark.parametrize(
    ("path", "parameter", "value"),
    [
        ("/fhir/Patient", "birthdate", "9999-12-31"),
        ("/fhir/Patient", "birthdate", "ge9999-12-31"),
        ("/fhir/Patient", "birthdate", "le9999-12-31"),
        ("/fhir/Patient", "birthdate", "gt9999"),
        ("/fhir/Patient", "birthdate", "lt0001-01-01"),
        ("/fhir/Patient", "birthdate", "9999-12-31T23:59:59+14:00"),
        ("/fhir/Patient", "birthdate", "0001-01-01T00:00:00+14:00"),
        ("/fhir/Patient", "birthdate", "1979-04-02,9999-12-31"),
        ("/fhir/Appointment", "date", "9999-12-31"),
        ("/fhir/Appointment", "date", "ge9999-12-31T10:00+05:00"),
        ("/fhir/Appointment", "date", "ne1899-12"),
        ("/fhir/ServiceRequest", "authored", "9999-12-31"),
        ("/fhir/ServiceRequest", "authored", "lt2101-01-01T00:00:00Z"),
    ],
)
def test_a_date_far_from_our_years_is_a_400_naming_the_parameter(
    registrar: TestClient, path: str, parameter: str, value: str
) -> None:
    response = registrar.get(path, params={parameter: value}, headers={"accept-language": "en"})

    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith(FHIR_JSON)
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert [(i["expression"], i["diagnostics"]) for i in outcome["issue"]] == [
        ([parameter], f"{parameter}: Enter a date between the years 1900 and 2100.")
    ]


@pytest.mark.parametrize(
    ("path", "parameter", "value"),
    [
        ("/fhir/Patient", "birthdate", "le1900-01-01T00:00:00+14:00"),
        ("/fhir/Patient", "birthdate", "ge2100-12-31T23:59:59-12:00"),
        ("/fhir/Appointment", "date", "2100"),
        ("/fhir/ServiceRequest", "authored", "gt1900-01"),
    ],
)
def test_the_first_and_last_years_are_searched(
    registrar: TestClient, path: str, parameter: str, value: str
) -> None:
    response = registrar.get(path, params={parameter: value})

    assert response.status_code == 200, response.text
    assert response.json()["type"] == "searchset"
