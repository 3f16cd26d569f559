"""Certificates: issue, list, revoke, verify; the institutions' keys, DID documents and lists.

Every function takes keyword arguments, the session and the acting user, and only flushes.
Issuing and revoking take the record their caller loaded through ``core.access`` (an enrolment
for change, a certificate by :func:`get_credential` for change), so access is checked once,
before the service; the public side (DID documents, JWK sets, the
status list, verification) needs no actor and exposes nothing but what a certificate's holder
may show anyone anyway. The signed documents are built by the pure modules of this package.
"""

from __future__ import annotations

import hmac
import re
import secrets
import uuid
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc.jwk import OKPKey
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from hamkor.core.access import AccessDenied, Action, Actor, NotFound, require, restrict
from hamkor.core.db import utcnow
from hamkor.core.errors import UserError
from hamkor.core.i18n import N_, Message, localized
from hamkor.core.pagination import Page, paginate
from hamkor.directory.models import Institution
from hamkor.settings import get_settings
from hamkor.training import labels
from hamkor.training.credentials import did, jose, keys, pdf, status_list, vc
from hamkor.training.credentials.access import may_rotate
from hamkor.training.credentials.models import Credential, SigningKey
from hamkor.training.credentials.verify import Verification, Verifier
from hamkor.training.filters import CertificateFilter
from hamkor.training.models import Course, CourseKind, Enrolment, EnrolmentStatus

NUMBER_PREFIX = "HMK"
_NUMBER = re.compile(r"^HMK-(\d{4})-(\d{6,})$")
NUMBER_PATTERN = r"^HMK-\d{4}-\d{6,}$"

_DESCRIPTION = N_(
    "%(kind)s at %(host)s, %(start)s to %(end)s: %(hours)s hours, %(credits)s CME credits."
)
_CRITERIA = N_("Attended at least %(percent)s%% of the sessions.")
_CRITERIA_SCORE = N_(
    "Attended at least %(percent)s%% of the sessions and scored at least %(score)s."
)


# --- addresses on the public site -----------------------------------------------------------


def public_url() -> str:
    return get_settings().public_base_url.rstrip("/")


def issuer_did(institution_id: int) -> str:
    return did.institution_did(public_url(), institution_id)


def status_list_url(institution_id: int) -> str:
    return f"{public_url()}/institutions/{institution_id}/status-list"


#: Letters and digits no one misreads on paper (no 0/O, 1/I/L).
CHECK_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CHECK_CODE_LENGTH = 10


def new_check_code() -> str:
    """The random part of a new certificate's verification address (about 50 bits)."""
    return "".join(secrets.choice(CHECK_CODE_ALPHABET) for _ in range(CHECK_CODE_LENGTH))


def verify_url(credential: Credential) -> str:
    """The public page a certificate's QR code opens: its number, then its check code."""
    address = f"{public_url()}/verify/{credential.number}"
    return f"{address}/{credential.check_code}" if credential.check_code else address


def institution_of_did(did_text: str) -> int | None:
    """The institution whose DID this is on this platform, if any."""
    prefix = issuer_did(0).removesuffix("0")
    rest = did_text.removeprefix(prefix)
    return int(rest) if did_text.startswith(prefix) and rest.isdigit() and len(rest) < 10 else None


# --- keys -----------------------------------------------------------------------------------


def _secret() -> str:
    return get_settings().resolved_secret_key()


def _new_key(db: Session, institution_id: int) -> SigningKey:
    private = keys.generate()
    kid = keys.key_id(issuer_did(institution_id), private.public_key())
    row = SigningKey(
        institution_id=institution_id,
        kid=kid,
        public_jwk=keys.public_jwk(private.public_key()),
        sealed_private_key=keys.seal(private, secret=_secret(), kid=kid),
    )
    db.add(row)
    db.flush()
    return row


def _active_key(db: Session, institution_id: int) -> SigningKey:
    """The key that signs for the institution now, made on its first certificate."""
    found = db.scalar(
        select(SigningKey).where(
            SigningKey.institution_id == institution_id, SigningKey.retired_at.is_(None)
        )
    )
    return found or _new_key(db, institution_id)


