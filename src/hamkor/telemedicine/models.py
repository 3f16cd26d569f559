"""Telemedicine: a doctor at home asks a specialist centre abroad about a patient (issue 18).

A case is patient data even when it names no patient (its clinical summary describes one):
``__audit_values__ = False`` keeps the audit trail to column names, as care does, so the trail
never becomes a second copy of the cases.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hamkor.care.models import Patient
from hamkor.core.db import Base, Timestamped, utcnow
from hamkor.core.models import User
from hamkor.directory.models import Institution, Specialty
from hamkor.programs.models import Program


class CaseStatus(StrEnum):
    """Where a case is on its way from the asking doctor to the answer and back."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    ANSWERED = "answered"
    CLOSED = "closed"
    DECLINED = "declined"


#: Cases waiting for the centre: the ones a deadline runs for.
WAITING_STATUSES = (CaseStatus.SUBMITTED, CaseStatus.ACCEPTED)
#: Cases on which the two sides still write to each other.
OPEN_STATUSES = (CaseStatus.SUBMITTED, CaseStatus.ACCEPTED, CaseStatus.ANSWERED)


class Urgency(StrEnum):
    """How soon the asking doctor needs the answer; each has its deadline in the settings."""

    URGENT = "urgent"
    ROUTINE = "routine"


class CaseRecommendation(StrEnum):
    """What the specialist abroad advises for the patient."""

    TREAT_LOCALLY = "treat_locally"
    SEE_AT_NEXT_VISIT = "see_at_next_visit"
    REFER_ABROAD = "refer_abroad"


