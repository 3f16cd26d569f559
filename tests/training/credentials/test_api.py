"""The certificates' JSON API: public verification, and the holder's and managers' calls."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hamkor.core.models import Role
from hamkor.training.credentials import keys, vc
from tests.fixtures.core import UserFactory
from tests.fixtures.credentials import Certified
from tests.fixtures.directory import bearer

VERIFY = "/api/v1/credentials/verify"


def forged(token: str) -> str:
    header, payload, signature = token.split(".")
    text = keys.b64url_decode(payload).decode().replace('"durationHours":6', '"durationHours":96')
    return f"{header}.{keys.b64url(text.encode())}.{signature}"


def test_anyone_verifies_a_certificate(app_client: TestClient, certificate: Certified) -> None:
    response = app_client.post(VERIFY, json={"credential": certificate.credential.token})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["valid"] is True
    assert [c["check"] for c in body["checks"]] == [
        "format",
        "issuer",
        "signature",
        "schema",
        "dates",
        "status",
    ]
    assert all(c["passed"] for c in body["checks"])
    assert body["credential"]["credentialSubject"]["licenseNumber"] == certificate.credential.number


def test_the_json_file_verifies_as_an_object(
    app_client: TestClient, certificate: Certified
) -> None:
    envelope = vc.envelope(certificate.credential.token)
    assert app_client.post(VERIFY, json={"credential": envelope}).json()["valid"] is True


def test_a_forged_certificate_is_tampered_in_the_callers_language(
    app_client: TestClient, certificate: Certified
) -> None:
    response = app_client.post(
        VERIFY,
        json={"credential": forged(certificate.credential.token)},
        headers={"accept-language": "ru"},
    )
    body = response.json()
    assert body["valid"] is False
    assert body["credential"] is None
    failed = [c for c in body["checks"] if c["passed"] is False]
    assert [c["failure"] for c in failed] == ["tampered"]
    assert failed[0]["message"].startswith("Подделка")


def test_a_revoked_certificate_says_why(
    app_client: TestClient, certificate: Certified, db: Session
) -> None:
    headers = bearer(db, certificate.coordinator)
    number = certificate.credential.number
    response = app_client.post(
        f"/api/v1/credentials/{number}/revoke", json={"reason": "Wrong trainee"}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["revoked_reason"] == "Wrong trainee"
    body = app_client.post(VERIFY, json={"credential": certificate.credential.token}).json()
    failed = [c for c in body["checks"] if c["passed"] is False]
    assert [c["failure"] for c in failed] == ["revoked"]
    assert "Wrong trainee" in failed[0]["message"]


def test_garbage_is_malformed_and_too_much_is_refused(
    app_client: TestClient, certificate: Certified
) -> None:
    body = app_client.post(VERIFY, json={"credential": "not a certificate"}).json()
    assert [c["failure"] for c in body["checks"] if c["failure"]] == ["malformed"]
    response = app_client.post(VERIFY, json={"credential": "x" * 100_001})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"].startswith("credential")


def test_the_holder_lists_their_certificate_and_others_do_not_see_it(
    app_client: TestClient, certificate: Certified, db: Session, create_user: UserFactory
) -> None:
    number = certificate.credential.number
    mine = app_client.get("/api/v1/credentials", headers=bearer(db, certificate.holder))
    assert [c["number"] for c in mine.json()] == [number]
    stranger = bearer(db, create_user(Role.TRAINEE))
    assert app_client.get("/api/v1/credentials", headers=stranger).json() == []
    assert app_client.get(f"/api/v1/credentials/{number}", headers=stranger).status_code == 403
    assert app_client.get("/api/v1/credentials").status_code == 401


def test_the_holder_cannot_revoke_and_a_reason_is_required(
    app_client: TestClient, certificate: Certified, db: Session
) -> None:
    path = f"/api/v1/credentials/{certificate.credential.number}/revoke"
    holder = bearer(db, certificate.holder)
    assert app_client.post(path, json={"reason": "mine"}, headers=holder).status_code == 403
    coordinator = bearer(db, certificate.coordinator)
    response = app_client.post(path, json={"reason": "  "}, headers=coordinator)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "reason"


def test_an_unknown_number_is_not_found(
    app_client: TestClient, certificate: Certified, db: Session
) -> None:
    headers = bearer(db, certificate.coordinator)
    assert app_client.get("/api/v1/credentials/HMK-1999-000009", headers=headers).status_code == 404
    assert app_client.get("/api/v1/credentials/nonsense", headers=headers).status_code == 422


def test_the_verify_operation_is_documented(app_client: TestClient) -> None:
    schema = app_client.get("/api/v1/openapi.json").json()
    operation = schema["paths"][VERIFY]["post"]
    assert "security" not in operation
    assert "VerificationRead" in json.dumps(operation["responses"]["200"])
