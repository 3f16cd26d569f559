"""Issuing, revoking, rotating and verifying certificates against the real tables."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hamkor.core.access import AccessDenied, Action, Actor
from hamkor.core.errors import UserError
from hamkor.core.models import AuditEntry, Role
from hamkor.training import service as training_service
from hamkor.training.credentials import jose, keys, service
from hamkor.training.credentials.models import Credential, SigningKey
from hamkor.training.credentials.verify import Failure
from hamkor.training.models import Attendance, AttendanceMethod, Enrolment, EnrolmentStatus
from tests.fixtures.core import UserFactory
from tests.fixtures.credentials import HOLDER_NAMES, Certified, CompleteFactory, IssueFactory
from tests.fixtures.directory import bearer
from tests.fixtures.programs import KzUzDays
from tests.fixtures.training import MasterClass


def test_a_certificate_is_signed_by_the_issuer_and_verifies(
    db: Session, certificate: Certified, kz_uz_days: KzUzDays
) -> None:
    credential = certificate.credential
    assert credential.number.startswith("HMK-")
    assert credential.number.endswith("-000001")
    header = jose.header(credential.token)
    assert header["kid"] == credential.kid
    assert header["kid"].startswith(f"did:web:testserver:institutions:{kz_uz_days.vakhidov.id}#")
    result = service.verify(db=db, data=credential.token)
    assert result.valid, [o.render("en") for o in result.outcomes]
    assert result.credential is not None
    subject = result.credential["credentialSubject"]
    assert subject["identifier"][0]["identityHash"] == HOLDER_NAMES["uz"]
    assert subject["achievement"]["durationHours"] == 6
    assert subject["achievement"]["creditsAvailable"] == 6.0
    assert subject["licenseNumber"] == credential.number


def test_numbers_follow_each_other(complete: CompleteFactory, issue: IssueFactory) -> None:
    first, second = issue(complete("ru")), issue(complete("kk"))
    assert int(second.number[-6:]) == int(first.number[-6:]) + 1
    assert first.status_index != second.status_index


def test_an_enrolment_not_completed_gets_no_certificate(
    db: Session, master_class: MasterClass, complete: CompleteFactory, issue: IssueFactory
) -> None:
    enrolment = complete("uz")
    enrolment.status = EnrolmentStatus.ENROLLED
    db.commit()
    with pytest.raises(UserError) as refused:
        issue(enrolment)
    assert refused.value.errors[0].field == "enrolment_id"
    assert "completed" in refused.value.errors[0].message.render("en")


def test_a_second_certificate_for_the_same_enrolment_is_refused(
    certificate: Certified, issue: IssueFactory
) -> None:
    with pytest.raises(UserError) as refused:
        issue(certificate.enrolment)
    assert certificate.credential.number in refused.value.errors[0].message.render("en")


def _attended_every_session(db: Session, master_class: MasterClass) -> Enrolment:
    """The master class's trainee, enrolled and present at every session: one to complete."""
    enrolment = Enrolment(
        course_id=master_class.course.id,
        person_id=master_class.trainee.person.id,
        status=EnrolmentStatus.ENROLLED,
        language="uz",
    )
    db.add(enrolment)
    db.flush()
    for session in master_class.sessions:
        db.add(
            Attendance(
                session_id=session.id, enrolment_id=enrolment.id, method=AttendanceMethod.LIST
            )
        )
    db.commit()
    return enrolment


def test_only_the_courses_managers_complete_and_so_issue(
    db: Session,
    app_client: TestClient,
    master_class: MasterClass,
    kz_uz_days: KzUzDays,
    create_user: UserFactory,
    signing_settings: None,
) -> None:
    enrolment = _attended_every_session(db, master_class)
    path = f"/api/v1/training/enrolments/{enrolment.id}/complete"
    stranger = bearer(db, create_user(Role.INSTITUTION_COORDINATOR))
    assert app_client.post(path, headers=stranger).status_code == 403
    assert db.scalars(select(Credential)).all() == []
    coordinator = bearer(db, kz_uz_days.coordinator)
    assert app_client.post(path, headers=coordinator).json()["status"] == "completed"
    issued = db.scalars(select(Credential.enrolment_id)).all()
    assert issued == [enrolment.id]


def test_completing_a_course_issues_the_certificate(
    db: Session, master_class: MasterClass, kz_uz_days: KzUzDays, signing_settings: None
) -> None:
    enrolment = _attended_every_session(db, master_class)
    actor = Actor.of(kz_uz_days.coordinator)
    training_service.evaluate_completion(db=db, actor=actor, enrolment=enrolment)
    issued = service.list_credentials(db=db, actor=actor)
    assert [c.enrolment_id for c in issued] == [enrolment.id]