class TeleCase(Timestamped, Base):
    """A teleconsultation: a question from a doctor of the asking institution to a specialist
    centre of another country, about a patient of care or an anonymous one.

    ``due_at`` is the deadline of the answer, from the submission and the urgency; the times of
    submission and answer stay on the case so that reports can count the answer times.
    ``reminded_at`` and ``escalated_at`` say that the deadline's reminder and escalation were
    sent, so that each goes once.
    """

    __tablename__ = "telemedicine_cases"
    __audit_values__ = False
    __table_args__ = (
        CheckConstraint("centre_id <> asking_institution_id", name="centre_not_asker"),
        Index("ix_telemedicine_cases_centre_id_status_due_at", "centre_id", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int | None] = mapped_column(
        ForeignKey("programs.id", ondelete="SET NULL"), index=True
    )
    asking_institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    asked_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    centre_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    specialty_id: Mapped[int] = mapped_column(ForeignKey("specialties.id"), index=True)
    urgency: Mapped[Urgency] = mapped_column(String(10))
    question: Mapped[str] = mapped_column(Text)
    clinical_summary: Mapped[str] = mapped_column(Text)
    icd10: Mapped[list[str]] = mapped_column(default=list)
    #: None: an anonymous case, described by its clinical summary alone.
    patient_id: Mapped[int | None] = mapped_column(
        ForeignKey("patients.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[CaseStatus] = mapped_column(String(20), default=CaseStatus.DRAFT)
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    decline_reason: Mapped[str | None] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)
    recommendation: Mapped[CaseRecommendation | None] = mapped_column(String(30))
    #: Told by the asker when closing: whether the answer spared the patient a visit.
    visit_avoided: Mapped[bool | None]
    submitted_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    #: The secret seed of the case's de-identification: every DICOM file of the case is
    #: de-identified alike (the same patient, dates shifted by the same offset, each UID
    #: remapped to the same new one), and nobody without it can repeat the mapping.
    deid_seed: Mapped[str] = mapped_column(String(64), default=lambda: secrets.token_hex(32))

    program: Mapped[Program | None] = relationship()
    asking_institution: Mapped[Institution] = relationship(
        foreign_keys=[asking_institution_id], lazy="joined"
    )
    centre: Mapped[Institution] = relationship(foreign_keys=[centre_id], lazy="joined")
    specialty: Mapped[Specialty] = relationship(lazy="joined")
    patient: Mapped[Patient | None] = relationship()
    asked_by: Mapped[User | None] = relationship(foreign_keys=[asked_by_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    messages: Mapped[list[CaseMessage]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseMessage.id"
    )
    history: Mapped[list[CaseTransition]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseTransition.id"
    )


class CaseMessage(Base):
    """One message of the exchange about a case; ``reply_to`` threads it under another."""

    __tablename__ = "telemedicine_messages"
    __audit_values__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("telemedicine_cases.id", ondelete="CASCADE"), index=True
    )
    reply_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("telemedicine_messages.id", ondelete="SET NULL")
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[TeleCase] = relationship(back_populates="messages")
    author: Mapped[User | None] = relationship(lazy="joined")


class CaseTransition(Base):
    """One step of a case through its states: who moved it, when, from and to."""

    __tablename__ = "telemedicine_transitions"
    __audit_values__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("telemedicine_cases.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    from_status: Mapped[CaseStatus | None] = mapped_column(String(20))
    to_status: Mapped[CaseStatus] = mapped_column(String(20))

    case: Mapped[TeleCase] = relationship(back_populates="history")
    by: Mapped[User | None] = relationship(lazy="joined")


class FileKind(StrEnum):
    """What a case's file is, as its content says."""

    DICOM = "dicom"
    IMAGE = "image"
    PDF = "pdf"


class CaseFile(Base):
    """A file of a case: an image, a PDF, or one DICOM instance of a series.

    Its bytes are a core stored file attached to this row (and its thumbnail, once the job
    has made it, a second attachment). A DICOM file is kept twice: the **original**, seen by
    the asking side only, and the **shared** copy de-identified for the centre abroad
    (``original_id`` points back to it). Images and PDFs are shared as they are.
    """

    __tablename__ = "telemedicine_files"
    __audit_values__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("telemedicine_cases.id", ondelete="CASCADE"), index=True
    )
    original_id: Mapped[int | None] = mapped_column(
        ForeignKey("telemedicine_files.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[FileKind] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(200))
    shared: Mapped[bool] = mapped_column(server_default=false())
    #: The (remapped, on a shared copy) study and series a DICOM instance belongs to.
    study_uid: Mapped[str | None] = mapped_column(String(64))
    series_uid: Mapped[str | None] = mapped_column(String(64))
    frames: Mapped[int | None]
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[TeleCase] = relationship()


class AbroadStatus(StrEnum):
    """Where a patient referred for treatment abroad is on the way there and back."""

    RECOMMENDED = "recommended"
    ACCEPTED = "accepted"
    INVITED = "invited"
    ESTIMATED = "estimated"
    CONSENTED = "consented"
    TRAVELLING = "travelling"
    ADMITTED = "admitted"
    TREATED = "treated"
    RETURNED = "returned"
    FOLLOWED_UP = "followed_up"
    DECLINED = "declined"
    CANCELLED = "cancelled"


class AbroadReferral(Timestamped, Base):
    """A patient referred for treatment at the partner centre abroad (medical tourism), from a
    teleconsultation's recommendation or an encounter of the visit, followed from the
    recommendation to the follow-up at home (``service_abroad``)."""

    __tablename__ = "telemedicine_abroad_referrals"
    __audit_values__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("telemedicine_cases.id", ondelete="SET NULL"), index=True
    )
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="RESTRICT"), index=True
    )
    referring_institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    status: Mapped[AbroadStatus] = mapped_column(String(20), default=AbroadStatus.RECOMMENDED)
    cost_estimate: Mapped[str | None] = mapped_column(String(100))
    travel_from: Mapped[datetime | None]
    travel_until: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(Text, default="")

    case: Mapped[TeleCase | None] = relationship()
    patient: Mapped[Patient] = relationship(lazy="joined")
    centre: Mapped[Institution] = relationship(foreign_keys=[centre_id], lazy="joined")
    referring_institution: Mapped[Institution] = relationship(
        foreign_keys=[referring_institution_id], lazy="joined"
    )
    history: Mapped[list[AbroadStep]] = relationship(
        back_populates="referral", cascade="all, delete-orphan", order_by="AbroadStep.id"
    )


class AbroadStep(Base):
    """One step of a referral abroad: who took it, when, from and to."""

    __tablename__ = "telemedicine_abroad_steps"
    __audit_values__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("telemedicine_abroad_referrals.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    from_status: Mapped[AbroadStatus | None] = mapped_column(String(20))
    to_status: Mapped[AbroadStatus] = mapped_column(String(20))

    referral: Mapped[AbroadReferral] = relationship(back_populates="history")
