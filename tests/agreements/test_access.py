"""Who reads and changes agreements, by role: a confidential one is its parties' alone, and a
direct look by anyone else is a 403 written in the audit trail."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hamkor.agreements.models import Agreement, Confidentiality
from hamkor.core.models import AuditEntry, User
from hamkor.settings import Settings
from tests.fixtures.agreements import AgreementFactory, AgreementPeople, agreement_body
from tests.fixtures.core import ClientFactory
from tests.fixtures.directory import bearer
from tests.fixtures.files import PDF, PNG
from tests.fixtures.programs import KzUzDays


def _denials(db: Session) -> list[tuple[str, str | None]]:
    rows = db.execute(
        select(AuditEntry.entity, AuditEntry.entity_id)
        .where(AuditEntry.action == "denied")
        .order_by(AuditEntry.id)
    )
    return [(entity, entity_id) for entity, entity_id in rows]


def _status(client: TestClient, db: Session, user: User, path: str) -> int:
    return client.get(path, headers=bearer(db, user)).status_code


@pytest.mark.parametrize(
    ("who", "confidential", "open_"),
    [
        ("vakhidov_coordinator", 200, 200),  # a party's coordinator
        ("syzganov_specialist", 200, 200),  # a party's people
        ("program_coordinator", 403, 200),  # the program's, not a party
        ("outsider_coordinator", 403, 403),  # another institution, not of the program
        ("auditor", 403, 200),  # everywhere, but not a party
        ("ministry", 403, 200),  # coordinator of all programs, not a party
    ],
)
def test_an_agreement_by_role(
    app_client: TestClient,
    db: Session,
    agreement_people: AgreementPeople,
    create_agreement: AgreementFactory,
    who: str,
    confidential: int,
    open_: int,
) -> None:
    secret = create_agreement(code="SECRET", confidentiality=Confidentiality.PARTIES)
    shared = create_agreement(code="SHARED", confidentiality=Confidentiality.PROGRAM)
    user = getattr(agreement_people, who)
    statuses = [
        _status(app_client, db, user, f"/api/v1/agreements/{a.id}") for a in (secret, shared)
    ]
    assert statuses == [confidential, open_]
    denied = [
        ("agreements", str(a.id)) for a, s in ((secret, confidential), (shared, open_)) if s == 403
    ]
    assert _denials(db) == denied
    listed = app_client.get("/api/v1/agreements", headers=bearer(db, user)).json()
    assert [a["code"] for a in listed] == [
        a.code for a, s in ((secret, confidential), (shared, open_)) if s == 200
    ]


def test_a_confidential_agreements_documents_are_its_parties_alone(
    app_client: TestClient,
    client_for: ClientFactory,
    db: Session,
    agreement_people: AgreementPeople,
    memorandum: Agreement,
) -> None:
    people = agreement_people
    uploaded = app_client.post(
        f"/api/v1/agreements/{memorandum.id}/documents",
        files={"document": ("memorandum.pdf", PDF, "application/pdf")},
        headers=bearer(db, people.vakhidov_coordinator),
    )
    assert uploaded.status_code == 201, uploaded.text
    document = f"/files/{uploaded.json()['id']}"
    party = client_for(people.syzganov_specialist).get(document, follow_redirects=False)
    assert (party.status_code, party.content) == (200, PDF)
    other = client_for(people.program_coordinator).get(document, follow_redirects=False)
    assert other.status_code == 403
    assert _denials(db) == [("agreements", str(memorandum.id))]


def test_a_document_is_judged_by_its_content_not_its_name(
    app_client: TestClient, db: Session, agreement_people: AgreementPeople, memorandum: Agreement
) -> None:
    headers = bearer(db, agreement_people.vakhidov_coordinator)
    path = f"/api/v1/agreements/{memorandum.id}/documents"
    lying = app_client.post(
        path, files={"document": ("scan.pdf", PNG, "application/pdf")}, headers=headers
    )
    program = app_client.post(
        path,
        files={"document": ("scan.pdf", b"MZ\x90\x00" + bytes(60), "application/pdf")},
        headers=headers,
    )
    assert (lying.status_code, program.status_code) == (422, 422)
    assert [e["field"] for e in lying.json()["errors"]] == ["document"]
    assert app_client.get(path, headers=headers).json() == []


def test_only_managers_change_an_agreement(
    app_client: TestClient,
    db: Session,
    agreement_people: AgreementPeople,
    create_agreement: AgreementFactory,
) -> None:
    shared = create_agreement(code="SHARED", confidentiality=Confidentiality.PROGRAM)
    people = agreement_people

    def terminate(user: User) -> int:
        return app_client.post(
            f"/api/v1/agreements/{shared.id}/status",
            json={"status": "terminated"},
            headers=bearer(db, user),
        ).status_code

    assert terminate(people.syzganov_specialist) == 403  # a party's people read, not change
    assert terminate(people.auditor) == 403
    assert terminate(people.program_coordinator) == 200


def test_a_coordinator_cannot_make_an_agreement_they_would_not_manage(
    app_client: TestClient, db: Session, agreement_people: AgreementPeople, kz_uz_days: KzUzDays
) -> None:
    body = agreement_body(kz_uz_days, signed_on=None, program_id=None)
    for party in body["parties"]:
        party["signed_on"] = party["signed_on"].isoformat()
    for key in ("valid_from", "valid_until"):
        body[key] = body[key].isoformat()
    response = app_client.post(
        "/api/v1/agreements", json=body, headers=bearer(db, agreement_people.outsider_coordinator)
    )
    assert response.status_code == 403
    assert db.scalar(select(func.count()).select_from(Agreement)) == 0


def test_a_document_larger_than_an_import_is_kept_within_the_document_limit(
    app_client: TestClient,
    settings: Settings,
    db: Session,
    agreement_people: AgreementPeople,
    memorandum: Agreement,
) -> None:
    """An upload's transport limit is the largest of the limits, each applied by its use:
    a signed scan past the import limit is still a document."""
    settings.import_max_bytes = 64 * 1024
    settings.file_max_bytes = 1024 * 1024
    scan = PDF + b"%" + bytes(300 * 1024)
    uploaded = app_client.post(
        f"/api/v1/agreements/{memorandum.id}/documents",
        files={"document": ("signed.pdf", scan, "application/pdf")},
        headers=bearer(db, agreement_people.vakhidov_coordinator),
    )
    assert uploaded.status_code == 201, uploaded.text


def test_the_audit_trail_keeps_no_title_of_a_confidential_agreement(
    app_client: TestClient,
    db: Session,
    agreement_people: AgreementPeople,
    create_agreement: AgreementFactory,
) -> None:
    """An auditor reads the trail and is no party: a confidential agreement's values stay out of
    it, an open one's are kept (issue 22: /audit?format=csv showed the secret title)."""
    create_agreement(
        code="SECRET", confidentiality=Confidentiality.PARTIES, titles={"en": "Secret terms"}
    )
    create_agreement(
        code="SHARED", confidentiality=Confidentiality.PROGRAM, titles={"en": "Open terms"}
    )
    trail = app_client.get(
        "/api/v1/audit?entity=agreements", headers=bearer(db, agreement_people.auditor)
    )
    assert trail.status_code == 200
    assert "Open terms" in trail.text
    assert "Secret terms" not in trail.text
