"""Certificates and the keys that sign them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hamkor.core.db import Base, Timestamped
from hamkor.core.models import User
from hamkor.directory.models import Institution
from hamkor.training.models import Enrolment


class SigningKey(Timestamped, Base):
    """An Ed25519 key an institution signs certificates with; its private half sealed.

    One key per institution is active; rotation retires it (``retired_at``) and makes a new one.
    A retired key is never deleted: it is still published, so what it signed still verifies.
    """

    __tablename__ = "training_signing_keys"
    # The audit trail records that a key was made or retired, never the sealed bytes.
    __audit_values__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    kid: Mapped[str] = mapped_column(String(300), unique=True)
    public_jwk: Mapped[dict[str, str]]
    sealed_private_key: Mapped[bytes] = mapped_column(LargeBinary)
    retired_at: Mapped[datetime | None]

    institution: Mapped[Institution] = relationship(lazy="joined")

    @property
    def active(self) -> bool:
        return self.retired_at is None


class Credential(Timestamped, Base):
    """A certificate given to a trainee who completed a course: the signed VC-JWT and what
    the platform needs to find, show and revoke it.

    ``number`` is what people read and type (``HMK-2025-000123``); ``uid`` is the credential's
    ``id`` inside the signed document; ``status_index`` its bit in the issuer's status list.
    ``check_code`` is the random part of its public verification address, so that holders
    cannot be listed by counting numbers; certificates issued before check codes have none,
    and their printed address keeps verifying.
    """

    __tablename__ = "training_credentials"
    __table_args__ = (UniqueConstraint("issuer_institution_id", "status_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    check_code: Mapped[str | None] = mapped_column(String(16))
    uid: Mapped[str] = mapped_column(String(60), unique=True)
    enrolment_id: Mapped[int] = mapped_column(
        ForeignKey("training_enrolments.id", ondelete="CASCADE"), index=True
    )
    issuer_institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    kid: Mapped[str] = mapped_column(String(300))
    token: Mapped[str] = mapped_column(Text)
    status_index: Mapped[int]
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime | None]
    language: Mapped[str] = mapped_column(String(10))
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_reason: Mapped[str | None] = mapped_column(Text)

    enrolment: Mapped[Enrolment] = relationship(lazy="joined")
    issuer_institution: Mapped[Institution] = relationship(lazy="joined")
    revoked_by: Mapped[User | None] = relationship()

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None