def test_revocation_is_published_with_its_reason(db: Session, certificate: Certified) -> None:
    actor = Actor.of(certificate.coordinator)
    credential = certificate.credential
    service.revoke(db=db, actor=actor, credential=credential, reason="Attendance sheet was forged")
    db.commit()
    result = service.verify(db=db, data=certificate.credential.token)
    assert result.failures == [Failure.REVOKED]
    status = next(o for o in result.outcomes if o.failure == Failure.REVOKED)
    assert status.render("en") == "Revoked by the issuer. Reason: Attendance sheet was forged"
    entries = db.scalars(
        select(AuditEntry).where(
            AuditEntry.entity == "training_credentials", AuditEntry.action == "update"
        )
    ).all()
    assert any("revoked_reason" in entry.changes for entry in entries)


def test_revocation_needs_a_reason_and_happens_once(db: Session, certificate: Certified) -> None:
    actor = Actor.of(certificate.coordinator)
    credential = certificate.credential
    with pytest.raises(UserError) as refused:
        service.revoke(db=db, actor=actor, credential=credential, reason="   ")
    assert refused.value.errors[0].field == "reason"
    service.revoke(db=db, actor=actor, credential=credential, reason="duplicate")
    with pytest.raises(UserError) as again:
        service.revoke(db=db, actor=actor, credential=credential, reason="again")
    assert again.value.errors[0].field == "number"


def test_the_holder_sees_but_does_not_revoke(db: Session, certificate: Certified) -> None:
    """Revoking starts by loading the certificate for change, as every caller of
    :func:`service.revoke` does; its holder may only see it."""
    holder = Actor.of(certificate.holder)
    number = certificate.credential.number
    assert [c.number for c in service.list_credentials(db=db, actor=holder)] == [number]
    assert service.get_credential(db=db, actor=holder, number=number).number == number
    with pytest.raises(AccessDenied):
        service.get_credential(db=db, actor=holder, number=number, action=Action.CHANGE)


def test_another_trainee_sees_nothing(
    db: Session, certificate: Certified, create_user: UserFactory
) -> None:
    other = Actor.of(create_user(Role.TRAINEE))
    assert service.list_credentials(db=db, actor=other) == []
    with pytest.raises(AccessDenied):
        service.get_credential(db=db, actor=other, number=certificate.credential.number)


def test_a_rotated_key_keeps_older_certificates_valid(
    db: Session,
    certificate: Certified,
    kz_uz_days: KzUzDays,
    complete: CompleteFactory,
    issue: IssueFactory,
    create_user: UserFactory,
) -> None:
    institution = kz_uz_days.vakhidov.id
    old_kid = certificate.credential.kid
    coordinator = create_user(Role.INSTITUTION_COORDINATOR, institution_id=institution)
    new = service.rotate_key(db=db, actor=Actor.of(coordinator), institution=kz_uz_days.vakhidov)
    db.commit()
    newer = issue(complete("kk"))
    assert newer.kid == new.kid != old_kid
    assert service.verify(db=db, data=certificate.credential.token).valid
    assert service.verify(db=db, data=newer.token).valid
    document = service.did_document(db=db, institution_id=institution)
    assert [m["id"] for m in document["verificationMethod"]] == [old_kid, new.kid]
    assert document["assertionMethod"] == [new.kid]


def test_only_the_institutions_coordinators_rotate(
    db: Session, kz_uz_days: KzUzDays, create_user: UserFactory, signing_settings: None
) -> None:
    elsewhere = create_user(
        Role.INSTITUTION_COORDINATOR, institution_id=kz_uz_days.samarkand_hospital.id
    )
    with pytest.raises(AccessDenied):
        service.rotate_key(db=db, actor=Actor.of(elsewhere), institution=kz_uz_days.vakhidov)


def test_private_keys_are_sealed_with_the_app_secret(
    db: Session, certificate: Certified, monkeypatch: pytest.MonkeyPatch
) -> None:
    row = db.scalar(select(SigningKey).where(SigningKey.kid == certificate.credential.kid))
    assert row is not None
    public = keys.public_key_from_jwk(row.public_jwk)
    private = keys.unseal(row.sealed_private_key, secret="test-secret-key", kid=row.kid)
    assert keys.public_raw(private.public_key()) == keys.public_raw(public)
    with pytest.raises(keys.SealBroken):
        keys.unseal(row.sealed_private_key, secret="another-secret", kid=row.kid)
    audit = db.scalars(select(AuditEntry).where(AuditEntry.entity == "training_signing_keys")).all()
    assert audit
    assert all(value == "changed" for entry in audit for value in entry.changes.values())


def test_the_status_list_is_signed_by_the_issuer(
    db: Session, certificate: Certified, kz_uz_days: KzUzDays
) -> None:
    token = service.status_list_token(db=db, institution_id=kz_uz_days.vakhidov.id)
    resolver = service.DatabaseResolver(db)
    key = resolver.key(jose.header(token)["kid"])
    assert key is not None
    document = jose.verify(token, key)
    assert document["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert document["id"] == service.status_list_url(kz_uz_days.vakhidov.id)