def rotate_key(*, db: Session, actor: Actor, institution: Institution) -> SigningKey:
    """Retire the institution's signing key and make a new one; the old one stays published,
    so the certificates it signed still verify. Keys are the institution's coordinators' to
    rotate, whoever may see the institution."""
    if not may_rotate(actor, institution.id):
        raise AccessDenied(SigningKey.__tablename__, None, Action.CHANGE)
    now = utcnow()
    for row in db.scalars(
        select(SigningKey).where(
            SigningKey.institution_id == institution.id, SigningKey.retired_at.is_(None)
        )
    ):
        row.retired_at = now
    db.flush()
    return _new_key(db, institution.id)


def published_keys(db: Session, institution_id: int) -> list[did.PublishedKey]:
    """Every key of the institution, retired ones too, oldest first."""
    rows = db.scalars(
        select(SigningKey)
        .where(SigningKey.institution_id == institution_id)
        .order_by(SigningKey.id)
    )
    return [did.PublishedKey(row.kid, row.public_jwk, row.active) for row in rows]


def _published_or_404(db: Session, institution_id: int) -> list[did.PublishedKey]:
    published = published_keys(db, institution_id)
    if not published:
        raise NotFound(Institution.__tablename__, institution_id)
    return published


def did_document(*, db: Session, institution_id: int) -> dict[str, Any]:
    """The institution's DID document (404 until it has signed anything)."""
    return did.did_document(issuer_did(institution_id), _published_or_404(db, institution_id))


def jwks(*, db: Session, institution_id: int) -> dict[str, Any]:
    """The institution's JWK set (404 until it has signed anything)."""
    return did.jwks(_published_or_404(db, institution_id))


def _unsealed(row: SigningKey) -> Ed25519PrivateKey:
    return keys.unseal(row.sealed_private_key, secret=_secret(), kid=row.kid)


def status_list_token(*, db: Session, institution_id: int) -> str:
    """The institution's revocation list as a signed ``BitstringStatusListCredential``."""
    _published_or_404(db, institution_id)
    institution = db.get(Institution, institution_id)
    assert institution is not None
    revoked = db.scalars(
        select(Credential.status_index).where(
            Credential.issuer_institution_id == institution_id, Credential.revoked_at.is_not(None)
        )
    )
    key = _active_key(db, institution_id)
    document = status_list.list_credential(
        list_url=status_list_url(institution_id),
        issuer=_profile(institution, "en"),
        revoked=revoked,
        valid_from=utcnow(),
    )
    return jose.sign(document, _unsealed(key), kid=key.kid, typ=vc.JWT_TYPE)


# --- issuing --------------------------------------------------------------------------------


def _profile(institution: Institution, language: str) -> dict[str, Any]:
    return vc.issuer_profile(
        did=issuer_did(institution.id),
        name=localized(institution.names, language),
        url=f"{public_url()}/institutions/{institution.id}",
    )


def next_number(db: Session, year: int) -> str:
    """The next number of ``year``: ``HMK-2025-000123`` (the unique index settles races)."""
    prefix = f"{NUMBER_PREFIX}-{year}-"
    numbers = db.scalars(select(Credential.number).where(Credential.number.like(f"{prefix}%")))
    last = max((int(m.group(2)) for n in numbers if (m := _NUMBER.match(n))), default=0)
    return f"{prefix}{last + 1:06d}"


def _valid_until(course: Course, start: datetime) -> datetime | None:
    years = course.certificate_valid_years
    if not years:
        return None
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February
        return start.replace(year=start.year + years, day=28)


def _criteria(course: Course, language: str) -> str:
    params: dict[str, Any] = {"percent": course.min_attendance_percent}
    if course.min_score is None:
        return Message(_CRITERIA, params).render(language)
    return Message(_CRITERIA_SCORE, {**params, "score": course.min_score}).render(language)


def _description(course: Course, language: str) -> str:
    """One sentence on the course in ``language``: kind, host, dates, hours and credits."""
    return Message(
        _DESCRIPTION,
        {
            "kind": Message(labels.COURSE_KIND[CourseKind(course.kind)]).render(language),
            "host": localized(course.host_institution.names, language),
            "start": course.starts_on.isoformat(),
            "end": course.ends_on.isoformat(),
            "hours": course.hours,
            "credits": f"{course.cme_credits:g}",
        },
    ).render(language)


