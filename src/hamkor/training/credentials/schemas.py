"""What the certificates' API and pages read and write."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from hamkor.core.i18n import Translator, localized
from hamkor.training import labels
from hamkor.training.credentials.models import Credential
from hamkor.training.credentials.verify import Check, Failure, Verification

#: A credential is a few kilobytes; a hundred thousand characters is no certificate of ours.
MAX_CREDENTIAL_LENGTH = 100_000


class VerifyRequest(BaseModel):
    """A certificate to verify: its VC-JWT, or the JSON file (the enveloped credential)."""

    credential: Annotated[str, Field(max_length=MAX_CREDENTIAL_LENGTH)] | dict[str, Any] = Field(
        description="The VC-JWT as text, or the JSON of the EnvelopedVerifiableCredential."
    )


class CheckRead(BaseModel):
    """One check: passed (true), failed (false, with the failure) or skipped (null)."""

    check: Check
    label: str
    passed: bool | None
    failure: Failure | None
    message: str
    details: list[str]


class VerificationRead(BaseModel):
    """The verdict and every check, in the caller's language; the credential when readable."""

    valid: bool
    checks: list[CheckRead]
    credential: dict[str, Any] | None


def verification_read(result: Verification, translator: Translator) -> VerificationRead:
    """The verification as the API returns it and the page shows it."""
    return VerificationRead(
        valid=result.valid,
        checks=[
            CheckRead(
                check=o.check,
                label=translator.gettext(labels.CERTIFICATE_CHECK[o.check]),
                passed=o.passed,
                failure=o.failure,
                message=o.render(translator.language),
                details=list(o.details),
            )
            for o in result.outcomes
        ],
        credential=result.credential,
    )


class RevokeRequest(BaseModel):
    """Why a certificate is revoked: shown to everyone who verifies it afterwards."""

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class CredentialRead(BaseModel):
    """A certificate as its holder and the course's managers see it."""

    number: str
    holder: str
    course: str
    course_id: int
    issuer_institution_id: int
    kid: str
    language: str
    valid_from: datetime
    valid_until: datetime | None
    revoked_at: datetime | None
    revoked_reason: str | None

    @classmethod
    def of(cls, credential: Credential, language: str) -> CredentialRead:
        enrolment = credential.enrolment
        return cls(
            number=credential.number,
            holder=localized(enrolment.person.names, credential.language),
            course=localized(enrolment.course.title, language),
            course_id=enrolment.course_id,
            issuer_institution_id=credential.issuer_institution_id,
            kid=credential.kid,
            language=credential.language,
            valid_from=credential.valid_from,
            valid_until=credential.valid_until,
            revoked_at=credential.revoked_at,
            revoked_reason=credential.revoked_reason,
        )
