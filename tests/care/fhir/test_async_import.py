"""Large Bundles by FHIR's asynchronous pattern: 202 and a status address, a job imports, the
final answer is a batch-response in the language of whoever polls (issue 15)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hamkor.care.fhir.terms import FHIR_JSON
from hamkor.care.models import Patient, Referral
from hamkor.core import jobs
from hamkor.core.models import Role
from hamkor.settings import Settings
from tests.fixtures.care import CareWorld
from tests.fixtures.core import UserFactory
from tests.fixtures.directory import bearer
from tests.fixtures.fhir import hospital_bundle

ASYNC = {"content-type": FHIR_JSON, "prefer": "respond-async"}


@pytest.fixture
def headers(db: Session, care_world: CareWorld) -> dict[str, str]:
    """The Vakhidov centre's registrar's token."""
    return bearer(db, care_world.registrar)


def _count(db: Session, model: type[Patient] | type[Referral]) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def _post_async(client: TestClient, headers: dict[str, str], program: str = "KZ-UZ-2025") -> str:
    """Post the hospital's Bundle with ``Prefer: respond-async``; its status address."""
    posted = client.post(
        f"/fhir?program={program}", json=hospital_bundle(), headers={**headers, **ASYNC}
    )
    assert posted.status_code == 202, posted.text
    return str(posted.headers["content-location"])


def test_a_bundle_posted_with_respond_async_is_imported_by_a_job(
    app_client: TestClient,
    headers: dict[str, str],
    session_factory: sessionmaker[Session],
    db: Session,
) -> None:
    status = _post_async(app_client, headers)
    assert status.startswith("http://testserver/fhir/_async/")
    waiting = app_client.get(status, headers=headers)
    assert (waiting.status_code, waiting.headers["x-progress"]) == (202, "0%")
    assert _count(db, Referral) == 0

    assert jobs.run_next(session_factory) is not None

    done = app_client.get(status, headers=headers)
    assert done.status_code == 200
    body = done.json()
    assert body["type"] == "batch-response"
    (entry,) = body["entry"]
    assert entry["response"] == {"status": "200 OK"}
    assert entry["resource"]["type"] == "transaction-response"
    patient = db.scalars(select(Patient)).one()
    assert entry["resource"]["entry"][0]["response"] == {
        "status": "201 Created",
        "location": f"Patient/{patient.id}",
    }
    assert _count(db, Referral) == 1


def test_a_refused_bundle_is_told_in_the_language_of_whoever_polls(
    app_client: TestClient,
    headers: dict[str, str],
    session_factory: sessionmaker[Session],
    db: Session,
) -> None:
    status = _post_async(app_client, headers, program="NO-SUCH")
    jobs.run_next(session_factory)

    done = app_client.get(status, headers={**headers, "accept-language": "ru"})
    (entry,) = done.json()["entry"]
    assert entry["response"] == {"status": "422 Unprocessable Entity"}
    issues = entry["resource"]["issue"]
    assert entry["resource"]["resourceType"] == "OperationOutcome"
    assert [issue["diagnostics"].split(": ", 1)[1] for issue in issues] == [
        "Нет программы с кодом NO-SUCH."
    ]
    assert _count(db, Patient) == 0


def test_a_bundle_of_more_entries_than_a_request_imports_needs_respond_async(
    app_client: TestClient, headers: dict[str, str], settings: Settings, db: Session
) -> None:
    settings.import_job_rows = 1
    response = app_client.post(
        "/fhir?program=KZ-UZ-2025",
        json=hospital_bundle(),
        headers={**headers, "content-type": FHIR_JSON},
    )
    assert response.status_code == 422
    (issue,) = response.json()["issue"]
    assert issue["expression"] == ["entry"]
    assert "Prefer: respond-async" in issue["diagnostics"]
    assert _count(db, Patient) == 0
    assert db.scalar(select(func.count()).select_from(jobs.Job)) == 0


def test_only_the_user_who_posted_reads_the_status(
    app_client: TestClient,
    headers: dict[str, str],
    create_user: UserFactory,
    care_world: CareWorld,
    db: Session,
) -> None:
    status = _post_async(app_client, headers)
    other = create_user(Role.REGISTRAR, username="other")
    response = app_client.get(status, headers=bearer(db, other))
    assert response.status_code == 404
    assert response.json()["resourceType"] == "OperationOutcome"