def _award(enrolment: Enrolment, number: str, index: int, now: datetime) -> vc.Award:
    course, language = enrolment.course, enrolment.language
    valid_from = min(enrolment.completed_at or now, now)
    return vc.Award(
        credential_id=f"urn:uuid:{uuid.uuid4()}",
        number=number,
        issuer_did=issuer_did(course.issuer_institution_id),
        issuer_name=localized(course.issuer_institution.names, language),
        issuer_url=f"{public_url()}/institutions/{course.issuer_institution_id}",
        holder_name=localized(enrolment.person.names, language),
        achievement_id=f"{public_url()}/training/courses/{course.id}",
        achievement_name=localized(course.title, language),
        achievement_description=_description(course, language),
        criteria=_criteria(course, language),
        hours=course.hours,
        cme_credits=float(course.cme_credits),
        language=language,
        activity_start=course.starts_on,
        activity_end=course.ends_on,
        valid_from=valid_from,
        valid_until=_valid_until(course, valid_from),
        status_list_url=status_list_url(course.issuer_institution_id),
        status_index=index,
    )


def _current(db: Session, enrolment_id: int) -> Credential | None:
    return db.scalar(
        select(Credential).where(
            Credential.enrolment_id == enrolment_id, Credential.revoked_at.is_(None)
        )
    )


def issue_certificate(
    *, db: Session, actor: Actor, enrolment: Enrolment, now: datetime | None = None
) -> Credential:
    """Sign the certificate of a completed enrolment with the issuer's active key; it is
    numbered in the year of ``now`` (the clock's now unless given)."""
    now = now or utcnow()
    if enrolment.status != EnrolmentStatus.COMPLETED:
        raise UserError.one(
            "enrolment_id", N_("Only a trainee who completed the course receives a certificate.")
        )
    existing = _current(db, enrolment.id)
    if existing is not None:
        raise UserError.one(
            "enrolment_id",
            N_("This trainee already holds the certificate %(number)s."),
            number=existing.number,
        )
    issuer_id = enrolment.course.issuer_institution_id
    key = _active_key(db, issuer_id)
    taken = set(
        db.scalars(
            select(Credential.status_index).where(Credential.issuer_institution_id == issuer_id)
        )
    )
    award = _award(enrolment, next_number(db, now.year), status_list.allocate(taken), now)
    credential = Credential(
        number=award.number,
        check_code=new_check_code(),
        uid=award.credential_id,
        enrolment_id=enrolment.id,
        issuer_institution_id=issuer_id,
        kid=key.kid,
        token=vc.sign(vc.credential(award), _unsealed(key), key.kid),
        status_index=award.status_index,
        valid_from=award.valid_from,
        valid_until=award.valid_until,
        language=enrolment.language,
    )
    db.add(credential)
    db.flush()
    return credential


# --- reading and revoking -------------------------------------------------------------------


def credentials_statement(actor: Actor, filters: CertificateFilter | None = None) -> Select[Any]:
    """The certificates the actor may see matching ``filters``, newest first."""
    stmt = select(Credential).order_by(Credential.id.desc())
    return restrict(stmt if filters is None else filters.apply(stmt), actor)


def list_credentials(
    *, db: Session, actor: Actor, limit: int = 500, filters: CertificateFilter | None = None
) -> list[Credential]:
    """The certificates the actor may see, newest first, at most ``limit`` of them."""
    return list(db.scalars(credentials_statement(actor, filters).limit(limit)))


def page_credentials(
    *, db: Session, actor: Actor, filters: CertificateFilter, size: int
) -> Page[Credential]:
    """One page of the certificates the actor may see, narrowed by ``filters``."""
    return paginate(db, credentials_statement(actor, filters), number=filters.page, size=size)


def _by_number(db: Session, number: str) -> Credential:
    found = db.scalar(select(Credential).where(Credential.number == number.strip().upper()))
    if found is None:
        raise NotFound(Credential.__tablename__, number)
    return found


def get_credential(
    *, db: Session, actor: Actor, number: str, action: Action = Action.VIEW
) -> Credential:
    """A certificate by its number: 404 when none has it, 403 when it is not the actor's."""
    credential = _by_number(db, number)
    require(db, actor, action, credential)
    return credential


def sheet(credential: Credential) -> pdf.Sheet:
    """What the paper certificate shows: the trainee's language, then English."""
    enrolment = credential.enrolment
    course, person = enrolment.course, enrolment.person
    languages = dict.fromkeys((credential.language, "en"))
    sides = tuple(
        pdf.Side(
            language=language,
            holder=localized(person.names, language),
            course=localized(course.title, language),
            description=_description(course, language),
            issuer=localized(credential.issuer_institution.names, language),
        )
        for language in languages
    )
    return pdf.Sheet(
        sides=sides,
        number=credential.number,
        hours=course.hours,
        cme_credits=float(course.cme_credits),
        issued_on=credential.valid_from.date(),
        valid_until=credential.valid_until.date() if credential.valid_until else None,
        verify_url=verify_url(credential),
    )


def certificate_pdf(credential: Credential) -> bytes:
    """The PDF certificate, for its holder or the course's managers (who loaded it)."""
    return pdf.render(sheet(credential))


def public_token(*, db: Session, number: str, check_code: str | None) -> str:
    """The signed certificate a QR code points at, for public verification.

    Anyone holding the paper holds its address; what they get is what the paper claims,
    signed, which is exactly what verification is for. Without the check code of a certificate
    that has one, the number alone finds nothing, as an unknown number does: counting numbers
    lists no holder.
    """
    credential = _by_number(db, number)
    given = (check_code or "").strip().upper()
    if credential.check_code is not None and not hmac.compare_digest(credential.check_code, given):
        raise NotFound(Credential.__tablename__, number)
    return credential.token


def revoke(*, db: Session, actor: Actor, credential: Credential, reason: str) -> Credential:
    """Revoke a certificate with a reason; the issuer's status list shows it from now on."""
    reason = reason.strip()
    if not reason:
        raise UserError.one("reason", N_("Say why the certificate is revoked."))
    if len(reason) > 500:
        raise UserError.one(
            "reason", N_("Must be at most %(max_length)s characters."), max_length=500
        )
    if credential.revoked:
        raise UserError.one("number", N_("This certificate is already revoked."))
    credential.revoked_at = utcnow()
    credential.revoked_by_id = actor.user_id or None
    credential.revoked_reason = reason
    db.flush()
    return credential


# --- verification ---------------------------------------------------------------------------


class DatabaseResolver:
    """The verifier's look-ups answered from this platform's tables."""

    def __init__(self, db: Session) -> None:
        self.db = db
        self._keys: dict[str, OKPKey | None] = {}

    def issuer_known(self, did_text: str) -> bool:
        institution_id = institution_of_did(did_text)
        return institution_id is not None and bool(published_keys(self.db, institution_id))

    def key(self, kid: str) -> OKPKey | None:
        if kid not in self._keys:
            row = self.db.scalar(select(SigningKey).where(SigningKey.kid == kid))
            self._keys[kid] = (
                jose.public_okp(keys.public_key_from_jwk(row.public_jwk)) if row else None
            )
        return self._keys[kid]

    def status_list(self, url: str) -> str | None:
        match = re.fullmatch(re.escape(public_url()) + r"/institutions/(\d{1,9})/status-list", url)
        if match is None:
            return None
        institution_id = int(match.group(1))
        if not published_keys(self.db, institution_id):
            return None
        return status_list_token(db=self.db, institution_id=institution_id)

    def revocation_reason(self, credential_id: str) -> str | None:
        return self.db.scalar(
            select(Credential.revoked_reason).where(Credential.uid == credential_id)
        )


def verifier(db: Session) -> Verifier:
    """A verifier on this platform's keys and lists (reuse it for many credentials)."""
    return Verifier(DatabaseResolver(db))


def verify(*, db: Session, data: bytes | str) -> Verification:
    """Every check of an uploaded or pasted certificate (the page, the API and the CLI)."""
    return verifier(db).verify(data)
